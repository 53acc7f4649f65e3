"""Hostile and oversized input, oversized answers, and references across tenants.

Every endpoint of the data layer refuses an oversized or malformed argument
before working on it, quotes at most a bounded piece of it back, answers
within what the transport carries, and never lets a principal point a record
at a row it cannot see.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
import sqlalchemy as sa
from changelog_support import fresh_database
from sources_support import ANN, BOB, checksum, orders_source, scratch_schema

from raccoon.data import (
    ChangeFeed,
    Cursor,
    Database,
    DataError,
    DetailCursor,
    FilterError,
    NotFoundError,
    Permissions,
    Principal,
    RequestError,
    Source,
    ValidationError,
    create,
    delete,
    get,
    track_table,
    update,
    upgrade,
)
from raccoon.node import Path, RPCError, WAMPNode

#: What the router carries in one message (its payload limit): no answer may come near it.
TRANSPORT = 1024 * 1024
#: The most of a client's input an error may quote back.
QUOTED = 2000

UNIT = orders_source("s")


def wire_size(value: Any) -> int:
    """The size of ``value`` as the JSON a transport would send (UTF-8, compact)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8"))


def filter_problem(spec: Any) -> FilterError:
    with pytest.raises(FilterError) as err:
        UNIT.filter(spec)
    return err.value


def assert_sendable(exc: DataError) -> None:
    """The error goes out whole: short, JSON-able, valid UTF-8."""
    body = exc.to_dict()
    assert wire_size(body) < QUOTED, str(exc)[:300]


# -- filters: every level counts, sizes are bounded before recursing --------------------


def nested_lists(depth: int) -> Any:
    spec: Any = {"field": "qty", "op": "eq", "value": 1}
    for _ in range(depth - 1):
        spec = [spec]
    return spec


@pytest.mark.parametrize("depth", [11, 60, 400, 5000])
def test_nested_lists_count_as_levels(depth):
    error = filter_problem(nested_lists(depth))
    assert "at most 10 levels deep" in str(error)
    assert_sendable(error)


def test_ten_levels_of_lists_and_objects_still_pass():
    UNIT.filter(nested_lists(10))
    spec: Any = {"field": "qty", "op": "eq", "value": 1}
    for level in range(9):
        spec = [spec] if level % 2 else {"and": [spec]}
    UNIT.filter(spec)


@pytest.mark.parametrize(
    "spec",
    [
        # deep lists where a value goes: refused, never a RecursionError
        {"field": "qty", "op": "in", "value": nested_lists(5000)},
        {"field": "qty", "op": "eq", "value": nested_lists(5000)},
        {"not": {"field": "qty", "op": "between", "value": [nested_lists(3000), 1]}},
    ],
)
def test_deep_values_are_refused_not_crashed(spec):
    assert_sendable(filter_problem(spec))


def test_a_filter_is_bounded_in_size():
    # 1000 strings of 10,240 characters: each within its own limit, 10 MB in all.
    error = filter_problem({"field": "name", "op": "in", "value": ["x" * 10240] * 1000})
    assert "too large" in str(error)
    assert_sendable(error)
    many = {"or": [{"field": "qty", "op": "in", "value": list(range(1000))}] * 150}
    assert_sendable(filter_problem(many))


def test_filter_errors_quote_a_bounded_piece():
    crowded = {"and": [], **{f"key{i}" * 20: 1 for i in range(20000)}}
    assert_sendable(filter_problem(crowded))
    assert_sendable(filter_problem({"field": "qty", "op": "eq", "value": 1, "k" * 600_000: 1}))
    assert_sendable(filter_problem({"field": "n" * 600_000, "op": "eq", "value": 1}))
    assert_sendable(filter_problem({"field": "qty", "op": "o" * 600_000, "value": 1}))
    assert_sendable(filter_problem({"field": "qty", "op": "eq", "value": "1" * 600_000}))
    assert_sendable(filter_problem({"field": "qty", "op": "in", "value": [[1] * 100_000]}))


