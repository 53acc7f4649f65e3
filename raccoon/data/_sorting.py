"""Sort specs and keyset pagination.

A sort always ends with the primary key, so the order is total and stable:
two queries with the same sort list rows in the same order, and a row can be
the anchor of a keyset page (``after``/``before``).

NULLs sort as PostgreSQL sorts them by default (as if larger than any
value): last when ascending, first when descending. A sort item may say
otherwise with ``"nulls": "first" | "last"``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from raccoon.data._errors import FilterError
from raccoon.data._limits import quote, text_problem
from raccoon.data._types import CoercionError, Field, FieldType, describe_value

__all__ = ["MAX_SORT_KEYS", "Sort", "SortKey", "parse_sort"]

#: Most items in a sort spec.
MAX_SORT_KEYS = 16


@dataclass(frozen=True)
class SortKey:
    """One sort item: a field, its direction and where its NULLs go."""

    field: str
    descending: bool = False
    nulls_first: bool = False

    def to_spec(self) -> dict[str, str]:
        """The JSON form, ``{"field", "dir", "nulls"}``."""
        return {
            "field": self.field,
            "dir": "desc" if self.descending else "asc",
            "nulls": "first" if self.nulls_first else "last",
        }


class Sort:
    """A checked sort over the fields of one source, ending with its primary key.

    Build one with :meth:`Source.sort() <raccoon.data.Source.sort>` (or pass
    the JSON spec straight to ``select``/``read``).
    """

    def __init__(self, keys: tuple[SortKey, ...], fields: Mapping[str, Field]) -> None:
        self.keys = keys
        self._fields = fields

    def to_spec(self) -> list[dict[str, str]]:
        """The JSON form, primary key included."""
        return [key.to_spec() for key in self.keys]

    def order_by(self) -> list[ColumnElement[Any]]:
        """The ORDER BY clauses."""
        clauses: list[ColumnElement[Any]] = []
        for key in self.keys:
            column = self._fields[key.field].column
            clause = column.desc() if key.descending else column.asc()
            # Say NULLS FIRST/LAST only when it differs from PostgreSQL's
            # default, so that plain indexes still serve the order.
            if key.nulls_first != key.descending:
                clause = clause.nulls_first() if key.nulls_first else clause.nulls_last()
            clauses.append(clause)
        return clauses

    def compare(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
        """-1, 0 or 1 as row ``a`` sorts before, with or after row ``b``.

        Rows hold JSON or asyncpg values; for placing a changed row in a
        window without a query. Text compares by code point (the ``C``
        collation), which may differ from the database's collation.
        """
        for key in self.keys:
            field_type = self._fields[key.field].type
            x = _typed(field_type, a.get(key.field))
            y = _typed(field_type, b.get(key.field))
            if x is None or y is None:
                if x is None and y is None:
                    continue
                first = (x is None) == key.nulls_first
                return -1 if first else 1
            if x != y:
                before = x < y if not key.descending else x > y
                return -1 if before else 1
        return 0

    def key(self) -> Callable[[Mapping[str, Any]], Any]:
        """A ``key=`` function for ``sorted()`` that orders rows as :meth:`compare`."""
        return functools.cmp_to_key(self.compare)

    def reversed(self) -> Sort:
        """The opposite order (for pages *before* a row)."""
        keys = tuple(SortKey(k.field, not k.descending, not k.nulls_first) for k in self.keys)
        return Sort(keys, self._fields)

    def after(self, row: Mapping[str, Any], *, path: str = "after") -> ColumnElement[bool]:
        """The condition "comes strictly after ``row`` in this order" (keyset pagination).

        ``row`` needs the value of every sort field (JSON values, as rows are
        sent to clients). Raises :class:`~raccoon.data.FilterError` if one is
        missing or does not fit its field.
        """
        if not isinstance(row, Mapping):
            raise FilterError(path, f"expected a row object, got {describe_value(row)}")
        values = []
        for key in self.keys:
            if key.field not in row:
                raise FilterError(
                    f"{path}.{key.field}",
                    "missing: the row to page from needs every sort field and the primary key",
                )
            try:
                values.append(self._fields[key.field].type.coerce(row[key.field]))
            except CoercionError as exc:
                raise FilterError(f"{path}.{key.field}", str(exc)) from None
        columns = [self._fields[key.field].column for key in self.keys]
        nullable = [getattr(column, "nullable", True) for column in columns]
        uniform = len({key.descending for key in self.keys}) == 1
        if uniform and not any(nullable) and all(value is not None for value in values):
            # A row comparison lets PostgreSQL walk a matching index.
            left, right = sa.tuple_(*columns), sa.tuple_(*values)
            return left < right if self.keys[0].descending else left > right
        branches = []
        equal: list[ColumnElement[bool]] = []
        for key, column, value, may_be_null in zip(
            self.keys, columns, values, nullable, strict=True
        ):
            strictly_after = _after(key, column, value, may_be_null)
            if strictly_after is not None:
                branches.append(sa.and_(*equal, strictly_after))
            equal.append(column.is_(None) if value is None else column == value)
        return sa.or_(sa.false(), *branches)


def _typed(field_type: FieldType, value: Any) -> Any:
    try:
        typed = field_type.coerce(value)
    except CoercionError:
        return None
    if field_type.kind == "enum" and typed is not None:
        return field_type.choices.index(typed)  # PostgreSQL orders enums as declared
    return typed


def _after(
    key: SortKey, column: ColumnElement[Any], value: Any, may_be_null: bool
) -> ColumnElement[bool] | None:
    if value is None:
        # Past a NULL come the non-NULLs when NULLs come first, else nothing.
        return column.is_not(None) if key.nulls_first else None
    beyond = column < value if key.descending else column > value
    if may_be_null and not key.nulls_first:
        return sa.or_(beyond, column.is_(None))
    return beyond


def parse_sort(spec: Any, fields: Mapping[str, Field], pk: str, *, path: str = "sort") -> Sort:
    """Check the JSON sort ``spec`` and build a :class:`Sort` ending with ``pk``.

    ``spec`` is ``None`` (by primary key) or a list of ``"name"``,
    ``"-name"`` (descending) or ``{"field": "name", "dir": "asc"|"desc",
    "nulls": "first"|"last"}``. Raises :class:`~raccoon.data.FilterError`.
    """
    if spec is None:
        spec = []
    if not isinstance(spec, list):
        raise FilterError(path, f"expected a list of sort items, got {describe_value(spec)}")
    if len(spec) > MAX_SORT_KEYS:
        raise FilterError(path, f"at most {MAX_SORT_KEYS} sort items are allowed, got {len(spec)}")
    keys: list[SortKey] = []
    for index, item in enumerate(spec):
        key = _sort_key(item, fields, f"{path}[{index}]")
        if any(existing.field == key.field for existing in keys):
            raise FilterError(f"{path}[{index}]", f"field {key.field!r} is sorted on twice")
        keys.append(key)
    if not any(key.field == pk for key in keys):
        keys.append(SortKey(pk))
    return Sort(tuple(keys), fields)


def _sort_key(item: Any, fields: Mapping[str, Field], path: str) -> SortKey:
    nulls: Any = None
    if isinstance(item, str):
        descending = item.startswith("-")
        name: Any = item[1:] if item[:1] in ("-", "+") else item
    elif isinstance(item, dict):
        unknown = [key for key in item if key not in ("field", "dir", "nulls")]
        if unknown:
            raise FilterError(
                path, f"unknown key {quote(unknown[0])}: a sort item has 'field', 'dir', 'nulls'"
            )
        name, direction, nulls = item.get("field"), item.get("dir", "asc"), item.get("nulls")
        if direction not in ("asc", "desc"):
            raise FilterError(f"{path}.dir", f"expected 'asc' or 'desc', got {quote(direction)}")
        if nulls not in (None, "first", "last"):
            raise FilterError(f"{path}.nulls", f"expected 'first' or 'last', got {quote(nulls)}")
        descending = direction == "desc"
    else:
        raise FilterError(
            path,
            "expected a field name ('name', '-name') or "
            f"{{'field', 'dir', 'nulls'}}, got {describe_value(item)}",
        )
    problem = text_problem(name) if isinstance(name, str) else None
    if problem is not None:
        raise FilterError(path, f"the field name {problem}")
    if not isinstance(name, str) or name not in fields:
        shown = quote(name)
        sortable = ", ".join(sorted(n for n, f in fields.items() if f.type.sortable))
        raise FilterError(
            path, f"unknown field {shown}; the fields you can sort on are: {sortable}"
        )
    if not fields[name].type.sortable:
        raise FilterError(path, f"field {name!r} ({fields[name].type.kind}) cannot be sorted on")
    nulls_first = descending if nulls is None else nulls == "first"
    return SortKey(name, descending, nulls_first)
