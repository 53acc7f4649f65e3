"""The tracker: batches invalidations and re-runs computations in one flush.

There is one tracker per asyncio event loop (:meth:`Tracker.for_loop`), plus
one per thread for code that runs with no event loop. A loop's tracker
schedules its flush with ``loop.call_soon`` on the first invalidation, so
every change made in the same loop iteration ("tick") causes at most one
re-run of each computation. The loop-less tracker never schedules anything:
call :func:`flush` yourself.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from ._computation import _CREATE_TOKEN, Computation, current_computation, log, nonreactive
from ._errors import InfiniteLoopError, ReactiveStateError, ReactiveTypeError, ReactiveValueError

__all__ = ["Tracker", "autorun", "current_tracker", "flush"]

ErrorHandler = Callable[[Computation, BaseException], object]


class _LoopLess(threading.local):
    tracker: Tracker | None = None


_loopless = _LoopLess()
# Keyed weakly so a closed, dropped loop takes its tracker with it; the
# tracker refers to its loop weakly too, or neither would ever be freed.
_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Tracker] = (
    weakref.WeakKeyDictionary()
)


class Tracker:
    """Re-runs invalidated computations, all at once, at the next flush.

    Usually you do not create one: :func:`autorun` uses
    :func:`current_tracker`, the tracker of the running event loop. A
    tracker is not thread-safe; change reactive state of a loop from other
    threads through ``loop.call_soon_threadsafe``.

    ``max_reruns`` bounds how many times one computation may re-run within a
    single flush; beyond it the computation is stopped and an
    :class:`InfiniteLoopError` is reported.

    Example (no event loop: flush explicitly)::

        tracker = Tracker()
        v = Value(1)
        tracker.autorun(lambda: print(v.get()))   # prints 1
        v.set(2)
        tracker.flush()                           # prints 2
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop | None = None, *, max_reruns: int = 100
    ) -> None:
        if loop is not None and not isinstance(loop, asyncio.AbstractEventLoop):
            raise ReactiveTypeError(
                f"Tracker(loop) needs an asyncio event loop or None, got {loop!r}"
            )
        self._loop_ref = weakref.ref(loop) if loop is not None else None
        self.max_reruns = max_reruns
        self._pending: deque[Computation] = deque()
        self._flushing = False
        self._flush_scheduled = False
        self._error_handlers: list[ErrorHandler] = []

    @classmethod
    def for_loop(cls, loop: asyncio.AbstractEventLoop | None) -> Tracker:
        """Return the tracker of ``loop``, creating it on first use.

        ``None`` gives this thread's loop-less tracker, which needs explicit
        :meth:`flush` calls.
        """
        if loop is None:
            if _loopless.tracker is None:
                _loopless.tracker = cls()
            return _loopless.tracker
        tracker = _by_loop.get(loop)
        if tracker is None:
            tracker = _by_loop[loop] = cls(loop)
        return tracker

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop flushes are scheduled on, or ``None``."""
        return self._loop_ref() if self._loop_ref is not None else None

    @property
    def max_reruns(self) -> int:
        """Re-runs allowed to one computation within one flush."""
        return self._max_reruns

    @max_reruns.setter
    def max_reruns(self, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ReactiveValueError(
                f"max_reruns must be a positive int, got {value!r}; it bounds how many "
                "times one computation may re-run within a single flush"
            )
        self._max_reruns = value

    @property
    def flushing(self) -> bool:
        """Whether a flush is running right now."""
        return self._flushing

    def autorun(
        self,
        func: Callable[..., Any],
        *,
        on_error: Callable[[BaseException], object] | None = None,
    ) -> Computation:
        """Run ``func`` now and again whenever what it read changes.

        See :func:`autorun`.
        """
        comp = Computation(func, self, current_computation(), _token=_CREATE_TOKEN)
        if on_error is not None:
            comp.on_error(on_error)
        comp._first_compute()
        return comp

    def on_error(self, callback: ErrorHandler) -> Callable[[], None]:
        """Call ``callback(computation, exc)`` for every error reported here.

        Returns a function that unregisters the callback.
        """
        if not callable(callback):
            raise ReactiveTypeError(f"on_error() needs a callable, got {callback!r}")
        self._error_handlers.append(callback)

        def remove() -> None:
            if callback in self._error_handlers:
                self._error_handlers.remove(callback)

        return remove

    def flush(self) -> None:
        """Re-run every invalidated computation now, until none is left.

        Computations invalidated during the flush (by other computations)
        are re-run by the same flush. Errors are reported, never raised.
        """
        if self._flushing:
            raise ReactiveStateError(
                "flush() was called while this tracker is already flushing (from a callback "
                "run by the flush); the running flush re-runs everything still pending, so "
                "there is no need to flush here"
            )
        comp = current_computation()
        if comp is not None:
            raise ReactiveStateError(
                f"flush() was called from inside {comp!r}; computations cannot re-run inside "
                "another one. Changes made in a computation are flushed after it returns"
            )
        self._flushing = True
        reruns: dict[Computation, int] = {}
        try:
            while self._pending:
                comp = self._pending.popleft()
                if not comp._needs_recompute:
                    continue
                count = reruns[comp] = reruns.get(comp, 0) + 1
                if count > self._max_reruns:
                    self._stop_runaway(comp)
                    continue
                comp._recompute()
                if comp._needs_recompute:
                    # It invalidated itself while running: run it again now.
                    self._pending.appendleft(comp)
        finally:
            self._flushing = False

    # -- package internals ------------------------------------------------------

    def _stop_runaway(self, comp: Computation) -> None:
        error = InfiniteLoopError(
            f"{comp!r} was re-run {self._max_reruns} times in one flush and is now stopped: "
            "it keeps invalidating itself, directly or through other computations, most "
            "likely by writing a value it also reads. Read that value with "
            "nonreactive()/untracked(), or write it only when it actually changes"
        )
        comp.stop()
        comp._report(error, "flush")

    def _enqueue(self, comp: Computation) -> None:
        self._pending.append(comp)
        if self._flush_scheduled or self._flushing:
            return
        loop = self.loop
        if loop is None or loop.is_closed():
            return  # explicit flush() required
        loop.call_soon(self._scheduled_flush)
        self._flush_scheduled = True

    def _scheduled_flush(self) -> None:
        self._flush_scheduled = False
        self.flush()

    def _report(self, comp: Computation, exc: BaseException) -> None:
        for handler in list(self._error_handlers):
            try:
                nonreactive(handler, comp, exc)
            except Exception:
                log.exception("tracker error handler %r failed", handler)

    def __repr__(self) -> str:
        where = f"loop {id(self.loop):#x}" if self._loop_ref is not None else "no loop"
        return f"<Tracker ({where}), {len(self._pending)} pending>"


def current_tracker() -> Tracker:
    """Return the tracker to use here.

    Inside a computation, that computation's tracker; else the running event
    loop's tracker; with no running loop, this thread's loop-less tracker.
    """
    comp = current_computation()
    if comp is not None:
        return comp.tracker
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    return Tracker.for_loop(loop)


def autorun(
    func: Callable[..., Any],
    *,
    on_error: Callable[[BaseException], object] | None = None,
) -> Computation:
    """Run ``func`` now, then again each time something it read changes.

    ``func`` gets the :class:`Computation` if it declares a positional
    parameter. Changes are batched: all the changes made in one loop
    iteration cause a single re-run, at the flush scheduled on the event
    loop. With no running loop, re-runs happen only when :func:`flush` is
    called. An exception in the first run propagates (and the computation
    is stopped); later ones are reported to ``on_error``, the tracker's
    error handlers and the ``raccoon.reactive`` log.

    If ``func`` returns a coroutine, the coroutine runs until its first
    suspension inside the computation, so only what it reads before that
    is tracked, and continues as a task; a re-run cancels the task of the
    previous run if it is still going.

    Example::

        a, b = Value(1), Value(2)
        comp = autorun(lambda: print(a.get() + b.get()))   # prints 3
        a.set(10); b.set(20)                               # one re-run: 30
        comp.stop()
    """
    return current_tracker().autorun(func, on_error=on_error)


def flush() -> None:
    """Flush :func:`current_tracker` now (see :meth:`Tracker.flush`)."""
    current_tracker().flush()
