"""``raccoon dev``: a scaffolded application in a real chromium; an edit of its client
rebuilds the bundle and reloads the page with the new code; a checker error is printed
with file:line while the previous bundle stays served; a change of its server code
restarts the service in the same process. Every process is stopped by pid."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import aiohttp
import pytest
from doc_blocks import Block, apply_step, blocks, shape
from playwright.async_api import Page, async_playwright
from run_support import RACCOON, RaccoonProcess, assert_gone, clean_env, workspace

from raccoon._process import pick_free_port, run_blocking
from raccoon.testing.browser import launch_chromium

PASSWORD = "correct horse battery"
MARK = "window.__raccoon_before_reload = true"
RELOADED = "() => window.__raccoon_before_reload !== true"
PROJECT_ROWS = '[data-grid="projects"] .tabulator-row[data-id]'


async def _log_in(page: Page) -> None:
    await page.wait_for_selector("#raccoon-username", timeout=30_000)
    await page.fill("#raccoon-username", "demo")
    await page.fill("#raccoon-password", PASSWORD)
    await page.click("#raccoon-login")
    await page.wait_for_selector("h1.demo-title", timeout=30_000)


async def _still_logged_in(page: Page) -> None:
    """After a reload the tab continues its login (no password asked)."""
    await page.wait_for_selector("h1.demo-title", timeout=30_000)
    assert await page.locator("#raccoon-username").count() == 0


async def _scenario(run: RaccoonProcess, app: Path, url: str, artifacts: Path) -> None:
    views = app / "client" / "demo" / "views.py"
    original = views.read_text()
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page()
            page.on("console", lambda m: print(f"[browser {m.type}] {m.text}"))
            await page.goto(url)
            await _log_in(page)
            assert await page.text_content("h1.demo-title") == "demo"
            # The master-detail view: the seed's projects in the master grid.
            await page.click('button[data-action="open_projects"]')
            await page.wait_for_selector(PROJECT_ROWS, timeout=30_000)
            grid = page.locator('div.raccoon-grid[data-grid="projects"][data-rows="2"]')
            await grid.wait_for(timeout=30_000)
            assert "Garden" in await grid.inner_text() and "House" in await grid.inner_text()
            # Select a project: the form shows it, the tasks grid follows it.
            await page.locator(PROJECT_ROWS, has_text="Garden").click()
            await page.wait_for_function(
                """() => document.querySelectorAll(
                    '[data-grid="tasks"] .tabulator-row[data-id]').length === 2""",
                timeout=30_000,
            )
            await page.wait_for_function(
                """() => document.querySelector('[data-field="name"]').value === 'Garden'""",
                timeout=30_000,
            )
            await page.screenshot(path=artifacts / "before.png")

            # -- an edit of the client: rebuilt, and the page reloads by itself -------
            since = run.mark()
            await page.evaluate(MARK)
            edited = original.replace(
                'return "raccoon-title demo-title"', 'return "raccoon-title demo-title demo-edited"'
            )
            assert edited != original
            views.write_text(edited)
            await run.await_for(r"client\s+rebuilt in", within=120, since=since)
            await page.wait_for_function(RELOADED, timeout=60_000)
            await _still_logged_in(page)
            await page.wait_for_selector("h1.demo-title.demo-edited", timeout=30_000)
            await page.screenshot(path=artifacts / "edited.png")

            # -- a checker error: file:line printed, the old bundle still served -------
            since = run.mark()
            await page.evaluate(MARK)
            views.write_text(edited + "\nBAD = {k: 1 for k in [1]}\n")
            await run.await_for(r"still serving the previous bundle", within=120, since=since)
            bad_line = len(edited.splitlines()) + 2
            await run.await_for(
                rf"client/demo/views\.py:{bad_line}:\d+: PJ101", within=10, since=since
            )
            await asyncio.sleep(2)  # what a reload would take
            assert await page.evaluate("() => window.__raccoon_before_reload === true")
            async with aiohttp.ClientSession() as http:
                async with http.get(url + "/static/bundle.js") as response:
                    assert response.status == 200
                    assert "demo-edited" in await response.text()

            # -- back to a good state, then a server-side change: a restart ------------
            since = run.mark()
            views.write_text(edited)
            await run.await_for(r"client\s+rebuilt in", within=120, since=since)
            await page.wait_for_function(RELOADED, timeout=60_000)
            since = run.mark()
            await page.evaluate(MARK)
            controllers = app / "controllers.py"
            controllers.write_text(controllers.read_text() + "\n# changed\n")
            await run.await_for(r"controllers\.py changed: restarting", within=30, since=since)
            await run.await_for(r"Ctrl-C to stop", within=120, since=since)
            await page.wait_for_function(RELOADED, timeout=60_000)
            await _still_logged_in(page)  # the login outlives the server's restart
            await page.wait_for_selector("h1.demo-title.demo-edited", timeout=30_000)
        finally:
            await browser.close()


@pytest.mark.timeout(420)
def test_dev_rebuilds_the_client_and_reloads_the_page() -> None:
    default = Path(__file__).resolve().parents[2] / "tmp" / "e2e-artifacts"
    artifacts = Path(os.environ.get("RACCOON_ARTIFACTS") or default) / "test_dev"
    artifacts.mkdir(parents=True, exist_ok=True)
    with workspace() as root:
        new = subprocess.run(
            [*RACCOON, "new", "demo"], cwd=root, capture_output=True, text=True, timeout=60
        )
        assert new.returncode == 0, new.stderr
        app = root / "demo"
        env = clean_env(RACCOON_PORT=str(pick_free_port()))
        run = RaccoonProcess(root, "dev", "demo", "--password", PASSWORD, env=env)
        pids: set[int] = set()
        try:
            url = run.wait_for(r"open\s+(http://\S+)").group(1)
            run.wait_for("Ctrl-C to stop")
            first = json.loads((app / ".raccoon" / "run.json").read_text())
            assert first["pid"] == run.pid
            pids |= {first["router_pid"], first["postgres_pid"]}

            run_blocking(_scenario(run, app, url, artifacts))
            # The restart kept the pid (os.execv) and started new servers.
            second = json.loads((app / ".raccoon" / "run.json").read_text())
            assert second["pid"] == run.pid
            assert_gone(sorted(pids))  # the first servers were stopped by the restart
            pids |= {second["router_pid"], second["postgres_pid"]}
            assert run.stop() == 0, run.output
        finally:
            run.stop()
        assert_gone(sorted(pids | {run.pid}))
        assert "Traceback" not in run.output, run.output
        assert not (app / ".raccoon" / "run.json").exists()


# -- saves that land inside a restart or a build ---------------------------------------------

TITLE = "h1.demo-title"
PROJECTS_GRID = '[data-grid="projects"]'


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


async def _shows(page: Page, title: str, column: str, artifacts: Path) -> None:
    """The page runs the last saved server code (the desktop's title comes from
    controllers.py) and client code (the grid's column title from views.py), and
    still shows the projects screen it had open, with no login asked."""
    try:
        await page.wait_for_function(
            """([title, column]) => {
                const h1 = document.querySelector('h1.demo-title');
                const grid = document.querySelector('[data-grid="projects"]');
                return h1 !== null && h1.textContent === title && grid !== null
                    && grid.textContent.includes(column);
            }""",
            arg=[title, column],
            timeout=150_000,
        )
    except BaseException:
        await page.screenshot(path=artifacts / "saves-failed.png")
        print("the page shows:", await page.evaluate("() => document.body.innerText"))
        print("it keeps:", await page.evaluate("() => JSON.stringify(sessionStorage)"))
        raise
    assert await page.locator("#raccoon-username").count() == 0


async def _saves_scenario(run: RaccoonProcess, app: Path, url: str, artifacts: Path) -> None:
    views = app / "client" / "demo" / "views.py"
    controllers = app / "controllers.py"
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page()
            page.on("console", lambda m: print(f"[browser {m.type}] {m.text}"))
            page.on("pageerror", lambda e: print(f"[browser pageerror] {e}"))
            await page.goto(url)
            await _log_in(page)
            await page.click('button[data-action="open_projects"]')
            await page.wait_for_selector(PROJECT_ROWS, timeout=30_000)
            await page.screenshot(path=artifacts / "saves-before.png")

            # -- a restart, and saves inside it: after the new process loaded its
            # code and checked its client, before its service is up ----------------
            since = run.mark()
            _replace(controllers, '"title": "demo"', '"title": "demo restarting"')
            await run.await_for(r"controllers\.py changed: restarting", within=30, since=since)
            started = run.mark()
            await run.await_for(r"^starting demo", within=60, since=started)
            await asyncio.sleep(1.5)
            _replace(views, '"title": "Project"', '"title": "Project saved in the restart"')
            await asyncio.sleep(1.5)
            _replace(controllers, '"demo restarting"', '"demo saved in the restart"')
            assert run._search(r"Ctrl-C to stop", started) is None, "the saves missed the restart"
            await _shows(
                page, "demo saved in the restart", "Project saved in the restart", artifacts
            )
            await page.screenshot(path=artifacts / "saves-in-a-restart.png")

            # -- a burst inside a client build: a client save, two more (client, then
            # server) while the build it started runs --------------------------------
            since = run.mark()
            _replace(views, "Project saved in the restart", "Project b1")
            await asyncio.sleep(2.5)  # one poll to settle, then the build runs (3-20 s)
            _replace(views, "Project b1", "Project b2")
            await asyncio.sleep(1.5)
            _replace(controllers, '"demo saved in the restart"', '"demo saved in a build"')
            assert run._search(r"client\s+rebuilt in", since) is None, "the saves missed the build"
            await _shows(page, "demo saved in a build", "Project b2", artifacts)
            await page.screenshot(path=artifacts / "saves-in-a-build.png")
        finally:
            await browser.close()


@pytest.mark.timeout(600)
def test_dev_keeps_every_save_made_during_a_restart_or_a_build() -> None:
    default = Path(__file__).resolve().parents[2] / "tmp" / "e2e-artifacts"
    artifacts = Path(os.environ.get("RACCOON_ARTIFACTS") or default) / "test_dev_saves"
    artifacts.mkdir(parents=True, exist_ok=True)
    with workspace() as root:
        new = subprocess.run(
            [*RACCOON, "new", "demo"], cwd=root, capture_output=True, text=True, timeout=60
        )
        assert new.returncode == 0, new.stderr
        app = root / "demo"
        env = clean_env(RACCOON_PORT=str(pick_free_port()))
        run = RaccoonProcess(root, "dev", "demo", "--password", PASSWORD, env=env)
        try:
            url = run.wait_for(r"open\s+(http://\S+)").group(1)
            run.wait_for("Ctrl-C to stop")
            try:
                run_blocking(_saves_scenario(run, app, url, artifacts))
            except BaseException:
                print(f"raccoon dev said:\n{run.output}")  # what the watchers did
                raise
            assert run.stop() == 0, run.output
        finally:
            run.stop()
        assert_gone([run.pid])


# -- the tutorial's development loop (docs/tutorial.md §5-7), step by step as written -------

TUTORIAL_PASSWORD = "tutorial pass"


def _logs_shown(run: RaccoonProcess, block: Block, since: int = 0) -> None:
    """Each console line of *block* (by shape: numbers, paths and ports vary)
    was printed since line *since*."""
    printed = run.output.splitlines()[since:]
    for line in block.text.splitlines():
        if not line.strip() or line.startswith("$ "):
            continue
        pattern = shape(line)
        assert any(pattern.search(out) for out in printed), f"{block}: {line!r} not printed"


async def _tutorial(run: RaccoonProcess, root: Path, url: str, artifacts: Path) -> None:
    steps = [b for b in blocks("tutorial.md") if b.kind in ("edit", "insert", "new", "dev-log")]
    logs = [b for b in steps if b.kind == "dev-log"]
    edits = [b for b in steps if b.kind != "dev-log"]
    assert len(logs) == 4 and len(edits) == 5, [str(b) for b in steps]
    _logs_shown(run, logs[0])  # §5: what raccoon run (and dev) print when they start
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page()
            page.on("console", lambda m: print(f"[browser {m.type}] {m.text}"))
            await page.goto(url)
            await page.wait_for_selector("#raccoon-username", timeout=30_000)
            await page.fill("#raccoon-username", "studio")
            await page.fill("#raccoon-password", TUTORIAL_PASSWORD)
            await page.click("#raccoon-login")
            await page.click('button[data-action="open_projects"]', timeout=30_000)
            await page.locator(
                '[data-grid="projects"] .tabulator-row[data-id]', has_text="Garden"
            ).click(timeout=30_000)
            await page.wait_for_selector('[data-grid="tasks"][data-rows="2"]', timeout=30_000)
            await page.screenshot(path=artifacts / "5-run.png")

            # §6: a client edit: rebuilt, the page reloads, the projects stay open.
            since = run.mark()
            await page.evaluate(MARK)
            apply_step(edits[0], root)
            await run.await_for(r"client\s+rebuilt in", within=120, since=since)
            await page.wait_for_function(RELOADED, timeout=60_000)
            _logs_shown(run, logs[1])
            header = '[data-grid="projects"] .tabulator-col-title'
            await page.wait_for_function(
                f"""() => [...document.querySelectorAll('{header}')]
                        .some(e => e.textContent === 'Name')""",
                timeout=60_000,
            )
            await page.screenshot(path=artifacts / "6-client-edit.png")

            # §6: the desktop's title, in controllers.py: a restart; the page comes
            # back logged in, with the same screens, under the new title.
            since = run.mark()
            await page.evaluate(MARK)
            apply_step(edits[1], root)
            await run.await_for(r"Ctrl-C to stop", within=120, since=since)
            await page.wait_for_function(RELOADED, timeout=60_000)
            _logs_shown(run, logs[2], since)
            await page.wait_for_function(
                """() => document.querySelector('h1.studio-title')?.textContent === 'Studio'
                    && document.querySelector('[data-grid="projects"]') !== null""",
                timeout=60_000,
            )
            assert await page.locator("#raccoon-username").count() == 0
            await page.screenshot(path=artifacts / "6-server-edit.png")

            # §7: a field: the table, the migration, the column, with raccoon dev
            # running; the restart applies the migration and the grid shows it.
            since = run.mark()
            await page.evaluate(MARK)
            for step in edits[2:]:
                apply_step(step, root)
            await run.await_for(r"changed: restarting", within=60, since=since)
            await run.await_for(r"Ctrl-C to stop", within=120, since=since)
            _logs_shown(run, logs[3], since)
            await page.wait_for_function(RELOADED, timeout=60_000)
            await page.locator(
                '[data-grid="projects"] .tabulator-row[data-id]', has_text="Garden"
            ).click(timeout=120_000)
            await page.wait_for_function(
                """() => [...document.querySelectorAll(
                        '[data-grid="tasks"] .tabulator-col-title')]
                        .some(e => e.textContent === 'Due')""",
                timeout=120_000,
            )
            assert await page.locator("#raccoon-username").count() == 0
            await page.screenshot(path=artifacts / "7-field.png")
        finally:
            await browser.close()


@pytest.mark.timeout(600)
def test_the_tutorial_development_loop_as_written() -> None:
    default = Path(__file__).resolve().parents[2] / "tmp" / "e2e-artifacts"
    artifacts = Path(os.environ.get("RACCOON_ARTIFACTS") or default) / "test_tutorial"
    artifacts.mkdir(parents=True, exist_ok=True)
    with workspace() as root:
        new = subprocess.run(
            [*RACCOON, "new", "studio"], cwd=root, capture_output=True, text=True, timeout=60
        )
        assert new.returncode == 0, new.stderr
        env = clean_env(RACCOON_PORT=str(pick_free_port()))
        run = RaccoonProcess(root, "dev", "studio", "--password", TUTORIAL_PASSWORD, env=env)
        try:
            url = run.wait_for(r"open\s+(http://\S+)").group(1)
            run.wait_for("Ctrl-C to stop")
            try:
                run_blocking(_tutorial(run, root, url, artifacts))
            except BaseException:
                print(f"raccoon dev said:\n{run.output}")
                raise
            assert run.stop() == 0, run.output
        finally:
            run.stop()
        assert_gone([run.pid])
