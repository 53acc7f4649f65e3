"""Checking values before they are written, and explaining the database's refusals.

Four layers, in order; every problem is collected as a
:class:`~raccoon.data.FieldError` and nothing is written if there is one:

1. **Fields**: unknown and read-only fields; types, NULLs, text lengths,
   numeric precision and scale, enum choices (derived from the table).
   Non-NULL columns without a default are required on create.
2. **Checks** declared on the source (:class:`Check`): conditions in the
   filter language on the whole record.
3. **Rules**: application functions ``rule(record, principal)``, sync or
   async, returning field errors. They run only on records that passed 1
   and 2, so they see well-typed values.
4. **The database**: unique, check, not-null and foreign-key violations
   raised by PostgreSQL are mapped back to their field
   (:func:`integrity_errors`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from raccoon.data._conditions import evaluate, node_fields
from raccoon.data._errors import FieldError, FilterError, ValidationError
from raccoon.data._filters import Filter, parse_filter
from raccoon.data._limits import (
    MAX_QUOTED_NAMES,
    MAX_RECORD_BYTES,
    MAX_RECORD_KEYS,
    json_size,
    safe_name,
)
from raccoon.data._principal import Principal
from raccoon.data._types import CoercionError, Field, FieldType

__all__ = [
    "REFERENCE_ERROR",
    "Check",
    "Rule",
    "integrity_errors",
    "record_size_error",
    "run_checks",
    "run_rules",
    "typed_values",
]

#: What a reference to no row — or to a row the principal cannot see — is
#: told: the same words, so that existence never leaks.
REFERENCE_ERROR = "refers to a record that does not exist"

#: ``rule(record, principal)`` -> field errors (or ``None``), possibly awaitable.
Rule = Callable[
    [dict[str, Any], Principal],
    "list[FieldError] | Awaitable[list[FieldError] | None] | None",
]


class Check:
    """A condition every record of a source must meet, in the filter language.

    ::

        Check({"field": "quantity", "op": "gt", "value": 0}, "must be positive")
        Check({"or": [{"field": "end", "op": "is_null", "value": True},
                      {"field": "end", "op": "ge", "value": "2000-01-01"}]},
              "must be in this century", field="end")

    Like a SQL CHECK, it fails only when the condition is false, not when it
    is unknown because of a NULL. The error goes to ``field``, by default
    the one field the condition reads (``None``, the record, if several).
    Declare the same rule as a CHECK constraint in the table to enforce it
    for every writer; this one gives the user a clear message first.
    """

    def __init__(self, condition: Any, message: str, *, field: str | None = None) -> None:
        self.condition = condition
        self.message = message
        self.field = field
        self._filter: Filter | None = None

    def bind(self, fields: Mapping[str, Field], source: str) -> Check:
        """This check parsed against the columns of a source (done by the Source)."""
        bound = Check(self.condition, self.message, field=self.field)
        try:
            bound._filter = parse_filter(self.condition, fields, path="check")
        except FilterError as exc:
            raise ValueError(f"invalid Check on source {source!r}: {exc}") from None
        names = node_fields(bound._filter.node)
        if bound.field is None and len(names) == 1:
            bound.field = next(iter(names))
        return bound

    @property
    def fields(self) -> set[str]:
        """The fields the condition reads."""
        return node_fields(self._filter.node) if self._filter else set()

    def passes(self, record: Mapping[str, Any]) -> bool:
        """Whether ``record`` (typed values) meets the condition or leaves it unknown."""
        if self._filter is None:
            raise RuntimeError("this Check is not bound to a source: use Check.bind()")
        return evaluate(self._filter.node, record) is not False

    def __repr__(self) -> str:
        return f"Check({self.condition!r}, {self.message!r}, field={self.field!r})"


def typed_values(
    values: Any,
    writable: Mapping[str, FieldType],
    nullable: Mapping[str, bool],
    readonly: Mapping[str, str],
    *,
    source: str | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """``values`` checked field by field: ``(typed values, errors)``.

    Raises :class:`~raccoon.data.ValidationError` at once if ``values`` is
    not a mapping.

    ``writable`` maps the fields that may be written to their types,
    ``readonly`` the known but read-only fields to the reason why.
    """
    if not isinstance(values, Mapping):
        # Nothing else can be said about values that are not field values.
        shown = type(values).__name__
        raise ValidationError(
            [FieldError(None, f"expected an object of field values, got {shown}")], source=source
        )
    # Sized before anything looks inside: a refusal must cost little and
    # say little.
    if len(values) > MAX_RECORD_KEYS:
        raise ValidationError(
            [
                FieldError(
                    None,
                    f"too many fields: {len(values)}, a record has at most {MAX_RECORD_KEYS}",
                    "too_large",
                )
            ],
            source=source,
        )
    size = json_size(values)
    if size > MAX_RECORD_BYTES:
        raise ValidationError([record_size_error(size)], source=source)
    typed: dict[str, Any] = {}
    errors: list[FieldError] = []
    unknown = 0
    for name, value in values.items():
        if not isinstance(name, str) or (name not in writable and name not in readonly):
            unknown += 1
            if unknown <= MAX_QUOTED_NAMES:
                errors.append(FieldError(safe_name(name), "unknown field", "unknown"))
        elif name in readonly:
            errors.append(FieldError(name, f"is read-only: {readonly[name]}", "readonly"))
        elif value is None:
            if nullable[name]:
                typed[name] = None
            else:
                errors.append(FieldError(name, "is required: it may not be null", "required"))
        else:
            try:
                typed[name] = writable[name].coerce(value, strict=True)
            except CoercionError as exc:
                errors.append(FieldError(name, str(exc), _code(str(exc))))
    if unknown > MAX_QUOTED_NAMES:
        more = unknown - MAX_QUOTED_NAMES
        errors.append(FieldError(None, f"and {more} more unknown fields", "unknown"))
    return typed, errors


def record_size_error(size: int) -> FieldError:
    """The error of a record too large to write (``size`` bytes as JSON)."""
    return FieldError(
        None,
        f"the record is too large: {size} bytes as JSON, at most {MAX_RECORD_BYTES}",
        "too_large",
    )


def _code(message: str) -> str:
    if message.startswith("at most") and "characters" in message:
        return "too_long"
    if message.startswith("expected one of"):
        return "choice"
    if "range" in message or "too large" in message or "decimal places" in message:
        return "range"
    return "type"


def run_checks(
    checks: list[Check], record: Mapping[str, Any], failed: set[str | None]
) -> list[FieldError]:
    """The errors of the checks that ``record`` fails; skips checks on ``failed`` fields."""
    errors = []
    for check in checks:
        if check.fields & failed:
            continue
        if not check.passes(record):
            errors.append(FieldError(check.field, check.message, "check"))
    return errors


async def run_rules(
    rules: list[Rule], record: dict[str, Any], principal: Principal
) -> list[FieldError]:
    """The errors the application rules find in ``record``."""
    errors: list[FieldError] = []
    for rule in rules:
        result = rule(dict(record), principal)
        if inspect.isawaitable(result):
            result = await result
        if result is None:
            continue
        if not isinstance(result, list | tuple) or not all(
            isinstance(error, FieldError) for error in result
        ):
            raise TypeError(
                f"validation rule {getattr(rule, '__qualname__', rule)!r} returned {result!r}; "
                "it must return a list of FieldError or None"
            )
        errors.extend(result)
    return errors


# -- the database's refusals ---------------------------------------------------------

_KEY_DETAIL = re.compile(r"Key \((?P<columns>.+?)\)=\(")


def integrity_errors(
    exc: asyncpg.IntegrityConstraintViolationError,
    table: sa.Table,
    *,
    deleting: bool,
    known: Mapping[str, FieldError],
    exposed: set[str],
    tenant_column: str | None,
) -> list[FieldError] | None:
    """The field errors for an integrity violation PostgreSQL raised, or ``None``.

    ``known`` maps constraint names to the error to report (declared on the
    source); otherwise the field is found from the constraint in the table
    metadata, PostgreSQL's default constraint names, or the error detail.
    Fields not exposed by the source are reported on the record (``None``).
    """
    name = getattr(exc, "constraint_name", None)
    if name and name in known:
        return [known[name]]
    if isinstance(exc, asyncpg.NotNullViolationError):
        column = getattr(exc, "column_name", None)
        return [FieldError(_shown(column, exposed), "is required: it may not be null", "required")]
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        if deleting:
            other = getattr(exc, "table_name", None) or "another table"
            return [
                FieldError(
                    None,
                    f"the record is still referenced by records of {other!r}: "
                    "delete or change those first",
                    "referenced",
                )
            ]
        field = _shown(_one_column(exc, table, name, tenant_column), exposed)
        return [FieldError(field, REFERENCE_ERROR, "reference")]
    if isinstance(exc, asyncpg.UniqueViolationError | asyncpg.ExclusionViolationError):
        field = _shown(_one_column(exc, table, name, tenant_column), exposed)
        return [FieldError(field, "must be unique: another record has this value", "unique")]
    if isinstance(exc, asyncpg.CheckViolationError):
        field = _shown(_check_column(table, name), exposed)
        return [FieldError(field, f"is not valid (constraint {name!r} failed)", "check")]
    return None


def _shown(column: str | None, exposed: set[str]) -> str | None:
    return column if column in exposed else None


def _one_column(
    exc: Exception, table: sa.Table, name: str | None, tenant_column: str | None
) -> str | None:
    columns: list[str] = []
    named: list[ColumnCollectionConstraint | sa.Index] = [
        c for c in table.constraints if isinstance(c, ColumnCollectionConstraint)
    ]
    for constraint in [*named, *table.indexes]:
        if name and constraint.name == name:
            columns = [column.key for column in constraint.columns]
            break
    else:
        match = _KEY_DETAIL.search(getattr(exc, "detail", None) or "")
        if match:
            columns = [part.strip().strip('"') for part in match["columns"].split(",")]
            by_name = {column.name: column.key for column in table.columns}
            columns = [by_name.get(column, column) for column in columns]
    # A per-tenant unique key is about its other columns.
    columns = [column for column in columns if column != tenant_column]
    return columns[0] if len(columns) == 1 else None


def _check_column(table: sa.Table, name: str | None) -> str | None:
    if not name:
        return None
    texts: list[str] = []
    for constraint in [*table.constraints, *(c for col in table.columns for c in col.constraints)]:
        if isinstance(constraint, sa.CheckConstraint) and constraint.name == name:
            texts.append(str(constraint.sqltext))
    for column in table.columns:
        # PostgreSQL's own name for an unnamed column CHECK.
        if name == f"{table.name}_{column.name}_check":
            return column.key
    if texts:
        used = [
            column.key
            for column in table.columns
            if re.search(rf'(?<![\w"]){re.escape(column.name)}(?![\w"])', texts[0])
        ]
        return used[0] if len(used) == 1 else None
    return None
