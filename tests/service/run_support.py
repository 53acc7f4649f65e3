"""``raccoon run``/``raccoon dev`` as a subprocess, for tests that drive it from outside.

The output is read by a thread as it comes, so an asynchronous test (a
browser) can wait for a line without blocking its event loop. Whatever
happens, :meth:`RaccoonProcess.stop` ends the process by its pid (SIGTERM,
then SIGKILL) and :func:`assert_gone` checks the pids it reported.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

RACCOON = [sys.executable, "-m", "raccoon.service.cli"]


def alive(pid: int) -> bool:
    """Whether *pid* runs (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def assert_gone(pids: list[int], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        left = [pid for pid in pids if alive(pid)]
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes left behind: {left}")


@contextmanager
def workspace() -> Iterator[Path]:
    """A directory the embedded PostgreSQL's account can enter when we are root
    (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="raccoon-run-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without settings that would point the run elsewhere."""
    env = {**os.environ, **extra}
    for name in ("RACCOON_DATABASE_URL", "RACCOON_SECRET", "RACCOON_BUNDLE_PATH"):
        env.pop(name, None)
    if "RACCOON_WORKDIR" not in extra:
        env.pop("RACCOON_WORKDIR", None)
    return env


class RaccoonProcess:
    """``raccoon COMMAND ARGS`` in *cwd*; its output lines collected by a thread."""

    def __init__(self, cwd: Path, *args: str, env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [*RACCOON, *args],
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self.lines.append(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self.lines)

    def mark(self) -> int:
        """The number of lines so far: search only after it with ``since=``."""
        with self._lock:
            return len(self.lines)

    def _search(self, pattern: str, since: int) -> re.Match[str] | None:
        with self._lock:
            lines = self.lines[since:]
        for line in lines:
            match = re.search(pattern, line)
            if match:
                return match
        return None

    def wait_for(self, pattern: str, within: float = 180.0, since: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            match = self._search(pattern, since)
            if match:
                return match
            if self.process.poll() is not None:
                self._reader.join(5)
                match = self._search(pattern, since)
                if match:
                    return match
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.output}")

    async def await_for(self, pattern: str, within: float = 180.0, since: int = 0) -> re.Match[str]:
        """:meth:`wait_for` for a coroutine: the event loop keeps running."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            match = self._search(pattern, since)
            if match:
                return match
            if self.process.poll() is not None:
                break
            await asyncio.sleep(0.1)
        return self.wait_for(pattern, within=1, since=since)

    def stop(self, sig: int = signal.SIGTERM, within: float = 60.0) -> int:
        """Signal the process by its pid and wait; SIGKILL if it does not end."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(within)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        self._reader.join(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode
