"""Permissions: grants per operation, row rules, denial changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sources_support import ANN, BOB, checksum, orders_source, scratch_schema

from raccoon.data import (
    Database,
    NotFoundError,
    PermissionDenied,
    Permissions,
    Principal,
    count,
    create,
    delete,
    get,
    read,
    update,
)

CLERK = Principal("cleo", "acme", roles={"clerk"})
MANAGER = Principal("max", "acme", roles={"acme:manager"})
VISITOR = Principal("vic", "acme")
SALES = Principal("sam", "acme", groups={"sales"})


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[Database]:
    async with Database(database, max_size=4) as db:
        yield db


@pytest_asyncio.fixture
async def schema(db: Database) -> AsyncIterator[str]:
    async with scratch_schema(db) as schema:
        yield schema


def own_rows(t: sa.FromClause, p: Principal) -> sa.ColumnElement[bool]:
    return t.c.owner == p.user


# -- declaration -----------------------------------------------------------------------


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="unknown operation 'read'"):
        Permissions({"read": ["everyone"]})
    with pytest.raises(TypeError, match="not the string 'everyone'"):
        Permissions({"view": "everyone"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="'admin', which is not a principal name"):
        Permissions({"view": ["admin"]})
    with pytest.raises(ValueError, match="unknown operation 'update' in row rules"):
        Permissions({}, rows={"update": own_rows})
    with pytest.raises(TypeError, match="must be callable"):
        Permissions({}, rows={"edit": "owner = user"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="unknown operation"):
        Permissions.everyone().allows(ANN, "read")


def test_grants():
    permissions = Permissions(
        {
            "view": ["everyone"],
            "create": ["role:clerk", "group:sales"],
            "edit": ["tenant_role:manager", "user:vic"],
            "delete": ["tenant:globex"],
            "*": ["user:root"],
        }
    )
    assert all(permissions.allows(p, "view") for p in (ANN, CLERK, MANAGER, VISITOR, SALES))
    assert [
        p.user for p in (CLERK, MANAGER, VISITOR, SALES) if permissions.allows(p, "create")
    ] == [
        "cleo",
        "sam",
    ]
    assert permissions.allows(MANAGER, "edit") and permissions.allows(VISITOR, "edit")
    # A tenant role counts only in its tenant.
    assert not permissions.allows(Principal("max", "globex", roles={"acme:manager"}), "edit")
    assert permissions.allows(BOB, "delete") and not permissions.allows(ANN, "delete")
    root = Principal("root", "x")
    assert all(permissions.allows(root, op) for op in ("view", "create", "edit", "delete"))
    assert permissions.granted_to("create") == {"role:clerk", "group:sales", "user:root"}
    nobody = Permissions.nobody()
    assert not nobody.allows(ANN, "view")
    assert nobody.allows(Principal.system(tenant="acme"), "delete")


# -- enforcement -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_source_without_permissions_is_closed(db, schema):
    closed = orders_source(schema, permissions=None)
    with pytest.raises(PermissionDenied) as caught:
        await read(db, closed, ANN)
    assert caught.value.to_dict() == {
        "code": "permission_denied",
        "message": "'ann' may not view records of 'crm.orders': no permission of the source "
        "grants it to this user, their groups or roles",
        "details": {"source": "crm.orders", "operation": "view", "pk": None},
    }
    system = Principal.system(tenant="acme")
    made = await create(db, closed, system, {"name": "by the system"})
    assert (await get(db, closed, system, made["id"]))["name"] == "by the system"


@pytest.mark.asyncio
async def test_denied_operations_change_nothing(db, schema):
    viewer = orders_source(
        schema, permissions=Permissions({"view": ["everyone"], "*": ["role:clerk"]})
    )
    record = await create(db, viewer, CLERK, {"name": "a"})
    before = await checksum(db, schema)
    assert len(await read(db, viewer, VISITOR)) == 1
    assert await count(db, viewer, VISITOR) == 1
    for attempt, operation in (
        (create(db, viewer, VISITOR, {"name": "b"}), "create"),
        (update(db, viewer, VISITOR, record["id"], {"name": "b"}, 1), "edit"),
        (delete(db, viewer, VISITOR, record["id"], 1), "delete"),
        # Denied before anything else is looked at: no hint whether 12345 exists.
        (update(db, viewer, VISITOR, 12345, {"bogus": 1}, 1), "edit"),
    ):
        with pytest.raises(PermissionDenied) as caught:
            await attempt
        assert caught.value.operation == operation
        assert f"may not {operation} records of 'crm.orders'" in str(caught.value)
    assert await checksum(db, schema) == before


@pytest.mark.asyncio
async def test_view_denied_covers_select_count_and_get(db, schema):
    writers = orders_source(schema, permissions=Permissions({"create": ["everyone"]}))
    made = await create(db, writers, ANN, {"name": "a"})
    for attempt in (
        read(db, writers, ANN),
        count(db, writers, ANN),
        get(db, writers, ANN, made["id"]),
    ):
        with pytest.raises(PermissionDenied, match="may not view"):
            await attempt
    with pytest.raises(PermissionDenied):
        writers.select(ANN)


@pytest.mark.asyncio
async def test_owner_only_edit_and_delete(db, schema):
    owned = orders_source(
        schema,
        permissions=Permissions.everyone(rows={"edit": own_rows, "delete": own_rows}),
    )
    mine = await create(db, owned, ANN, {"name": "mine", "owner": "ann"})
    theirs = await create(db, owned, ANN, {"name": "theirs", "owner": "someone"})
    assert (await update(db, owned, ANN, mine["id"], {"qty": 1}, 1))["version"] == 2
    before = await checksum(db, schema)
    with pytest.raises(PermissionDenied) as caught:
        await update(db, owned, ANN, theirs["id"], {"qty": 1}, 1)
    assert caught.value.pk == theirs["id"]
    assert "a row rule of the source forbids it" in str(caught.value)
    with pytest.raises(PermissionDenied):
        await delete(db, owned, ANN, theirs["id"], 1)
    # Forbidden wins over a stale version: the version is not the problem.
    with pytest.raises(PermissionDenied):
        await update(db, owned, ANN, theirs["id"], {"qty": 1}, 7)
    assert await checksum(db, schema) == before
    assert (await delete(db, owned, ANN, mine["id"], 2))["name"] == "mine"


@pytest.mark.asyncio
async def test_view_rules_hide_rows_everywhere(db, schema):
    private = orders_source(schema, permissions=Permissions.everyone(rows={"view": own_rows}))
    system = Principal.system(tenant="acme")
    hidden = await create(db, private, system, {"name": "hidden", "owner": "someone"})
    shown = await create(db, private, system, {"name": "shown", "owner": "ann"})
    assert [row["id"] for row in await read(db, private, ANN)] == [shown["id"]]
    assert await count(db, private, ANN) == 1
    before = await checksum(db, schema)
    for attempt in (
        get(db, private, ANN, hidden["id"]),
        update(db, private, ANN, hidden["id"], {"qty": 1}, 1),
        delete(db, private, ANN, hidden["id"], 1),
    ):
        with pytest.raises(NotFoundError):  # hidden, not forbidden: existence does not leak
            await attempt
    assert await checksum(db, schema) == before
    assert await count(db, private, system) == 2  # no row rules for the system principal


@pytest.mark.asyncio
async def test_create_rules_check_the_new_row(db, schema):
    own = orders_source(schema, permissions=Permissions.everyone(rows={"create": own_rows}))
    assert (await create(db, own, ANN, {"name": "ok", "owner": "ann"}))["owner"] == "ann"
    before = await checksum(db, schema)
    with pytest.raises(PermissionDenied, match="may not create this record"):
        await create(db, own, ANN, {"name": "forged", "owner": "bob"})
    assert await checksum(db, schema) == before


@pytest.mark.asyncio
async def test_row_rules_may_depend_on_the_principal(db, schema):
    def managers_see_all(t: sa.FromClause, p: Principal) -> sa.ColumnElement[bool] | bool:
        return True if "tenant_role:manager" in p.principals else t.c.owner == p.user

    source = orders_source(
        schema, permissions=Permissions.everyone(rows={"view": managers_see_all})
    )
    system = Principal.system(tenant="acme")
    await create(db, source, system, {"name": "a", "owner": "cleo"})
    await create(db, source, system, {"name": "b", "owner": "other"})
    assert await count(db, source, MANAGER) == 2
    assert await count(db, source, CLERK) == 1
    falsy = orders_source(
        schema, permissions=Permissions.everyone(rows={"view": lambda t, p: False})
    )
    assert await count(db, falsy, CLERK) == 0
    broken = orders_source(
        schema, permissions=Permissions.everyone(rows={"view": lambda t, p: "x"})
    )
    with pytest.raises(TypeError, match="must return a SQLAlchemy condition"):
        broken.select(CLERK)


@pytest.mark.asyncio
async def test_read_only_sources_refuse_writes(db, schema):
    frozen = orders_source(schema, readonly=True)
    with pytest.raises(PermissionDenied, match="is read-only"):
        await create(db, frozen, ANN, {"name": "x"})
    assert await read(db, frozen, ANN) == []


def test_can_view_row_for_change_notifications():
    def rule(t: sa.FromClause, p: Principal) -> sa.ColumnElement[bool]:
        return sa.or_(t.c.owner == p.user, sa.and_(t.c.qty > 10, t.c.kind.in_(["retail"])))

    source = orders_source(
        "s", permissions=Permissions({"view": ["role:clerk"]}, rows={"view": rule})
    )
    row = {"id": 1, "tenant": "acme", "owner": "cleo", "qty": 1, "kind": "internal"}
    assert source.can_view_row(CLERK, row)
    assert not source.can_view_row(VISITOR, row)  # no view grant
    assert not source.can_view_row(CLERK, {**row, "owner": "other"})
    assert source.can_view_row(CLERK, {**row, "owner": "other", "qty": 11, "kind": "retail"})
    assert not source.can_view_row(CLERK, {**row, "owner": None, "qty": None})
    assert not source.can_view_row(CLERK, {**row, "tenant": "globex"})
    assert source.can_view_row(Principal.system(tenant="acme"), {**row, "owner": "x"})
    unsupported = orders_source(
        "s",
        permissions=Permissions.everyone(
            rows={"view": lambda t, p: sa.func.lower(t.c.owner) == p.user}
        ),
    )
    with pytest.raises(ValueError, match="cannot be decided on a row in Python"):
        unsupported.can_view_row(ANN, row)


@pytest.mark.parametrize(
    ("rule", "row", "visible"),
    [
        (lambda t, p: t.c.qty.between(1, 5), {"qty": 3}, True),
        (lambda t, p: t.c.qty.between(1, 5), {"qty": 6}, False),
        (lambda t, p: t.c.note.is_(None), {"note": None}, True),
        (lambda t, p: t.c.note.is_not(None), {"note": None}, False),
        (lambda t, p: t.c.active, {"active": True}, True),
        (lambda t, p: sa.not_(t.c.active), {"active": True}, False),
        (lambda t, p: t.c.active.is_(True), {"active": None}, False),
        (lambda t, p: 5 < t.c.qty, {"qty": 6}, True),
        (lambda t, p: t.c.name.like("a%"), {"name": "abc"}, True),
        (lambda t, p: t.c.name.ilike("A%"), {"name": "abc"}, True),
        (lambda t, p: t.c.qty.not_in([1, 2]), {"qty": 2}, False),
        (lambda t, p: t.c.created >= "2024-01-01", {"created": "2024-02-01"}, True),
        (lambda t, p: t.c.price > 2, {"price": "2.50"}, True),
        (lambda t, p: sa.not_(sa.or_(t.c.qty == 1, t.c.qty == 2)), {"qty": 3}, True),
        (lambda t, p: sa.true(), {}, True),
    ],
)
def test_row_rules_evaluate_in_python_like_sql(rule, row, visible):
    source = orders_source("s", permissions=Permissions.everyone(rows={"view": rule}))
    assert source.can_view_row(ANN, {"tenant": "acme", **row}) is visible
