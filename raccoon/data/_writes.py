"""Writing records: create, update, delete — checked, versioned, in one transaction.

Each write runs in one transaction opened as the principal (so the change
log records who), or inside the caller's :class:`~raccoon.data.Transaction`
to group several writes; then in a savepoint, so a refused write leaves the
caller's transaction usable and changes nothing.

Concurrency is optimistic: every record has an integer version (1 on
insert, +1 per update). Updates and deletes are single statements guarded by
the version (``UPDATE … WHERE pk = $1 AND version = $2 AND tenant = $3
RETURNING …``), never a read followed by a write; when they match no row, a
second look says why: no such record (:class:`~raccoon.data.NotFoundError`),
a row rule (:class:`~raccoon.data.PermissionDenied`), or a newer version
(:class:`~raccoon.data.ConflictError`, with the current record).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, NoReturn

import asyncpg
import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from raccoon.data._database import Database, Transaction
from raccoon.data._errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from raccoon.data._limits import MAX_RECORD_BYTES, json_size
from raccoon.data._principal import Principal
from raccoon.data._references import check_references
from raccoon.data._source import Source
from raccoon.data._types import describe_value, json_value
from raccoon.data._validation import (
    integrity_errors,
    record_size_error,
    run_checks,
    run_rules,
    typed_values,
)

__all__ = ["create", "delete", "update"]


@asynccontextmanager
async def _writing(db: Database | Transaction, principal: Principal) -> AsyncIterator[Transaction]:
    if isinstance(db, Transaction):
        if (db.user, db.tenant) != (principal.user, principal.tenant):
            raise ValueError(
                f"the transaction was opened as user={db.user!r}, tenant={db.tenant!r} but the "
                f"write runs as {principal.user!r}, {principal.tenant!r}: open it with "
                "db.transaction(user=principal.user, tenant=principal.tenant) so the change "
                "log records the right author"
            )
        async with db.connection.transaction():  # a savepoint
            yield db
    elif isinstance(db, Database):
        async with db.transaction(user=principal.user, tenant=principal.tenant) as tx:
            yield tx
    else:
        raise TypeError(f"expected a Database or a Transaction, got {db!r}")


def _table(source: Source) -> sa.Table:
    if source.table is None:  # require() refused the write already; this is for mypy
        raise TypeError(f"source {source.name!r} has no table to write")
    return source.table


def _returning(table: sa.Table) -> list[ColumnElement[Any]]:
    return [column.label(column.key) for column in table.columns]


async def _written(tx: Transaction, source: Source, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record a write leaves, as clients read it — refused (and so rolled
    back) when it grew too large to be read back in one answer."""
    result = await _result(tx, source, record)
    size = json_size(result)
    if size > MAX_RECORD_BYTES:
        raise ValidationError([record_size_error(size)], source=source.name)
    return result


def _record_tenant(source: Source, principal: Principal, table: sa.Table, key: Any) -> Any:
    """The tenant of the record an update writes (what its references must match)."""
    column = source.tenant_column
    if source.scoped or column is None or column not in table.c:
        return principal.tenant
    return sa.select(table.c[column]).where(table.c[source.pk] == key).scalar_subquery()


async def _result(tx: Transaction, source: Source, record: Mapping[str, Any]) -> dict[str, Any]:
    """The written record as clients read it (from the selectable, when there is one)."""
    table = _table(source)
    if source.selectable is table:
        return source.row(record)
    statement = (
        sa.select(*(f.column.label(n) for n, f in source.fields.items()))
        .select_from(source.selectable)
        .where(source.selectable.c[source.pk] == record[source.pk])
    )
    fetched = await tx.fetchrow(statement)
    if fetched is not None:
        return source.row(fetched)
    return {name: json_value(record.get(name)) for name in source.fields}


def _integrity(
    exc: asyncpg.IntegrityConstraintViolationError, source: Source, *, deleting: bool
) -> ValidationError | None:
    errors = integrity_errors(
        exc,
        _table(source),
        deleting=deleting,
        known=source.constraint_errors,
        exposed=set(source.fields),
        tenant_column=source.tenant_column,
    )
    return ValidationError(errors, source=source.name) if errors else None


