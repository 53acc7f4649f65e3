"""The pieces of ``raccoon dev`` without a router: the page's reloader endpoint, the
client build that keeps the old bundle when a new one fails, the watchers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from run_support import RACCOON

from raccoon.build import BuildError, CheckFailed
from raccoon.service import Settings, _dev
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
    build_client(package, tmp_path / "work")  # what raccoon dev builds when it starts
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = tmp_path / "demo"
    create_application(app, "demo")
    client = app / "client" / "demo"
    files = {p.relative_to(app).as_posix() for p in server_sources(app, [client])}
    assert "controllers.py" in files and "migrations/demo_0001_projects.py" in files
    assert not any(f.startswith("client/") for f in files)
    # This process "loaded the code" now, well after the application was written.
    old = time.time() - 60
    for path in app.rglob("*"):
        os.utime(path, (old, old))
    monkeypatch.setattr(_dev, "LOADED_AT_NS", time.time_ns(), raising=False)
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


async def _until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.1)


@pytest.mark.asyncio
async def test_a_server_save_during_the_restart_restarts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file saved after this process loaded the code, but before the watcher
    started (raccoon dev starts it once the service runs: seconds later), is a
    change: the code running may not be that file's."""
    app = tmp_path / "demo"
    create_application(app, "demo")
    old = time.time() - 60  # written well before this process started
    for path in app.rglob("*"):
        os.utime(path, (old, old))
    monkeypatch.setattr(_dev, "LOADED_AT_NS", time.time_ns(), raising=False)
    (app / "controllers.py").write_text((app / "controllers.py").read_text() + "# saved late\n")
    changed: list[list[str]] = []
    watcher = ServerWatcher(app, [app / "client" / "demo"], changed.append, interval=0.1)
    await asyncio.wait_for(watcher.run(), 5)
    assert changed == [[str((app / "controllers.py").resolve())]]


@pytest.mark.timeout(300)
@pytest.mark.asyncio
async def test_a_client_save_during_the_start_is_built(tmp_path: Path) -> None:
    """raccoon dev builds the client, then starts the service (seconds), then the
    watcher: a save in between is built once the watcher runs."""
    package = tmp_path / "client" / "shop"
    package.mkdir(parents=True)
    work = tmp_path / "work"
    _touch(package / "__init__.py", "X = 'first'\n\n__all__ = ['X']\n")
    made = build_client(package, work)  # the start's build
    (package / "__init__.py").write_text("X = 'saved while starting'\n\n__all__ = ['X']\n")
    said: list[str] = []
    watcher = ClientWatcher(package, work, said.append, interval=0.1)
    task = asyncio.create_task(watcher.run())
    try:
        await _until(lambda: watcher.builds + watcher.failures > 0, 200, "a rebuild")
        assert watcher.builds == 1, said
        assert "saved while starting" in made.bundle.read_text()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.mark.timeout(400)
@pytest.mark.asyncio
async def test_a_burst_of_client_saves_during_a_build_ends_in_the_last(tmp_path: Path) -> None:
    """Saves 0.7 s apart, the later ones inside the build the first one started:
    the bundle ends with the last."""
    package = tmp_path / "client" / "shop"
    package.mkdir(parents=True)
    work = tmp_path / "work"
    module = package / "__init__.py"
    _touch(module, "X = 'burst-v0'\n\n__all__ = ['X']\n")
    made = build_client(package, work)
    said: list[str] = []
    watcher = ClientWatcher(package, work, said.append, interval=0.1)
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.sleep(0.3)
        module.write_text("X = 'burst-v1'\n\n__all__ = ['X']\n")
        await _until(lambda: watcher.building, 30, "the build of v1 to start")
        for version in ("v2", "v3"):
            await asyncio.sleep(0.7)
            assert watcher.building, "the saves must land inside the build"
            module.write_text(f"X = 'burst-{version}'\n\n__all__ = ['X']\n")
        await _until(lambda: "burst-v3" in made.bundle.read_text(), 300, "the bundle of v3")
        assert watcher.failures == 0, said
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_dev_takes_the_options_of_run() -> None:
    helps = {
        command: subprocess.run(
            [*RACCOON, command, "--help"], capture_output=True, text=True, timeout=60
        ).stdout
        for command in ("run", "dev")
    }
    for option in ("--config", "--port", "--host", "--password", "--no-seed"):
        assert option in helps["run"] and option in helps["dev"]