@pytest.mark.parametrize(
    "spec",
    [
        [{"field": "name", "dir": "d" * 600_000}],
        [{"field": "name", "nulls": "n" * 600_000}],
        [{"field": "name", "k" * 600_000: 1}],
        ["x" * 600_000],
        [[1] * 100_000],
    ],
)
def test_sort_errors_quote_a_bounded_piece(spec):
    with pytest.raises(FilterError) as err:
        UNIT.sort(spec)
    assert_sendable(err.value)


@pytest.mark.parametrize(
    "text, problem",
    [("a\x00b", "contains a NUL character"), ("a\ud800b", "contains an unpaired surrogate")],
)
def test_bad_text_in_filters_and_sorts_is_named(text, problem):
    error = filter_problem({"field": "name", "op": "eq", "value": text})
    assert problem in str(error) and error.path == "filter.value"
    assert_sendable(error)
    error = filter_problem({"field": "name", "op": "in", "value": ["ok", text]})
    assert problem in str(error) and error.path == "filter.value[1]"
    error = filter_problem({"field": text, "op": "eq", "value": 1})
    assert problem in str(error) and error.path == "filter.field"
    assert_sendable(error)
    with pytest.raises(FilterError) as err:
        UNIT.sort([text])
    assert problem in str(err.value) and err.value.path == "sort[0]"
    assert_sendable(err.value)


# -- writes and ids ----------------------------------------------------------------------


@pytest_asyncio.fixture
async def db(database: str) -> AsyncIterator[Database]:
    async with Database(database, max_size=8) as db:
        yield db


@pytest_asyncio.fixture
async def orders(db: Database) -> AsyncIterator[Source]:
    async with scratch_schema(db) as schema:
        yield orders_source(schema)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "values, field, problem",
    [
        ({"name": "a\x00b"}, "name", "contains a NUL character"),
        ({"name": "a\ud800b"}, "name", "contains an unpaired surrogate"),
        ({"name": "ok", "note": "\udfff"}, "note", "contains an unpaired surrogate"),
        ({"name": "ok", "code": "\x00"}, "code", "contains a NUL character"),
    ],
)
async def test_bad_text_in_records_is_a_field_error(db, orders, values, field, problem, caplog):
    before = await checksum(db, orders.table.schema)
    with pytest.raises(ValidationError) as err:
        await create(db, orders, ANN, values)
    assert [(e.field, e.message) for e in err.value.errors] == [(field, problem)]
    assert_sendable(err.value)
    made = await create(db, orders, ANN, {"name": "fine"})
    with pytest.raises(ValidationError) as err:
        await update(db, orders, ANN, made["id"], values, 1)
    assert [(e.field, e.message) for e in err.value.errors] == [(field, problem)]
    await delete(db, orders, ANN, made["id"], 1)
    assert await checksum(db, orders.table.schema) == before
    assert "Traceback" not in caplog.text


@pytest.mark.asyncio
async def test_many_unknown_keys_are_refused_in_a_few_words(db, orders):
    values = {f"unknown_field_{i}_" + "x" * 100: i for i in range(20_000)}
    with pytest.raises(ValidationError) as err:
        await create(db, orders, ANN, {"name": "x", **values})
    assert_sendable(err.value)
    assert "too many fields: 20001" in str(err.value)
    values = {f"unknown_field_{i}_" + "x" * 100: i for i in range(500)}
    with pytest.raises(ValidationError) as err:
        await create(db, orders, ANN, {"name": "x", **values})
    assert_sendable(err.value)
    assert "and 495 more unknown fields" in str(err.value)
    assert len(err.value.errors) == 6
    assert all(e.field is None or len(e.field) <= 64 for e in err.value.errors)
    huge = {"k" * 600_000: 1}
    with pytest.raises(ValidationError) as err:
        await create(db, orders, ANN, huge)
    assert_sendable(err.value)
    assert await checksum(db, orders.table.schema) == (0, "")


