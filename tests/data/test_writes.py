"""create/update/delete: one transaction each, versions, conflicts, grouping, concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sources_support import ANN, checksum, orders_source, scratch_schema

from raccoon.data import (
    ConflictError,
    Database,
    NotFoundError,
    Principal,
    Source,
    ValidationError,
    create,
    delete,
    get,
    update,
)


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[Database]:
    async with Database(database, max_size=12) as db:
        yield db


@pytest_asyncio.fixture
async def orders(db: Database) -> AsyncIterator[Source]:
    async with scratch_schema(db) as schema:
        yield orders_source(schema)


@pytest.mark.asyncio
async def test_create_returns_the_stored_record_with_version_1(db, orders):
    record = await create(
        db,
        orders,
        ANN,
        {"name": "Widgets", "qty": 3, "price": "12.50", "created": "2024-02-29"},
    )
    assert record["version"] == 1
    assert isinstance(record["id"], int)
    assert record["name"] == "Widgets"
    assert record["price"] == "12.50"  # Decimal out as a string
    assert record["created"] == "2024-02-29"  # dates out as ISO strings
    assert record["active"] is True  # the column default
    assert "tenant" not in record  # not exposed by default
    stored = await db.fetchrow(f"SELECT * FROM {orders.table.schema}.orders")
    assert stored["tenant"] == "acme"  # stamped from the principal


@pytest.mark.asyncio
async def test_output_values_are_json(db, orders):
    import json

    record = await create(
        db,
        orders,
        ANN,
        {"name": "x", "stamp": "2024-01-02T03:04:05+02:00", "kind": "retail", "price": 3},
    )
    json.dumps(record)  # JSON-able as it is
    assert record["stamp"] == "2024-01-02T01:04:05+00:00"
    assert record["kind"] == "retail"
    assert record["price"] == "3.00"


@pytest.mark.asyncio
async def test_update_bumps_the_version_and_returns_the_record(db, orders):
    record = await create(db, orders, ANN, {"name": "a", "qty": 1})
    changed = await update(db, orders, ANN, record["id"], {"qty": 2}, record["version"])
    assert changed["version"] == 2
    assert changed["qty"] == 2
    assert changed["name"] == "a"
    again = await update(db, orders, ANN, record["id"], {"note": "hi"}, 2)
    assert again["version"] == 3
    assert await get(db, orders, ANN, record["id"]) == again


@pytest.mark.asyncio
async def test_update_with_a_stale_version_conflicts_with_the_current_record(db, orders):
    record = await create(db, orders, ANN, {"name": "a", "qty": 1})
    await update(db, orders, ANN, record["id"], {"qty": 5}, 1)
    before = await checksum(db, orders.table.schema)
    with pytest.raises(ConflictError) as caught:
        await update(db, orders, ANN, record["id"], {"qty": 9}, 1)
    error = caught.value
    assert error.current["version"] == 2
    assert error.current["qty"] == 5
    assert error.attempted == {"qty": 9}
    assert error.version == 1
    assert error.to_dict()["code"] == "conflict"
    assert error.to_dict()["details"]["current"]["qty"] == 5
    assert await checksum(db, orders.table.schema) == before


@pytest.mark.asyncio
async def test_delete_with_a_stale_version_conflicts_and_deletes_nothing(db, orders):
    record = await create(db, orders, ANN, {"name": "a"})
    await update(db, orders, ANN, record["id"], {"name": "b"}, 1)
    with pytest.raises(ConflictError) as caught:
        await delete(db, orders, ANN, record["id"], 1)
    assert caught.value.current["name"] == "b"
    assert caught.value.attempted is None
    deleted = await delete(db, orders, ANN, record["id"], 2)
    assert deleted["name"] == "b"
    with pytest.raises(NotFoundError):
        await get(db, orders, ANN, record["id"])


@pytest.mark.asyncio
async def test_missing_records_are_not_found(db, orders):
    with pytest.raises(NotFoundError) as caught:
        await update(db, orders, ANN, 12345, {"qty": 1}, 1)
    assert caught.value.to_dict() == {
        "code": "not_found",
        "message": "no record 12345 in 'crm.orders'",
        "details": {"source": "crm.orders", "pk": 12345},
    }
    with pytest.raises(NotFoundError):
        await delete(db, orders, ANN, 12345, 1)
    with pytest.raises(NotFoundError):
        await update(db, orders, ANN, "not-an-id", {"qty": 1}, 1)
    with pytest.raises(NotFoundError):
        await get(db, orders, ANN, "not-an-id")


@pytest.mark.asyncio
async def test_a_bad_version_argument_is_a_validation_error(db, orders):
    record = await create(db, orders, ANN, {"name": "a"})
    for version in (None, "1", 0, True, 1.5):
        with pytest.raises(ValidationError) as caught:
            await update(db, orders, ANN, record["id"], {"qty": 1}, version)
        assert caught.value.errors[0].field == "version"


@pytest.mark.asyncio
async def test_two_writers_with_the_same_version_one_wins(db, orders):
    record = await create(db, orders, ANN, {"name": "a", "qty": 0})
    results = await asyncio.gather(
        update(db, orders, ANN, record["id"], {"qty": 1}, 1),
        update(db, orders, ANN, record["id"], {"qty": 2}, 1),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].current == winners[0]
    assert (await get(db, orders, ANN, record["id"]))["qty"] == winners[0]["qty"]


@pytest.mark.asyncio
async def test_concurrent_read_modify_write_loses_no_update(db, orders):
    counter = await create(db, orders, ANN, {"name": "counter", "qty": 0})
    writers, increments = 20, 5
    conflicts = 0

    async def writer() -> None:
        nonlocal conflicts
        for _ in range(increments):
            current = await get(db, orders, ANN, counter["id"])
            while True:
                try:
                    await update(
                        db,
                        orders,
                        ANN,
                        counter["id"],
                        {"qty": current["qty"] + 1},
                        current["version"],
                    )
                    break
                except ConflictError as exc:
                    conflicts += 1
                    current = exc.current  # retry from what is there now

    await asyncio.gather(*(writer() for _ in range(writers)))
    final = await get(db, orders, ANN, counter["id"])
    assert final["qty"] == writers * increments
    assert final["version"] == 1 + writers * increments
    assert conflicts > 0  # the test did exercise the conflict path


@pytest.mark.asyncio
async def test_writes_grouped_in_one_transaction_commit_together(db, orders):
    async with db.transaction(user=ANN.user, tenant=ANN.tenant) as tx:
        a = await create(tx, orders, ANN, {"name": "a"})
        b = await create(tx, orders, ANN, {"name": "b"})
        await update(tx, orders, ANN, a["id"], {"qty": 1}, 1)
    assert (await get(db, orders, ANN, a["id"]))["version"] == 2
    assert (await get(db, orders, ANN, b["id"]))["name"] == "b"


@pytest.mark.asyncio
async def test_a_failure_in_a_grouped_transaction_writes_nothing(db, orders):
    before = await checksum(db, orders.table.schema)
    with pytest.raises(ValidationError):
        async with db.transaction(user=ANN.user, tenant=ANN.tenant) as tx:
            await create(tx, orders, ANN, {"name": "first"})
            await create(tx, orders, ANN, {"name": "second", "code": "X"})
            # a unique violation raised by PostgreSQL, mapped to the field
            await create(tx, orders, ANN, {"name": "third", "code": "X"})
    assert await checksum(db, orders.table.schema) == before


@pytest.mark.asyncio
async def test_a_refused_write_leaves_the_callers_transaction_usable(db, orders):
    async with db.transaction(user=ANN.user, tenant=ANN.tenant) as tx:
        await create(tx, orders, ANN, {"name": "kept", "code": "K"})
        with pytest.raises(ValidationError) as caught:
            await create(tx, orders, ANN, {"name": "dup", "code": "K"})
        assert caught.value.errors[0].field == "code"
        await create(tx, orders, ANN, {"name": "also kept"})
    names = {r["name"] for r in await db.fetch(f"SELECT name FROM {orders.table.schema}.orders")}
    assert names == {"kept", "also kept"}


@pytest.mark.asyncio
async def test_a_transaction_opened_as_someone_else_is_refused(db, orders):
    async with db.transaction(user="bob", tenant="acme") as tx:
        with pytest.raises(ValueError, match="opened as user='bob'"):
            await create(tx, orders, ANN, {"name": "a"})


@pytest.mark.asyncio
async def test_writes_set_the_change_log_identity(db, orders):
    schema = orders.table.schema
    await db.execute(
        f"""
        CREATE TABLE {schema}.seen (who text, tenant text);
        CREATE FUNCTION {schema}.remember() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {schema}.seen VALUES (current_setting('raccoon.user', true),
                                              current_setting('raccoon.tenant', true));
            RETURN NEW;
        END $$;
        CREATE TRIGGER remember AFTER INSERT OR UPDATE ON {schema}.orders
            FOR EACH ROW EXECUTE FUNCTION {schema}.remember();
        """
    )
    record = await create(db, orders, ANN, {"name": "a"})
    await update(db, orders, ANN, record["id"], {"qty": 1}, 1)
    seen = [tuple(r) for r in await db.fetch(f"SELECT who, tenant FROM {schema}.seen")]
    assert seen == [("ann", "acme"), ("ann", "acme")]


@pytest.mark.asyncio
async def test_natural_keys_are_given_on_create_only(db):
    ddl = """CREATE TABLE {s}.countries (
        code char(2) PRIMARY KEY, name text NOT NULL, version integer NOT NULL DEFAULT 1)"""
    import sqlalchemy as sa

    from raccoon.data import Permissions

    async with scratch_schema(db, ddl) as schema:
        table = sa.Table(
            "countries",
            sa.MetaData(),
            sa.Column("code", sa.CHAR(2), primary_key=True),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("version", sa.Integer, nullable=False, server_default="1"),
            schema=schema,
        )
        countries = Source("geo.countries", table, pk="code", permissions=Permissions.everyone())
        with pytest.raises(ValidationError) as caught:
            await create(db, countries, ANN, {"name": "Spain"})
        assert caught.value.errors[0].field == "code"
        assert caught.value.errors[0].code == "required"
        spain = await create(db, countries, ANN, {"code": "ES", "name": "Spain"})
        assert spain == {"code": "ES", "version": 1, "name": "Spain"}
        with pytest.raises(ValidationError) as caught:
            await update(db, countries, ANN, "ES", {"code": "SP"}, 1)
        assert caught.value.errors[0].code == "readonly"


@pytest.mark.asyncio
async def test_naive_timestamps_are_utc(db, orders):
    record = await create(db, orders, ANN, {"name": "a", "stamp": "2024-05-06T07:08:09"})
    assert record["stamp"] == "2024-05-06T07:08:09+00:00"
    stored = await db.fetchval(f"SELECT stamp FROM {orders.table.schema}.orders")
    assert stored == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


@pytest.mark.asyncio
async def test_the_system_principal_writes_anywhere_it_is_scoped(db, orders):
    system = Principal.system(tenant="acme")
    record = await create(db, orders, system, {"name": "by the system"})
    assert (await get(db, orders, ANN, record["id"]))["name"] == "by the system"
