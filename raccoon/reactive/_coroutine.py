"""Running a coroutine's first step synchronously, the rest as a task.

Dependency tracking is tied to synchronous execution: a computation is
"current" only while its function runs. To track what a coroutine reads
before it first suspends, its first step must run *inside* the computation,
which ``loop.create_task`` would not do (the task starts on a later loop
iteration; Python 3.11 has no eager tasks). So we step the coroutine once by
hand and give the task a :class:`_Resumed` coroutine that continues exactly
where it stopped.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["start_coroutine"]


class _Resumed(collections.abc.Coroutine[Any, Any, Any]):
    """A coroutine already advanced by one step, for ``loop.create_task``.

    Its first ``send`` hands the task what the first step yielded (the
    future the coroutine waits on); everything else is forwarded. Being the
    coroutine object itself, rather than an ``async def`` wrapping it,
    matters for cancellation before the task's first step: the
    ``CancelledError`` then reaches the user's coroutine where it is
    suspended, so its ``except``/``finally`` blocks run.
    """

    __slots__ = ("_coro", "_pending", "_started")

    def __init__(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        self._coro = coro
        self._pending = pending
        self._started = False

    def send(self, value: Any) -> Any:
        if not self._started:
            self._started = True
            pending, self._pending = self._pending, None
            return pending
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._started = True
        self._pending = None
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)  # the legacy three-argument form

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, Any]:
        # Tasks drive send/throw directly; this is for the Coroutine protocol.
        to_yield = self.send(None)
        while True:
            try:
                sent = yield to_yield
            except GeneratorExit:
                self.close()
                raise
            except BaseException as exc:
                try:
                    to_yield = self.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    to_yield = self.send(sent)
                except StopIteration as stop:
                    return stop.value

    def __repr__(self) -> str:
        return f"<resumed {self._coro!r}>"


def start_coroutine(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], name: str
) -> asyncio.Task[Any] | None:
    """Run ``coro`` until it first suspends, then continue it in a task.

    Returns ``None`` when the coroutine finished without suspending.
    Exceptions raised by the first step propagate to the caller.
    """
    # The coroutine gets its own context, as a task would, so that context
    # variables it sets do not leak into the computation that started it.
    ctx = contextvars.copy_context()
    try:
        pending = ctx.run(coro.send, None)
    except StopIteration:
        return None
    return loop.create_task(_Resumed(coro, pending), name=name, context=ctx)
