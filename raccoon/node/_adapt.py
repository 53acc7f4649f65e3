"""Calling handlers with only the arguments they declare."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["Adapter", "CallbackRef", "adapter_for"]

DETAILS = "details"


class Adapter:
    """How to call one function with a signal's or event's arguments.

    A handler receives as many positional arguments as it declares (all of
    them with ``*args``), the keyword arguments it names (all with ``**kw``),
    and the event or call details when it has a ``details`` parameter.
    """

    __slots__ = ("kwnames", "npos", "varargs", "varkw", "wants_details")

    def __init__(self, func: Callable[..., Any], *, bound: bool = False) -> None:
        params = list(inspect.signature(func).parameters.values())
        if bound:  # the function of a bound method: `self` is already supplied
            params = params[1:]
        self.wants_details = any(p.name == DETAILS for p in params)
        self.varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
        self.varkw = any(p.kind is p.VAR_KEYWORD for p in params)
        self.npos = sum(
            1
            for p in params
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != DETAILS
        )
        self.kwnames = frozenset(
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != DETAILS
        )

    def __call__(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...] | list[Any],
        kwargs: dict[str, Any],
        details: Any = None,
    ) -> Any:
        if not self.varargs and len(args) > self.npos:
            args = args[: self.npos]
        if kwargs and not self.varkw:
            kwargs = {k: v for k, v in kwargs.items() if k in self.kwnames}
        if self.wants_details:
            return func(*args, details=details, **kwargs)
        return func(*args, **kwargs)


# Keyed by the underlying function: one cache for functions called through a
# bound method (their first parameter is `self`), one for plain callables.
_BOUND: weakref.WeakKeyDictionary[Any, Adapter] = weakref.WeakKeyDictionary()
_PLAIN: weakref.WeakKeyDictionary[Any, Adapter] = weakref.WeakKeyDictionary()


def adapter_for(func: Callable[..., Any]) -> Adapter:
    """The (cached) adapter of a function or bound method."""
    bound = inspect.ismethod(func)
    target = func.__func__ if bound else func  # type: ignore[attr-defined]
    cache = _BOUND if bound else _PLAIN
    try:
        return cache[target]
    except (KeyError, TypeError):
        pass
    adapter = Adapter(target, bound=bound)
    try:
        cache[target] = adapter
    except TypeError:  # not weak-referenceable (a builtin): don't cache
        pass
    return adapter


class CallbackRef:
    """A subscriber: bound methods are held weakly, other callables strongly.

    Holding a bound method weakly means an object that forgot to disconnect
    does not stay alive through a signal; plain functions and closures have
    nobody else holding them, so a weak reference would drop them at once.
    """

    __slots__ = ("_func", "_ref", "adapter")

    def __init__(self, callback: Callable[..., Any]) -> None:
        self.adapter = adapter_for(callback)
        if inspect.ismethod(callback):
            self._ref: weakref.WeakMethod[Any] | None = weakref.WeakMethod(callback)
            self._func: Callable[..., Any] | None = None
        else:
            self._ref = None
            self._func = callback

    def get(self) -> Callable[..., Any] | None:
        """The callable, or ``None`` when its object is gone."""
        if self._ref is not None:
            return self._ref()
        return self._func

    def matches(self, callback: Callable[..., Any]) -> bool:
        """Whether this entry refers to ``callback``."""
        return self.get() == callback
