"""The pieces of ``raccoon dev`` without a router: the page's reloader endpoint, the
client build that keeps the old bundle when a new one fails, the watchers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from run_support import RACCOON

from raccoon.build import BuildError, CheckFailed
from raccoon.service import Settings
from raccoon.service._client import build_client
from raccoon.service._dev import ClientWatcher, ServerWatcher, server_sources
from raccoon.service._devweb import add_dev_routes, build_id, dev_script_tag
from raccoon.service._scaffold import create_application


def _touch(path: Path, text: str) -> None:
    path.write_text(text)
    later = time.time() + 1  # another mtime even on a coarse clock
    os.utime(path, (later, later))


@pytest.mark.asyncio
async def test_the_build_endpoint_answers_when_the_bundle_changes(tmp_path: Path) -> None:
    bundle = tmp_path / "app.bundle.js"
    bundle.write_text("one")
    settings = Settings(bundle_path=str(bundle), dev_reload=True)
    app = web.Application()
    add_dev_routes(app, settings)
    async with TestClient(TestServer(app)) as client:
        script = await client.get("/static/dev.js")
        assert script.status == 200 and "location.reload" in await script.text()
        first = (await (await client.get("/dev/build")).json())["build"]
        assert first == build_id(settings)
        waiting = asyncio.ensure_future(client.get("/dev/build", params={"known": first}))
        await asyncio.sleep(0.6)
        assert not waiting.done()  # held while nothing changes
        _touch(bundle, "two!")
        answer = await (await asyncio.wait_for(waiting, 5)).json()
        assert answer["build"] != first and answer["build"] == build_id(settings)
        # A held poll does not hold the shutdown.
        held = asyncio.ensure_future(client.get("/dev/build", params={"known": answer["build"]}))
        await asyncio.sleep(0.3)
    assert held.done()
    assert dev_script_tag(settings).startswith('<script src="/static/dev.js" data-build=')
    assert dev_script_tag(Settings(bundle_path=str(bundle))) == ""


@pytest.mark.timeout(240)
def test_a_failed_build_keeps_the_previous_bundle(tmp_path: Path) -> None:
    package = tmp_path / "client" / "shop"
    package.mkdir(parents=True)
    _touch(package / "__init__.py", "from raccoon.view import element\n\n__all__ = ['element']\n")
    made = build_client(package, tmp_path / "work")
    assert made.built and made.bundle.is_file()
    before = made.bundle.read_bytes()
    assert not build_client(package, tmp_path / "work").built  # nothing changed
    _touch(package / "__init__.py", "from .missing import thing\n\n__all__ = ['thing']\n")
    with pytest.raises(BuildError, match=r"Can't resolve '\./missing'"):
        build_client(package, tmp_path / "work")
    assert made.bundle.read_bytes() == before  # webpack's failed output is not served
    _touch(package / "__init__.py", "X = {k: 1 for k in [1]}\n")
    with pytest.raises(CheckFailed, match=r"__init__\.py:1:\d+: PJ101"):
        build_client(package, tmp_path / "work")
    assert made.bundle.read_bytes() == before


@pytest.mark.asyncio
async def test_the_client_watcher_rebuilds_after_a_change(tmp_path: Path) -> None:
    package = tmp_path / "client" / "shop"
    package.mkdir(parents=True)
    _touch(package / "__init__.py", "X = 1\n\n__all__ = ['X']\n")
    said: list[str] = []
    watcher = ClientWatcher(package, tmp_path / "work", said.append, interval=0.1)
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.sleep(0.5)
        _touch(package / "__init__.py", "X = {k: 1 for k in [1]}\n\n__all__ = ['X']\n")
        for _ in range(300):
            if watcher.failures:
                break
            await asyncio.sleep(0.1)
        assert watcher.failures == 1 and "PJ101" in said[-1], said
        _touch(package / "__init__.py", "X = 2\n\n__all__ = ['X']\n")
        for _ in range(1200):
            if watcher.builds:
                break
            await asyncio.sleep(0.1)
        assert watcher.builds == 1 and "rebuilt" in said[-1], said
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.mark.asyncio
async def test_the_server_watcher_sees_the_application_but_not_its_client(
    tmp_path: Path,
) -> None:
    app = tmp_path / "demo"
    create_application(app, "demo")
    client = app / "client" / "demo"
    files = {p.relative_to(app).as_posix() for p in server_sources(app, [client])}
    assert "controllers.py" in files and "migrations/demo_0001_projects.py" in files
    assert not any(f.startswith("client/") for f in files)
    changed: list[list[str]] = []
    watcher = ServerWatcher(app, [client], changed.append, interval=0.1)
    task = asyncio.create_task(watcher.run())
    await asyncio.sleep(0.4)
    _touch(client / "views.py", "# the client is not the server\n")
    await asyncio.sleep(0.5)
    assert not changed
    _touch(app / "seed.py", "# changed\n")
    await asyncio.wait_for(task, 5)
    assert changed == [[str((app / "seed.py").resolve())]]


def test_dev_takes_the_options_of_run() -> None:
    helps = {
        command: subprocess.run(
            [*RACCOON, command, "--help"], capture_output=True, text=True, timeout=60
        ).stdout
        for command in ("run", "dev")
    }
    for option in ("--config", "--port", "--host", "--password", "--no-seed"):
        assert option in helps["run"] and option in helps["dev"]
