"""Live cursors over a real PostgreSQL, observed over a real router."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
import sqlalchemy as sa
from changelog_support import fresh_database

from raccoon.data import (
    ChangeFeed,
    Cursor,
    Database,
    DetailCursor,
    Permissions,
    Principal,
    Source,
    row_key,
    track_table,
    upgrade,
)
from raccoon.node import Path, RPCError, WAMPNode
from raccoon.testing import eventually

ANN = Principal("ann", "acme", roles={"clerk"})
ZOE = Principal("zoe", "acme", roles={"clerk"})
BOB = Principal("bob", "globex", roles={"clerk"})

DDL = """
CREATE TABLE companies (
    id serial PRIMARY KEY,
    tenant text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    name varchar(80) NOT NULL,
    city text
);
CREATE TABLE workplaces (
    id serial PRIMARY KEY,
    tenant text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    company_id integer NOT NULL REFERENCES companies(id),
    name varchar(80) NOT NULL
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
    sa.Column("city", sa.Text),
)
workplaces = sa.Table(
    "workplaces",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("company_id", sa.Integer, sa.ForeignKey("companies.id"), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
)
COMPANIES = Source("safety.companies", companies, permissions=Permissions.everyone())
WORKPLACES = Source("safety.workplaces", workplaces, permissions=Permissions.everyone())


class Env:
    def __init__(self, dsn: str, db: Database, feed: ChangeFeed, sql: asyncpg.Connection):
        self.dsn, self.db, self.feed, self.sql = dsn, db, feed, sql

    def cursor(self, source: Source = COMPANIES, principal: Principal = ANN, **kw: Any) -> Cursor:
        return Cursor(source, self.db, self.feed, principal, **kw)


@pytest_asyncio.fixture
async def env(database: str) -> AsyncIterator[Env]:
    async with fresh_database(database) as dsn:
        await upgrade(dsn)
        sql = await asyncpg.connect(dsn)
        try:
            await sql.execute(DDL)
            for table in ("companies", "workplaces"):
                await sql.execute(track_table(table, primary_key=["id"], tenant_column="tenant"))
            await sql.execute(
                "INSERT INTO companies (tenant, name, city) SELECT "
                "CASE WHEN i % 2 = 0 THEN 'acme' ELSE 'globex' END, "
                "'Company ' || lpad(i::text, 4, '0'), 'City ' || (i % 7) "
                "FROM generate_series(1, 200) AS i"
            )
            async with Database(dsn) as db:
                feed = ChangeFeed(dsn, poll_interval=0.5)
                await feed.start()
                try:
                    yield Env(dsn, db, feed, sql)
                finally:
                    await feed.stop()
        finally:
            await sql.close()


# PostgreSQL, the feed and the router on a busy machine: generous.
WITHIN = 10.0
FENCE = "fence"  # a state key only the tests set, on the cursor: see fenced()


async def fenced(env: Env, cursor: Cursor, state: Any) -> None:
    """A fence for "and nothing else changed": the feed has delivered every
    change committed so far (sync), the cursor has done the work they caused
    (settled), and a key set on the cursor afterwards has reached the
    observer. A node's state goes out in order, so whatever the cursor
    published before the key has arrived by then."""
    await env.feed.sync()
    await cursor.settled()
    marker = cursor.node_data.get(FENCE, 0) + 1
    cursor[FENCE] = marker
    await eventually(lambda: state.data.get(FENCE) == marker, WITHIN, "the fence at the observer")


@contextlib.asynccontextmanager
async def observed(cursor: Cursor, connection1, connection2, name: str = "companies"):
    """Bind the cursor on connection1 and observe it from connection2."""
    await cursor.node_bind(Path("app") + name, connection1.new_context())
    client = WAMPNode()
    await client.node_bind(Path("app") + f"client_{name}", connection2.new_context())
    state = await client.remote(f"@{name}").observe()
    try:
        yield state, client
    finally:
        await state.close()
        await client.node_unbind()
        await cursor.node_unbind()


def window_names(state) -> list[str]:
    return [state.data[row_key(pk)]["name"] for pk in state.data["ids"]]


@pytest.mark.asyncio
async def test_window_total_and_tenant_scope(env, connection1, connection2):
    cursor = env.cursor(sort=["name"], limit=5)
    async with observed(cursor, connection1, connection2) as (state, _):
        assert state.data["total"] == 100  # only acme's half
        assert window_names(state) == [f"Company {i:04d}" for i in (2, 4, 6, 8, 10)]
        assert all("tenant" not in state.data[row_key(pk)] for pk in state.data["ids"])


@pytest.mark.asyncio
async def test_plain_sql_update_reaches_the_observer_with_only_that_row(
    env, connection1, connection2
):
    cursor = env.cursor(sort=["name"], limit=5)
    async with observed(cursor, connection1, connection2) as (state, _):
        pk = state.data["ids"][2]
        changed: list[str] = []
        state.on_change(lambda key, old, new: changed.append(key))
        await env.sql.execute("UPDATE companies SET city = 'Rimini' WHERE id = $1", pk)
        await eventually(lambda: state.data[row_key(pk)]["city"] == "Rimini", WITHIN)
        await fenced(env, cursor, state)
        assert changed == [row_key(pk), FENCE]  # not the ids, not the total, not other rows
        # Plain values: the row came from the change log, with no read at all.
        assert cursor.reloads == 1 and cursor.logged_rows == 1 and cursor.row_refreshes == 0
        assert state.data[row_key(pk)] == dict(
            await env.sql.fetchrow("SELECT id, version, name, city FROM companies WHERE id=$1", pk)
        )


@pytest.mark.asyncio
async def test_inserts_and_deletes_across_the_window_boundary(env, connection1, connection2):
    cursor = env.cursor(sort=["name"], limit=3)
    async with observed(cursor, connection1, connection2) as (state, _):
        first = window_names(state)
        # A row sorting first enters the window and pushes the last one out.
        await env.sql.execute(
            "INSERT INTO companies (tenant, name) VALUES ('acme', 'Company 0000')"
        )
        await eventually(lambda: state.data["total"] == 101, WITHIN)
        assert window_names(state) == ["Company 0000", *first[:2]]
        # Another tenant's insert changes nothing, not even a reload.
        reloads = cursor.reloads
        await env.sql.execute(
            "INSERT INTO companies (tenant, name) VALUES ('globex', 'Company 0000b')"
        )
        await env.feed.sync()  # the change reached the cursor,
        await cursor.settled()  # and any reload it started is over
        assert cursor.reloads == reloads and state.data["total"] == 101
        # Deleting a row of the window pulls the next one in.
        await env.sql.execute("DELETE FROM companies WHERE name = 'Company 0000'")
        await eventually(lambda: state.data["total"] == 100, WITHIN)
        assert window_names(state) == first
        # A row outside the window, updated in a field that can't move it: no work.
        reloads, refreshes = cursor.reloads, cursor.row_refreshes
        await env.sql.execute("UPDATE companies SET city = 'X' WHERE name = 'Company 0100'")
        await env.feed.sync()
        await cursor.settled()
        assert (cursor.reloads, cursor.row_refreshes) == (reloads, refreshes)


@pytest.mark.asyncio
async def test_filter_sort_window_from_the_client(env, connection1, connection2):
    cursor = env.cursor(limit=4)
    async with observed(cursor, connection1, connection2) as (state, client):
        proxy = client.remote("@companies")
        await proxy.set_filters({"field": "city", "op": "eq", "value": "City 3"})
        await proxy.set_sort(["-name"])
        await proxy.set_window(2, 3)
        expected = await env.sql.fetch(
            "SELECT name FROM companies WHERE tenant = 'acme' AND city = 'City 3' "
            "ORDER BY name DESC, id OFFSET 2 LIMIT 3"
        )
        total = await env.sql.fetchval(
            "SELECT count(*) FROM companies WHERE tenant = 'acme' AND city = 'City 3'"
        )
        await eventually(lambda: state.data["offset"] == 2 and state.data["limit"] == 3, WITHIN)
        assert window_names(state) == [r["name"] for r in expected]
        assert state.data["total"] == total


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "call, args, code",
    [
        ("set_filters", [{"field": "tenant", "op": "eq", "value": "globex"}], "invalid_filter"),
        ("set_filters", [{"field": "name", "op": "drop", "value": 1}], "invalid_filter"),
        (
            "set_filters",
            [{"field": "name", "op": "eq", "value": "'; drop table companies;--"}],
            None,
        ),
        ("set_sort", [["nonexistent"]], "invalid_filter"),
        ("set_window", [-1, 10], "invalid_arguments"),
        ("set_window", [0, 100000], "invalid_arguments"),
        ("set_window", ["0", 10], "invalid_arguments"),
        ("set_current", ["not a number"], "invalid_arguments"),
    ],
)
async def test_bad_requests_are_refused_and_change_nothing(
    env, connection1, connection2, call, args, code
):
    cursor = env.cursor(sort=["name"], limit=5)
    async with observed(cursor, connection1, connection2) as (state, client):
        before = dict(state.data)
        proxy = client.remote("@companies")
        if code is None:  # a hostile value is just a value: no match, no harm
            await proxy[call](*args)
            await eventually(lambda: state.data["total"] == 0, WITHIN)
            assert await env.sql.fetchval("SELECT count(*) FROM companies") == 200
            return
        with pytest.raises(RPCError) as err:
            await proxy[call](*args)
        assert err.value.uri == f"raccoon.error.{code}"
        assert "Traceback" not in str(err.value)
        await fenced(env, cursor, state)
        assert dict(state.data) == {**before, FENCE: 1}


