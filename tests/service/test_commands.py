"""``raccoon tenant|role|user add`` and ``raccoon serve``, as subprocesses."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from service_support import FAST_HASHING

from raccoon._process import run_blocking
from raccoon.data import Database
from raccoon.service import Accounts, InvalidCredentials

RACCOON = [sys.executable, "-m", "raccoon.service.cli"]


def raccoon(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RACCOON, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_accounts_commands(service_database: str, tmp_path: Path) -> None:
    dsn = ["--dsn", service_database]
    config = tmp_path / "raccoon.toml"
    config.write_text("".join(f"{k} = {v}\n" for k, v in FAST_HASHING.items()))
    assert raccoon("tenant", "add", "initech", *dsn).returncode == 0
    assert raccoon("role", "add", "boss", *dsn).returncode == 0
    created = raccoon(
        "user", "add", "bill", "--tenant", "initech", "--role", "boss", "--language", "en",
        "--password-stdin", "--config", str(config), *dsn, stdin="tps reports\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "user 'bill' created" in created.stdout
    again = raccoon("user", "add", "BILL", "--password-stdin", *dsn, stdin="whatever1\n")
    assert again.returncode == 1 and "exists already" in again.stderr
    missing = raccoon(
        "user", "add", "ted", "--tenant", "nowhere", "--password-stdin", *dsn, stdin="password1\n"
    )
    assert missing.returncode == 1 and "raccoon tenant add nowhere" in missing.stderr
    short = raccoon("user", "add", "ted", "--password-stdin", *dsn, stdin="short\n")
    assert short.returncode == 1 and "8 to 1024 characters" in short.stderr
    nodb = raccoon("role", "add", "x", env={"RACCOON_DATABASE_URL": ""})
    assert nodb.returncode == 2 and "no database" in nodb.stderr

    async def check() -> None:
        async with Database(service_database) as db:
            accounts = Accounts(db)
            user = await accounts.verify_password("Bill", "tps reports")
            assert (user.tenant, user.roles, user.language) == ("initech", ("boss",), "en")
            with pytest.raises(InvalidCredentials):
                await accounts.verify_password("bill", "wrong password")

    run_blocking(check())


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_serve_runs_and_stops_everything(service_database: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RACCOON_DATABASE_URL": service_database,
        "RACCOON_SECRET": "s" * 48,
        "RACCOON_PORT": "0",
        "RACCOON_WORKDIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [*RACCOON, "serve"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 90
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"raccoon serving at (http://\S+)", line)
            url = match.group(1) if match else None
        assert url, "".join(lines)
        with urllib.request.urlopen(url + "/health", timeout=10) as response:
            assert json.load(response)["status"] == "ok"
        router_pid = json.loads((tmp_path / "crossbar" / "node.pid").read_text())["pid"]
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, "".join(lines) + output
        assert "stopped" in output
        # The router (our grandchild) is gone too.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{router_pid}"):
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{router_pid}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
