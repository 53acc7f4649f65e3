"""Column types as the data layer sees them: checking values in, JSON out.

Clients speak JSON; columns have SQL types. :class:`FieldType` sits between:
``coerce()`` turns a JSON value into the Python value asyncpg binds for the
column (or says precisely why it cannot), ``json_value()`` turns what
asyncpg returns into JSON.

Output decisions (docs/data.md): dates, times and timestamps become ISO 8601
strings; ``Decimal`` becomes a string (exact, unlike a float); UUIDs become
strings; intervals become seconds (a float); bytes become base64.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import math
import reprlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeEngine

from raccoon.data._limits import text_problem

__all__ = [
    "CoercionError",
    "Field",
    "FieldType",
    "coerce_row",
    "describe_value",
    "field_type",
    "json_value",
]

_INT_RANGES = {16: 2**15, 32: 2**31, 64: 2**63}
_TEXT_LIKE = ("text",)
_MAX_NUMBER_TEXT = 1000
_MAX_JSON_DEPTH = 64


class CoercionError(Exception):
    """A value does not fit a field type; ``str()`` says why (internal)."""


def _short_repr() -> reprlib.Repr:
    # Bounded in depth, items and string length, whatever the value.
    short = reprlib.Repr()
    short.maxlevel, short.maxdict, short.maxlist, short.maxtuple = 3, 4, 6, 6
    short.maxstring = short.maxother = 40
    return short


_SHORT_REPR = _short_repr()


def describe_value(value: Any) -> str:
    """``'abc' (a string)`` — a short, safe rendering of a rejected value."""
    kinds = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        tuple: "a list",
        dict: "an object",
        type(None): "null",
    }
    kind = kinds.get(type(value), type(value).__name__)
    if value is None:
        return "null"
    if isinstance(value, list | tuple | dict):
        # Never repr() a client's container whole: it may be huge or deep.
        shown = _SHORT_REPR.repr(value)
        return f"{shown if len(shown) <= 40 else shown[:37] + '...'} ({kind})"
    if isinstance(value, str) and len(value) > 40:
        value = value[:37]  # cut before repr(), which escapes NULs and surrogates
        return f"{value!r}... ({kind})"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return "an integer far too large"
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{shown} ({kind})"


@dataclass(frozen=True)
class FieldType:
    """What values a column accepts.

    ``kind`` is one of ``integer``, ``numeric``, ``float``, ``text``,
    ``boolean``, ``date``, ``datetime``, ``time``, ``interval``, ``enum``,
    ``uuid``, ``json``, ``binary``, ``array``, ``other``.
    """

    kind: str
    #: integer: the bit width (16, 32, 64); numeric: precision; text: max length.
    size: int | None = None
    scale: int | None = None
    timezone: bool = False
    choices: tuple[str, ...] = ()
    as_uuid: bool = True
    item: FieldType | None = None

    @property
    def orderable(self) -> bool:
        """Whether ``lt``/``gt``/``between`` and keyset pagination apply."""
        return self.kind in (
            "integer",
            "numeric",
            "float",
            "text",
            "date",
            "datetime",
            "time",
            "interval",
            "uuid",
        )

    @property
    def sortable(self) -> bool:
        """Whether the field may appear in a sort spec."""
        return self.kind not in ("json", "binary", "array", "other")

    @property
    def textual(self) -> bool:
        """Whether the pattern operators (``like``, ``contains``…) apply."""
        return self.kind == "text"

    @property
    def comparable(self) -> bool:
        """Whether ``eq``/``ne``/``in`` apply."""
        return self.kind not in ("json", "array", "other")

    def describe(self) -> dict[str, Any]:
        """A JSON-able description for clients (forms, column headers)."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "text" and self.size is not None:
            out["max_length"] = self.size
        if self.kind == "numeric":
            out["precision"], out["scale"] = self.size, self.scale
        if self.kind == "enum":
            out["choices"] = list(self.choices)
        if self.kind == "datetime":
            out["timezone"] = self.timezone
        if self.item is not None:
            out["item"] = self.item.describe()
        return out

    def coerce(self, value: Any, *, strict: bool = False) -> Any:
        """The Python value to bind for JSON ``value``; ``None`` stays ``None``.

        ``strict`` (writes) also enforces what the column would reject or
        silently change: maximum text length, numeric precision and scale.
        Raises :class:`CoercionError` saying what was expected.
        """
        if value is None:
            return None
        return _COERCERS[self.kind](self, value, strict)


@dataclass(frozen=True)
class Field:
    """A field of a source as reads see it: its name, the column to select, its type."""

    name: str
    column: ColumnElement[Any]
    type: FieldType


