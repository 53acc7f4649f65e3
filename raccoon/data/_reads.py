"""Running a source's reads: rows out as JSON-able dicts.

Thin on purpose: the statements come from :class:`~raccoon.data.Source`
(already scoped and checked); these run them on a
:class:`~raccoon.data.Database` or inside a
:class:`~raccoon.data.Transaction` and convert the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from raccoon.data._database import Database, Executor, compile_statement
from raccoon.data._errors import NotFoundError
from raccoon.data._limits import quote
from raccoon.data._principal import Principal
from raccoon.data._source import Source
from raccoon.data._types import json_value

__all__ = ["count", "get", "read"]


def _executor(db: Database | Executor) -> Executor:
    if isinstance(db, Database):
        return db.executor
    if isinstance(db, Executor):
        return db
    raise TypeError(f"expected a Database or a Transaction, got {db!r}")


async def read(
    db: Database | Executor,
    source: Source,
    principal: Principal,
    *,
    filters: Any = None,
    sort: Any = None,
    offset: int = 0,
    limit: int | None = None,
    after: Mapping[str, Any] | None = None,
    before: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The rows of :meth:`Source.select` as JSON-able dicts.

    Raises :class:`~raccoon.data.PermissionDenied`,
    :class:`~raccoon.data.FilterError`.
    """
    statement = source.select(principal, filters, sort, offset, limit, after=after, before=before)
    records = await _executor(db)._read(*compile_statement(statement))
    return [source.row(record) for record in records]


async def count(
    db: Database | Executor, source: Source, principal: Principal, *, filters: Any = None
) -> int:
    """How many rows ``principal`` may see match ``filters``."""
    records = await _executor(db)._read(*compile_statement(source.count(principal, filters)))
    return int(records[0][0])


async def get(
    db: Database | Executor, source: Source, principal: Principal, pk: Any
) -> dict[str, Any]:
    """Record ``pk`` as a JSON-able dict.

    Raises :class:`~raccoon.data.NotFoundError` if it does not exist or
    ``principal`` may not see it (another tenant, a row rule).
    """
    records = await _executor(db)._read(*compile_statement(source.get(principal, pk)))
    record = records[0] if records else None
    if record is None:
        raise NotFoundError(
            f"no record {quote(pk)} in {source.name!r}", source=source.name, pk=json_value(pk)
        )
    return source.row(record)
