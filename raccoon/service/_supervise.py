"""Keeping the service's own router alive: restart it when its process dies.

A service that runs its Crossbar router as a child process (the default,
and ``raccoon run``) is down as long as that process is: every browser
and the service's own backend session are cut off. :class:`ServerWatch`
notices the exit within *interval* and starts the router again on the same
port (retrying with backoff), so browsers and the backend reconnect on
their own and the session trees — which outlive their connection for
``grace_period`` — resume (``docs/sessions.md``).

It leaves alone a server that was stopped or killed through its API
(:meth:`~raccoon._server.ManagedServer.stop`, ``kill()``): only a process
that exited while the server's state says *running* is restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from raccoon._server import ManagedServer, ServerState

__all__ = ["ServerWatch"]

log = logging.getLogger("raccoon.service")


class ServerWatch:
    """Restarts *server* when its process exits behind our back."""

    def __init__(
        self,
        server: ManagedServer,
        *,
        interval: float = 0.5,
        backoff: tuple[float, float] = (1.0, 30.0),
    ) -> None:
        self.server = server
        self.interval = interval
        self.backoff = backoff
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name=f"watch {self.server!r}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _died(self) -> bool:
        return self.server.state is ServerState.RUNNING and not self.server.running

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self._died():
                await self._restart()

    async def _restart(self) -> None:
        delay, longest = self.backoff
        log.error(
            "%r exited unexpectedly; restarting it on the same port\n%s",
            self.server,
            self.server.log_tail(20),
        )
        while True:
            try:
                await self.server.restart()
            except Exception as exc:  # a failed start says why; try again later
                log.error("restarting %r failed (again in %.0f s): %s", self.server, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, longest)
                continue
            self.restarts += 1
            log.info("%r restarted", self.server)
            return
