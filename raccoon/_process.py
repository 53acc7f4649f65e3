"""Server processes that Raccoon starts and owns (the Crossbar router, PostgreSQL).

Private: :mod:`raccoon.service` and :mod:`raccoon.data` build their public
classes on :class:`ChildProcess`. Everything here is about one promise: a
server we start never outlives us and is stopped by *its* pid, never by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["ChildProcess", "pick_free_port", "read_tail", "run_blocking"]

_T = TypeVar("_T")

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _load_libc() -> Any:
    """Load libc in the parent: the preexec hook must not import or dlopen
    anything after fork, where only async-signal-safe work is sound."""
    if not sys.platform.startswith("linux"):
        return None
    return ctypes.CDLL(None, use_errno=True)


_LIBC = _load_libc()


def _die_with_parent(parent_pid: int, death_signal: int) -> Callable[[], None]:
    """A ``preexec_fn`` making the child receive *death_signal* when we die.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child exits,
    which is why callers spawn from the thread that lives as long as the
    process (the main thread in practice). CPython runs ``preexec_fn`` after
    switching ``user=``/``group=``, and the kernel clears the setting on a
    credential change, so it must be set here and not before.
    """

    def preexec() -> None:
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
        # We may have died between fork() and prctl(): then nobody will
        # deliver the signal, so deliver it ourselves.
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), death_signal)

    return preexec


def pick_free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on *host* that was free a moment ago.

    The kernel picks it; there is a small window in which another process
    may take it, which a server start then reports as "address in use".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def run_blocking(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run *coro* to completion on a private event loop, for synchronous callers.

    Unlike :func:`asyncio.run`, it leaves the thread's current event loop
    alone, so it is safe between tests run by pytest-asyncio.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        coro.close()
        raise RuntimeError(
            "a blocking method was called from a coroutine while an event loop is "
            "running in this thread; it would block that loop. Await the async "
            "method instead (e.g. `await router.start()` rather than "
            "`router.start_blocking()`)."
        )
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        return runner.run(coro)


class ChildProcess:
    """One server process started by us, with its output in a log file.

    The child runs in its own process group (a Ctrl-C in the terminal reaches
    only us; we stop the child in order) and gets *death_signal* if we die.
    """

    def __init__(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        log_path: Path,
        death_signal: int = signal.SIGTERM,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        user: int | None = None,
        group: int | None = None,
    ) -> None:
        self.argv = [os.fspath(arg) for arg in argv]
        self.log_path = log_path
        self.death_signal = death_signal
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.user = user
        self.group = group
        self._popen: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        """Start the process; its stdout and stderr are appended to the log."""
        with open(self.log_path, "ab") as log:
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=self.env,
                user=self.user,
                group=self.group,
                # Without this the child keeps root's supplementary groups.
                extra_groups=[] if self.user is not None else None,
                start_new_session=True,
                close_fds=True,
                preexec_fn=_die_with_parent(os.getpid(), self.death_signal),
            )

    @property
    def pid(self) -> int | None:
        """The pid, from spawn until the process has been reaped."""
        if self._popen is None or self._popen.returncode is not None:
            return None
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has been reaped."""
        return None if self._popen is None else self._popen.returncode

    @property
    def alive(self) -> bool:
        """True from spawn until the process exits."""
        popen = self._popen
        if popen is None or popen.returncode is not None:
            return False
        # WNOWAIT leaves the exited leader a zombie: its pid, which is also
        # its process group id, stays ours until finish() reaps it, so
        # finish() can still signal stragglers of the group safely.
        try:
            status = os.waitid(os.P_PID, popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # reaped behind our back
            popen.poll()
            return False
        return status is None

    def send_signal(self, sig: int) -> None:
        """Send *sig* to the process itself (not its group) if it is running."""
        if self._popen is not None and self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._popen.pid, sig)

    def wait_blocking(self, within: float) -> bool:
        """Wait up to *within* seconds for the exit; True if it exited."""
        deadline = time.monotonic() + within
        while self.alive:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    async def wait(self, within: float) -> bool:
        """Like :meth:`wait_blocking`, without blocking the event loop.

        Polls instead of using asyncio child watchers, so it works on any
        loop, including one that did not exist when the process was spawned.
        """
        deadline = time.monotonic() + within
        while self.alive:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def stop_blocking(self, sig: int, grace_period: float) -> None:
        """Send *sig*, wait up to *grace_period* seconds, then :meth:`finish`."""
        self.send_signal(sig)
        try:
            self.wait_blocking(grace_period)
        finally:
            self.finish()

    def finish(self) -> None:
        """SIGKILL whatever is left of the process group, then reap the process.

        After a clean exit there is nothing left and this only reaps; after a
        timeout it is the hard stop. Blocks only until the kernel has
        delivered SIGKILL.
        """
        popen = self._popen
        if popen is None or popen.returncode is not None:
            return
        # The group id is the leader's pid (start_new_session); it cannot have
        # been reused while the leader is unreaped.
        try:
            os.killpg(popen.pid, signal.SIGKILL)
        except OSError as exc:
            if exc.errno not in (errno.ESRCH, errno.EPERM):
                raise
        popen.wait()


def read_tail(path: Path, lines: int = 40, *, start: int = 0) -> str:
    """The last *lines* lines of the text file at *path*, from byte *start* on.

    Reads at most the last MiB; returns '' when the file is unreadable.
    """
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(start, size - 1024 * 1024))
            data = fh.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", errors="replace").splitlines()[-lines:])
