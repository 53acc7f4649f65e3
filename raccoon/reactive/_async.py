"""Async integration: :func:`watch` (``async for``) and :func:`until` (``await``)."""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

from ._computation import Computation, untracked
from ._errors import ReactiveStateError, ReactiveTypeError, ReactiveValueError
from ._tracker import autorun
from ._value import Equals, _check_equals

__all__ = ["Watch", "until", "watch"]

T = TypeVar("T")


class _WatchState:
    """What the watching computation shares with its :class:`Watch`.

    Kept apart so the computation does not refer to the Watch: when the
    consumer drops the iterator (``break`` out of ``async for``), the Watch
    is freed and its finalizer stops the computation.
    """

    __slots__ = ("error", "fresh", "has_yielded", "last_yielded", "latest", "waiter")

    def __init__(self) -> None:
        self.latest: Any = None
        self.fresh = False  # latest has not been yielded yet
        self.last_yielded: Any = None
        self.has_yielded = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


def _evaluate(state: _WatchState, func: Callable[[], Any], equals: Equals) -> None:
    try:
        value = func()
    except Exception as exc:
        state.error, state.fresh = exc, False
    else:
        # Only the latest value is kept (bounded memory); compared with the
        # last one yielded, since that is what the consumer has seen.
        state.fresh = not (state.has_yielded and equals(state.last_yielded, value))
        state.latest = value
    state.wake()


class Watch(Generic[T]):
    """Async iterator over the successive distinct values of an expression.

    Made by :func:`watch`. The first ``__anext__`` starts a computation
    evaluating ``func`` and yields its current value; each next one waits
    for a value different (by ``equals``) from the last yielded. Values that
    come and go while the consumer is busy are skipped: it always gets the
    latest one. An exception raised by ``func`` is raised by ``__anext__``
    and ends the iteration.

    Leaving the ``async for`` drops the iterator, which on CPython stops its
    computation at once; to not depend on that, close it explicitly with
    ``await it.aclose()`` or ``async with watch(...) as it:``.
    """

    def __init__(
        self, func: Callable[[], T], *, equals: Callable[[T, T], bool] | None = None
    ) -> None:
        if not callable(func):
            raise ReactiveTypeError(f"watch(func) needs a callable, got {func!r}")
        self._func = func
        self._equals: Equals = _check_equals(equals)
        self._state = _WatchState()
        self._comp: Computation | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._closed = False

    @property
    def computation(self) -> Computation | None:
        """The computation evaluating the expression, once started."""
        return self._comp

    @property
    def closed(self) -> bool:
        """Whether the iterator was closed (or ended with an error)."""
        return self._closed

    def __aiter__(self) -> Watch[T]:
        return self

    async def __anext__(self) -> T:
        state = self._state
        if self._comp is None and not self._closed:
            self._start()
        while True:
            if self._closed:
                raise StopAsyncIteration
            if state.error is not None:
                error, state.error = state.error, None
                self._close()
                raise error
            if state.fresh:
                break
            if state.waiter is not None:
                raise ReactiveStateError(
                    f"{self!r} is already awaited by another task; a watch() iterator serves "
                    "one consumer, so give each consumer its own watch()"
                )
            state.waiter = asyncio.get_running_loop().create_future()
            try:
                await state.waiter
            finally:
                state.waiter = None
        state.fresh = False
        state.last_yielded, state.has_yielded = state.latest, True
        value: T = state.latest
        return value

    def _start(self) -> None:
        run = functools.partial(_evaluate, self._state, self._func, self._equals)
        with untracked():  # owned by its consumer, not by a computation around it
            comp = self._comp = autorun(run)
        self._finalizer = weakref.finalize(self, comp.stop)
        self._finalizer.atexit = False

    def _close(self) -> None:
        self._closed = True
        if self._finalizer is not None:
            self._finalizer()  # stops the computation, once
        self._state.wake()

    async def aclose(self) -> None:
        """Stop the computation and end the iteration."""
        self._close()

    async def __aenter__(self) -> Watch[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def __repr__(self) -> str:
        name = getattr(self._func, "__qualname__", None) or repr(self._func)
        state = "closed" if self._closed else "running" if self._comp is not None else "new"
        return f"<Watch {name} {state}>"


def watch(func: Callable[[], T], *, equals: Callable[[T, T], bool] | None = None) -> Watch[T]:
    """Iterate with ``async for`` over the values of a reactive expression.

    Yields the current value of ``func()``, then each new distinct value
    (only the latest, if several came while the loop body ran). Needs a
    running event loop.

    Example::

        async for current_id in watch(lambda: master["current_id"]):
            await detail.reload(current_id)
    """
    return Watch(func, equals=equals)


# ASYNC109 prefers callers wrapping the await in asyncio.timeout(); that works
# too, but a timeout argument (as in asyncio.wait_for) lets the error name the
# predicate that never became true.
async def until(predicate: Callable[[], T], *, timeout: float | None = None) -> T:
    """Wait until ``predicate()`` returns something true, and return it.

    The predicate is a reactive expression: it is evaluated now, then again
    each time what it read changes. Raises :class:`TimeoutError` after
    ``timeout`` seconds, and whatever the predicate raises.

    Example::

        await until(lambda: counter["n"] >= 3, timeout=5)
    """
    if not callable(predicate):
        raise ReactiveTypeError(f"until(predicate) needs a callable, got {predicate!r}")
    if timeout is not None and not timeout >= 0:
        raise ReactiveValueError(
            f"timeout must be None or a number of seconds >= 0, got {timeout!r}"
        )
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()

    def check(comp: Computation) -> None:
        try:
            result = predicate()
        except Exception as exc:
            future.set_exception(exc)
            comp.stop()
            return
        if result:
            future.set_result(result)
            comp.stop()

    with untracked():  # owned by the awaiting task, not by a computation around it
        comp = autorun(check)
    try:
        if future.done():
            return future.result()
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                return await future
        except TimeoutError as exc:
            if not deadline.expired():
                raise  # raised by the predicate itself
            name = getattr(predicate, "__qualname__", None) or repr(predicate)
            raise TimeoutError(f"until({name}) was still false after {timeout} s") from exc
    finally:
        comp.stop()
