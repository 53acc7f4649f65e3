"""The Crossbar router: configuration, start/ready/stop, restart, failures.

Every test that starts a router starts a real crossbar (about 2-4 s each).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import raccoon.service
from raccoon.service import (
    Permission,
    Role,
    Router,
    RouterError,
    RouterSettings,
    ServerState,
    build_config,
    find_crossbar,
)
from raccoon.service._probe import join_realm


def gone(pid: int) -> bool:
    """True once no process (not even a zombie of ours) has *pid*."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_gone(pid: int, within: float = 10.0) -> bool:
    """For processes we did not spawn ourselves (their parent reaps them)."""
    deadline = time.monotonic() + within
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


async def join(router: Router) -> int:
    """Join the router's realm; return the pid of the router worker that served us."""
    authextra = await join_realm(router.url, router.realm, 10.0)
    return int(authextra["x_cb_pid"])


def test_public_api_is_exported() -> None:
    exported = {name for name in dir(raccoon.service) if not name.startswith("_")}
    assert set(raccoon.service.__all__) <= exported
    assert {"Router", "RouterSettings", "RouterError", "build_config"} <= set(
        raccoon.service.__all__
    )


# -- configuration ----------------------------------------------------------------------


def test_build_config_defaults() -> None:
    config = build_config(RouterSettings(port=8123))
    assert config["version"] == 2
    (worker,) = config["workers"]
    (realm,) = worker["realms"]
    assert realm["name"] == "raccoon"
    assert realm["roles"] == [
        {"name": "backend", "permissions": [Permission().to_config()]},
    ]
    (transport,) = worker["transports"]
    assert transport["type"] == "web"
    assert transport["endpoint"] == {"type": "tcp", "interface": "127.0.0.1", "port": 8123}
    websocket = transport["paths"]["ws"]
    assert websocket["type"] == "websocket"
    assert "ubjson" not in websocket["serializers"]
    assert websocket["options"]["enable_webstatus"] is False
    assert websocket["options"]["auto_ping_interval"] == 10_000  # milliseconds
    assert websocket["auth"] == {"anonymous": {"type": "static", "role": "backend"}}
    json.dumps(config)  # plain JSON data


def test_build_config_options() -> None:
    settings = RouterSettings(
        realm="app",
        port=9000,
        path="wamp",
        allowed_origins=("https://example.org",),
        auto_ping_interval=None,
        max_message_size=1024,
        roles=(Role.full_access("backend"), Role("browser", authorizer="app.authorize")),
        anonymous_role=None,
        rawsocket=True,
    )
    config = build_config(settings)
    (transport,) = config["workers"][0]["transports"]
    assert transport["type"] == "universal"
    assert transport["rawsocket"]["options"]["max_message_size"] == 1024
    websocket = transport["web"]["paths"]["wamp"]
    assert websocket["options"]["allowed_origins"] == ["https://example.org"]
    assert "auto_ping_interval" not in websocket["options"]
    assert "auth" not in websocket
    assert config["workers"][0]["realms"][0]["roles"][1] == {
        "name": "browser",
        "authorizer": "app.authorize",
    }
    assert settings.url == "ws://127.0.0.1:9000/wamp"


def test_build_config_needs_a_port() -> None:
    with pytest.raises(ValueError, match="concrete port"):
        build_config(RouterSettings())


def test_settings_reject_misuse() -> None:
    with pytest.raises(ValueError, match="anonymous_role"):
        RouterSettings(roles=(Role.full_access("admin"),))
    with pytest.raises(ValueError, match="loglevel"):
        RouterSettings(loglevel="loud")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path"):
        RouterSettings(path="a/b")
    with pytest.raises(ValueError, match="either static permissions or an authorizer"):
        Role("nobody")


def test_crossbar_accepts_the_config(tmp_path: Path) -> None:
    """`crossbar check` validates what build_config produces (the richest variant)."""
    settings = RouterSettings(
        port=9000,
        roles=(
            Role.full_access("backend"),
            Role("browser", authorizer="app.authorize"),
            Role("reader", permissions=(Permission("app.", subscribe=True, publish=False),)),
        ),
        rawsocket=True,
    )
    (tmp_path / "config.json").write_text(json.dumps(build_config(settings)))
    result = subprocess.run(
        [find_crossbar(), "check", "--cbdir", tmp_path],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "configuration looks good" in result.stdout


# -- the executable -----------------------------------------------------------------


def test_find_crossbar_prefers_the_one_beside_python() -> None:
    assert find_crossbar() == Path(sys.executable).parent / "crossbar"


def test_find_crossbar_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RouterError, match=r"no crossbar executable .* pip install"):
        find_crossbar()


@pytest.mark.asyncio
async def test_missing_executable_is_a_clear_error(tmp_path: Path) -> None:
    router = Router(RouterSettings(executable=str(tmp_path / "no-crossbar")), tmp_path)
    with pytest.raises(RouterError, match="no-crossbar' does not exist"):
        await router.start()
    assert router.state is ServerState.STOPPED
    assert router.pid is None