def _check_version(source: Source, version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationError(
            [
                FieldError(
                    source.version_column or "version",
                    f"expected the version of the record you edited (an integer >= 1), got "
                    f"{describe_value(version)}",
                    "type",
                )
            ],
            source=source.name,
        )
    return version


async def create(
    db: Database | Transaction,
    source: Source,
    principal: Principal,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    """Insert a record; returns it as stored (with its pk and version 1).

    The tenant is stamped from the principal. Raises
    :class:`~raccoon.data.PermissionDenied`,
    :class:`~raccoon.data.ValidationError` (nothing written).
    """
    source.require(principal, "create")
    table = _table(source)
    readonly = {n: r for n, r in source._readonly_reasons.items() if n not in source._creatable}
    typed, errors = typed_values(
        values, source._creatable, source._nullable, readonly, source=source.name
    )
    tenant = source.tenant_column
    if tenant is not None and (source.scoped or typed.get(tenant) is None):
        if principal.tenant is not None:
            typed[tenant] = principal.tenant
    failed = {error.field for error in errors}
    for name in source._required:
        if name not in typed and name not in failed:
            errors.append(FieldError(name, "is required", "required"))
            failed.add(name)
    errors += run_checks(source.checks, typed, failed)
    if not errors:
        errors += await run_rules(source.rules, dict(typed), principal)
    if errors:
        raise ValidationError(errors, source=source.name)
    if source.version_column is not None:
        typed[source.version_column] = 1
    statement = sa.insert(table).values(typed).returning(*_returning(table))
    owner = typed.get(tenant) if tenant is not None and tenant in typed else principal.tenant
    async with _writing(db, principal) as tx:
        await check_references(tx, source, principal, typed, owner)
        try:
            record = await tx.fetchrow(statement)
        except asyncpg.IntegrityConstraintViolationError as exc:
            mapped = _integrity(exc, source, deleting=False)
            if mapped is None:
                raise
            raise mapped from exc
        if record is None:  # RETURNING always yields the row; a trigger may have dropped it
            raise RuntimeError(f"INSERT into {table.name!r} returned no row (a trigger?)")
        rule = source.permissions.row_condition("create", principal, table)
        if rule is not None:
            key = table.c[source.pk] == record[source.pk]
            if await tx.fetchval(sa.select(table.c[source.pk]).where(key, rule)) is None:
                raise PermissionDenied(
                    f"{principal.user!r} may not create this record in {source.name!r}: "
                    "a row rule of the source forbids it",
                    source=source.name,
                    operation="create",
                )
        return await _written(tx, source, record)


async def update(
    db: Database | Transaction,
    source: Source,
    principal: Principal,
    pk: Any,
    values: Mapping[str, Any],
    version: int,
) -> dict[str, Any]:
    """Change the fields in ``values`` of record ``pk`` if it is still at ``version``.

    Returns the record as stored, with version ``version + 1``. Raises
    :class:`~raccoon.data.PermissionDenied`,
    :class:`~raccoon.data.ValidationError`,
    :class:`~raccoon.data.NotFoundError`,
    :class:`~raccoon.data.ConflictError` (with the current record); nothing
    is written when it raises.
    """
    source.require(principal, "edit")
    table = _table(source)
    key = source.coerce_pk(pk)
    version = _check_version(source, version)
    readonly = {n: r for n, r in source._readonly_reasons.items() if n not in source._writable}
    typed, errors = typed_values(
        values, source._writable, source._nullable, readonly, source=source.name
    )
    if errors:
        raise ValidationError(errors, source=source.name)
    attempted = json_value(dict(values))
    version_column = table.c[source.version_column or ""]
    async with _writing(db, principal) as tx:
        if source.checks or source.rules:
            # Checks and rules see the whole record: lock it, then decide.
            current = await tx.fetchrow(
                sa.select(*_returning(table))
                .where(table.c[source.pk] == key, *source._scope(principal, "view", table))
                .with_for_update()
            )
            if current is None or current[version_column.key] != version:
                await _diagnose(tx, source, principal, key, version, "edit", attempted)
            record = {**dict(current), **typed}
            errors = run_checks(source.checks, record, set())
            if not errors:
                errors = await run_rules(source.rules, record, principal)
            if errors:
                raise ValidationError(errors, source=source.name)
        await check_references(
            tx, source, principal, typed, _record_tenant(source, principal, table, key)
        )
        statement = (
            sa.update(table)
            .where(
                table.c[source.pk] == key,
                version_column == version,
                *source._scope(principal, "edit", table),
            )
            .values({**typed, version_column.key: version_column + 1})
            .returning(*_returning(table))
        )
        updated = await _guarded_write(tx, statement, source, deleting=False)
        if updated is None:
            await _diagnose(tx, source, principal, key, version, "edit", attempted)
        return await _written(tx, source, updated)


async def delete(
    db: Database | Transaction,
    source: Source,
    principal: Principal,
    pk: Any,
    version: int,
) -> dict[str, Any]:
    """Delete record ``pk`` if it is still at ``version``; returns it as it was.

    Raises :class:`~raccoon.data.PermissionDenied`,
    :class:`~raccoon.data.NotFoundError`, :class:`~raccoon.data.ConflictError`,
    :class:`~raccoon.data.ValidationError` (still referenced by other
    records); nothing is deleted when it raises.
    """
    source.require(principal, "delete")
    table = _table(source)
    key = source.coerce_pk(pk)
    version = _check_version(source, version)
    version_column = table.c[source.version_column or ""]
    async with _writing(db, principal) as tx:
        before: dict[str, Any] | None = None
        if source.selectable is not table:
            # Read the client's view of the row while it still exists.
            # (Deleting needs the delete grant, not the view grant.)
            row = await tx.fetchrow(
                sa.select(*(f.column.label(n) for n, f in source.fields.items()))
                .select_from(source.selectable)
                .where(source.selectable.c[source.pk] == key, *source._scope(principal, "view"))
            )
            before = source.row(row) if row is not None else None
        statement = (
            sa.delete(table)
            .where(
                table.c[source.pk] == key,
                version_column == version,
                *source._scope(principal, "delete", table),
            )
            .returning(*_returning(table))
        )
        deleted = await _guarded_write(tx, statement, source, deleting=True)
        if deleted is None:
            await _diagnose(tx, source, principal, key, version, "delete", None)
        return before if before is not None else source.row(deleted)


async def _guarded_write(
    tx: Transaction, statement: Any, source: Source, *, deleting: bool
) -> asyncpg.Record | None:
    """Run an UPDATE/DELETE ... RETURNING, turning constraint violations into
    the field errors the source maps them to."""
    try:
        return await tx.fetchrow(statement)
    except asyncpg.IntegrityConstraintViolationError as exc:
        mapped = _integrity(exc, source, deleting=deleting)
        if mapped is None:
            raise
        raise mapped from exc


async def _diagnose(
    tx: Transaction,
    source: Source,
    principal: Principal,
    key: Any,
    version: int,
    operation: str,
    attempted: dict[str, Any] | None,
) -> NoReturn:
    """Say why a guarded write matched no row, and raise it."""
    table = _table(source)
    rule = source.permissions.row_condition(operation, principal, table)
    allowed = (rule if rule is not None else sa.true()).label("_raccoon_allowed")
    current = await tx.fetchrow(
        sa.select(*_returning(table), allowed).where(
            table.c[source.pk] == key, *source._scope(principal, "view", table)
        )
    )
    shown = json_value(key)
    if current is None:
        raise NotFoundError(f"no record {shown!r} in {source.name!r}", source=source.name, pk=shown)
    if not current["_raccoon_allowed"]:
        raise PermissionDenied(
            f"{principal.user!r} may not {operation} record {shown!r} of {source.name!r}: "
            "a row rule of the source forbids it",
            source=source.name,
            operation=operation,
            pk=shown,
        )
    record = await _result(tx, source, current)
    now = record.get(source.version_column or "")
    if json_size(record) > MAX_RECORD_BYTES:
        # Stored larger than a write may make it (by SQL from elsewhere): the
        # conflict must still travel; the client reads the record by itself.
        record = {source.pk: shown, source.version_column or "version": now}
    raise ConflictError(
        f"record {shown!r} of {source.name!r} is at version {now}, not {version}: it was "
        "changed since you read it; merge with the current record and retry with its version",
        source=source.name,
        pk=shown,
        version=version,
        current=record,
        attempted=attempted,
    )