@pytest.mark.asyncio
async def test_oversized_records_are_refused_before_the_database(db, orders):
    with pytest.raises(ValidationError) as err:
        await create(db, orders, ANN, {"name": "x", "note": "n" * 600_000})
    assert_sendable(err.value)
    assert err.value.errors[0].code == "too_large"
    made = await create(db, orders, ANN, {"name": "x"})
    with pytest.raises(ValidationError) as err:
        await update(db, orders, ANN, made["id"], {"note": "n" * 600_000}, 1)
    assert_sendable(err.value)
    stored = await get(db, orders, ANN, made["id"])
    assert stored["note"] is None and stored["version"] == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "pk",
    [
        "x" * 600_000,
        list(range(100_000)),
        {str(i): i for i in range(50_000)},
        "1\x00",
        "\ud800",
        10**400,
    ],
)
async def test_ids_are_checked_before_use_and_quoted_briefly(db, orders, pk):
    for attempt in (
        get(db, orders, ANN, pk),
        update(db, orders, ANN, pk, {"name": "x"}, 1),
        delete(db, orders, ANN, pk, 1),
    ):
        with pytest.raises((RequestError, NotFoundError)) as err:
            await attempt
        assert_sendable(err.value)


@pytest.mark.asyncio
async def test_versions_are_quoted_briefly(db, orders):
    made = await create(db, orders, ANN, {"name": "x"})
    for version in ("v" * 600_000, [1] * 100_000):
        with pytest.raises(ValidationError) as err:
            await update(db, orders, ANN, made["id"], {"name": "y"}, version)
        assert_sendable(err.value)


# -- cursors: answers bounded by bytes, ids and master records checked -----------------

DDL = """
CREATE TABLE companies (
    id serial PRIMARY KEY,
    tenant text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    name varchar(80) NOT NULL,
    owner text
);
CREATE TABLE workplaces (
    id serial PRIMARY KEY,
    tenant text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    company_id integer REFERENCES companies(id),
    name varchar(80) NOT NULL,
    note text
);
"""

metadata = sa.MetaData()
companies = sa.Table(
    "companies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("owner", sa.Text),
)
workplaces = sa.Table(
    "workplaces",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("company_id", sa.Integer, sa.ForeignKey("companies.id")),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("note", sa.Text),
)
COMPANIES = Source("safety.companies", companies, permissions=Permissions.everyone())
WORKPLACES = Source("safety.workplaces", workplaces, permissions=Permissions.everyone())


class Env:
    def __init__(self, dsn: str, db: Database, feed: ChangeFeed, sql: asyncpg.Connection):
        self.dsn, self.db, self.feed, self.sql = dsn, db, feed, sql

    def cursor(self, source: Source = WORKPLACES, principal: Principal = ANN, **kw: Any) -> Cursor:
        return Cursor(source, self.db, self.feed, principal, **kw)

    async def company(self, tenant: str, name: str = "C", owner: str | None = None) -> int:
        return await self.sql.fetchval(
            "INSERT INTO companies (tenant, name, owner) VALUES ($1, $2, $3) RETURNING id",
            tenant,
            name,
            owner,
        )


@pytest_asyncio.fixture
async def env(database: str) -> AsyncIterator[Env]:
    async with fresh_database(database) as dsn:
        await upgrade(dsn)
        sql = await asyncpg.connect(dsn)
        try:
            await sql.execute(DDL)
            for table in ("companies", "workplaces"):
                await sql.execute(track_table(table, primary_key=["id"], tenant_column="tenant"))
            async with Database(dsn) as db:
                feed = ChangeFeed(dsn, poll_interval=0.5)
                await feed.start()
                try:
                    yield Env(dsn, db, feed, sql)
                finally:
                    await feed.stop()
        finally:
            await sql.close()


async def wide_rows(env: Env, count: int, size: int = 2048) -> None:
    await env.sql.execute(
        "INSERT INTO workplaces (tenant, name, note) "
        "SELECT 'acme', 'W ' || lpad(i::text, 5, '0'), repeat('n', $2) "
        "FROM generate_series(1, $1) AS i",
        count,
        size,
    )


@pytest.mark.asyncio
async def test_a_bulk_read_stops_at_the_byte_budget_and_pages(env):
    await wide_rows(env, 1200)  # 2.5 MB of rows
    cursor = env.cursor(sort=["name"])
    rows = await cursor.rows(0, 10_000)
    assert 0 < len(rows) < 1200
    assert wire_size(rows) < TRANSPORT // 2
    seen: list[int] = []
    offset = 0
    while True:
        page = await cursor.read_page(offset, 10_000)
        assert wire_size(page) < TRANSPORT // 2
        seen += [row["id"] for row in page["rows"]]
        if not page["more"]:
            break
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) == 1200


