"""The `raccoon` command: the demo runs against a real router and leaves
nothing behind, also when stopped with Ctrl-C."""

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from raccoon._process import pick_free_port

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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.timeout(60)
def test_a_password_the_seed_would_refuse_is_refused_before_anything_starts(tmp_path):
    """The README's old `--password secret` failed after the whole setup (database,
    migrations, router) and left a database no later run could seed."""
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RACCOON_")}
    env["RACCOON_WORKDIR"] = str(state)
    env["RACCOON_PORT"] = str(pick_free_port())  # (the old code went on to start everything)
    started = time.monotonic()
    result = subprocess.run(
        [*RACCOON, "run", "examples/safety", "--password", "secret"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "argument --password: a password has 8 to 1024 characters" in result.stderr
    assert result.stdout == ""  # not even "starting safety"
    assert not state.exists()  # no database, no router, no state directory
    assert time.monotonic() - started < 30


def test_run_help_states_the_password_rule():
    for command in ("run", "dev"):
        result = subprocess.run(
            [*RACCOON, command, "--help"], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0
        text = " ".join(result.stdout.split())
        assert (
            "--password PASSWORD the password of the users the seed creates, 8 to 1024 characters"
            in text
        )


def test_help_texts_are_plain_words():
    """`raccoon --help` printed the docstring's reST (``raccoon``)."""
    result = subprocess.run([*RACCOON, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "usage: raccoon" in result.stdout
    assert "``" not in result.stdout, result.stdout
    texts = {"raccoon": result.stdout}
    from raccoon.service.cli import build_parser  # (the parser of every subcommand)

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        texts[name] = parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, f"{name} {sub_name}")

    walk(build_parser(), "raccoon")
    assert len(texts) > 10
    for name, text in texts.items():
        assert "``" not in text and ":class:" not in text and ":func:" not in text, name
