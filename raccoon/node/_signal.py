"""Class-level signals and their handlers.

This replaces ``metapensiero.signal`` (whose only release does not import on
Python 3.11) and keeps its concepts: signals are declared on the class, each
instance gets its own bound signal, handlers are marked with
:func:`handler` by signal name or by remote path, subscribers added at run
time are held weakly when they are bound methods, and handlers get only the
arguments they declare.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from ._adapt import CallbackRef, adapter_for
from ._errors import NodeError, PathError

__all__ = ["BoundSignal", "Signal", "class_handlers", "class_signals", "handler"]

F = TypeVar("F", bound=Callable[..., Any])

_HANDLER_ATTR = "__raccoon_handles__"


class Signal:
    """An event a class can emit, declared in the class body::

        class Order(WAMPNode):
            on_saved = Signal()

        await order.on_saved.notify(order_id, total=12)

    ``name`` is the topic fragment below the node's path (the attribute name
    by default); ``Signal('.')`` publishes at the node's own path.
    ``concurrent=True`` runs the local handlers concurrently instead of one
    after the other. ``acknowledge=True`` waits for the router to accept the
    publication (and reports a refusal) instead of sending and going on.
    ``local=True`` keeps the signal inside the process: it is never published
    (the node lifecycle signals are local).
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        concurrent: bool = False,
        acknowledge: bool = False,
        local: bool = False,
        doc: str | None = None,
    ) -> None:
        if name is not None and name != "." and not _is_fragment(name):
            raise PathError(f"signal name {name!r} must be '.' or a single path fragment")
        self.name = name
        self.attr: str | None = None
        self.concurrent = concurrent
        self.acknowledge = acknowledge
        self.local = local
        self.__doc__ = doc

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr
        if self.name is None:
            if not _is_fragment(attr):
                raise PathError(f"signal attribute {attr!r} is not a valid path fragment")
            self.name = attr

    @overload
    def __get__(self, instance: None, owner: type) -> Signal: ...
    @overload
    def __get__(self, instance: object, owner: type) -> BoundSignal: ...
    def __get__(self, instance: object | None, owner: type) -> Signal | BoundSignal:
        if instance is None:
            return self
        if self.attr is None:
            raise NodeError("a Signal must be declared in a class body")
        bound = BoundSignal(self, instance)
        # Signal is a non-data descriptor: caching the bound signal in the
        # instance dict makes later lookups plain attribute reads.
        instance.__dict__[self.attr] = bound
        return bound

    def __repr__(self) -> str:
        return f"Signal({self.name!r})"


