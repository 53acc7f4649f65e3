"""History and audit of one record, and field-level diffs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from changelog_support import connect, fresh_database, items_database

from raccoon.data import Change, Database, FieldChange, diff_rows, history, track_table, upgrade

metadata = sa.MetaData()
items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("qty", sa.Integer),
    sa.Column("tenant", sa.Text),
)


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[Database]:
    async with items_database(database) as dsn, Database(dsn) as db:
        yield db


async def write(db: Database, user: str, tenant: str | None, statement: str) -> None:
    async with db.transaction(user=user, tenant=tenant) as tx:
        await tx.execute(statement)


@pytest.mark.asyncio
async def test_history_of_one_record_newest_first(db: Database) -> None:
    await write(db, "ann", "acme", "INSERT INTO items (id, name, qty) VALUES (1, 'bolt', 1)")
    await write(db, "ann", "acme", "INSERT INTO items (id, name, qty) VALUES (2, 'nut', 1)")
    await write(db, "bob", "acme", "UPDATE items SET qty = 5 WHERE id = 1")
    await write(db, "cy", "acme", "UPDATE items SET name = 'big bolt', qty = 6 WHERE id = 1")
    await write(db, "dee", "acme", "DELETE FROM items WHERE id = 1")

    changes = await history(db, items, 1)
    assert [(c.op, c.who, c.tenant) for c in changes] == [
        ("delete", "dee", "acme"),
        ("update", "cy", "acme"),
        ("update", "bob", "acme"),
        ("insert", "ann", "acme"),
    ]
    assert all(isinstance(c, Change) and c.table == "items" and c.pk == {"id": 1} for c in changes)
    assert [c.at for c in changes] == sorted((c.at for c in changes), reverse=True)
    delete, rename, restock, insert = changes
    assert rename.diff() == [
        FieldChange("name", "bolt", "big bolt"),
        FieldChange("qty", 5, 6),
    ]
    assert restock.diff() == [FieldChange("qty", 1, 5)]
    assert insert.diff(items.columns.keys()) == [
        FieldChange("id", None, 1),
        FieldChange("name", None, "bolt"),
        FieldChange("qty", None, 1),
        FieldChange("tenant", None, None),
    ]
    assert [f.field for f in insert.diff(["tenant", "qty"])] == ["tenant", "qty", "id", "name"]
    assert FieldChange("name", "big bolt", None) in delete.diff()
    assert delete.row == {"id": 1, "name": "big bolt", "qty": 6, "tenant": None}
    assert insert.row == insert.after

    # The same through a transaction, by name with a mapping key, and in pages.
    async with db.transaction() as tx:
        assert await history(tx, "items", {"id": 1}) == changes
    first_page = await history(db, items, 1, limit=3)
    second_page = await history(db, items, 1, limit=3, before_id=first_page[-1].id)
    assert first_page + second_page == changes
    assert [c.after for c in await history(db, items, 2)] == [
        {"id": 2, "name": "nut", "qty": 1, "tenant": None}
    ]
    assert await history(db, items, 99) == []


@pytest.mark.asyncio
async def test_history_filtered_by_tenant(db: Database) -> None:
    await write(db, "ann", "acme", "INSERT INTO items (id, name) VALUES (1, 'a')")
    await write(db, "root", "beta", "UPDATE items SET qty = 9 WHERE id = 1")
    assert [c.who for c in await history(db, items, 1, tenant="acme")] == ["ann"]
    assert [c.who for c in await history(db, items, 1, tenant="beta")] == ["root"]
    assert [c.who for c in await history(db, items, 1)] == ["root", "ann"]


@pytest.mark.asyncio
async def test_history_with_a_composite_key(database: str) -> None:
    lines = sa.Table(
        "lines",
        sa.MetaData(),
        sa.Column("order_id", sa.Integer, primary_key=True),
        sa.Column("line", sa.Text, primary_key=True),
        sa.Column("qty", sa.Integer),
    )
    async with fresh_database(database) as dsn:
        await upgrade(dsn)
        async with connect(dsn) as connection:
            await connection.execute(
                "CREATE TABLE lines (order_id int, line text, qty int, "
                "PRIMARY KEY (order_id, line))"
            )
            await connection.execute(track_table(lines))
            await connection.execute("INSERT INTO lines VALUES (7, 'a', 1), (7, 'b', 1)")
            await connection.execute("UPDATE lines SET qty = 2 WHERE line = 'b'")
        async with Database(dsn) as db:
            changes = await history(db, lines, (7, "b"))
            assert [c.op for c in changes] == ["update", "insert"]
            assert await history(db, "lines", {"line": "b", "order_id": 7}) == changes
            with pytest.raises(TypeError, match="composite primary key"):
                await history(db, lines, 7)


@pytest.mark.asyncio
async def test_history_argument_errors(db: Database) -> None:
    with pytest.raises(TypeError, match="as a mapping"):
        await history(db, "items", 1)
    with pytest.raises(ValueError, match="limit must be positive"):
        await history(db, items, 1, limit=0)
    with pytest.raises(TypeError, match="cannot be looked up"):
        await history(db, items, object())


def test_diff_rows() -> None:
    assert diff_rows({"a": 1, "b": 2}, {"a": 1, "b": 3}) == [FieldChange("b", 2, 3)]
    assert diff_rows({"a": 1}, {"a": 1}) == []
    assert diff_rows(None, {"a": 1}) == [FieldChange("a", None, 1)]
    assert diff_rows({"a": 1}, None) == [FieldChange("a", 1, None)]
    assert diff_rows({"a": 1, "gone": 0}, {"a": 1, "new": 2}) == [
        FieldChange("gone", 0, None),
        FieldChange("new", None, 2),
    ]
    assert diff_rows({"b": 1, "a": 1}, {"b": 2, "a": 2}, order=["b", "x"]) == [
        FieldChange("b", 1, 2),
        FieldChange("a", 1, 2),
    ]
    assert diff_rows({"j": {"x": [1, 2]}}, {"j": {"x": [1, 2]}}) == []
