"""The lifecycle shared by the servers Raccoon runs as child processes.

Private: :class:`raccoon.service.Router` and :class:`raccoon.data.EmbeddedPostgres`
subclass :class:`ManagedServer`, which owns the state machine, readiness
polling, stopping by pid and the blocking wrappers.
"""

from __future__ import annotations

import abc
import asyncio
import enum
import re
import signal
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from raccoon._process import ChildProcess, read_tail, run_blocking

__all__ = ["ManagedServer", "NotReady", "ServerState"]

_POLL_INTERVAL = 0.1  # seconds between readiness attempts
_ABORT_GRACE = 3.0  # seconds to shut down after a failed start or when forgotten
# Lines worth quoting when a start fails, wherever they are in the log.
_ERROR_LINE = re.compile(r"\b(error|invalid|fatal|panic)\b", re.IGNORECASE)


class ServerState(enum.Enum):
    """The lifecycle of a managed server.

    ``STOPPED → STARTING → RUNNING → STOPPING → STOPPED``; a failed start goes
    back to ``STOPPED``. Only ``start()`` leaves ``STOPPED``.
    """

    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"


class NotReady(Exception):
    """One readiness attempt failed; the server may still be booting."""


class ManagedServer(abc.ABC):
    """A server process that we start, watch until ready, and stop by pid.

    Subclasses say how to prepare and spawn the process and how to check
    readiness once; this class does the rest. Not thread-safe: drive one
    instance from one thread.
    """

    #: Names the server in messages ("crossbar", "PostgreSQL").
    server_name: ClassVar[str]
    #: The exception type of run-time failures.
    error_type: ClassVar[type[Exception]]
    #: The signal for an orderly stop (also sent if our process dies).
    stop_signal: ClassVar[int] = signal.SIGTERM

    def __init__(self) -> None:
        self._state = ServerState.STOPPED
        self._process: ChildProcess | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._log_offset = 0

    # -- for subclasses -----------------------------------------------------------

    @property
    @abc.abstractmethod
    def log_path(self) -> Path:
        """Where the server's output goes (appended across restarts)."""

    async def _prepare(self) -> None:  # noqa: B027 - optional hook
        """Get everything ready for spawning (config files, data directory)."""

    @abc.abstractmethod
    def _child(self) -> ChildProcess:
        """The (not yet spawned) server process."""

    @abc.abstractmethod
    async def _attempt_ready(self, within: float) -> None:
        """Check readiness once; raise :class:`NotReady` if not ready yet."""

    def _describe(self) -> str:
        """A few words identifying this server in messages."""
        return self.server_name

    def _start_hint(self) -> str:
        """The likely causes, when the process exits while starting."""
        return "see the log below"

    # -- state ----------------------------------------------------------------------

    @property
    def state(self) -> ServerState:
        return self._state

    @property
    def pid(self) -> int | None:
        """The pid of the server process, from start until it is stopped."""
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        """True when started and the process is still alive."""
        return (
            self._state is ServerState.RUNNING and self._process is not None and self._process.alive
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last *lines* lines the server printed since its latest start."""
        return read_tail(self.log_path, lines, start=self._log_offset)

    def _log_report(self) -> str:
        """The log lines that matter for a failed start: errors, then the tail."""
        tail = self.log_tail(30)
        report = ""
        errors = [
            line
            for line in read_tail(self.log_path, 100_000, start=self._log_offset).splitlines()
            if _ERROR_LINE.search(line) and line not in tail
        ]
        if errors:
            report = "Errors in the log:\n" + "\n".join(errors[-10:]) + "\n"
        return f"{report}Log tail ({self.log_path}):\n{tail}"

    # -- starting -------------------------------------------------------------------

    async def start(self, ready_timeout: float = 30.0) -> None:
        """Start the server and return once it is ready.

        Start it from a thread that lives as long as the server should
        (normally the main thread): the kernel signals the server when the
        thread that started it exits.

        On failure (the process exits, or is not ready within
        *ready_timeout* seconds) the process is stopped and
        :attr:`error_type` is raised with the tail of the log. Raises
        :class:`RuntimeError` unless the server is stopped.
        """
        if self._state is not ServerState.STOPPED:
            raise RuntimeError(
                f"cannot start {self._describe()}: it is {self._state.value}; "
                "call stop() first, or restart()"
            )
        deadline = time.monotonic() + ready_timeout
        self._state = ServerState.STARTING
        try:
            await self._prepare()
            self._spawn()
            await self._wait_ready(deadline)
        except Exception:
            # Let it shut down in order (and say why in its log) if it can.
            process = self._begin_stop()
            if process is not None:
                try:
                    await process.wait(_ABORT_GRACE)
                finally:
                    self._end_stop(process)
            raise
        except BaseException:  # cancelled or interrupted: no time to wait
            self._kill()
            raise
        self._state = ServerState.RUNNING

    def start_blocking(self, ready_timeout: float = 30.0) -> None:
        """:meth:`start` for synchronous callers (no event loop running in this thread)."""
        run_blocking(self.start(ready_timeout))

    def _spawn(self) -> None:
        process = self._child()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()
        process.spawn()  # in the calling thread, which PDEATHSIG follows
        self._process = process
        # If this object is dropped while the server runs, do not leave it behind.
        self._finalizer = weakref.finalize(
            self, process.stop_blocking, self.stop_signal, _ABORT_GRACE
        )

    async def _wait_ready(self, deadline: float) -> None:
        process = self._process
        if process is None:  # pragma: no cover - _spawn() sets it
            raise RuntimeError("no process to wait for")
        last_error = "none attempted"
        while True:
            if not process.alive:
                process.finish()
                raise self.error_type(
                    f"{self._describe()} exited with status {process.returncode} while "
                    f"starting; {self._start_hint()}. {self._log_report()}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.error_type(
                    f"{self._describe()} (pid {process.pid}) was not ready in time "
                    f"(last check: {last_error}); it has been stopped. {self._log_report()}"
                )
            try:
                await self._attempt_ready(remaining)
            except NotReady as exc:
                last_error = str(exc)
            else:
                return
            await asyncio.sleep(min(_POLL_INTERVAL, max(0.0, deadline - time.monotonic())))

    # -- stopping -------------------------------------------------------------------

    async def stop(self, grace_period: float = 10.0) -> None:
        """Send :attr:`stop_signal`, wait up to *grace_period* seconds, then SIGKILL.

        Idempotent; returns once the process is gone.
        """
        process = self._begin_stop()
        if process is None:
            return
        try:
            await process.wait(grace_period)
        finally:
            self._end_stop(process)

    def stop_blocking(self, grace_period: float = 10.0) -> None:
        """:meth:`stop` for synchronous code (atexit, finalizers, sync fixtures)."""
        process = self._begin_stop()
        if process is None:
            return
        try:
            process.wait_blocking(grace_period)
        finally:
            self._end_stop(process)

    def kill(self) -> None:
        """Stop the server at once with SIGKILL (its whole process group)."""
        self._kill()

    async def restart(self, ready_timeout: float = 30.0, grace_period: float = 10.0) -> None:
        """Stop (if running) and start again, on the same port."""
        await self.stop(grace_period)
        await self.start(ready_timeout)

    def restart_blocking(self, ready_timeout: float = 30.0, grace_period: float = 10.0) -> None:
        """:meth:`restart` for synchronous callers."""
        self.stop_blocking(grace_period)
        self.start_blocking(ready_timeout)

    def _begin_stop(self) -> ChildProcess | None:
        process = self._process
        if process is None:
            self._state = ServerState.STOPPED
            return None
        self._state = ServerState.STOPPING
        process.send_signal(self.stop_signal)
        return process

    def _end_stop(self, process: ChildProcess) -> None:
        process.finish()  # SIGKILL whatever did not exit, then reap
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._process is process:
            self._process = None
        self._state = ServerState.STOPPED

    def _kill(self) -> None:
        process = self._process
        if process is not None:
            self._end_stop(process)
        self._state = ServerState.STOPPED

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