@pytest.mark.asyncio
async def test_writes_through_the_cursor_and_conflicts(env, connection1, connection2):
    cursor = env.cursor(sort=["name"], limit=5)
    async with observed(cursor, connection1, connection2) as (state, client):
        proxy = client.remote("@companies")
        created = await proxy.create({"name": "Company 0001a", "city": "Bologna"})
        assert created["version"] == 1
        await eventually(lambda: created["id"] in state.data["ids"], WITHIN)
        saved = await proxy.update(created["id"], {"city": "Modena"}, 1)
        assert saved["version"] == 2
        await eventually(lambda: state.data[row_key(created["id"])]["city"] == "Modena", WITHIN)
        with pytest.raises(RPCError) as err:
            await proxy.update(created["id"], {"city": "Parma"}, 1)
        assert err.value.uri == "raccoon.error.conflict"
        assert err.value.data["current"]["city"] == "Modena"
        with pytest.raises(RPCError) as err:
            await proxy.update(created["id"], {"name": "x" * 81}, 2)
        assert err.value.uri == "raccoon.error.validation_failed"
        assert err.value.data["errors"][0]["field"] == "name"
        history = await proxy.history(created["id"])
        assert [h["op"] for h in history] == ["update", "insert"]
        assert history[0]["who"] == "ann"
        assert history[0]["changes"] == [{"field": "city", "old": "Bologna", "new": "Modena"}]
        await proxy.delete(created["id"], 2)
        await eventually(lambda: created["id"] not in state.data["ids"], WITHIN)


