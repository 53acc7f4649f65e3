"""Client nodes under node, through a real router, with a Python server node.

The seed's JavaScript example (js/raccoon/tests/router/seed_test.py) runs
transpiled under ``node --test`` while this process serves the Python node
``seed.py`` on another WAMP session of the same router: JavaScript nodes
call each other and Python, Python calls JavaScript, signals cross both
ways, and a JavaScript RemoteState follows the Python node's state.

Needs node and the npm toolchain (``make setup``); without them the test is
skipped — except with CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from raccoon.build import BuildError, default_client_source, toolchain_root, transpile
from raccoon.node import Path as NodePath
from raccoon.node import RPCError, Signal, WAMPNode, call, handler
from raccoon.testing.plugin import in_ci

HOOKS = toolchain_root() / "js" / "tools" / "register.mjs"


def _require_node() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is not installed"
    elif not (toolchain_root() / "node_modules" / "autobahn").is_dir():
        problem = "the npm toolchain is not installed (make setup runs npm ci)"
    if problem is not None:
        if in_ci():
            pytest.fail(f"{problem}; CI=true: a missing toolchain is an error", pytrace=False)
        pytest.skip(problem)
    assert node is not None
    return node


class PyServer(WAMPNode):
    """The Python side of the seed test, at ``seed.py``."""

    on_ping = Signal()

    def __init__(self) -> None:
        self.seen: list[list[Any]] = []

    @call
    async def add(self, a: int, b: int) -> int:
        return a + b

    @handler("@first.second.on_foo")
    def saw(self, *args: Any) -> None:
        self.seen.append(list(args))

    @call
    async def seen_args(self) -> list[list[Any]]:
        return self.seen

    @call
    async def ping_back(self, path: str) -> str:
        await self.remote(path).rpc("from python")
        return f"called {path}"

    @call
    async def emit(self, value: str) -> None:
        await self.on_ping.notify(value)

    @call
    async def refuse(self) -> None:
        raise RPCError("refused on purpose", uri="seed.error.refused")

    @call
    async def bump(self) -> int:
        self["count"] = self.node_data.get("count", 0) + 1
        return int(self["count"])


async def _run_node_tests(
    node: str, build: Path, runners: list[Path], env: dict[str, str]
) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        node,
        "--import",
        str(HOOKS),
        "--test",
        "--test-timeout=60000",
        "--test-reporter=tap",
        *map(str, runners),
        cwd=build,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 90)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")


def _transpiled(tmp_path: Path) -> Any:
    try:
        return transpile([default_client_source()], tmp_path / "build")
    except BuildError as exc:
        pytest.fail(f"the client does not build: {exc}", pytrace=False)


def _env(result: Any, router: Any) -> dict[str, str]:
    return {
        **os.environ,
        "RACCOON_JS_ROOTS": str(result.out),
        "RACCOON_TEST_ROUTER_URL": router.url,
        "RACCOON_TEST_ROUTER_REALM": router.realm,
    }


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(150)
async def test_seed_javascript_example_with_python_server(
    crossbar: Any, connection1: Any, tmp_path: Path
) -> None:
    node = _require_node()
    result = _transpiled(tmp_path)
    runners = [p for p in result.node_tests if p.name == "seed_test.node-test.mjs"]
    assert len(runners) == 1

    server = PyServer()
    server["count"] = 0
    await server.node_bind(NodePath("seed") + "py", connection1.new_context())
    env = _env(result, crossbar)
    try:
        status, output = await _run_node_tests(node, result.out, runners, env)
    finally:
        await server.node_unbind()
    sys.stdout.write(output)
    assert status == 0, output
    assert "# pass 1" in output and "# fail 0" in output, output
    # What the Python side saw of the JavaScript nodes.
    assert server.seen == [["hello handler"]]
    assert server.node_data.get("count") == 2


class RestartingServer(PyServer):
    """PyServer that restarts its router on request (at ``rc.py``)."""

    def __init__(self, router: Any) -> None:
        super().__init__()
        self.router = router
        self.restarts: list[asyncio.Task[None]] = []

    @call
    async def restart_router(self) -> str:
        self.restarts.append(asyncio.ensure_future(self._restart()))
        return "restarting"

    async def _restart(self) -> None:
        await asyncio.sleep(0.2)  # let the answer reach the caller first
        await self.router.stop()
        await self.router.start()


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(180)
async def test_client_connection_survives_a_router_restart(
    router_factory: Any, tmp_path: Path
) -> None:
    from raccoon.testing.connections import open_connection

    node = _require_node()
    result = _transpiled(tmp_path)
    runners = [p for p in result.node_tests if p.name == "reconnect_test.node-test.mjs"]
    assert len(runners) == 1
    router = await router_factory.start()
    connection = await open_connection(router, "py-reconnect")
    server = RestartingServer(router)
    try:
        await server.node_bind(NodePath("rc") + "py", connection.new_context())
        status, output = await _run_node_tests(node, result.out, runners, _env(result, router))
        sys.stdout.write(output)
        assert status == 0, output
        assert "# pass 1" in output and "# fail 0" in output, output
        assert len(server.restarts) == 1 and server.restarts[0].done()
        server.restarts[0].result()
    finally:
        await server.node_unbind()
        await connection.close()