@pytest.mark.asyncio
async def test_the_window_stops_at_the_byte_budget(env, connection1, connection2):
    await wide_rows(env, 1200)
    cursor = env.cursor(sort=["name"], limit=10)
    await cursor.node_bind(Path("app") + "wide", connection1.new_context())
    client = WAMPNode()
    await client.node_bind(Path("app") + "client_wide", connection2.new_context())
    try:
        proxy = client.remote("@wide")
        await proxy.set_window(0, 10_000)  # answered: the window fits the transport
        ids = cursor.node_data["ids"]
        assert 0 < len(ids) < 1200 and cursor.node_data["truncated"] is True
        assert cursor.node_data["total"] == 1200
        rows = await proxy.rows(0, 10_000)  # through the router, answered
        assert [row["id"] for row in rows[: len(ids)]] == list(ids)
        state = await client.remote("@wide").observe()
        try:
            assert len(state.data["ids"]) == len(ids)
        finally:
            await state.close()
        await proxy.set_window(0, 10)
        assert cursor.node_data["truncated"] is False
    finally:
        await client.node_unbind()
        await cursor.node_unbind()


@pytest.mark.asyncio
async def test_a_long_history_stops_at_the_byte_budget_and_pages(env):
    pk = await env.sql.fetchval(
        "INSERT INTO workplaces (tenant, name, note) VALUES ('acme', 'W', '') RETURNING id"
    )
    for i in range(150):  # each change: twice 4 KB of note
        await env.sql.execute(
            "UPDATE workplaces SET note = repeat($2, 4096), version = version + 1 WHERE id = $1",
            pk,
            chr(ord("a") + i % 26),
        )
    cursor = env.cursor()
    entries = await cursor.history(pk)
    assert 0 < len(entries) < 151 and wire_size(entries) < TRANSPORT // 2
    ops: list[str] = []
    before = None
    while True:
        page = await cursor.history_page(pk, before)
        assert wire_size(page) < TRANSPORT // 2
        ops += [entry["op"] for entry in page["entries"]]
        if not page["more"]:
            break
        before = page["before"]
    assert len(ops) == 151 and ops[-1] == "insert"


@pytest.mark.asyncio
async def test_a_record_too_large_to_send_is_a_clear_error(env):
    pk = await env.sql.fetchval(
        "INSERT INTO workplaces (tenant, name, note) VALUES ('acme', 'W', repeat('x', 3000000)) "
        "RETURNING id"
    )
    cursor = env.cursor()
    with pytest.raises(RPCError) as err:
        await cursor.get(pk)
    assert err.value.uri == "raccoon.error.too_large"
    assert len(str(err.value)) < QUOTED


@pytest.mark.asyncio
async def test_cursor_endpoints_quote_their_arguments_briefly(env):
    cursor = env.cursor()
    for call, args in [
        ("get", ["x" * 600_000]),
        ("get", [list(range(100_000))]),
        ("history", ["x" * 600_000]),
        ("history", [list(range(100_000))]),
        ("set_current", ["x" * 600_000]),
        ("set_window", ["x" * 600_000, 10]),
        ("set_window", [0, "x" * 600_000]),
        ("rows", [[0] * 100_000, 10]),
        ("rows", [10**400, 10]),
        ("delete", ["x" * 600_000, 1]),
        ("create", [{f"k{i}": i for i in range(20_000)}]),
        ("create", [{"name": "a\ud800"}]),
        ("set_filters", [{"field": "name", "op": "eq", "value": "\x00"}]),
        ("set_sort", [["\ud800"]]),
        ("set_dirty", ["x" * 600_000]),
    ]:
        with pytest.raises(RPCError) as err:
            await getattr(cursor, call)(*args)
        assert err.value.uri.startswith("raccoon.error."), (call, err.value.uri)
        assert wire_size({"message": str(err.value), **err.value.data}) < QUOTED, call


# -- references to rows the principal cannot see ------------------------------------------


async def reference_error(call: Any) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        await call
    return err.value


