"""History and audit: the recorded changes of one record, from the change log."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from raccoon.data._changes import Change
from raccoon.data._database import Database, Executor
from raccoon.data._schema import change_log

__all__ = ["history"]


def _json_default(value: Any) -> Any:
    # How to_jsonb() writes these key types.
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(
        f"a primary-key value of type {type(value).__name__} cannot be looked up in the "
        "change log; keys are matched as JSON (numbers, strings, UUIDs, dates)"
    )


def _key(table: sa.Table | str, pk: Any) -> tuple[str, str]:
    """``(table name, the pk as the JSON text the trigger records)``."""
    if isinstance(table, sa.Table):
        name = table.fullname
        columns = [column.name for column in table.primary_key.columns]
    elif isinstance(table, str):
        name, columns = table, []
    else:
        raise TypeError(f"expected a sqlalchemy Table or a table name, got {table!r}")
    if isinstance(pk, Mapping):
        key = dict(pk)
    elif not columns:
        raise TypeError(
            f"give the primary key of a record of {name!r} as a mapping "
            "({'column': value}), or pass the sqlalchemy Table so its key columns are known"
        )
    elif len(columns) == 1:
        key = {columns[0]: pk}
    elif isinstance(pk, tuple) and len(pk) == len(columns):
        key = dict(zip(columns, pk, strict=True))
    else:
        raise TypeError(
            f"{name!r} has a composite primary key {tuple(columns)}: give a tuple of "
            f"{len(columns)} values or a mapping, not {pk!r}"
        )
    return name, json.dumps(key, default=_json_default)


async def history(
    db: Database | Executor,
    table: sa.Table | str,
    pk: Any,
    *,
    tenant: str | None = None,
    limit: int | None = 100,
    before_id: int | None = None,
) -> list[Change]:
    """The recorded changes of one record, **newest first**.

    *pk* is the key value (a tuple for a composite key) when *table* is a
    :class:`~sqlalchemy.Table`, else a mapping ``{"column": value}``. With
    *tenant*, only changes recorded for that tenant (an audit view must not
    show another tenant's history). At most *limit* changes (``None``: all);
    for the page after, pass the last one's id as *before_id*. Each
    :class:`~raccoon.data.Change` says who, when, what (``op``) and the row
    before and after; ``change.diff()`` lists the fields it changed::

        for change in await history(db, orders, 42):
            print(change.at, change.who, change.op, change.diff())
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be positive or None, got {limit}")
    name, key = _key(table, pk)
    query = (
        sa.select(change_log)
        .where(change_log.c.table_name == name)
        # The key as jsonb text: JSONB's bind processor would encode it again.
        .where(change_log.c.pk == sa.cast(sa.literal(key, sa.Text), change_log.c.pk.type))
        .order_by(change_log.c.id.desc())
    )
    if tenant is not None:
        query = query.where(change_log.c.tenant == tenant)
    if before_id is not None:
        query = query.where(change_log.c.id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return [Change.from_record(row) for row in await db.fetch(query)]
