"""``eventually``: poll for a condition that another task, session or process
makes true, and fail with what was awaited and what was last seen."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

__all__ = ["eventually"]

T = TypeVar("T")

_NOTHING = object()


# ASYNC109 would have callers wrap the await in asyncio.timeout(); a `within`
# argument lets the failure say what never happened and what was seen instead.
async def eventually(
    condition: Callable[[], T | Awaitable[T]],
    within: float = 5.0,
    what: str = "the condition",
    *,
    interval: float = 0.02,
    retry_on: tuple[type[BaseException], ...] = (AssertionError,),
) -> T:
    """Call ``condition()`` until it returns something true, and return that.

    ``condition`` is a plain or an async callable. While the condition does
    not hold yet it returns something false or raises one of ``retry_on``
    (:class:`AssertionError` by default, so a condition can be a function of
    ``assert`` statements); anything else it raises fails at once. It is
    called again every ``interval`` seconds.

    After ``within`` seconds (an attempt still running is cancelled) this
    raises :class:`AssertionError` naming ``what`` and the last false value
    or exception, which is also the error's ``__cause__``.

    Use it only for what has no fence of its own: to prove that something did
    *not* happen, wait for a later event instead (``ChangeFeed.sync()``,
    ``Cursor.settled()`` or a sentinel), because a poll or a sleep passes by
    waiting. Example::

        await eventually(lambda: len(received) == 2, what="both events")
    """
    if not callable(condition):
        raise TypeError(f"eventually(condition) needs a callable, got {condition!r}")
    if not within >= 0:
        raise ValueError(f"within must be a number of seconds >= 0, got {within!r}")
    last_value: object = _NOTHING
    last_error: BaseException | None = None
    scope = asyncio.timeout(within)
    try:
        async with scope:
            while True:
                try:
                    result = condition()
                    value = await result if inspect.isawaitable(result) else result
                except retry_on as error:
                    last_error = error
                else:
                    if value:
                        return cast(T, value)
                    last_value, last_error = value, None
                await asyncio.sleep(interval)
    except TimeoutError as error:
        if not scope.expired():
            raise  # the condition's own TimeoutError, not our deadline
        if last_error is not None:
            last = f"last failure: {type(last_error).__name__}: {last_error}"
        elif last_value is _NOTHING:
            last = "no attempt finished"
        else:
            last = f"last value: {last_value!r}"
        raise AssertionError(f"not within {within} s: {what} ({last})") from (last_error or error)