@pytest.mark.asyncio
async def test_a_reference_to_another_tenants_row_is_a_missing_reference(env):
    theirs = await env.company("acme")
    mine = await env.company("globex")
    missing = theirs + mine + 1000
    state = await env.sql.fetchval("SELECT count(*) FROM workplaces")
    to_theirs = await reference_error(
        create(env.db, WORKPLACES, BOB, {"name": "w", "company_id": theirs})
    )
    to_nothing = await reference_error(
        create(env.db, WORKPLACES, BOB, {"name": "w", "company_id": missing})
    )
    assert to_theirs.to_dict()["details"] == to_nothing.to_dict()["details"]
    assert str(to_theirs).replace(str(theirs), "#") == str(to_nothing).replace(str(missing), "#")
    assert [(e.field, e.code) for e in to_theirs.errors] == [("company_id", "reference")]
    made = await create(env.db, WORKPLACES, BOB, {"name": "w", "company_id": mine})
    to_theirs = await reference_error(
        update(env.db, WORKPLACES, BOB, made["id"], {"company_id": theirs}, 1)
    )
    to_nothing = await reference_error(
        update(env.db, WORKPLACES, BOB, made["id"], {"company_id": missing}, 1)
    )
    assert to_theirs.to_dict()["details"] == to_nothing.to_dict()["details"]
    assert await env.sql.fetchval("SELECT count(*) FROM workplaces") == state + 1
    assert await env.sql.fetchval("SELECT company_id FROM workplaces WHERE id=$1", made["id"]) == (
        mine
    )
    # A still deletes its own row: nothing of B's points at it.
    await delete(env.db, COMPANIES, ANN, theirs, 1)


@pytest.mark.asyncio
async def test_a_reference_hidden_by_a_row_rule_is_a_missing_reference(env):
    own = Source(
        "safety.own_companies",
        companies,
        permissions=Permissions.everyone(rows={"view": lambda t, p: t.c.owner == p.user}),
    )
    sites = Source(
        "safety.sites",
        workplaces,
        permissions=Permissions.everyone(),
        references={"company_id": own},
    )
    zoe = Principal("zoe", "acme")
    hidden = await env.company("acme", owner="zoe")
    visible = await env.company("acme", owner="ann")
    error = await reference_error(create(env.db, sites, ANN, {"name": "w", "company_id": hidden}))
    assert [(e.field, e.code) for e in error.errors] == [("company_id", "reference")]
    made = await create(env.db, sites, ANN, {"name": "w", "company_id": visible})
    assert made["company_id"] == visible
    assert (await create(env.db, sites, zoe, {"name": "z", "company_id": hidden}))["id"]


@pytest.mark.asyncio
async def test_cursors_refuse_a_current_or_master_record_they_cannot_see(env):
    theirs = await env.company("acme")
    mine = await env.company("globex")
    master = env.cursor(COMPANIES, BOB)
    with pytest.raises(RPCError) as err:
        await master.set_current(theirs)
    assert err.value.uri == "raccoon.error.not_found"
    await master.set_current(mine)
    assert master.node_data["current_id"] == mine
    detail = DetailCursor(WORKPLACES, env.db, env.feed, BOB, master="@companies", link="company_id")
    # The master may live in another session (or the browser): its id is input.
    await detail._follow_master(theirs)
    assert detail.master_id is None and detail.node_data["master_id"] is None
    with pytest.raises(RPCError) as err:
        await detail.create({"name": "w", "company_id": theirs})
    assert err.value.uri == "raccoon.error.validation_failed"
    await detail._follow_master(mine)
    assert detail.master_id == mine
    made = await detail.create({"name": "w"})
    assert made["company_id"] == mine
    assert (
        await env.sql.fetchval("SELECT count(*) FROM workplaces WHERE company_id = $1", theirs) == 0
    )


def test_the_examples_foreign_keys_are_checked_without_declaring_them():
    from examples.safety.sources import ASSESSMENTS, WORKPLACES
    from raccoon.data._references import references_of

    assert [r.columns for r in references_of(WORKPLACES)] == [("company_id",)]
    assert [r.columns for r in references_of(ASSESSMENTS)] == [("workplace_id",)]
