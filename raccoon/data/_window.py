"""A cursor's statements, built and compiled once per query.

A cursor reads its window on every change that may move rows, and changes
its query (filters, sort) far less often. Building a SQLAlchemy select,
its count and extracting their parameters cost about as much as running
them on an indexed table (≈0.5 ms measured), so :class:`WindowStatements`
is made once per query; a read then only fills in the offset and limit.

The window and the total are read in one statement and one round trip when
both are needed::

    SELECT <fields>, (SELECT count(*) FROM ... WHERE ...) AS raccoon_total
    FROM ... WHERE ... ORDER BY ... LIMIT $n OFFSET $m

The count is an uncorrelated subquery, which PostgreSQL runs once (an
InitPlan) on its own indexes, as it would run the count alone. An empty
window carries no total: at offset 0 it is 0; past the end (rare) the
count runs by itself. (Joining the count to the window as two subqueries
gives the same plan, but building its column proxies in SQLAlchemy costs
0.3 ms per new query.)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.sql.expression import ClauseElement

from raccoon.data._database import Executor, compile_parts
from raccoon.data._filters import Filter
from raccoon.data._principal import Principal
from raccoon.data._sorting import Sort
from raccoon.data._source import Source

__all__ = ["CompiledStatement", "WindowStatements"]

_OFFSET = "raccoon_offset"
_LIMIT = "raccoon_limit"


class CompiledStatement:
    """SQL text and its values, with some values left to fill in per run."""

    __slots__ = ("slots", "sql", "values")

    def __init__(self, statement: ClauseElement) -> None:
        self.sql, names, self.values = compile_parts(statement)
        # A bound parameter used twice is one `$n`: one slot per name.
        self.slots = {name: index for index, name in enumerate(names)}

    def args(self, **given: Any) -> list[Any]:
        """The values, with ``given`` ones (by parameter name) in their place."""
        values = list(self.values)
        for name, value in given.items():
            values[self.slots[name]] = value
        return values

    def __repr__(self) -> str:
        return f"<CompiledStatement {self.sql!r}>"


class WindowStatements:
    """The window, window-and-total and count statements of one query:
    ``source`` as ``principal`` sees it, with ``filter`` and ``sort``.

    Checks the view permission once, when built (as ``Source.select`` does
    for every statement).
    """

    def __init__(
        self, source: Source, principal: Principal, filter: Filter | None, sort: Sort
    ) -> None:
        self.source = source
        conditions = source.scope(principal, "view") + source._client_filter(filter)
        columns = source._columns()
        page = (
            sa.select(*columns)
            .select_from(source.selectable)
            .where(*conditions)
            .order_by(*sort.order_by())
            .offset(sa.bindparam(_OFFSET, 0, type_=sa.Integer))
            .limit(sa.bindparam(_LIMIT, 1, type_=sa.Integer))
        )
        counting = sa.select(sa.func.count()).select_from(source.selectable).where(*conditions)
        self._total_label = label = _free_name("raccoon_total", source.fields)
        # correlate(None): the count must not be tied to the outer row, which
        # SQLAlchemy would do by itself since both read the same table.
        total = counting.correlate(None).scalar_subquery().label(label)
        combined = page.add_columns(total)
        self._page, self._combined, self._counting = page, combined, counting

    # Compiled on first use: a new filter needs only the combined statement,
    # scrolling only the window (each compile costs ≈0.1 ms even when cached).
    @functools.cached_property
    def window(self) -> CompiledStatement:
        """The window alone (offset and limit to fill in)."""
        return CompiledStatement(self._page)

    @functools.cached_property
    def combined(self) -> CompiledStatement:
        """The total, then the window's rows (offset and limit to fill in)."""
        return CompiledStatement(self._combined)

    @functools.cached_property
    def count(self) -> CompiledStatement:
        """The total alone."""
        return CompiledStatement(self._counting)

    async def rows(self, executor: Executor, offset: int, limit: int) -> list[dict[str, Any]]:
        """The rows of the window ``offset``/``limit``."""
        statement = self.window
        records = await executor._read(statement.sql, statement.args(**_window(offset, limit)))
        return [self.source.row(record) for record in records]

    async def rows_and_total(
        self, executor: Executor, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The rows of the window and how many rows match, in one round trip."""
        statement = self.combined
        records = await executor._read(statement.sql, statement.args(**_window(offset, limit)))
        if records:
            total = int(records[0][self._total_label])
        else:  # nothing matches, or the window is past the end
            total = 0 if offset == 0 else await self.total(executor)
        return self._rows(records), total

    async def total(self, executor: Executor) -> int:
        """How many rows match."""
        records = await executor._read(self.count.sql, self.count.values)
        return int(records[0][0])

    def _rows(self, records: Sequence[asyncpg.Record]) -> list[dict[str, Any]]:
        source = self.source
        label = self._total_label
        rows = []
        for record in records:
            row = dict(record)
            del row[label]
            rows.append(source._convert(row))
        return rows


def _window(offset: int, limit: int) -> dict[str, int]:
    return {_OFFSET: offset, _LIMIT: limit}


def _free_name(name: str, taken: Any) -> str:
    while name in taken:
        name = f"_{name}"
    return name
