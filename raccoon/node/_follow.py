"""One node following a value of another: ``@follow('@master', 'current_id')``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["LatestRunner", "follow", "follow_targets"]

log = logging.getLogger("raccoon.node")

F = TypeVar("F", bound=Callable[..., Any])

_FOLLOW_ATTR = "__raccoon_follows__"
_UNSET = object()


def follow(source: str, key: str) -> Callable[[F], F]:
    """Run the decorated coroutine method whenever ``source``'s state
    ``key`` changes, with the new value::

        class Detail(WAMPNode):
            @follow('@master', 'current_id')
            async def reload(self, current_id):
                ...

    ``source`` is a path as for :meth:`WAMPNode.remote` (the node may live
    in this session or any other). The method runs once with the value found
    when the node is bound, then once per distinct value; runs never overlap,
    and when values arrive faster than it completes the intermediate ones are
    skipped, so the last run is always for the latest value.
    """
    if not isinstance(source, str) or not source:
        raise TypeError("@follow needs the source node's path as a non-empty string")
    if not isinstance(key, str) or not key:
        raise TypeError("@follow needs the state key as a non-empty string")

    def mark(func: F) -> F:
        if not asyncio.iscoroutinefunction(func):
            raise TypeError(f"@follow decorates a coroutine method, not {func!r}")
        setattr(func, _FOLLOW_ATTR, (*getattr(func, _FOLLOW_ATTR, ()), (source, key)))
        return func

    return mark


def follow_targets(cls: type) -> list[tuple[str, str, str]]:
    """``(source, key, method name)`` for every ``@follow`` of a class."""
    found: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for klass in cls.__mro__:
        for attr, value in vars(klass).items():
            if attr in seen:
                continue
            seen.add(attr)
            for source, key in getattr(value, _FOLLOW_ATTR, ()):
                found.append((source, key, attr))
    return found


class LatestRunner:
    """Runs ``func(value)`` for the latest submitted value, one run at a time."""

    def __init__(self, func: Callable[[Any], Awaitable[Any]], name: str) -> None:
        self._func = func
        self._name = name
        self._latest: Any = _UNSET
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    def submit(self, value: Any) -> None:
        """Ask for a run with ``value`` (replacing any value still waiting)."""
        self._latest = value
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def _run(self) -> None:
        while self._latest is not _UNSET:
            value, self._latest = self._latest, _UNSET
            self.runs += 1
            try:
                await self._func(value)
            except Exception:
                log.exception("%s failed for %r", self._name, value)

    async def idle(self) -> None:
        """Wait until no run is in progress or waiting."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def cancel(self) -> None:
        """Stop: cancel a run in progress and forget the waiting value."""
        self._latest = _UNSET
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
