"""Immutable values: :func:`freeze`, :func:`thaw` and :class:`FrozenDict`.

Reactive state is only safe to share when nobody can change it behind the
tracker's back: a list stored in a reactive dict and then appended to would
change the state without notifying anybody. So containers are frozen on the
way in, recursively, and objects whose mutability we cannot know are refused.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import fractions
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from ._errors import ReactiveTypeError

__all__ = ["FrozenDict", "freeze", "thaw"]

K = TypeVar("K")
V = TypeVar("V")

# Types whose instances cannot change (subclasses included, e.g. bool, datetime).
_IMMUTABLE_SCALARS: tuple[type, ...] = (
    type(None),
    int,
    float,
    complex,
    str,
    bytes,
    decimal.Decimal,
    fractions.Fraction,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
    enum.Enum,
)


class FrozenDict(Mapping[K, V]):
    """A read-only, hashable mapping whose values are frozen on creation.

    Compares equal to any mapping with the same items, plain dicts included::

        >>> fd = FrozenDict({"tags": ["a", "b"]})
        >>> fd["tags"]
        ('a', 'b')
        >>> fd == {"tags": ("a", "b")}
        True
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = (), /, **kwargs: V) -> None:
        raw: dict[Any, Any] = dict(data, **kwargs)
        self._data: dict[K, V] = {key: freeze(value) for key, value in raw.items()}
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenDict):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"


def _is_frozen_dataclass(value: object) -> bool:
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return False
    params = getattr(value, "__dataclass_params__", None)
    return bool(getattr(params, "frozen", False))


def freeze(value: Any) -> Any:
    """Return an immutable equivalent of ``value``, recursively.

    dicts and other mappings become :class:`FrozenDict`, lists and tuples
    become tuples (named tuples keep their type), sets become frozensets.
    Immutable scalars (None, bool, int, float, complex, str, bytes, Decimal,
    Fraction, date/time/datetime/timedelta, UUID, enum members) and frozen
    dataclass instances are returned as they are.

    Raises :class:`ReactiveTypeError` for anything else, since it may be
    changed later without anybody being notified.
    """
    if isinstance(value, _IMMUTABLE_SCALARS) or isinstance(value, FrozenDict):
        return value
    if isinstance(value, Mapping):
        return FrozenDict(value)
    if isinstance(value, list):
        return tuple(freeze(item) for item in value)
    if isinstance(value, tuple):
        items = tuple(freeze(item) for item in value)
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        if type(value) is tuple:
            return items
        make = getattr(type(value), "_make", None)  # a named tuple
        if make is not None:
            return make(items)
        raise ReactiveTypeError(
            f"cannot freeze a {type(value).__name__} (a tuple subclass) holding mutable "
            "items; store a plain tuple or a named tuple instead"
        )
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(item) for item in value)
    if _is_frozen_dataclass(value):
        return value
    raise ReactiveTypeError(
        f"cannot store a {type(value).__name__} as reactive state: values must be immutable, "
        "and there is no way to know whether this one is, or to be told when it changes. "
        "Use None, bool, int, float, str, bytes, Decimal, dates and times, UUID, enum "
        "members, frozen dataclasses, or dicts/lists/tuples/sets of those (they are "
        "frozen on the way in)"
    )


def thaw(value: Any) -> Any:
    """Return a plain copy of a frozen ``value``: dicts and lists, recursively.

    Mappings become dicts, tuples (named ones included) become lists, and
    frozensets become lists, sorted when their items can be sorted so that
    the result is deterministic. Scalars are returned as they are, so the
    result is JSON-able when the scalars are.
    """
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [thaw(item) for item in value]
    if isinstance(value, (set, frozenset)):
        items = [thaw(item) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    return value
