"""``raccoon new demo && raccoon run demo``: a real HTTP client and a real WAMP client log
in, see the desktop and open the master-detail context; Ctrl-C leaves no process behind;
the data stays for the next run."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from readme_support import readme_block, shape, summary

from raccoon._process import pick_free_port, run_blocking
from raccoon.node import Connection

RACCOON = [sys.executable, "-m", "raccoon.service.cli"]
PASSWORD = "correct horse battery"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def workspace() -> Iterator[Path]:
    """A directory the embedded PostgreSQL's account can enter when we are root
    (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="raccoon-run-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class Run:
    """``raccoon run`` as a subprocess, its output parsed as it comes."""

    def __init__(self, cwd: Path, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [*RACCOON, "run", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, within: float = 120.0) -> re.Match[str]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.output}")

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        rest, _ = self.process.communicate(timeout=60)
        self.lines.append(rest)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=30)


async def _log_in_and_look(url: str, password: str) -> dict[str, Any]:
    """What a browser does: the page, login, WAMP join, ready, open the projects."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url + "/") as response:
            assert response.status == 200
            assert response.content_type == "text/html"
            page = await response.text()
        config = json.loads(re.search(r'id="raccoon-config">(.*?)</script>', page).group(1))
        assert config["login"] == "/api/login" and config["url"].endswith("/ws")
        async with http.post(
            url + "/api/login", json={"username": "demo", "password": password}
        ) as response:
            assert response.status == 200, await response.text()
            grant = await response.json()
    connection = Connection(grant["url"], grant["realm"], ticket=grant["token"], name="browser")
    try:
        await connection.connect(timeout=30)
        session = await connection.call("raccoon.public.session.ready", timeout=30)
        desktop = session["contexts"][0]
        opener = next(a for a in desktop["actions"] if a["id"] == "open_projects")
        projects = await connection.call(opener["path"] + ".run", timeout=30)
        master = projects["cursors"]["projects"]
        rows = await connection.call(master + ".rows", [0, 10], timeout=30)
        garden = next(row for row in rows if row["name"] == "Garden")
        await connection.call(master + ".set_current", [garden["id"]], timeout=30)
        detail = projects["cursors"]["tasks"]
        for _ in range(100):  # the detail cursor follows the master's current record
            tasks = await connection.call(detail + ".rows", [0, 10], timeout=30)
            if {t["title"] for t in tasks} == {"Plant tomatoes", "Fix the fence"}:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the detail cursor never showed Garden's tasks: {tasks}")
        return {"session": session, "projects": projects, "rows": rows}
    finally:
        await connection.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_new_then_run_serves_login_and_desktop_and_stops_everything(workspace: Path) -> None:
    new = subprocess.run(
        [*RACCOON, "new", "demo"], cwd=workspace, capture_output=True, text=True, timeout=60
    )
    assert new.returncode == 0, new.stderr
    assert (workspace / "demo" / "__init__.py").is_file()
    env = {**os.environ, "RACCOON_PORT": str(pick_free_port())}
    for name in ("RACCOON_DATABASE_URL", "RACCOON_WORKDIR", "RACCOON_SECRET"):
        env.pop(name, None)
    # -- first run: everything from nothing, seeded ---------------------------------
    run = Run(workspace, "demo", "--password", PASSWORD, env=env)
    try:
        postgres_pid = int(run.wait_for(r"database\s+embedded PostgreSQL, pid (\d+)").group(1))
        router_pid = int(run.wait_for(r"router\s+Crossbar, pid (\d+)").group(1))
        run.wait_for(rf"login\s+demo / {PASSWORD}")
        url = run.wait_for(r"open\s+(http://\S+)").group(1)
        run.wait_for("Ctrl-C to stop")
        pids = json.loads((workspace / "demo" / ".raccoon" / "run.json").read_text())
        assert pids["router_pid"] == router_pid and pids["postgres_pid"] == postgres_pid
        assert pids["pid"] == run.process.pid

        seen = run_blocking(_log_in_and_look(url, PASSWORD))
        session = seen["session"]
        assert session["user"]["username"] == "demo" and session["tenant"] == "demo"
        desktop = session["contexts"][0]
        assert desktop["view_spec"] == {"type": "Desktop", "title": "demo"}
        assert {a["id"] for a in desktop["actions"]} == {"open_projects", "logout"}
        assert seen["projects"]["view_spec"]["type"] == "MasterDetail"
        assert [r["name"] for r in seen["rows"]] == ["Garden", "House"]

        assert run.interrupt() == 0, run.output
    finally:
        run.kill()
    assert "stopped" in run.output and "Traceback" not in run.output
    # The README's `raccoon run` block is what it prints, line by line.
    shown = shape(readme_block("starting demo ("), {"/home/ann/demo": "<APP>"}, passwords=True)
    printed = shape(summary(run.output), {str(workspace / "demo"): "<APP>"}, passwords=True)
    assert printed == shown, run.output
    assert not _alive(router_pid) and not _alive(postgres_pid)
    assert not (workspace / "demo" / ".raccoon" / "run.json").exists()

    # -- second run, from inside the application: the data is still there -----------
    again = Run(workspace / "demo", env=env)
    try:
        postgres_pid = int(again.wait_for(r"database\s+embedded PostgreSQL, pid (\d+)").group(1))
        router_pid = int(again.wait_for(r"router\s+Crossbar, pid (\d+)").group(1))
        url = again.wait_for(r"open\s+(http://\S+)").group(1)
        assert "login" not in again.output  # seeded once
        run_blocking(_log_in_and_look(url, PASSWORD))
        assert again.interrupt() == 0, again.output
    finally:
        again.kill()
    assert not _alive(router_pid) and not _alive(postgres_pid)


def test_new_refuses_bad_names_and_full_directories(workspace: Path) -> None:
    bad = subprocess.run(
        [*RACCOON, "new", "Not-A-Name"], cwd=workspace, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 1 and "lowercase Python identifier" in bad.stderr
    (workspace / "taken").mkdir()
    (workspace / "taken" / "file").write_text("x")
    full = subprocess.run(
        [*RACCOON, "new", "taken"], cwd=workspace, capture_output=True, text=True, timeout=60
    )
    assert full.returncode == 1 and "not an empty directory" in full.stderr
    shadow = subprocess.run(
        [*RACCOON, "new", "json"], cwd=workspace, capture_output=True, text=True, timeout=60
    )
    assert shadow.returncode == 1 and "installed module" in shadow.stderr


def test_run_says_when_there_is_no_application(workspace: Path) -> None:
    result = subprocess.run(
        [*RACCOON, "run"], cwd=workspace, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "holds no application" in result.stderr and "raccoon new" in result.stderr