def coerce_row(
    row: Mapping[str, Any], fields: Mapping[str, Field], only: Iterable[str] | None = None
) -> dict[str, Any]:
    """``row`` (JSON values, or values as asyncpg returns them) with typed values.

    For deciding conditions in Python on rows that come from elsewhere (a
    change notification). A value that does not fit its type becomes
    ``None``, which no comparison matches. ``only`` limits the work to the
    fields a condition reads.
    """
    typed: dict[str, Any] = {}
    for name in row if only is None else only:
        field = fields.get(name)
        if field is None or name not in row:
            continue
        value = row[name]
        try:
            typed[name] = field.type.coerce(value)
        except CoercionError:
            typed[name] = None
    return typed


def field_type(sqltype: TypeEngine[Any]) -> FieldType:
    """The :class:`FieldType` of a SQLAlchemy column type."""
    if isinstance(sqltype, sa.Interval | pg.INTERVAL):  # sa.Interval is a TypeDecorator
        return FieldType("interval")
    if isinstance(sqltype, sa.TypeDecorator):
        # Validated as the underlying type; the decorator's own bind
        # processing still runs when the statement is compiled.
        return field_type(sqltype.impl_instance)
    # Order matters: Boolean, Enum and Float subclass other checked types.
    if isinstance(sqltype, sa.Boolean):
        return FieldType("boolean")
    if isinstance(sqltype, sa.Enum):
        return FieldType("enum", choices=tuple(sqltype.enums))
    if isinstance(sqltype, sa.Integer):
        bits = 64 if isinstance(sqltype, sa.BigInteger) else 32
        bits = 16 if isinstance(sqltype, sa.SmallInteger) else bits
        return FieldType("integer", size=bits)
    if isinstance(sqltype, sa.Float) or (isinstance(sqltype, sa.Numeric) and not sqltype.asdecimal):
        return FieldType("float")
    if isinstance(sqltype, sa.Numeric):
        return FieldType("numeric", size=sqltype.precision, scale=sqltype.scale)
    if isinstance(sqltype, sa.String):
        return FieldType("text", size=sqltype.length)
    if isinstance(sqltype, sa.DateTime):
        return FieldType("datetime", timezone=bool(sqltype.timezone))
    if isinstance(sqltype, sa.Date):
        return FieldType("date")
    if isinstance(sqltype, sa.Time):
        return FieldType("time")
    if isinstance(sqltype, sa.Uuid):
        return FieldType("uuid", as_uuid=bool(sqltype.as_uuid))
    if isinstance(sqltype, sa.JSON):
        return FieldType("json")
    if isinstance(sqltype, sa.LargeBinary):
        return FieldType("binary")
    if isinstance(sqltype, sa.ARRAY):
        return FieldType("array", item=field_type(sqltype.item_type))
    return FieldType("other")


# -- coercion, one function per kind -----------------------------------------------


def _integer(ftype: FieldType, value: Any, strict: bool) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CoercionError(f"expected an integer, got {describe_value(value)}")
    limit = _INT_RANGES[ftype.size or 32]
    if not -limit <= value < limit:
        raise CoercionError(f"{value} is out of range for a {ftype.size}-bit integer")
    return value


