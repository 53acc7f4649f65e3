"""Validation: field checks derived from the table, declared checks, rules, and the
database's own refusals mapped to fields — and nothing written when any fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sources_support import ANN, ORDERS_DDL, checksum, orders_source, orders_table, scratch_schema

from raccoon.data import (
    Check,
    Database,
    FieldError,
    Permissions,
    Principal,
    Source,
    ValidationError,
    create,
    delete,
    update,
)

EXTRA_DDL = """
CREATE TABLE {s}.customers (
    id serial PRIMARY KEY, version integer NOT NULL DEFAULT 1, name text NOT NULL);
CREATE TABLE {s}.invoices (
    id serial PRIMARY KEY, version integer NOT NULL DEFAULT 1,
    customer integer NOT NULL CONSTRAINT invoices_customer_fkey REFERENCES {s}.customers,
    total numeric(8, 2) NOT NULL CHECK (total > 0),
    note text,
    CONSTRAINT invoices_note_check CHECK (note <> 'forbidden'))
"""


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[Database]:
    async with Database(database, max_size=4) as db:
        yield db


@pytest_asyncio.fixture
async def schema(db: Database) -> AsyncIterator[str]:
    async with scratch_schema(db, ORDERS_DDL + ";" + EXTRA_DDL) as schema:
        yield schema


def invoice_sources(schema: str, **options: Any) -> tuple[Source, Source]:
    metadata = sa.MetaData(schema=schema)
    customers = sa.Table(
        "customers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("name", sa.Text, nullable=False),
    )
    invoices = sa.Table(
        "invoices",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column(
            "customer",
            sa.Integer,
            sa.ForeignKey(customers.c.id, name="invoices_customer_fkey"),
            nullable=False,
        ),
        sa.Column("total", sa.Numeric(8, 2), nullable=False),
        # Declared nullable here although NOT NULL in the database: the
        # database's refusal must still name the field.
        sa.Column("note", sa.Text),
        sa.CheckConstraint("note <> 'forbidden'", name="invoices_note_check"),
    )
    everyone = Permissions.everyone()
    return (
        Source("crm.customers", customers, permissions=everyone),
        Source("crm.invoices", invoices, permissions=everyone, **options),
    )


def errors_of(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str | None, str]:
    return {error.field: error.code for error in caught.value.errors}


@pytest.mark.asyncio
async def test_field_checks_collect_every_problem_and_write_nothing(db, schema):
    orders = orders_source(schema)
    before = await checksum(db, schema)
    with pytest.raises(ValidationError) as caught:
        await create(
            db,
            orders,
            ANN,
            {
                "name": "x" * 51,
                "qty": "three",
                "price": "12.345",
                "kind": "barter",
                "active": None,
                "created": "31/12/2024",
                "id": 7,
                "version": 3,
                "bogus": 1,
                "stamp": 5,
            },
        )
    assert errors_of(caught) == {
        "name": "too_long",
        "qty": "type",
        "price": "range",
        "kind": "choice",
        "active": "required",
        "created": "type",
        "id": "readonly",
        "version": "readonly",
        "bogus": "unknown",
        "stamp": "type",
    }
    messages = {error.field: error.message for error in caught.value.errors}
    assert messages["name"] == "at most 50 characters are allowed, got 51"
    assert messages["qty"] == "expected an integer, got 'three' (a string)"
    assert messages["price"] == "at most 2 decimal places are allowed, got 12.345"
    assert (
        messages["kind"]
        == "expected one of 'retail', 'wholesale', 'internal', got 'barter' (a string)"
    )
    assert messages["id"] == "is read-only: the primary key cannot be changed"
    assert caught.value.to_dict()["code"] == "validation_failed"
    assert caught.value.to_dict()["details"]["errors"][0] == {
        "field": "name",
        "message": "at most 50 characters are allowed, got 51",
        "code": "too_long",
    }
    assert await checksum(db, schema) == before


@pytest.mark.asyncio
async def test_required_fields_and_numeric_bounds(db, schema):
    orders = orders_source(schema)
    with pytest.raises(ValidationError) as caught:
        await create(db, orders, ANN, {"qty": 2**31, "price": 123456789})
    assert errors_of(caught) == {"name": "required", "qty": "range", "price": "range"}
    assert "too large: at most 8 digits before the point" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        await create(db, orders, ANN, ["not", "an", "object"])  # type: ignore[arg-type]
    assert errors_of(caught) == {None: "invalid"}
    made = await create(db, orders, ANN, {"name": "ok", "price": 99999999.99, "qty": -0.0})
    assert made["price"] == "99999999.99" and made["qty"] == 0


@pytest.mark.asyncio
async def test_server_managed_fields_are_read_only(db, schema):
    orders = orders_source(schema, server_managed=["stamp"])
    with pytest.raises(ValidationError) as caught:
        await create(db, orders, ANN, {"name": "x", "stamp": "2024-01-01T00:00:00Z"})
    assert caught.value.errors == [
        FieldError("stamp", "is read-only: it is set by the server", "readonly")
    ]


@pytest.mark.asyncio
async def test_declared_checks_see_the_whole_record(db, schema):
    orders = orders_source(
        schema,
        checks=[
            Check({"field": "qty", "op": "le", "value": 100}, "at most 100 per order"),
            Check(
                {
                    "or": [
                        {"field": "kind", "op": "ne", "value": "internal"},
                        {"field": "price", "op": "is_null", "value": True},
                    ]
                },
                "internal orders have no price",
                field="price",
            ),
        ],
    )
    with pytest.raises(ValidationError) as caught:
        await create(db, orders, ANN, {"name": "x", "qty": 101})
    assert caught.value.errors == [FieldError("qty", "at most 100 per order", "check")]
    made = await create(db, orders, ANN, {"name": "x", "price": 5, "kind": "retail"})
    before = await checksum(db, schema)
    # The update only sends `kind`; the check reads the stored price too.
    with pytest.raises(ValidationError) as caught:
        await update(db, orders, ANN, made["id"], {"kind": "internal"}, 1)
    assert caught.value.errors == [FieldError("price", "internal orders have no price", "check")]
    assert await checksum(db, schema) == before
    changed = await update(db, orders, ANN, made["id"], {"kind": "internal", "price": None}, 1)
    assert changed["kind"] == "internal"
    # NULL leaves a check unknown, which passes, as in SQL.
    await create(db, orders, ANN, {"name": "no qty"})


def test_checks_are_validated_when_the_source_is_declared():
    with pytest.raises(
        ValueError, match=r"invalid Check on source 'crm.orders': check.field: unknown field 'nope'"
    ):
        orders_source("s", checks=[Check({"field": "nope", "op": "eq", "value": 1}, "x")])


@pytest.mark.asyncio
async def test_rules_sync_and_async(db, schema):
    seen: list[tuple[dict[str, Any], Principal]] = []

    def no_shouting(record: dict[str, Any], principal: Principal) -> list[FieldError] | None:
        seen.append((record, principal))
        name = record.get("name")
        if name and name.isupper():
            return [FieldError("name", "please do not shout", "rule")]
        return None

    async def clerks_limit(record: dict[str, Any], principal: Principal) -> list[FieldError]:
        await asyncio.sleep(0)
        if "clerk" in principal.roles and (record.get("qty") or 0) > 10:
            return [FieldError("qty", "clerks order at most 10", "rule")]
        return []

    orders = orders_source(schema, rules=[no_shouting, clerks_limit])
    before = await checksum(db, schema)
    with pytest.raises(ValidationError) as caught:
        await create(db, orders, ANN, {"name": "HELLO", "qty": 11})
    assert [e.message for e in caught.value.errors] == [
        "please do not shout",
        "clerks order at most 10",
    ]
    assert seen[-1] == ({"name": "HELLO", "qty": 11, "tenant": "acme"}, ANN)
    # Rules do not run on ill-typed values.
    seen.clear()
    with pytest.raises(ValidationError):
        await create(db, orders, ANN, {"name": "ok", "qty": "many"})
    assert seen == []
    assert await checksum(db, schema) == before
    made = await create(db, orders, ANN, {"name": "hello", "qty": 10})
    # On update the rule sees the stored record merged with the change.
    with pytest.raises(ValidationError):
        await update(db, orders, ANN, made["id"], {"qty": 12}, 1)
    assert seen[-1][0]["name"] == "hello" and seen[-1][0]["qty"] == 12
    assert await update(db, orders, Principal("boss", "acme"), made["id"], {"qty": 12}, 1)


@pytest.mark.asyncio
async def test_rules_must_return_field_errors(db, schema):
    orders = orders_source(schema, rules=[lambda record, principal: "bad"])
    with pytest.raises(TypeError, match="must return a list of FieldError or None"):
        await create(db, orders, ANN, {"name": "x"})


@pytest.mark.asyncio
async def test_database_refusals_are_mapped_to_fields(db, schema):
    orders = orders_source(schema)
    customers, invoices = invoice_sources(schema)
    await create(db, orders, ANN, {"name": "a", "code": "X1"})
    before = await checksum(db, schema)
    with pytest.raises(ValidationError) as caught:
        await create(db, orders, ANN, {"name": "b", "code": "X1"})  # UNIQUE (tenant, code)
    assert caught.value.errors == [
        FieldError("code", "must be unique: another record has this value", "unique")
    ]
    with pytest.raises(ValidationError) as caught:
        await create(db, orders, ANN, {"name": "b", "qty": -1})  # CHECK (qty >= 0)
    assert caught.value.errors == [
        FieldError("qty", "is not valid (constraint 'orders_qty_check' failed)", "check")
    ]
    assert await checksum(db, schema) == before
    with pytest.raises(ValidationError) as caught:
        await create(db, invoices, ANN, {"customer": 999, "total": 5})
    assert caught.value.errors == [
        FieldError("customer", "refers to a record that does not exist", "reference")
    ]
    customer = await create(db, customers, ANN, {"name": "Acme"})
    with pytest.raises(ValidationError) as caught:
        await create(db, invoices, ANN, {"customer": customer["id"], "total": 0})
    assert errors_of(caught) == {"total": "check"}  # PostgreSQL named it invoices_total_check
    with pytest.raises(ValidationError) as caught:
        await create(
            db, invoices, ANN, {"customer": customer["id"], "total": 1, "note": "forbidden"}
        )
    assert errors_of(caught) == {"note": "check"}
    invoice = await create(db, invoices, ANN, {"customer": customer["id"], "total": 1})
    with pytest.raises(ValidationError) as caught:
        await delete(db, customers, ANN, customer["id"], 1)
    assert errors_of(caught) == {None: "referenced"}
    assert "still referenced by records of 'invoices'" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        await update(db, invoices, ANN, invoice["id"], {"customer": 12345}, 1)
    assert errors_of(caught) == {"customer": "reference"}


@pytest.mark.asyncio
async def test_not_null_from_the_database_and_declared_constraint_errors(db, schema):
    await db.execute(f"ALTER TABLE {schema}.invoices ALTER COLUMN note SET NOT NULL")
    _, invoices = invoice_sources(
        schema,
        constraint_errors={
            "invoices_customer_fkey": FieldError("customer", "pick an existing customer")
        },
    )
    with pytest.raises(ValidationError) as caught:
        await create(db, invoices, ANN, {"customer": 1, "total": 1, "note": "n"})
    assert caught.value.errors == [FieldError("customer", "pick an existing customer")]
    customers, _ = invoice_sources(schema)
    customer = await create(db, customers, ANN, {"name": "Acme"})
    with pytest.raises(ValidationError) as caught:
        await create(db, invoices, ANN, {"customer": customer["id"], "total": 1})
    assert errors_of(caught) == {"note": "required"}


@pytest.mark.asyncio
async def test_a_failed_write_in_a_group_rolls_back_the_group(db, schema):
    orders = orders_source(schema)
    before = await checksum(db, schema)
    with pytest.raises(ValidationError):
        async with db.transaction(user=ANN.user, tenant=ANN.tenant) as tx:
            first = await create(tx, orders, ANN, {"name": "first"})
            await update(tx, orders, ANN, first["id"], {"qty": 3}, 1)
            await create(tx, orders, ANN, {"name": None})  # refused before any SQL
    assert await checksum(db, schema) == before


def test_describe_reports_what_forms_need():
    described = orders_source("s").describe()
    fields = {field["name"]: field for field in described["fields"]}
    assert fields["name"] == {
        "name": "name",
        "type": {"kind": "text", "max_length": 50},
        "nullable": False,
        "readonly": False,
        "required": True,
    }
    assert fields["id"]["readonly"] and not fields["id"]["required"]
    assert fields["active"]["required"] is False  # it has a default
    assert fields["price"]["type"] == {"kind": "numeric", "precision": 10, "scale": 2}
    assert fields["kind"]["type"]["choices"] == ["retail", "wholesale", "internal"]
    assert "tenant" not in fields
    assert orders_table("s").c.tenant is not None
