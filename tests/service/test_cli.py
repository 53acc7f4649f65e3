"""The `raccoon` command: the demo runs against a real router and leaves
nothing behind, also when stopped with Ctrl-C."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

RACCOON = [sys.executable, "-m", "raccoon.service.cli"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _router_pid(output: str) -> int:
    match = re.search(r"router ready at \S+ \(realm 'raccoon', pid (\d+)\)", output)
    assert match, output
    return int(match.group(1))


@pytest.mark.timeout(120)
def test_demo_runs_nodes_and_stops_everything(tmp_path):
    result = subprocess.run(
        [*RACCOON, "demo", "--seconds", "2", "--interval", "0.3", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "hello raccoon (RPC across sessions)" in out
    assert re.search(r"tick 1 reached demo\.greeter .* now=1", out), out
    sent, received = map(int, re.search(r"done: (\d+) ticks sent, (\d+) received", out).groups())
    assert sent >= 3 and received == sent
    assert "Traceback" not in result.stderr
    pid = _router_pid(out)
    assert not _alive(pid)


@pytest.mark.timeout(120)
def test_ctrl_c_stops_the_router(tmp_path):
    proc = subprocess.Popen(
        [*RACCOON, "demo", "--workdir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("tick 1 "):
            break
    pid = _router_pid("".join(lines))
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "router stopped" in rest
    assert not _alive(pid)


def test_bad_arguments_are_refused():
    result = subprocess.run(
        [*RACCOON, "demo", "--seconds", "-1"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--seconds must be positive" in result.stderr
