"""The change-log trigger: every insert, update and delete of a tracked table is recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
import sqlalchemy as sa
from changelog_support import connect, fresh_database, items_database

from raccoon.data import Database, track_table, untrack_table, upgrade

LOG = "SELECT * FROM raccoon_changes ORDER BY id"


@pytest_asyncio.fixture
async def dsn(database: str) -> AsyncIterator[str]:
    async with items_database(database) as dsn:
        yield dsn


@pytest.mark.asyncio
async def test_insert_update_delete_are_recorded_with_who_and_tenant(dsn: str) -> None:
    async with Database(dsn) as db:
        async with db.transaction(user="ann", tenant="acme") as tx:
            await tx.execute("INSERT INTO items (name, qty) VALUES ('bolt', 1)")
        async with db.transaction(user="bob", tenant="acme") as tx:
            await tx.execute("UPDATE items SET qty = 2 WHERE name = 'bolt'")
        async with db.transaction(user="cy", tenant="beta") as tx:
            await tx.execute("DELETE FROM items WHERE name = 'bolt'")
        rows = await db.fetch(LOG)
    assert [(r["op"], r["who"], r["tenant"], r["table_name"]) for r in rows] == [
        ("insert", "ann", "acme", "items"),
        ("update", "bob", "acme", "items"),
        ("delete", "cy", "beta", "items"),
    ]
    insert, update, delete = rows
    key = {"id": insert["after"]["id"]}
    assert insert["pk"] == update["pk"] == delete["pk"] == key
    assert insert["before"] is None
    assert insert["after"] == {"id": key["id"], "name": "bolt", "qty": 1, "tenant": None}
    assert update["before"]["qty"] == 1 and update["after"]["qty"] == 2
    assert delete["before"]["qty"] == 2 and delete["after"] is None
    assert insert["at"] <= update["at"] <= delete["at"]
    assert len({r["txid"] for r in rows}) == 3


@pytest.mark.asyncio
async def test_changes_by_a_plain_connection_have_no_author(dsn: str) -> None:
    async with connect(dsn) as connection:
        await connection.execute("INSERT INTO items (name) VALUES ('nut')")
        row = await connection.fetchrow(LOG)
    assert row["who"] is None and row["tenant"] is None


@pytest.mark.asyncio
async def test_one_transaction_shares_a_txid_and_a_rollback_leaves_nothing(dsn: str) -> None:
    async with connect(dsn) as connection:
        async with connection.transaction():
            await connection.execute("INSERT INTO items (name) VALUES ('a'), ('b'), ('c')")
        with pytest.raises(RuntimeError):
            async with connection.transaction():
                await connection.execute("INSERT INTO items (name) VALUES ('gone')")
                raise RuntimeError("roll back")
        rows = await connection.fetch(LOG)
        current = await connection.fetchval("SELECT txid_current()")
    assert [r["after"]["name"] for r in rows] == ["a", "b", "c"]
    assert len({r["txid"] for r in rows}) == 1 and rows[0]["txid"] < current


@pytest.mark.asyncio
async def test_an_update_that_changes_nothing_is_not_recorded(dsn: str) -> None:
    async with connect(dsn) as connection:
        await connection.execute("INSERT INTO items (name, qty) VALUES ('a', 1)")
        await connection.execute("UPDATE items SET qty = 1")
        await connection.execute("UPDATE items SET qty = 3")
        ops = [r["op"] for r in await connection.fetch(LOG)]
    assert ops == ["insert", "update"]


@pytest.mark.asyncio
async def test_tenant_comes_from_the_tenant_column_when_tracked_with_one(database: str) -> None:
    async with items_database(database, tenant_column="tenant") as dsn:
        async with Database(dsn) as db:
            async with db.transaction(user="ann", tenant="ignored") as tx:
                await tx.execute("INSERT INTO items (name, tenant) VALUES ('a', 'acme')")
                await tx.execute("INSERT INTO items (name, tenant) VALUES ('b', NULL)")
            async with db.transaction(user="ann") as tx:
                await tx.execute("UPDATE items SET tenant = 'beta' WHERE name = 'a'")
            rows = await db.fetch(LOG)
    assert [(r["op"], r["tenant"]) for r in rows] == [
        ("insert", "acme"),
        ("insert", None),
        ("update", "beta"),
    ]


@pytest.mark.asyncio
async def test_composite_keys_and_schemas(database: str) -> None:
    metadata = sa.MetaData()
    lines = sa.Table(
        "order lines",  # a name that needs quoting
        metadata,
        sa.Column("order_id", sa.Integer, primary_key=True),
        sa.Column("line", sa.Integer, primary_key=True),
        sa.Column("qty", sa.Integer),
        schema="sales",
    )
    async with fresh_database(database) as dsn:
        await upgrade(dsn)
        async with connect(dsn) as connection:
            await connection.execute("CREATE SCHEMA sales")
            await connection.execute(
                'CREATE TABLE sales."order lines" (order_id int, line int, qty int, '
                "PRIMARY KEY (order_id, line))"
            )
            await connection.execute(track_table(lines))
            await connection.execute('INSERT INTO sales."order lines" VALUES (7, 1, 5)', timeout=5)
            row = await connection.fetchrow(LOG)
    assert row["table_name"] == lines.fullname == "sales.order lines"
    assert row["pk"] == {"order_id": 7, "line": 1}


@pytest.mark.asyncio
async def test_untrack_stops_recording_and_tracking_again_replaces(dsn: str) -> None:
    async with connect(dsn) as connection:
        await connection.execute(untrack_table("items"))
        await connection.execute("INSERT INTO items (name) VALUES ('quiet')")
        assert await connection.fetch(LOG) == []
        await connection.execute(untrack_table("items"))  # idempotent
        await connection.execute(track_table("items", primary_key=["id"]))
        await connection.execute(
            track_table("items", primary_key=["id"], tenant_column="tenant")
        )  # CREATE OR REPLACE: one trigger, new arguments
        await connection.execute("INSERT INTO items (name, tenant) VALUES ('loud', 'acme')")
        rows = await connection.fetch(LOG)
    assert [(r["after"]["name"], r["tenant"]) for r in rows] == [("loud", "acme")]


@pytest.mark.asyncio
async def test_a_trigger_made_by_hand_without_key_columns_fails_clearly(dsn: str) -> None:
    async with connect(dsn) as connection:
        await connection.execute("CREATE TABLE bare (id int)")
        await connection.execute(
            "CREATE TRIGGER t AFTER INSERT ON bare FOR EACH ROW "
            "EXECUTE FUNCTION raccoon_record_change()"
        )
        with pytest.raises(asyncpg.RaiseError, match="no primary-key columns") as info:
            await connection.execute("INSERT INTO bare VALUES (1)")
    assert "track_table" in (info.value.hint or "")


def test_track_table_ddl() -> None:
    metadata = sa.MetaData()
    orders = sa.Table(
        "orders",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.Text),
    )
    assert track_table(orders, tenant_column="tenant") == (
        "CREATE OR REPLACE TRIGGER raccoon_record_change "
        'AFTER INSERT OR UPDATE OR DELETE ON "orders" '
        "FOR EACH ROW EXECUTE FUNCTION raccoon_record_change('tenant', 'id')"
    )
    assert track_table("a.it's", primary_key=["k"]).endswith(
        """ON "a"."it's" FOR EACH ROW EXECUTE FUNCTION raccoon_record_change('', 'k')"""
    )
    assert untrack_table(orders) == 'DROP TRIGGER IF EXISTS raccoon_record_change ON "orders"'
    with pytest.raises(ValueError, match="needs its primary-key columns"):
        track_table("orders")
    with pytest.raises(ValueError, match="has no column 'nope'"):
        track_table(orders, tenant_column="nope")
    with pytest.raises(TypeError, match="list of column names"):
        track_table("orders", primary_key="id")
    with pytest.raises(TypeError, match="Table or a table name"):
        track_table(42)  # type: ignore[arg-type]
