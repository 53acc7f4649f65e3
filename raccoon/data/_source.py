"""Sources: what clients may read and write, as SQLAlchemy Core tables.

A :class:`Source` wraps a table (or, read-only, any selectable) with what
the data layer needs to serve it safely: the exposed fields, the primary key
and version columns, tenant scoping, permissions, checks and rules. Its
``select``/``count``/``get`` return Core statements that are already scoped
to the principal's tenant and permissions, with the client's filter ANDed
inside that scope; ``read``/``create``/``update``/``delete`` run them.

A :class:`~raccoon.data.Catalog` holds the sources of an application by name.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement, FromClause, Select

from raccoon.data._conditions import And, UnsupportedExpression, evaluate, from_core
from raccoon.data._errors import (
    ArgumentError,
    FieldError,
    FilterError,
    NotFoundError,
    PermissionDenied,
)
from raccoon.data._filters import Filter, parse_filter
from raccoon.data._limits import id_problem, quote
from raccoon.data._permissions import Permissions
from raccoon.data._principal import Principal
from raccoon.data._sorting import Sort, parse_sort
from raccoon.data._types import (
    CoercionError,
    Field,
    FieldType,
    coerce_row,
    describe_value,
    field_type,
    json_value,
)
from raccoon.data._validation import Check, Rule

__all__ = ["Source"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class Source:
    """A table (or read-only selectable) as clients see it.

    ::

        orders = Source(
            "crm.orders", orders_table,
            permissions=Permissions({"view": ["everyone"], "*": ["role:clerk"]}),
            checks=[Check({"field": "quantity", "op": "gt", "value": 0}, "must be positive")],
        )

    ``name``
        Dotted name (``"crm.orders"``) clients use to refer to it.
    ``table``
        A SQLAlchemy ``Table`` to read and write, or any other selectable
        (a subquery, a join's alias) for a read-only source.
    ``pk``
        The single-column primary key. Rows are identified and sorted last by it.
    ``version_column``
        An integer column the data layer sets to 1 on insert and increments
        on every update; writes name the version they saw (optimistic
        concurrency). Required for writable sources.
    ``tenant_column``
        The column holding the tenant: reads see only the principal's tenant,
        creates stamp it, updates and deletes only reach it. The default,
        ``"tenant"``, applies when the table has such a column; ``None``
        turns scoping off.
    ``fields``
        The exposed fields, in order; by default every column but the tenant
        column. The primary key and version are always exposed.
    ``readonly``
        No create, edit or delete at all.
    ``server_managed``
        Fields the server sets (timestamps filled by defaults or triggers):
        readable, never written by clients.
    ``selectable``
        For a writable ``table``: where reads come from instead (a view
        adding joined or computed columns). It must have the pk, version and
        tenant columns; its extra columns are read-only.
    ``rules``, ``checks``
        Validation (see :mod:`raccoon.data` docs): ``rule(record,
        principal)`` functions and :class:`~raccoon.data.Check` conditions.
    ``constraint_errors``
        The :class:`~raccoon.data.FieldError` to report when a named
        database constraint is violated (else one is inferred).
    ``permissions``
        :class:`~raccoon.data.Permissions`; by default nobody but
        ``Principal.system()`` may do anything.
    ``references``
        For foreign-key fields, the source whose ``view`` scope (tenant,
        grant, row rule) decides which rows a write may refer to. Without
        one, a reference must reach a row of the writer's tenant when the
        referenced table has the tenant column.
    """

    def __init__(
        self,
        name: str,
        table: sa.Table | FromClause,
        *,
        pk: str = "id",
        version_column: str | None = "version",
        tenant_column: str | None = "tenant",
        fields: Iterable[str] | None = None,
        readonly: bool = False,
        server_managed: Iterable[str] = (),
        selectable: FromClause | None = None,
        rules: Iterable[Rule] = (),
        checks: Iterable[Check] = (),
        constraint_errors: Mapping[str, FieldError] | None = None,
        permissions: Permissions | None = None,
        references: Mapping[str, Source] | None = None,
    ) -> None:
        frame = sys._getframe(1)
        self.defined_at = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"source name {name!r} must be dotted identifiers, like 'crm.orders'")
        self.name = name
        self.table: sa.Table | None = table if isinstance(table, sa.Table) else None
        self.readonly = bool(readonly) or self.table is None
        self.selectable: FromClause = selectable if selectable is not None else table
        if selectable is not None and self.table is None:
            raise ValueError(f"source {name!r}: selectable= needs a writable Table as table")
        columns = self.selectable.c
        self._require_column(pk, "pk")
        self.pk = pk
        in_table = self.table is not None and "tenant" in self.table.c
        if tenant_column == "tenant" and "tenant" not in columns and not in_table:
            # The default only applies where there is such a column; a
            # selectable that drops the table's tenant column is an error below.
            tenant_column = None
        if tenant_column is not None:
            self._require_column(tenant_column, "tenant_column")
        self.tenant_column = tenant_column
        if version_column is not None and version_column not in columns:
            if version_column != "version" or not self.readonly:
                raise ValueError(
                    f"source {name!r}: no version column {version_column!r}; writable sources "
                    "need an integer version column (`version integer NOT NULL DEFAULT 1`), "
                    "read-only ones may pass version_column=None"
                )
            version_column = None
        self.version_column = version_column
        if self.table is not None:
            for column in (pk, version_column, tenant_column):
                if column is not None and column not in self.table.c:
                    raise ValueError(
                        f"source {name!r}: column {column!r} of the selectable is not a column "
                        f"of table {self.table.name!r}"
                    )
        self._field_names = self._exposed(fields)
        self.server_managed = frozenset(server_managed)
        for field_name in self.server_managed:
            self._require_column(field_name, "server_managed")
        self.permissions = permissions if permissions is not None else Permissions.nobody()
        self.rules: list[Rule] = list(rules)
        self.constraint_errors = dict(constraint_errors or {})
        self._unscoped = False
        self._build_fields()
        self.checks: list[Check] = [check.bind(self._table_fields, name) for check in checks]
        self.references: dict[str, Source] = dict(references or {})
        for field_name, target in self.references.items():
            if self.table is None or field_name not in self.table.c:
                raise ValueError(
                    f"source {name!r}: references names {field_name!r}, which is not a column "
                    "of its table"
                )
            if not isinstance(target, Source) or target.table is None:
                raise TypeError(
                    f"source {name!r}: references[{field_name!r}] must be a Source over a "
                    f"table, got {target!r}"
                )

    # -- declaration ------------------------------------------------------------------

    def _require_column(self, column: str, what: str) -> None:
        if column not in self.selectable.c:
            known = ", ".join(self.selectable.c.keys())
            raise ValueError(
                f"source {self.name!r}: {what} names {column!r}, which is not a column of "
                f"{self.selectable.description!r} (columns: {known})"
            )

    def _exposed(self, fields: Iterable[str] | None) -> list[str]:
        keys = list(self.selectable.c.keys())
        if fields is None:
            names = [key for key in keys if key != self.tenant_column]
        else:
            if isinstance(fields, str):
                raise TypeError(f"source {self.name!r}: fields must be a list of names")
            names = list(dict.fromkeys(fields))
            for field_name in names:
                self._require_column(field_name, "fields")
        always = [self.pk] + ([self.version_column] if self.version_column else [])
        return [*(n for n in always if n not in names), *names]

    def _build_fields(self) -> None:
        names = list(self._field_names)
        if self._unscoped and self.tenant_column and self.tenant_column not in names:
            names.append(self.tenant_column)  # cross-tenant screens need to see and filter it
        columns = self.selectable.c
        self.fields: dict[str, Field] = {
            n: Field(n, columns[n], field_type(columns[n].type)) for n in names
        }
        # Only these need converting on the way out (see row()): asyncpg
        # already returns the others as JSON values.
        self._json_fields = tuple(
            n for n, f in self.fields.items() if f.type.kind not in _JSON_NATIVE_KINDS
        )
        table = self.table
        self._table_fields: dict[str, Field] = (
            {c.key: Field(c.key, c, field_type(c.type)) for c in table.columns}
            if table is not None
            else dict(self.fields)
        )
        self._readonly_reasons: dict[str, str] = {}
        self._writable: dict[str, FieldType] = {}
        self._creatable: dict[str, FieldType] = {}
        self._required: list[str] = []
        self._nullable: dict[str, bool] = {}
        if table is None:
            return
        for name in self.fields:
            reason = self._readonly_reason(name, table)
            if reason is None:
                self._writable[name] = self.fields[name].type
                self._creatable[name] = self.fields[name].type
            elif name == self.pk and self._pk_settable(table):
                self._creatable[name] = self.fields[name].type
            if reason is not None:
                self._readonly_reasons[name] = reason
            if name in table.c:
                self._nullable[name] = bool(table.c[name].nullable)
        if not self.scoped and self.tenant_column in self.fields:
            self._creatable[self.tenant_column] = self.fields[self.tenant_column].type
        for name in self._creatable:
            column = table.c[name]
            if not column.nullable and not _has_default(column, table):
                self._required.append(name)

    def _readonly_reason(self, name: str, table: sa.Table) -> str | None:
        if name == self.pk:
            return "the primary key cannot be changed"
        if name == self.version_column:
            return "the version is managed by the server; send the version you saw separately"
        if name == self.tenant_column:
            return "the tenant is set from the principal"
        if name in self.server_managed:
            return "it is set by the server"
        if name not in table.c:
            return "it is computed"
        return None

    def _pk_settable(self, table: sa.Table) -> bool:
        # Natural keys (codes) are given by clients on create; generated ones never are.
        return self.pk in table.c and not _has_default(table.c[self.pk], table)

    def unscoped(self) -> Source:
        """This source without tenant scoping: reads see every tenant's rows.

        The explicit, greppable escape hatch for cross-tenant work (admin
        screens, jobs). The tenant column becomes an exposed field (readable,
        filterable; settable on create, taken from the principal when
        absent). Permissions and row rules still apply.
        """
        clone = copy.copy(self)
        clone._unscoped = True
        clone._build_fields()
        return clone

    @property
    def scoped(self) -> bool:
        """Whether reads and writes are limited to the principal's tenant."""
        return self.tenant_column is not None and not self._unscoped

    def __repr__(self) -> str:
        scope = "" if self.tenant_column is None or self.scoped else ", unscoped"
        return f"<Source {self.name!r}{scope} at {self.defined_at}>"

    def describe(self) -> dict[str, Any]:
        """A JSON-able description of the fields, for clients (forms, grids)."""
        return {
            "name": self.name,
            "pk": self.pk,
            "version": self.version_column,
            "readonly": self.readonly,
            "fields": [
                {
                    "name": name,
                    "type": field.type.describe(),
                    "nullable": self._nullable.get(name, True),
                    "readonly": name not in self._writable,
                    "required": name in self._required,
                }
                for name, field in self.fields.items()
            ],
        }

    # -- permissions and scope --------------------------------------------------------

    def require(self, principal: Principal, operation: str) -> None:
        """Raise :class:`~raccoon.data.PermissionDenied` unless ``principal`` may
        do ``operation`` (``view``/``create``/``edit``/``delete``) on this source."""
        if not isinstance(principal, Principal):
            raise TypeError(f"expected a Principal, got {principal!r}")
        if operation != "view" and self.readonly:
            raise PermissionDenied(
                f"source {self.name!r} is read-only: it cannot {operation} records",
                source=self.name,
                operation=operation,
            )
        if self.scoped and principal.tenant is None:
            raise PermissionDenied(
                f"source {self.name!r} is tenant-scoped but principal {principal.user!r} has "
                "no tenant: give the principal its tenant, or work across tenants "
                "explicitly with source.unscoped()",
                source=self.name,
                operation=operation,
            )
        if not self.permissions.allows(principal, operation):
            raise PermissionDenied(
                f"{principal.user!r} may not {operation} records of {self.name!r}: no "
                "permission of the source grants it to this user, their groups or roles",
                source=self.name,
                operation=operation,
            )

    def scope(
        self, principal: Principal, operation: str = "view", *, columns: FromClause | None = None
    ) -> list[ColumnElement[bool]]:
        """The conditions every statement of ``principal`` must AND in.

        The tenant condition, the ``view`` row rule, and the row rule of
        ``operation``; over ``columns`` (default: the read selectable).
        Checks the grants first (:meth:`require`).
        """
        self.require(principal, operation)
        return self._scope(principal, operation, columns)

    def _scope(
        self, principal: Principal, operation: str, columns: FromClause | None = None
    ) -> list[ColumnElement[bool]]:
        target = columns if columns is not None else self.selectable
        conditions: list[ColumnElement[bool]] = []
        if self.scoped and self.tenant_column is not None:
            conditions.append(target.c[self.tenant_column] == principal.tenant)
        for op in dict.fromkeys(("view", operation)):
            rule = self.permissions.row_condition(op, principal, target)
            if rule is not None:
                conditions.append(rule)
        return conditions

    @property
    def plain_values(self) -> bool:
        """Whether every exposed field holds integers, floats, text or booleans
        of the table itself: then a change-log row (JSON) carries exactly the
        values a read returns, and a cursor may use it without reading again."""
        return not self._json_fields and self.selectable is self.table

    def can_view_row(self, principal: Principal, row: Mapping[str, Any]) -> bool:
        """Whether ``principal`` may see ``row`` (a change-feed row: column -> JSON value).

        Same tenant (for a scoped source), ``view`` granted, and the ``view``
        row rule true on the row. ``row`` must hold the table's columns the
        check reads (the tenant column, those of the rule). Raises
        ``ValueError`` if the row rule is too complex to decide in Python.
        """
        try:
            self.require(principal, "view")
        except PermissionDenied:
            return False
        if self.tenant_column is not None and self.scoped:
            if row.get(self.tenant_column) != principal.tenant:
                return False
        target = self._rule_target
        rule = self.permissions.row_condition("view", principal, target)
        if rule is None:
            return True
        try:
            node = from_core(rule, target, self._coerce_table_value)
        except UnsupportedExpression as exc:
            raise ValueError(
                f"the view row rule of {self.name!r} cannot be decided on a row in "
                f"Python: {exc}; write it as comparisons of columns with values "
                "combined with and_/or_/not_"
            ) from None
        return evaluate(node, coerce_row(row, self._table_fields)) is True

    @property
    def _rule_target(self) -> FromClause:
        return self.table if self.table is not None else self.selectable

    def _coerce_table_value(self, name: str, value: Any) -> Any:
        try:
            return self._table_fields[name].type.coerce(value)
        except CoercionError:
            return value

    # -- statements -------------------------------------------------------------------

    def filter(self, spec: Any) -> Filter:
        """``spec`` (JSON filter) checked against the exposed fields.

        Raises :class:`~raccoon.data.FilterError`.
        """
        if isinstance(spec, Filter):
            return spec
        return parse_filter(spec, self.fields)

    def sort(self, spec: Any) -> Sort:
        """``spec`` (JSON sort) checked, ending with the primary key."""
        if isinstance(spec, Sort):
            return spec
        return parse_sort(spec, self.fields, self.pk)

    def _columns(self) -> list[ColumnElement[Any]]:
        return [field.column.label(name) for name, field in self.fields.items()]

    def select(
        self,
        principal: Principal,
        filters: Any = None,
        sort: Any = None,
        offset: int = 0,
        limit: int | None = None,
        *,
        after: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
    ) -> Select[Any]:
        """The statement listing the rows ``principal`` may see, filtered, sorted, paged.

        ``filters`` and ``sort`` are JSON specs (or :class:`Filter`/
        :class:`Sort`). ``after``/``before`` are a row (as sent to clients)
        for keyset pagination: the page starts just after it, or ends just
        before it (rows still in ``sort`` order). Raises
        :class:`~raccoon.data.PermissionDenied`,
        :class:`~raccoon.data.FilterError`.
        """
        conditions = self.scope(principal, "view")
        conditions += self._client_filter(filters)
        order = self.sort(sort)
        offset, limit = _window(offset, limit)
        if after is not None and before is not None:
            raise FilterError("before", "page after a row or before one, not both")
        if before is not None:
            order = order.reversed()
        anchor = after if before is None else before
        if anchor is not None:
            conditions.append(order.after(anchor, path="after" if before is None else "before"))
        statement = (
            sa.select(*self._columns())
            .select_from(self.selectable)
            .where(*conditions)
            .order_by(*order.order_by())
        )
        if offset:
            statement = statement.offset(offset)
        if limit is not None:
            statement = statement.limit(limit)
        if before is None:
            return statement
        page = statement.subquery("page")
        outer = {n: Field(n, page.c[n], f.type) for n, f in self.fields.items()}
        return sa.select(*page.c).order_by(*Sort(order.reversed().keys, outer).order_by())

    def count(self, principal: Principal, filters: Any = None) -> Select[Any]:
        """The statement counting the rows ``principal`` may see that match ``filters``."""
        conditions = self.scope(principal, "view") + self._client_filter(filters)
        return sa.select(sa.func.count()).select_from(self.selectable).where(*conditions)

    def _client_filter(self, filters: Any) -> list[ColumnElement[bool]]:
        parsed = self.filter(filters)
        if parsed.node == And(()):
            return []
        # One parenthesized term ANDed after the scope: the client's ORs
        # cannot reach around the tenant condition.
        return [parsed.condition().self_group()]

    def get(self, principal: Principal, pk: Any) -> Select[Any]:
        """The statement fetching record ``pk`` if ``principal`` may see it (else no row)."""
        conditions = self.scope(principal, "view")
        self.check_id(pk)
        try:
            key = self.fields[self.pk].type.coerce(pk)
        except CoercionError:
            return sa.select(*self._columns()).where(sa.false())
        return (
            sa.select(*self._columns())
            .select_from(self.selectable)
            .where(self.selectable.c[self.pk] == key, *conditions)
        )

    def check_id(self, pk: Any, argument: str = "pk") -> None:
        """Raise :class:`~raccoon.data.ArgumentError` unless ``pk`` can be an
        id at all: one scalar, short, storable text. Checked before anything
        else uses or quotes it."""
        problem = id_problem(pk)
        if problem is not None:
            raise ArgumentError(argument, f"the id of a record of {self.name!r} {problem}")

    def coerce_pk(self, pk: Any) -> Any:
        """``pk`` typed as the primary key; :class:`~raccoon.data.NotFoundError` if it cannot be
        (:class:`~raccoon.data.ArgumentError` if it cannot be an id at all)."""
        self.check_id(pk)
        try:
            key = self.fields[self.pk].type.coerce(pk)
        except CoercionError as exc:
            raise NotFoundError(
                f"no record {quote(pk)} in {self.name!r}: not a valid {self.pk} ({exc})",
                source=self.name,
                pk=json_value(pk),
            ) from None
        if key is None:
            raise NotFoundError(f"no record null in {self.name!r}", source=self.name, pk=None)
        return key

    def row(self, record: asyncpg.Record | Mapping[str, Any]) -> dict[str, Any]:
        """A fetched record as the JSON-able dict clients get (exposed fields only)."""
        # On the path of every row a cursor reads: copy in C when the record
        # holds exactly the exposed fields, convert only what needs it.
        if len(record) == len(self.fields):
            row = dict(record)
            if row.keys() != self.fields.keys():
                row = {name: record[name] for name in self.fields}
        else:
            row = {name: record[name] for name in self.fields}
        return self._convert(row)

    def _convert(self, row: dict[str, Any]) -> dict[str, Any]:
        # `row` holds exactly the exposed fields, as asyncpg returned them.
        for name in self._json_fields:
            value = row[name]
            if value is not None:
                row[name] = json_value(value)
        return row


# Field kinds whose values asyncpg returns as JSON values already.
_JSON_NATIVE_KINDS = frozenset({"integer", "float", "text", "boolean"})


#: PostgreSQL's OFFSET and LIMIT are bigints.
_MAX_BIGINT = 2**63 - 1


def _window(offset: Any, limit: Any) -> tuple[int, int | None]:
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= _MAX_BIGINT:
        raise FilterError("offset", f"expected an integer >= 0, got {describe_value(offset)}")
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= _MAX_BIGINT
    ):
        raise FilterError("limit", f"expected an integer >= 0 or null, got {describe_value(limit)}")
    return offset, limit


def _has_default(column: sa.Column[Any], table: sa.Table) -> bool:
    return (
        column.default is not None
        or column.server_default is not None
        or column.identity is not None
        or column is table.autoincrement_column
    )