@pytest.mark.asyncio
async def test_other_tenant_cannot_see_or_touch(env, connection1, connection2):
    cursor = env.cursor(principal=BOB, sort=["name"], limit=500)
    async with observed(cursor, connection1, connection2) as (state, client):
        acme_id = await env.sql.fetchval("SELECT id FROM companies WHERE tenant = 'acme' LIMIT 1")
        assert acme_id not in state.data["ids"] and state.data["total"] == 100
        proxy = client.remote("@companies")
        for attempt in (
            proxy.get(acme_id),
            proxy.update(acme_id, {"city": "hacked"}, 1),
            proxy.delete(acme_id, 1),
            proxy.history(acme_id),
        ):
            with pytest.raises(RPCError) as err:
                await attempt
            assert err.value.uri == "raccoon.error.not_found"
        await proxy.set_filters({"or": [{"field": "name", "op": "like", "value": "%"}]})
        assert state.data["total"] == 100
        assert await env.sql.fetchval("SELECT count(*) FROM companies WHERE city = 'hacked'") == 0


@pytest.mark.asyncio
async def test_permission_denied_is_clear_and_changes_nothing(env, connection1, connection2):
    readonly = Source(
        "safety.companies_ro",
        companies,
        permissions=Permissions({"view": ["everyone"]}),
    )
    cursor = env.cursor(source=readonly, sort=["name"], limit=5)
    async with observed(cursor, connection1, connection2) as (_, client):
        with pytest.raises(RPCError) as err:
            await client.remote("@companies").create({"name": "Nope"})
        assert err.value.uri == "raccoon.error.permission_denied"
        assert "create" in str(err.value)
        assert await env.sql.fetchval("SELECT count(*) FROM companies WHERE name='Nope'") == 0
    with pytest.raises(Exception, match="view"):
        env.cursor(source=Source("s.none", companies, permissions=Permissions.nobody()))