def _numeric(ftype: FieldType, value: Any, strict: bool) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise CoercionError(f"expected a number, got {describe_value(value)}")
    if isinstance(value, str) and len(value) > _MAX_NUMBER_TEXT:
        raise CoercionError("expected a number, got a string that is far too long")
    try:
        # str() of a float is its shortest round-tripping form: 0.1 -> '0.1'.
        number = Decimal(str(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise CoercionError(f"expected a number, got {describe_value(value)}") from None
    if not number.is_finite():
        raise CoercionError(f"expected a finite number, got {describe_value(value)}")
    if number and abs(number.adjusted()) > _MAX_NUMBER_TEXT:
        # PostgreSQL's numeric would overflow (or lose it) anyway.
        raise CoercionError(f"{describe_value(value)} is out of range for a number")
    if strict and ftype.size is not None:
        scale = ftype.scale or 0
        exponent = number.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > scale:
            raise CoercionError(f"at most {scale} decimal places are allowed, got {number}")
        whole_digits = len(str(abs(int(number)))) if abs(number) >= 1 else 0
        if whole_digits > ftype.size - scale:
            raise CoercionError(
                f"{number} is too large: at most {ftype.size - scale} digits before the point"
            )
    return number


def _float(ftype: FieldType, value: Any, strict: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise CoercionError(f"expected a number, got {describe_value(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise CoercionError(f"expected a finite number, got {describe_value(value)}")
    return number


def _text(ftype: FieldType, value: Any, strict: bool) -> str:
    if not isinstance(value, str):
        raise CoercionError(f"expected a string, got {describe_value(value)}")
    problem = text_problem(value)
    if problem is not None:
        raise CoercionError(problem)
    if strict and ftype.size is not None and len(value) > ftype.size:
        raise CoercionError(f"at most {ftype.size} characters are allowed, got {len(value)}")
    return value


def _boolean(ftype: FieldType, value: Any, strict: bool) -> bool:
    if not isinstance(value, bool):
        raise CoercionError(f"expected true or false, got {describe_value(value)}")
    return value


def _date(ftype: FieldType, value: Any, strict: bool) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) <= 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CoercionError(f"expected a date 'YYYY-MM-DD', got {describe_value(value)}")


def _datetime(ftype: FieldType, value: Any, strict: bool) -> dt.datetime:
    stamp: dt.datetime | None = value if isinstance(value, dt.datetime) else None
    if isinstance(value, str) and len(value) <= 40:
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            stamp = None
    if stamp is None:
        raise CoercionError(
            "expected an ISO 8601 timestamp 'YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM]', "
            f"got {describe_value(value)}"
        )
    # Naive values are UTC: asyncpg would otherwise read them in the
    # server process's local zone.
    if ftype.timezone:
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


def _time(ftype: FieldType, value: Any, strict: bool) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str) and len(value) <= 30:
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            pass
    raise CoercionError(f"expected a time 'HH:MM[:SS]', got {describe_value(value)}")


def _interval(ftype: FieldType, value: Any, strict: bool) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return dt.timedelta(seconds=value)
        except OverflowError:
            pass
    raise CoercionError(f"expected a duration in seconds, got {describe_value(value)}")


def _enum(ftype: FieldType, value: Any, strict: bool) -> str:
    if isinstance(value, enum.Enum):
        value = value.name
    if not isinstance(value, str) or value not in ftype.choices:
        allowed = ", ".join(repr(choice) for choice in ftype.choices)
        raise CoercionError(f"expected one of {allowed}, got {describe_value(value)}")
    return value


def _uuid(ftype: FieldType, value: Any, strict: bool) -> uuid.UUID | str:
    parsed: uuid.UUID | None = value if isinstance(value, uuid.UUID) else None
    if isinstance(value, str) and len(value) <= 45:
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise CoercionError(f"expected a UUID, got {describe_value(value)}")
    return parsed if ftype.as_uuid else str(parsed)


def _json(ftype: FieldType, value: Any, strict: bool) -> Any:
    # Walked without recursion: a client's nesting must not exhaust the stack.
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > _MAX_JSON_DEPTH:
            raise CoercionError(f"the JSON value nests more than {_MAX_JSON_DEPTH} levels deep")
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                raise CoercionError(f"a string in the JSON value {problem}")
        elif isinstance(item, dict):
            for key, member in item.items():
                if not isinstance(key, str):
                    raise CoercionError("a JSON object's keys must be strings")
                pending += [(key, depth), (member, depth + 1)]
        elif isinstance(item, list | tuple):
            pending += [(member, depth + 1) for member in item]
        elif isinstance(item, float) and not math.isfinite(item):
            raise CoercionError(f"expected a finite number in the JSON value, got {item}")
        elif item is not None and not isinstance(item, bool | int | float):
            raise CoercionError(f"expected a JSON value, got {describe_value(item)}")
    return value


def _binary(ftype: FieldType, value: Any, strict: bool) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise CoercionError(f"expected base64-encoded bytes, got {describe_value(value)}")


def _array(ftype: FieldType, value: Any, strict: bool) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise CoercionError(f"expected a list, got {describe_value(value)}")
    item_type = ftype.item or FieldType("other")
    items = []
    for index, item in enumerate(value):
        try:
            items.append(item_type.coerce(item, strict=strict))
        except CoercionError as exc:
            raise CoercionError(f"item {index}: {exc}") from None
    return items


def _other(ftype: FieldType, value: Any, strict: bool) -> Any:
    return value


_COERCERS: dict[str, Callable[[FieldType, Any, bool], Any]] = {
    "integer": _integer,
    "numeric": _numeric,
    "float": _float,
    "text": _text,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "time": _time,
    "interval": _interval,
    "enum": _enum,
    "uuid": _uuid,
    "json": _json,
    "binary": _binary,
    "array": _array,
    "other": _other,
}


# -- output --------------------------------------------------------------------------


def _iso(value: dt.date | dt.time) -> str:
    return value.isoformat()


_JSON_CONVERTERS: dict[type, Callable[[Any], Any]] = {
    Decimal: str,
    dt.datetime: _iso,
    dt.date: _iso,
    dt.time: _iso,
    dt.timedelta: lambda value: value.total_seconds(),
    uuid.UUID: str,
    bytes: lambda value: base64.b64encode(value).decode("ascii"),
}
_JSON_PLAIN = frozenset({str, int, float, bool, type(None)})


def json_value(value: Any) -> Any:
    """``value`` (as asyncpg returns it) as a JSON value."""
    cls = type(value)
    if cls in _JSON_PLAIN:
        return value
    converter = _JSON_CONVERTERS.get(cls)
    if converter is not None:
        return converter(value)
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, enum.Enum):
        return value.name
    for base, convert in _JSON_CONVERTERS.items():  # subclasses (asyncpg's UUID type)
        if isinstance(value, base):
            return convert(value)
    return str(value)
