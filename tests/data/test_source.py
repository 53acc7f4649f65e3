"""Sources: declaration checks, the catalog, exposed fields, selectables, reads,
and values in and out of every common column type."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sources_support import ANN, orders_source, orders_table, scratch_schema

from raccoon.data import (
    Catalog,
    Database,
    FilterError,
    NotFoundError,
    Permissions,
    Source,
    ValidationError,
    count,
    create,
    delete,
    get,
    read,
    update,
)

EVERYONE = Permissions.everyone()


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[Database]:
    async with Database(database, max_size=4) as db:
        yield db


@pytest_asyncio.fixture
async def schema(db: Database) -> AsyncIterator[str]:
    async with scratch_schema(db) as schema:
        yield schema


# -- declaration -----------------------------------------------------------------------


def plain_table(*extra: sa.Column[object], name: str = "t") -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), *extra)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Source("crm orders", orders_table("s")), "must be dotted identifiers"),
        (lambda: Source("crm.", orders_table("s")), "must be dotted identifiers"),
        (lambda: Source("x", orders_table("s"), pk="key"), "pk names 'key', which is not a column"),
        (lambda: Source("x", plain_table()), "no version column 'version'; writable sources need"),
        (
            lambda: Source("x", orders_table("s"), tenant_column="org"),
            "tenant_column names 'org'",
        ),
        (lambda: Source("x", orders_table("s"), fields=["name", "nope"]), "fields names 'nope'"),
        (
            # A view of a tenant table must keep the tenant column: no silent unscoping.
            lambda: Source(
                "x",
                orders_table("s"),
                selectable=sa.select(
                    orders_table("s").c.id, orders_table("s").c.version
                ).subquery(),
            ),
            "tenant_column names 'tenant', which is not a column",
        ),
        (
            lambda: Source("x", orders_table("s"), server_managed=["nope"]),
            "server_managed names 'nope'",
        ),
        (
            lambda: Source(
                "x", sa.select(orders_table("s")).subquery(), selectable=orders_table("s")
            ),
            "selectable= needs a writable Table",
        ),
    ],
)
def test_declaration_mistakes_are_explained(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_declaration_defaults():
    orders = Source("crm.orders", orders_table("s"))
    assert orders.tenant_column == "tenant" and orders.scoped
    assert orders.version_column == "version" and orders.pk == "id"
    assert list(orders.fields)[:2] == ["id", "version"]
    assert "tenant" not in orders.fields
    assert orders.defined_at.endswith("test_source.py:" + str(orders.defined_at.split(":")[-1]))
    assert "test_source.py" in repr(orders)
    unscoped = Source("x", orders_table("s"), tenant_column=None)
    assert not unscoped.scoped and "tenant" in unscoped.fields
    no_tenant = Source("x", plain_table(sa.Column("version", sa.Integer)))
    assert no_tenant.tenant_column is None and not no_tenant.scoped
    view = Source("x", plain_table(sa.Column("name", sa.Text)).select().subquery("v"))
    assert view.readonly and view.version_column is None
    with pytest.raises(TypeError, match="fields must be a list"):
        Source("x", orders_table("s"), fields="name")
    narrow = Source("x", orders_table("s"), fields=["name"])
    assert list(narrow.fields) == ["id", "version", "name"]


def test_the_catalog():
    orders = Source("crm.orders", orders_table("s"))
    catalog = Catalog([orders])
    notes = catalog.add(Source("crm.notes", plain_table(sa.Column("version", sa.Integer))))
    assert catalog["crm.orders"] is orders and catalog.get("crm.notes") is notes
    assert catalog.get("nope") is None
    assert "crm.notes" in catalog and len(catalog) == 2
    assert [s.name for s in catalog] == ["crm.orders", "crm.notes"]
    assert catalog.names() == ["crm.notes", "crm.orders"]
    with pytest.raises(
        KeyError, match=r"no source named 'crm\.order'; registered sources: crm\.notes, crm\.orders"
    ):
        catalog["crm.order"]
    again = Source("crm.orders", orders_table("s"))
    with pytest.raises(ValueError) as caught:
        catalog.add(again)
    message = str(caught.value)
    assert message.startswith("a source named 'crm.orders' is already registered (defined at ")
    assert orders.defined_at in message and again.defined_at in message
    with pytest.raises(TypeError):
        catalog.add("crm.x")  # type: ignore[arg-type]


# -- reading ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_read_count_get(db, schema):
    orders = orders_source(schema)
    for i in range(30):
        await create(db, orders, ANN, {"name": f"n{i:02}", "qty": i % 4})
    rows = await read(
        db,
        orders,
        ANN,
        filters={"field": "qty", "op": "eq", "value": 2},
        sort=["-name"],
        offset=1,
        limit=3,
    )
    assert [row["name"] for row in rows] == ["n22", "n18", "n14"]
    assert await count(db, orders, ANN, filters={"field": "qty", "op": "eq", "value": 2}) == 7
    assert await get(db, orders, ANN, rows[0]["id"]) == rows[0]
    assert await read(db, orders, ANN, limit=0) == []
    parsed = orders.filter({"field": "qty", "op": "gt", "value": 2})
    assert orders.filter(parsed) is parsed
    assert len(await read(db, orders, ANN, filters=parsed)) == 7
    with pytest.raises(NotFoundError):
        await get(db, orders, ANN, 10_000)


@pytest.mark.asyncio
async def test_hidden_columns_are_not_read_filtered_or_written(db, schema):
    narrow = orders_source(schema, fields=["name", "qty"])
    made = await create(db, narrow, ANN, {"name": "a", "qty": 1})
    assert made == {"id": made["id"], "version": 1, "name": "a", "qty": 1}
    with pytest.raises(FilterError, match="unknown field 'owner'"):
        await read(db, narrow, ANN, filters={"field": "owner", "op": "eq", "value": "x"})
    with pytest.raises(ValidationError) as caught:
        await update(db, narrow, ANN, made["id"], {"owner": "x"}, 1)
    assert caught.value.errors[0].code == "unknown"


@pytest.mark.asyncio
async def test_a_selectable_adds_read_only_computed_columns(db, schema):
    table = orders_table(schema)
    view = sa.select(
        table,
        (table.c.qty * table.c.price).label("total"),
        sa.func.upper(table.c.name).label("shout"),
    ).subquery("orders_view")
    orders = Source("crm.orders", table, selectable=view, permissions=EVERYONE)
    made = await create(db, orders, ANN, {"name": "abc", "qty": 3, "price": "1.50"})
    assert made["total"] == "4.50" and made["shout"] == "ABC"
    changed = await update(db, orders, ANN, made["id"], {"qty": 4}, 1)
    assert changed["total"] == "6.00"
    rows = await read(
        db, orders, ANN, filters={"field": "total", "op": "gt", "value": 5}, sort=["-total"]
    )
    assert [row["id"] for row in rows] == [made["id"]]
    with pytest.raises(ValidationError) as caught:
        await update(db, orders, ANN, made["id"], {"total": 1}, 2)
    assert caught.value.errors[0].message == "is read-only: it is computed"
    deleted = await delete(db, orders, ANN, made["id"], 2)
    assert deleted["shout"] == "ABC"


@pytest.mark.asyncio
async def test_read_only_selectable_sources(db, schema):
    table = orders_table(schema)
    per_owner = (
        sa.select(table.c.owner.label("id"), table.c.tenant, sa.func.count().label("orders"))
        .group_by(table.c.owner, table.c.tenant)
        .subquery("per_owner")
    )
    stats = Source("crm.per_owner", per_owner, permissions=EVERYONE)
    assert stats.readonly and stats.scoped
    for owner in ("a", "a", "b"):
        await create(db, orders_source(schema), ANN, {"name": "x", "owner": owner})
    rows = await read(db, stats, ANN, sort=["-orders"])
    assert rows == [{"id": "a", "orders": 2}, {"id": "b", "orders": 1}]


# -- values in and out -----------------------------------------------------------------

TYPES_DDL = """
CREATE TABLE {s}.things (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version integer NOT NULL DEFAULT 1,
    data jsonb,
    wait interval,
    blob bytea,
    tags text[],
    at time,
    ratio double precision,
    local timestamp,
    big bigint,
    small smallint
)
"""


def things_table(schema: str) -> sa.Table:
    from sqlalchemy.dialects import postgresql as pg

    return sa.Table(
        "things",
        sa.MetaData(),
        sa.Column("id", sa.Uuid, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("data", pg.JSONB),
        sa.Column("wait", sa.Interval),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("tags", pg.ARRAY(sa.Text)),
        sa.Column("at", sa.Time),
        sa.Column("ratio", sa.Float),
        sa.Column("local", sa.DateTime),
        sa.Column("big", sa.BigInteger),
        sa.Column("small", sa.SmallInteger),
        schema=schema,
    )


@pytest.mark.asyncio
async def test_values_of_every_common_type_round_trip_as_json(db):
    async with scratch_schema(db, TYPES_DDL) as schema:
        things = Source("lab.things", things_table(schema), permissions=EVERYONE)
        values = {
            "data": {"a": [1, 2, {"b": None}]},
            "wait": 90.5,
            "blob": "aGVsbG8=",
            "tags": ["x", "y"],
            "at": "12:30:00",
            "ratio": 0.25,
            "local": "2024-01-02T03:04:05+01:00",
            "big": 2**62,
            "small": -5,
        }
        made = await create(db, things, ANN, values)
        json.dumps(made)
        assert made == {"id": made["id"], "version": 1, **values, "local": "2024-01-02T02:04:05"}
        assert len(made["id"]) == 36
        assert await get(db, things, ANN, made["id"]) == made
        assert await get(db, things, ANN, made["id"].upper()) == made
        with pytest.raises(NotFoundError):
            await get(db, things, ANN, "not-a-uuid")
        rows = await read(db, things, ANN, filters={"field": "id", "op": "eq", "value": made["id"]})
        assert rows == [made]
        with pytest.raises(
            FilterError, match="operator 'eq' does not apply to field 'data' \\(json\\)"
        ):
            things.filter({"field": "data", "op": "eq", "value": 1})
        assert things.filter({"field": "data", "op": "is_null", "value": False})
        with pytest.raises(FilterError, match="cannot be sorted on"):
            things.sort(["data"])
        with pytest.raises(ValidationError) as caught:
            await create(
                db,
                things,
                ANN,
                {
                    "small": 40000,
                    "big": 2**63,
                    "blob": "***",
                    "tags": ["x", 1],
                    "wait": "1h",
                    "at": "noon",
                    "ratio": "1",
                },
            )
        messages = {error.field: error.message for error in caught.value.errors}
        assert messages == {
            "small": "40000 is out of range for a 16-bit integer",
            "big": "9223372036854775808 is out of range for a 64-bit integer",
            "blob": "expected base64-encoded bytes, got '***' (a string)",
            "tags": "item 1: expected a string, got 1 (an integer)",
            "wait": "expected a duration in seconds, got '1h' (a string)",
            "at": "expected a time 'HH:MM[:SS]', got 'noon' (a string)",
            "ratio": "expected a number, got '1' (a string)",
        }