class BoundSignal:
    """A signal of one instance: connect subscribers, notify them."""

    __slots__ = ("__weakref__", "_owner", "_subscribers", "signal")

    def __init__(self, signal: Signal, owner: object) -> None:
        self.signal = signal
        # A strong reference: the owner holds its bound signal in its __dict__
        # too, and the cycle is collected with it.
        self._owner = owner
        self._subscribers: list[CallbackRef] = []

    @property
    def name(self) -> str:
        """The topic fragment of the signal."""
        assert self.signal.name is not None
        return self.signal.name

    @property
    def owner(self) -> object:
        """The instance this signal belongs to."""
        return self._owner

    def connect(self, callback: F) -> F:
        """Add a subscriber (bound methods are held weakly); returns it."""
        if not callable(callback):
            raise TypeError(f"a signal subscriber must be callable, got {type(callback).__name__}")
        if not any(s.matches(callback) for s in self._subscribers):
            self._subscribers.append(CallbackRef(callback))
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Remove a subscriber; it is not an error if it was not connected."""
        self._subscribers = [s for s in self._subscribers if not s.matches(callback)]

    @property
    def subscribers(self) -> list[Callable[..., Any]]:
        """The live subscribers, in connection order."""
        return [f for f in (s.get() for s in self._subscribers) if f is not None]

    async def notify(self, *args: Any, **kwargs: Any) -> None:
        """Run the local handlers, then publish to remote ones (on a bound
        :class:`~raccoon.node.WAMPNode`).

        Every handler runs even if one fails; the failure is then raised (an
        :class:`ExceptionGroup` when several failed).
        """
        owner = self.owner
        calls: list[tuple[Callable[..., Any], Any]] = []
        for method_name in class_handlers(type(owner)).get(self.signal.attr or "", ()):
            method = getattr(owner, method_name)
            calls.append((method, adapter_for(method)))
        dead = False
        for sub in self._subscribers:
            func = sub.get()
            if func is None:
                dead = True
            else:
                calls.append((func, sub.adapter))
        if dead:
            self._subscribers = [s for s in self._subscribers if s.get() is not None]
        errors = await _run_handlers(calls, args, kwargs, self.signal.concurrent)
        publish = None if self.signal.local else getattr(owner, "_publish_signal", None)
        if publish is not None:
            await publish(self, args, kwargs)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup(f"{len(errors)} handlers of {self.name!r} failed", errors)

    def __repr__(self) -> str:
        return f"<BoundSignal {self.name!r} of {self._owner!r}>"


async def _run_handlers(
    calls: list[tuple[Callable[..., Any], Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    concurrent: bool,
) -> list[Exception]:
    errors: list[Exception] = []
    pending: list[Awaitable[Any]] = []
    for func, adapter in calls:
        try:
            result = adapter(func, args, kwargs)
            if inspect.isawaitable(result):
                if concurrent:
                    pending.append(result)
                else:
                    await result
        except Exception as exc:
            errors.append(exc)
    if pending:
        results = await asyncio.gather(*pending, return_exceptions=True)
        errors.extend(r for r in results if isinstance(r, Exception))
    return errors


def handler(target: str) -> Callable[[F], F]:
    """Mark a method as a handler of a signal.

    ``target`` is the attribute name of a signal of the same class
    (``'on_foo'``), or a path: ``'@first.second.on_foo'`` (one remote signal),
    ``'@first.second'`` (every signal of that node), ``'#controller.on_saved'``
    (through the node context). Remote targets are subscribed when the node is
    bound and unsubscribed when it is unbound. A method may carry several
    ``@handler`` marks.
    """
    if not isinstance(target, str) or not target:
        raise TypeError("@handler needs the signal name or path as a non-empty string")

    def mark(func: F) -> F:
        if not callable(func):
            raise TypeError("@handler decorates a method")
        targets = list(getattr(func, _HANDLER_ATTR, ()))
        targets.append(target)
        setattr(func, _HANDLER_ATTR, tuple(targets))
        return func

    return mark


def is_local_target(target: str) -> bool:
    """A handler target naming a signal of the same object (not a path)."""
    return not target.startswith(("@", "#")) and "." not in target


_SIGNALS: weakref.WeakKeyDictionary[type, dict[str, Signal]] = weakref.WeakKeyDictionary()
_HANDLERS: weakref.WeakKeyDictionary[type, dict[str, tuple[str, ...]]] = weakref.WeakKeyDictionary()
_REMOTE: weakref.WeakKeyDictionary[type, tuple[tuple[str, str], ...]] = weakref.WeakKeyDictionary()


def class_signals(cls: type) -> dict[str, Signal]:
    """The signals of a class by attribute name, inherited ones included."""
    try:
        return _SIGNALS[cls]
    except KeyError:
        pass
    found: dict[str, Signal] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, Signal):
                found[attr] = value
            elif attr in found:
                del found[attr]  # overridden by something that is not a signal
    _SIGNALS[cls] = found
    return found


def _collect_handlers(cls: type) -> None:
    local: dict[str, list[str]] = {}
    remote: list[tuple[str, str]] = []
    signals = class_signals(cls)
    seen: set[str] = set()
    for klass in cls.__mro__:
        for attr, value in vars(klass).items():
            if attr in seen:
                continue
            seen.add(attr)
            for target in getattr(value, _HANDLER_ATTR, ()):
                if is_local_target(target):
                    if target not in signals:
                        raise NodeError(
                            f"{cls.__qualname__}.{attr} handles {target!r}, but "
                            f"{cls.__qualname__} has no signal of that name "
                            f"(signals: {', '.join(sorted(signals)) or 'none'})"
                        )
                    local.setdefault(target, []).append(attr)
                else:
                    remote.append((target, attr))
    _HANDLERS[cls] = {k: tuple(v) for k, v in local.items()}
    _REMOTE[cls] = tuple(remote)


def class_handlers(cls: type) -> dict[str, tuple[str, ...]]:
    """Method names handling each local signal (by signal attribute name)."""
    if cls not in _HANDLERS:
        _collect_handlers(cls)
    return _HANDLERS[cls]


def class_remote_handlers(cls: type) -> tuple[tuple[str, str], ...]:
    """``(target path, method name)`` for every handler of a remote signal."""
    if cls not in _REMOTE:
        _collect_handlers(cls)
    return _REMOTE[cls]


def _is_fragment(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c == "_" for c in name) and name.isascii()
