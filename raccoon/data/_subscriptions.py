"""What a :class:`~raccoon.data.ChangeFeed` hands out: its subscriptions,
its state and its counters (the feed's loop itself is in ``_feed.py``)."""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from raccoon.data._changes import Change

if TYPE_CHECKING:
    from raccoon.data._feed import ChangeFeed

__all__ = ["Callback", "FeedState", "FeedStatistics", "Subscription"]

Callback = Callable[[Change], None] | Callable[[Change], Awaitable[None]]


class FeedState(enum.Enum):
    """The lifecycle of a :class:`ChangeFeed`.

    ``IDLE → STARTING → RUNNING → STOPPING → STOPPED``; a failed start returns
    to ``IDLE``. ``FAILED``: the feed's task died of an unexpected error (a
    bug; connection failures are retried, never fatal); ``stop()`` re-raises it.
    """

    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    FAILED = "failed"
    STOPPING = "stopping"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class FeedStatistics:
    """Counters of a :class:`ChangeFeed` (for benchmarks and health checks).

    ``lag`` is how long the last change delivered waited between being
    written and being read, by the database clock; ``max_lag`` the largest
    such wait; ``backlog`` the changes queued for async subscribers.
    """

    state: FeedState
    last_id: int | None
    delivered: int
    polls: int
    notifications: int
    reconnects: int
    subscriber_errors: int
    backlog: int
    lag: float | None
    max_lag: float | None


class Subscription:
    """A callback subscribed to a :class:`ChangeFeed`; :meth:`unsubscribe` ends it."""

    def __init__(self, feed: ChangeFeed, table: str | None, callback: Callback) -> None:
        self.feed = feed
        self.table = table
        self.callback = callback
        self.is_async = inspect.iscoroutinefunction(callback)
        self.active = True
        self._queue: asyncio.Queue[Change] | None = None
        self._worker: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        state = "active" if self.active else "ended"
        return f"<Subscription {self.table or '*'} {self.callback!r} {state}>"

    def unsubscribe(self) -> None:
        """Stop delivering to the callback (idempotent); changes still queued for it are dropped."""
        if not self.active:
            return
        self.active = False
        self.feed._remove(self)
        if self._worker is not None:
            self._worker.cancel()

    @property
    def backlog(self) -> int:
        """Changes queued for an async callback, not yet handled."""
        return 0 if self._queue is None else self._queue.qsize()

    def _deliver(self, change: Change) -> None:
        if not self.is_async:
            try:
                self.callback(change)
            except Exception:
                self.feed._subscriber_failed(self, change)
            return
        if self._queue is None:
            self._queue = asyncio.Queue()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(self._queue), name=f"{self!r}")
        self._queue.put_nowait(change)

    async def _work(self, queue: asyncio.Queue[Change]) -> None:
        while True:
            change = await queue.get()
            try:
                result = self.callback(change)
                if result is not None:
                    await result
            except Exception:
                self.feed._subscriber_failed(self, change)
            finally:
                queue.task_done()

    async def _drain(self) -> None:
        if self._queue is not None and self._worker is not None and not self._worker.done():
            await self._queue.join()


@dataclass(slots=True)
class _Counters:
    delivered: int = 0
    polls: int = 0
    notifications: int = 0
    reconnects: int = 0
    subscriber_errors: int = 0
    lag: float | None = None
    max_lag: float | None = None
    steps_begun: int = 0
    steps_done: int = 0