# -- lifecycle -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.asyncio
async def test_start_join_stop(tmp_path: Path) -> None:
    router = Router(RouterSettings(realm="lifecycle"), tmp_path)
    assert router.state is ServerState.STOPPED
    assert router.url == f"ws://127.0.0.1:{router.port}/ws"
    await router.start()
    try:
        assert router.running and router.state is ServerState.RUNNING
        pid = router.pid
        assert pid is not None and not gone(pid)
        worker = await join(router)
        assert worker != pid and not gone(worker)
        assert json.loads(router.config_path.read_text())["workers"][0]["realms"][0]["name"] == (
            "lifecycle"
        )
    finally:
        await router.stop()
    assert router.state is ServerState.STOPPED and not router.running
    assert router.pid is None
    assert gone(pid)
    assert wait_gone(worker)  # the controller's child, reaped by it or by init
    await router.stop()  # idempotent
    log = router.log_path.read_text()
    assert "Received SIGTERM, shutting down" in log
    # No process of ours may print the bjdata / NumPy 2 import traceback.
    assert "Traceback" not in log
    assert "_ARRAY_API" not in log


@pytest.mark.slow
@pytest.mark.asyncio
async def test_restart_and_kill_keep_the_port(tmp_path: Path) -> None:
    async with Router(RouterSettings(), tmp_path) as router:
        url, first = router.url, router.pid
        assert first is not None
        await router.restart()
        assert router.url == url
        second, worker = router.pid, await join(router)
        assert second not in (None, first) and gone(first)

        assert second is not None
        router.kill()  # as a test killing the router under live clients would
        assert router.state is ServerState.STOPPED
        assert gone(second) and wait_gone(worker)
        with pytest.raises(OSError):
            await join(router)  # nobody listens any more
        await router.start()  # same port, over the stale node.pid of the killed one
        assert router.url == url
        await join(router)
    assert router.state is ServerState.STOPPED


@pytest.mark.slow
def test_blocking_api(tmp_path: Path) -> None:
    router = Router(RouterSettings(), tmp_path)
    router.start_blocking()
    try:
        pid = router.pid
        assert router.running and pid is not None
        with pytest.raises(RuntimeError, match="it is running"):
            router.start_blocking()
    finally:
        router.stop_blocking()
    assert pid is not None and gone(pid)


@pytest.mark.asyncio
async def test_blocking_api_refuses_a_running_loop(tmp_path: Path) -> None:
    router = Router(RouterSettings(), tmp_path)
    with pytest.raises(RuntimeError, match=r"(?i)await the async method"):
        router.start_blocking()
    assert router.state is ServerState.STOPPED


# -- failures --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.asyncio
async def test_invalid_config_shows_the_log(tmp_path: Path) -> None:
    router = Router(RouterSettings(realm="no spaces allowed"), tmp_path)
    with pytest.raises(RouterError) as info:
        await router.start()
    message = str(info.value)
    assert "exited with status" in message
    assert "Log tail" in message
    assert 'the name "no spaces allowed" is not a valid WAMP realm name' in message
    assert router.state is ServerState.STOPPED and router.pid is None


@pytest.mark.asyncio
async def test_not_ready_in_time(tmp_path: Path) -> None:
    router = Router(RouterSettings(), tmp_path)
    with pytest.raises(RouterError, match="not ready in time") as info:
        await router.start(ready_timeout=0.3)
    assert "Log tail" in str(info.value)
    assert router.state is ServerState.STOPPED and router.pid is None


@pytest.mark.asyncio
async def test_port_served_by_another_router(crossbar: Router, tmp_path: Path) -> None:
    intruder = Router(RouterSettings(port=crossbar.port), tmp_path)
    with pytest.raises(RouterError, match=f"port {crossbar.port}"):
        await intruder.start()
    assert intruder.pid is None
    await join(crossbar)  # the session router is unharmed


def test_session_router_log_is_clean(crossbar: Router) -> None:
    log = crossbar.log_path.read_text()
    assert "Traceback" not in log and "_ARRAY_API" not in log


# -- our death -----------------------------------------------------------------------


@pytest.mark.slow
def test_router_dies_with_its_parent(tmp_path: Path) -> None:
    """PDEATHSIG: if the process that started crossbar dies, crossbar stops."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from raccoon.service import Router, RouterSettings
        router = Router(RouterSettings(), {str(tmp_path)!r})
        router.start_blocking()
        print(router.pid, flush=True)
        time.sleep(120)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert not gone(pid)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        parent.stdout.close()  # type: ignore[union-attr]
    assert wait_gone(pid, within=20), "crossbar outlived the process that started it"


@pytest.mark.slow
@pytest.mark.asyncio
async def test_async_stop_is_cancellation_safe(tmp_path: Path) -> None:
    router = Router(RouterSettings(), tmp_path)
    await router.start()
    pid = router.pid
    assert pid is not None
    task = asyncio.ensure_future(router.stop(grace_period=30))
    await asyncio.sleep(0.05)  # the subject: cancel while stop() waits for the router
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Cancelled while waiting: the router is killed rather than left behind.
    assert router.state is ServerState.STOPPED
    assert gone(pid)