@pytest.mark.asyncio
async def test_detail_follows_master_current_id(env, connection1, connection2):
    ids = [
        r["id"]
        for r in await env.sql.fetch(
            "SELECT id FROM companies WHERE tenant='acme' ORDER BY id LIMIT 3"
        )
    ]
    for company in ids:
        await env.sql.execute(
            "INSERT INTO workplaces (tenant, company_id, name) "
            "SELECT 'acme', $1::int, 'Site ' || $1::text || '-' || i FROM generate_series(1, 3) i",
            company,
        )
    master = env.cursor(sort=["id"], limit=10)
    await master.node_bind(Path("app") + "companies", connection1.new_context())
    detail = DetailCursor(
        WORKPLACES, env.db, env.feed, ANN, master="@companies", link="company_id", sort=["name"]
    )
    # The detail lives in the other session, as a browser-side proxy would see it.
    await detail.node_bind(Path("app") + "workplaces", connection2.new_context())
    try:
        assert detail.node_data["ids"] == () and detail.node_data["total"] == 0
        await master.set_current(ids[0])
        await eventually(lambda: detail.node_data.get("master_id") == ids[0], WITHIN)
        await detail.settled()
        assert detail.node_data["total"] == 3
        for company in [ids[1], ids[2], ids[0], ids[1], ids[2]] * 10:  # 50 quick changes
            await master.set_current(company)
        await eventually(lambda: detail.node_data.get("master_id") == ids[2], WITHIN)
        await detail.settled()
        rows = [detail.node_data[row_key(pk)] for pk in detail.node_data["ids"]]
        assert {r["company_id"] for r in rows} == {ids[2]}
        created = await detail.create({"name": "New site"})
        assert created["company_id"] == ids[2]
    finally:
        await detail.node_unbind()
        await master.node_unbind()


@pytest.mark.asyncio
async def test_statements_are_kept_per_query_and_the_total_per_filter(
    env, connection1, connection2, monkeypatch
):
    from raccoon.data._window import WindowStatements

    calls: list[str] = []
    rows, rows_and_total = WindowStatements.rows, WindowStatements.rows_and_total

    async def spy_rows(self, *args):
        calls.append("rows")
        return await rows(self, *args)

    async def spy_rows_and_total(self, *args):
        calls.append("rows+total")
        return await rows_and_total(self, *args)

    monkeypatch.setattr(WindowStatements, "rows", spy_rows)
    monkeypatch.setattr(WindowStatements, "rows_and_total", spy_rows_and_total)
    cursor = env.cursor(sort=["name"], limit=5)
    async with observed(cursor, connection1, connection2) as (state, client):
        proxy = client.remote("@companies")
        first = cursor._compiled
        await proxy.set_window(10, 5)  # scrolling: same statements, the total is kept
        assert cursor._compiled is first and calls == ["rows+total", "rows"]
        await proxy.set_sort(["-name"])  # a new order, the same rows to count
        assert cursor._compiled is not first and calls[-1] == "rows"
        await proxy.set_filters({"field": "city", "op": "eq", "value": "City 3"})
        assert calls[-1] == "rows+total"
        expected = await env.sql.fetchval(
            "SELECT count(*) FROM companies WHERE tenant = 'acme' AND city = 'City 3'"
        )
        assert state.data["total"] == cursor.node_data["total"] == expected
        # A matching insert while scrolled: counted again, not taken from before.
        await proxy.set_window(1, 3)
        await env.sql.execute(
            "INSERT INTO companies (tenant, name, city) VALUES ('acme', 'Company 9999', 'City 3')"
        )
        await eventually(lambda: state.data["total"] == expected + 1, WITHIN)
        await cursor.settled()
        direct = await env.sql.fetch(
            "SELECT id FROM companies WHERE tenant = 'acme' AND city = 'City 3' "
            "ORDER BY name DESC, id OFFSET 1 LIMIT 3"
        )
        assert list(cursor.node_data["ids"]) == [r["id"] for r in direct]
        # An update of a field the cursor neither filters nor sorts on, outside
        # the window: no work at all.
        reloads = cursor.reloads
        await env.sql.execute("UPDATE companies SET version = 7 WHERE name = 'Company 0100'")
        await env.feed.sync()
        assert cursor.reloads == reloads


@pytest.mark.asyncio
async def test_a_cursor_bound_again_still_follows_its_rows(env, connection1):
    cursor = env.cursor(sort=["name"], limit=3)
    await cursor.node_bind(Path("app") + "again", connection1.new_context())
    await cursor.node_unbind()
    await cursor.node_bind(Path("app") + "again", connection1.new_context())
    try:
        pk = cursor.node_data["ids"][1]
        await env.sql.execute("UPDATE companies SET city = 'Ravenna' WHERE id = $1", pk)
        await eventually(lambda: cursor.node_data[row_key(pk)]["city"] == "Ravenna", WITHIN)
    finally:
        await cursor.node_unbind()
