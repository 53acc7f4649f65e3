"""Turning application objects into WAMP payloads and back.

WAMP carries JSON-like values. A :class:`Serialization` registry lets other
types travel too: a registered object is sent as ``{"__raccoon__": tag,
"value": ...}`` and rebuilt on the receiving side. Nodes are registered by
default and arrive as a :class:`~raccoon.node.Proxy` with the same path.
Calls inside one WAMP session are dispatched in-process and skip all this:
the callee's objects reach the caller as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["MARKER", "Serialization"]

MARKER = "__raccoon__"

_PLAIN = frozenset({str, int, float, bool, type(None), bytes})


def _is_plain(value: dict[Any, Any] | list[Any]) -> bool:
    """True when ``value`` holds only scalars, or lists/dicts of scalars, with
    no marker: it travels as it is. A plain loop: it is on every call's path."""
    for item in value.values() if type(value) is dict else value:
        cls = type(item)
        if cls in _PLAIN:
            continue
        if cls is list:
            for sub in item:
                if type(sub) not in _PLAIN:
                    return False
            continue
        if cls is dict and MARKER not in item:
            for sub in item.values():
                if type(sub) not in _PLAIN:
                    return False
            continue
        return False
    return not (type(value) is dict and MARKER in value)


@dataclass(frozen=True)
class _Entry:
    cls: type
    tag: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any, Any], Any]


class Serialization:
    """A registry of types that can travel over WAMP.

    ``decode`` receives the wire value and the :class:`NodeContext` of the
    receiving side (to build proxies, for example)::

        registry.register(Money, 'money',
                          encode=lambda m: [str(m.amount), m.currency],
                          decode=lambda v, ctx: Money(*v))
    """

    def __init__(self) -> None:
        self._by_type: dict[type, _Entry] = {}
        self._by_tag: dict[str, _Entry] = {}
        self._lookup: dict[type, _Entry | None] = {}

    def register(
        self,
        cls: type,
        tag: str,
        *,
        encode: Callable[[Any], Any],
        decode: Callable[[Any, Any], Any],
    ) -> None:
        """Make instances of ``cls`` (and its subclasses) serializable."""
        if tag in self._by_tag and self._by_tag[tag].cls is not cls:
            raise ValueError(
                f"serialization tag {tag!r} is already used by {self._by_tag[tag].cls.__qualname__}"
            )
        entry = _Entry(cls, tag, encode, decode)
        self._by_type[cls] = entry
        self._by_tag[tag] = entry
        self._lookup.clear()

    def _entry_for(self, cls: type) -> _Entry | None:
        try:
            return self._lookup[cls]
        except KeyError:
            pass
        entry = next((self._by_type[k] for k in cls.__mro__ if k in self._by_type), None)
        self._lookup[cls] = entry
        return entry

    def encode(self, value: Any) -> Any:
        """The wire form of ``value`` (``value`` itself when nothing in it
        needs encoding, which is the common case: no copy is made)."""
        cls = type(value)
        if cls in _PLAIN:
            return value
        if cls is dict:
            return value if _is_plain(value) else {k: self.encode(v) for k, v in value.items()}
        if cls is list:
            return value if _is_plain(value) else [self.encode(v) for v in value]
        if cls is tuple:
            return [self.encode(v) for v in value]
        entry = self._entry_for(cls)
        if entry is not None:
            return {MARKER: entry.tag, "value": entry.encode(value)}
        if isinstance(value, (list, tuple)):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            return {k: self.encode(v) for k, v in value.items()}
        return value  # left to the WAMP serializer, which reports what it can't take

    def encode_args(self, args: tuple[Any, ...] | list[Any]) -> list[Any]:
        """The wire form of positional arguments."""
        return [self.encode(v) for v in args]

    def encode_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The wire form of keyword arguments."""
        return {k: self.encode(v) for k, v in kwargs.items()} if kwargs else kwargs

    def decode(self, value: Any, context: Any) -> Any:
        """Rebuild registered objects inside a received value (returned as it
        is when it holds none)."""
        cls = type(value)
        if cls is dict:
            tag = value.get(MARKER)
            if tag is not None and tag in self._by_tag and "value" in value:
                return self._by_tag[tag].decode(value["value"], context)
            if _is_plain(value):
                return value
            return {k: self.decode(v, context) for k, v in value.items()}
        if cls is list:
            return value if _is_plain(value) else [self.decode(v, context) for v in value]
        return value
