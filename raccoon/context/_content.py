"""Content: what an intent is about."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Generic, TypeVar, overload

from ._condition import Term
from ._errors import InvalidIntent

__all__ = ["Content"]

T = TypeVar("T")

_SOURCE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_WIRE_FIELDS = ("source", "ids", "filters", "attrs")

PrimaryKey = int | str | tuple[int | str, ...]


class _Attribute(Generic[T]):
    """On the class, a :class:`Term` to build conditions with; on an
    instance, the value (read-only: a content is immutable)."""

    def __init__(self, getter: Callable[[Content], T]) -> None:
        self._getter = getter
        self.__doc__ = getter.__doc__
        self._name = getter.__name__

    @overload
    def __get__(self, obj: None, owner: type) -> Term: ...
    @overload
    def __get__(self, obj: Content, owner: type) -> T: ...
    def __get__(self, obj: Content | None, owner: type) -> Term | T:
        if obj is None:
            return Term((self._name,))
        return self._getter(obj)


class Content:
    """What an intent is about: records of a data ``source``.

    - ``source``: a dotted name such as ``'auth.users'``;
    - ``ids``: the primary keys of the records, when the content is a set of
      known records (``len`` is then their number);
    - ``filters``: a query in the data layer's JSON filter language, when the
      content is "the records that match" (``len`` is then ``None``);
    - ``attrs``: any other JSON attributes an application wants to elect on.

    ::

        >>> user = Content('auth.users', ids=[42])
        >>> user.len, user.to_wire()
        (1, {'source': 'auth.users', 'ids': [42]})

    On the class the same names are symbolic, to declare conditions::

        CONTENT = {(Content.source == 'auth.users') & (Content.len == 1)}

    A content is immutable and compares equal to another with the same wire
    form. Invalid values raise :class:`~raccoon.context.InvalidIntent`
    naming the field.
    """

    __slots__ = ("_attrs", "_filters", "_ids", "_source")
    _source: str
    _ids: tuple[PrimaryKey, ...] | None
    _filters: Mapping[str, Any] | None
    _attrs: Mapping[str, Any]

    def __init__(
        self,
        source: str,
        ids: Iterable[PrimaryKey] | None = None,
        *,
        filters: Mapping[str, Any] | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> None:
        object.__setattr__(self, "_source", _check_source(source))
        object.__setattr__(self, "_ids", None if ids is None else _check_ids(ids))
        if filters is not None and ids is not None:
            raise InvalidIntent(
                "a content has ids or filters, not both: filter the ids into the query "
                "(or send the ids alone)",
                field="filters",
            )
        object.__setattr__(self, "_filters", None if filters is None else _check_filters(filters))
        object.__setattr__(self, "_attrs", _check_attrs({} if attrs is None else attrs))

    # -- attributes (symbolic on the class) ----------------------------------
    @_Attribute
    def source(self) -> str:
        """The dotted name of the data source, e.g. ``'auth.users'``."""
        return self._source

    @_Attribute
    def ids(self) -> tuple[PrimaryKey, ...] | None:
        """The primary keys (composite keys as tuples), or ``None``."""
        return self._ids

    @_Attribute
    def filters(self) -> Mapping[str, Any] | None:
        """The JSON filter (the data layer's language), or ``None``."""
        return self._filters

    @_Attribute
    def len(self) -> int | None:
        """How many records: the number of ids, ``None`` for a query."""
        return None if self._ids is None else len(self._ids)

    @_Attribute
    def attrs(self) -> Mapping[str, Any]:
        """The extra attributes (read-only mapping)."""
        return self._attrs

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Content is immutable: cannot set {name!r}")

    # -- wire form -------------------------------------------------------------
    def to_wire(self) -> dict[str, Any]:
        """The JSON form: ``{'source': ..., 'ids': [...], 'filters': {...},
        'attrs': {...}}`` with absent parts left out."""
        wire: dict[str, Any] = {"source": self._source}
        if self._ids is not None:
            wire["ids"] = [list(i) if isinstance(i, tuple) else i for i in self._ids]
        if self._filters is not None:
            wire["filters"] = _json_copy(self._filters, "filters")
        if self._attrs:
            wire["attrs"] = _json_copy(self._attrs, "attrs")
        return wire

    @classmethod
    def from_wire(cls, wire: object) -> Content:
        """Rebuild a content from :meth:`to_wire`'s form, checking every field
        (a :class:`Content` is returned as it is, so APIs can take either)."""
        if isinstance(wire, Content):
            return wire
        if not isinstance(wire, Mapping):
            raise InvalidIntent(
                f"a content must be an object such as {{'source': 'auth.users', 'ids': [1]}}, "
                f"got {_kind(wire)}",
                field="content",
            )
        unknown = sorted(str(k) for k in wire if k not in _WIRE_FIELDS)
        if unknown:
            raise InvalidIntent(
                f"unknown content field {unknown[0]!r}: a content has "
                f"{', '.join(_WIRE_FIELDS)} (extra attributes go inside 'attrs')",
                field=unknown[0],
            )
        if "source" not in wire:
            raise InvalidIntent("a content needs a 'source', e.g. 'auth.users'", field="source")
        return cls(
            wire["source"], wire.get("ids"), filters=wire.get("filters"), attrs=wire.get("attrs")
        )

    # -- comparison ------------------------------------------------------------
    def _identity(self) -> str:
        return json.dumps(self.to_wire(), sort_keys=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Content):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def describe(self) -> str:
        """A short human form for messages: ``source='auth.users' len=1``."""
        parts = [f"source={self._source!r}"]
        if self._ids is not None:
            parts.append(f"len={len(self._ids)}")
        if self._filters is not None:
            shown = json.dumps(_json_copy(self._filters, "filters"), sort_keys=True)
            parts.append(f"filters={shown if len(shown) <= 80 else shown[:77] + '...'}")
        parts.extend(f"{key}={value!r}" for key, value in sorted(self._attrs.items()))
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"<Content {self.describe()}>"


# -- validation ----------------------------------------------------------------
def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _check_source(source: object) -> str:
    if not isinstance(source, str) or not _SOURCE.match(source):
        shown = repr(source) if isinstance(source, str) else _kind(source)
        raise InvalidIntent(
            f"content source must be a dotted name such as 'auth.users', got {shown}",
            field="source",
        )
    return source


def _check_key(key: object, field: str) -> int | str:
    # bool is an int subclass, but True is never a primary key someone meant.
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise InvalidIntent(
            f"{field} must be a primary key (int or str, or a list of them for a composite "
            f"key), got {_kind(key)}",
            field=field,
        )
    return key


def _check_ids(ids: object) -> tuple[PrimaryKey, ...]:
    if isinstance(ids, (str, bytes, Mapping)) or not isinstance(ids, Iterable):
        raise InvalidIntent(
            f"content ids must be a list of primary keys, got {_kind(ids)}", field="ids"
        )
    checked: list[PrimaryKey] = []
    for index, key in enumerate(ids):
        field = f"ids[{index}]"
        if isinstance(key, (list, tuple)):
            if not key:
                raise InvalidIntent(f"{field} is an empty composite key", field=field)
            checked.append(tuple(_check_key(part, field) for part in key))
        else:
            checked.append(_check_key(key, field))
    return tuple(checked)


def _json_copy(value: Any, field: str) -> Any:
    """A deep copy of ``value`` if it is plain JSON (objects with string keys,
    arrays, strings, finite numbers, booleans, null); else InvalidIntent
    naming the offending place, e.g. ``filters.and[1].value``."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidIntent(f"{field} must be a finite number, got {value}", field=field)
        return value
    if isinstance(value, (list, tuple)):
        return [_json_copy(v, f"{field}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidIntent(
                    f"{field} must have string keys (it is JSON), got {_kind(key)} {key!r}",
                    field=field,
                )
            copied[key] = _json_copy(item, f"{field}.{key}")
        return copied
    raise InvalidIntent(f"{field} must be plain JSON, got {_kind(value)}", field=field)


def _check_filters(filters: object) -> Mapping[str, Any]:
    if not isinstance(filters, Mapping):
        raise InvalidIntent(
            f"filters must be an object such as {{'field': 'name', 'op': '=', 'value': 'x'}}, "
            f"got {_kind(filters)}",
            field="filters",
        )
    return MappingProxyType(_json_copy(filters, "filters"))


def _check_attrs(attrs: object) -> Mapping[str, Any]:
    if not isinstance(attrs, Mapping):
        raise InvalidIntent(f"attrs must be an object, got {_kind(attrs)}", field="attrs")
    for key in attrs:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise InvalidIntent(
                f"content attribute name {key!r} must be an identifier not starting with '_' "
                "(it is read as Content.attrs.<name>)",
                field=f"attrs.{key}",
            )
    return MappingProxyType(_json_copy(attrs, "attrs"))
