"""A cursor's compiled statements, the per-table change index, and the pool's
connection reset: checked against direct SQL and with stand-ins."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sources_support import ANN, BOB, orders_source, scratch_schema

from raccoon.data import Change, Database, count, read
from raccoon.data._dispatch import ANY_TENANT, TableCursors
from raccoon.data._window import CompiledStatement, WindowStatements


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[Database]:
    async with Database(database, max_size=4) as db:
        yield db


@pytest_asyncio.fixture
async def schema(db: Database) -> AsyncIterator[str]:
    async with scratch_schema(db) as name:
        rows = []
        for i in range(60):
            rows.append(
                (
                    "acme" if i % 3 else "globex",
                    f"Order {i % 17:02d}",
                    None if i % 5 == 0 else i % 7,
                    None if i % 4 == 0 else decimal.Decimal(i) / 4,
                    datetime.date(2026, 1, 1 + i % 28),
                    ["retail", "wholesale", None][i % 3],
                )
            )
        async with db.transaction() as tx:
            await tx.connection.executemany(
                f"INSERT INTO {name}.orders (tenant, name, qty, price, created, kind) "
                f"VALUES ($1, $2, $3, $4, $5, $6::{name}.kind)",
                rows,
            )
        yield name


QUERIES = [
    (None, ["id"]),
    ({"field": "qty", "op": "gt", "value": 1000}, ["name"]),  # nothing matches
    ({"field": "qty", "op": "ge", "value": 3}, ["-qty", "name"]),
    ({"field": "qty", "op": "is_null", "value": False}, ["qty"]),
    (None, [{"field": "qty", "dir": "desc", "nulls": "last"}, "-price"]),
    (None, [{"field": "price", "dir": "asc", "nulls": "first"}, "created"]),
    (
        {
            "or": [
                {"field": "kind", "op": "eq", "value": "retail"},
                {"field": "price", "op": "lt", "value": 5},
            ]
        },
        ["kind", "-created"],
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("filters, sort", QUERIES)
async def test_window_statements_agree_with_read_and_count(db, schema, filters, sort):
    source = orders_source(schema)
    statements = WindowStatements(source, ANN, source.filter(filters), source.sort(sort))
    total = await count(db, source, ANN, filters=filters)
    assert await statements.total(db.executor) == total
    for offset, limit in [(0, 5), (3, 7), (total - 2, 10), (total, 5), (total + 10, 3)]:
        offset = max(offset, 0)
        expected = await read(
            db, source, ANN, filters=filters, sort=sort, offset=offset, limit=limit
        )
        assert await statements.rows(db.executor, offset, limit) == expected
        rows, counted = await statements.rows_and_total(db.executor, offset, limit)
        assert (rows, counted) == (expected, total)


@pytest.mark.asyncio
async def test_window_statements_match_direct_sql_and_stay_in_the_tenant(db, schema):
    source = orders_source(schema)
    statements = WindowStatements(
        source, BOB, source.filter({"field": "qty", "op": "gt", "value": 1}), source.sort(["-qty"])
    )
    rows, total = await statements.rows_and_total(db.executor, 2, 4)
    direct = await db.fetch(
        f"SELECT id FROM {schema}.orders WHERE tenant = 'globex' AND qty > 1 "
        "ORDER BY qty DESC, id OFFSET 2 LIMIT 4"
    )
    assert [r["id"] for r in rows] == [r["id"] for r in direct]
    assert total == await db.fetchval(
        f"SELECT count(*) FROM {schema}.orders WHERE tenant = 'globex' AND qty > 1"
    )


def test_compiled_statement_fills_in_its_slots():
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("a", sa.Text))
    condition = table.c.a == "x"
    page = sa.select(table.c.id).where(condition).limit(sa.bindparam("n", 1, type_=sa.Integer))
    inner = page.subquery()
    both = sa.select(inner.c.id).where(inner.c.id.in_(sa.select(table.c.id).where(condition)))
    compiled = CompiledStatement(both)
    assert compiled.sql.count("$1") == 2  # one condition used twice: one parameter
    assert compiled.args(n=7)[compiled.slots["n"]] == 7
    assert compiled.values[compiled.slots["n"]] == 1  # the template is untouched


@pytest.mark.asyncio
async def test_pool_still_resets_what_raw_sql_changed(database):
    async with Database(database, min_size=1, max_size=1) as db:
        default = await db.fetchval("SHOW statement_timeout")
        await db.execute("SET statement_timeout = 4321")
        assert await db.fetchval("SHOW statement_timeout") == default
        async with db.transaction() as tx:
            await tx.execute("SET statement_timeout = 4321")
        assert await db.fetchval("SHOW statement_timeout") == default
        source_table = sa.table("pg_database", sa.column("datname"))
        for _ in range(3):  # the data layer's reads leave the one connection usable
            assert await db.executor._read(*_sql(sa.select(source_table.c.datname)))
        assert await db.fetchval("SHOW statement_timeout") == default


def _sql(statement: Any) -> tuple[str, list[Any]]:
    from raccoon.data._database import compile_statement

    return compile_statement(statement)


# -- the per-table change index ------------------------------------------------------


class FakeFeed:
    def __init__(self) -> None:
        self.subscriptions: list[FakeSubscription] = []

    def subscribe(self, table: str, callback: Any) -> FakeSubscription:
        subscription = FakeSubscription(self, callback)
        self.subscriptions.append(subscription)
        return subscription


class FakeSubscription:
    def __init__(self, feed: FakeFeed, callback: Any) -> None:
        self.feed, self.callback = feed, callback

    def unsubscribe(self) -> None:
        self.feed.subscriptions.remove(self)


class Listener:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[int] = []

    def _on_change(self, change: Change) -> None:
        self.seen.append(change.id)

    def __repr__(self) -> str:
        return self.name


def change(id: int, op: str, pk: int, tenant: str, before: Any, after: Any) -> Change:
    return Change(id, "orders", {"id": pk}, tenant, op, 1, None, None, before, after)  # type: ignore[arg-type]


def test_the_index_delivers_only_to_cursors_a_change_may_concern():
    feed = FakeFeed()
    index = TableCursors(feed, "orders")  # type: ignore[arg-type]
    by_name = Listener("by name, window 1-3")
    by_city = Listener("filtered on city, window 4-5")
    other_tenant = Listener("globex, sorted by name")
    everyone = Listener("unscoped, sorted by id")
    index.add(by_name, "id", ("acme", frozenset({"name", "id"})))
    index.add(by_city, "id", ("acme", frozenset({"city", "id"})))
    index.add(other_tenant, "id", ("globex", frozenset({"name", "id"})))
    index.add(everyone, "id", (ANY_TENANT, frozenset({"id"})))
    assert len(feed.subscriptions) == 1  # one subscription for the table
    index.set_window(by_name, (), (1, 2, 3))
    index.set_window(by_city, (), (4, 5))
    deliver = feed.subscriptions[0].callback
    row = {"id": 2, "name": "a", "city": "x", "note": ""}

    deliver(change(1, "update", 2, "acme", row, {**row, "note": "n"}))  # in by_name's window
    deliver(change(2, "update", 9, "acme", row | {"id": 9}, row | {"id": 9, "note": "n"}))
    deliver(change(3, "update", 9, "acme", row | {"id": 9}, row | {"id": 9, "city": "y"}))
    deliver(change(4, "update", 9, "acme", row | {"id": 9}, row | {"id": 9, "name": "b"}))
    deliver(change(5, "insert", 10, "acme", None, row | {"id": 10}))
    deliver(change(6, "delete", 11, "globex", row | {"id": 11}, None))
    assert by_name.seen == [1, 4, 5]
    assert by_city.seen == [3, 5]
    assert other_tenant.seen == [6]
    assert everyone.seen == [5, 6]

    # The window moved; the sort changed; a cursor left.
    index.set_window(by_name, (1, 2, 3), (7,))
    index.set_interest(by_city, ("acme", frozenset({"note", "id"})))
    index.remove(everyone)
    deliver(change(7, "update", 2, "acme", row, {**row, "note": "m"}))
    deliver(change(8, "update", 7, "acme", row | {"id": 7}, row | {"id": 7, "city": "z"}))
    assert by_name.seen[3:] == [8]
    assert by_city.seen[2:] == [7]
    assert everyone.seen == [5, 6]

    for listener in (by_name, by_city, other_tenant):
        index.remove(listener, ())
    assert feed.subscriptions == [] and len(index) == 0


def test_a_failing_cursor_does_not_stop_the_others(caplog):
    feed = FakeFeed()
    index = TableCursors(feed, "orders")  # type: ignore[arg-type]
    broken, fine = Listener("broken"), Listener("fine")
    broken._on_change = lambda change: 1 / 0  # type: ignore[method-assign]
    index.add(broken, "id", ("acme", frozenset({"id"})))
    index.add(fine, "id", ("acme", frozenset({"id"})))
    feed.subscriptions[0].callback(change(1, "insert", 1, "acme", None, {"id": 1}))
    assert fine.seen == [1]
    assert "broken" in caplog.text
