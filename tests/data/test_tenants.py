"""Tenant isolation: a principal never sees, counts, changes or deletes another
tenant's rows, whatever it sends; crossing tenants takes ``unscoped()``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sources_support import ANN, BOB, checksum, orders_source, scratch_schema

from raccoon.data import (
    Database,
    FilterError,
    NotFoundError,
    PermissionDenied,
    Principal,
    Source,
    ValidationError,
    count,
    create,
    delete,
    get,
    read,
    update,
)


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[Database]:
    async with Database(database, max_size=4) as db:
        yield db


@pytest_asyncio.fixture
async def orders(db: Database) -> AsyncIterator[Source]:
    async with scratch_schema(db) as schema:
        source = orders_source(schema)
        for i in range(5):
            await create(db, source, ANN, {"name": f"acme {i}", "qty": i, "code": f"A{i}"})
            await create(db, source, BOB, {"name": f"globex {i}", "qty": i, "code": f"A{i}"})
        yield source


async def globex_rows(db: Database, orders: Source) -> list[dict[str, Any]]:
    return await read(db, orders, BOB)


TRICKS: list[Any] = [
    None,
    {"or": [{"field": "id", "op": "gt", "value": 0}, {"field": "id", "op": "le", "value": 0}]},
    {"not": {"field": "id", "op": "is_null", "value": True}},
    {"or": [{"field": "name", "op": "startswith", "value": "globex"}]},
    {"field": "name", "op": "like", "value": "%"},
    [{"or": [{"field": "qty", "op": "ge", "value": 0}]}, {"or": [{"not": {"or": []}}]}],
]


@pytest.mark.asyncio
@pytest.mark.parametrize("spec", TRICKS)
async def test_reads_see_only_the_principals_tenant(db, orders, spec):
    rows = await read(db, orders, ANN, filters=spec)
    assert all(row["name"].startswith("acme") for row in rows)
    assert await count(db, orders, ANN, filters=spec) == len(rows)
    # And the other way round: globex sees exactly its own.
    theirs = await read(db, orders, BOB, filters=spec)
    assert all(row["name"].startswith("globex") for row in theirs)
    assert len(rows) + len(theirs) == (10 if spec != TRICKS[3] else 5)


@pytest.mark.asyncio
async def test_other_tenants_rows_are_not_found_for_any_operation(db, orders):
    before = await checksum(db, orders.table.schema)
    for row in await globex_rows(db, orders):
        by_id = {"field": "id", "op": "eq", "value": row["id"]}
        assert await read(db, orders, ANN, filters=by_id) == []
        assert await count(db, orders, ANN, filters=by_id) == 0
        with pytest.raises(NotFoundError):
            await get(db, orders, ANN, row["id"])
        with pytest.raises(NotFoundError):
            await update(db, orders, ANN, row["id"], {"qty": 99}, row["version"])
        with pytest.raises(NotFoundError) as caught:
            await delete(db, orders, ANN, row["id"], row["version"])
        # The same answer as for a record that does not exist at all.
        assert str(caught.value) == f"no record {row['id']} in 'crm.orders'"
    assert await checksum(db, orders.table.schema) == before


@pytest.mark.asyncio
async def test_the_tenant_column_is_neither_filterable_nor_sortable_nor_writable(db, orders):
    with pytest.raises(FilterError, match="unknown field 'tenant'"):
        await read(db, orders, ANN, filters={"field": "tenant", "op": "eq", "value": "globex"})
    with pytest.raises(FilterError, match="unknown field 'tenant'"):
        await read(db, orders, ANN, sort=["tenant"])
    with pytest.raises(ValidationError) as caught:
        await create(db, orders, ANN, {"name": "x", "tenant": "globex"})
    assert caught.value.errors[0].to_dict() == {
        "field": "tenant",
        "message": "unknown field",
        "code": "unknown",
    }


@pytest.mark.asyncio
async def test_an_exposed_tenant_column_is_readable_but_scoping_still_applies(db, orders):
    exposed = orders_source(orders.table.schema, fields=["name", "tenant"])
    spec = {
        "or": [
            {"field": "tenant", "op": "eq", "value": "globex"},
            {"field": "id", "op": "lt", "value": 0},
        ]
    }
    assert await read(db, exposed, ANN, filters=spec) == []
    rows = await read(db, exposed, ANN, sort=["-tenant"])
    assert {row["tenant"] for row in rows} == {"acme"}
    with pytest.raises(ValidationError) as caught:
        await update(db, exposed, ANN, rows[0]["id"], {"tenant": "globex"}, rows[0]["version"])
    assert caught.value.errors[0].code == "readonly"
    assert "set from the principal" in caught.value.errors[0].message


@pytest.mark.asyncio
async def test_keyset_anchors_from_another_tenant_reveal_nothing(db, orders):
    other = (await globex_rows(db, orders))[0]
    rows = await read(db, orders, ANN, sort=["name"], after=other)
    assert all(row["name"].startswith("acme") for row in rows)


@pytest.mark.asyncio
async def test_creates_are_stamped_with_the_principals_tenant(db, orders):
    made = await create(db, orders, BOB, {"name": "new"})
    assert (
        await db.fetchval(
            f"SELECT tenant FROM {orders.table.schema}.orders WHERE id = $1", made["id"]
        )
        == "globex"
    )
    with pytest.raises(NotFoundError):
        await get(db, orders, ANN, made["id"])


@pytest.mark.asyncio
async def test_a_principal_without_tenant_cannot_use_a_scoped_source(db, orders):
    nobody = Principal("carl", None, roles={"clerk"})
    for attempt in (
        read(db, orders, nobody),
        count(db, orders, nobody),
        create(db, orders, nobody, {"name": "x"}),
        read(db, orders, Principal.system()),  # not even the system principal
    ):
        with pytest.raises(PermissionDenied, match=r"no tenant.*source\.unscoped\(\)"):
            await attempt


@pytest.mark.asyncio
async def test_unscoped_sources_cross_tenants_explicitly(db, orders):
    everywhere = orders.unscoped()
    assert orders.scoped and not everywhere.scoped
    admin = Principal.system()
    rows = await read(db, everywhere, admin, sort=["tenant", "name"])
    assert len(rows) == 10
    assert {row["tenant"] for row in rows} == {"acme", "globex"}
    spec = {"field": "tenant", "op": "eq", "value": "globex"}
    assert await count(db, everywhere, admin, filters=spec) == 5
    # Creating needs a tenant: from the values, or from the principal.
    with pytest.raises(ValidationError) as caught:
        await create(db, everywhere, admin, {"name": "orphan"})
    assert caught.value.errors[0].field == "tenant"
    made = await create(db, everywhere, admin, {"name": "for initech", "tenant": "initech"})
    assert made["tenant"] == "initech"
    changed = await update(db, everywhere, admin, made["id"], {"qty": 4}, 1)
    assert changed["qty"] == 4 and changed["tenant"] == "initech"
    with pytest.raises(ValidationError):
        await update(db, everywhere, admin, made["id"], {"tenant": "acme"}, 2)
    await delete(db, everywhere, admin, made["id"], 2)
    # The original is untouched.
    assert orders.scoped
    with pytest.raises(FilterError):
        orders.filter(spec)


@pytest.mark.asyncio
async def test_unscoped_still_applies_permissions(db, orders):
    closed = orders_source(orders.table.schema, permissions=None).unscoped()
    with pytest.raises(PermissionDenied):
        await read(db, closed, ANN)


def test_change_rows_of_other_tenants_are_not_viewable():
    source = orders_source("s")
    assert source.can_view_row(ANN, {"id": 1, "tenant": "acme", "name": "x"})
    assert not source.can_view_row(ANN, {"id": 1, "tenant": "globex", "name": "x"})
    assert not source.can_view_row(ANN, {"id": 1, "name": "no tenant in the row"})
    assert not source.can_view_row(Principal("carl", None), {"id": 1, "tenant": "acme"})
    assert source.unscoped().can_view_row(ANN, {"id": 1, "tenant": "globex"})


def test_principals():
    ann = Principal(
        "ann", "acme", roles=["clerk", "acme:manager", "globex:owner"], groups={"sales"}
    )
    assert ann.roles == frozenset({"clerk", "acme:manager", "globex:owner"})
    assert ann.principals == {
        "everyone",
        "user:ann",
        "group:sales",
        "role:clerk",
        "role:acme:manager",
        "role:globex:owner",
        "tenant:acme",
        "tenant_role:manager",
    }
    assert hash(ann) == hash(
        Principal("ann", "acme", roles={"clerk", "acme:manager", "globex:owner"}, groups=["sales"])
    )
    with pytest.raises(AttributeError):
        ann.tenant = "globex"  # type: ignore[misc]
    with pytest.raises(ValueError, match="non-empty user"):
        Principal("", "acme")
    with pytest.raises(ValueError, match="tenant"):
        Principal("ann", "")
    with pytest.raises(TypeError, match="not the string"):
        Principal("ann", "acme", roles="admin")  # type: ignore[arg-type]
    system = Principal.system()
    assert system.is_system and system.tenant is None and system.user == "system"
    assert "is_system=True" in repr(system)
