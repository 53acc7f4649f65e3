"""Migrations: the framework's and the application's, `raccoon db upgrade`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from changelog_support import connect, fresh_database

from raccoon.data import MigrationError, downgrade, untrack_table, upgrade
from raccoon.data._migrations import FRAMEWORK_MIGRATIONS
from raccoon.data._schema import framework_metadata


def _framework_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(FRAMEWORK_MIGRATIONS).get_current_head()
    assert head is not None
    return head


# Other parts of the framework add their revisions after the change log's.
FRAMEWORK_HEAD = _framework_head()

ORDERS_1 = '''
"""orders"""
import sqlalchemy as sa
from alembic import op

from raccoon.data import track_table, untrack_table

revision = "app_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer", sa.Text, nullable=False),
        sa.Column("tenant", sa.Text),
    )
    op.execute(track_table("orders", primary_key=["id"], tenant_column="tenant"))


def downgrade() -> None:
    op.execute(untrack_table("orders"))
    op.drop_table("orders")
'''

ORDERS_2 = '''
"""orders.total"""
import sqlalchemy as sa
from alembic import op

revision = "app_0002"
down_revision = "app_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("total", sa.Numeric, server_default="0"))


def downgrade() -> None:
    op.drop_column("orders", "total")
'''

BROKEN = '''
"""breaks"""
from alembic import op

revision = "app_0003"
down_revision = "app_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE half_done (id int)")
    op.execute("SELECT no_such_function()")


def downgrade() -> None:
    pass
'''


@pytest_asyncio.fixture
async def dsn(database: str) -> AsyncIterator[str]:
    async with fresh_database(database) as dsn:
        yield dsn


def write_app(directory: Path, *scripts: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for index, script in enumerate(scripts, 1):
        (directory / f"app_{index:04d}.py").write_text(textwrap.dedent(script))
    return directory


async def fetch(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
    async with connect(dsn) as connection:
        return await connection.fetch(query, *args)


async def schema(dsn: str) -> list[tuple[Any, ...]]:
    """Tables, columns, indexes and functions of the public schema."""
    rows = await fetch(
        dsn,
        """
        SELECT 'column', table_name::text, column_name::text, data_type::text
          FROM information_schema.columns WHERE table_schema = 'public'
        UNION ALL
        SELECT 'index', tablename::text, indexname::text, indexdef FROM pg_indexes
         WHERE schemaname = 'public'
        UNION ALL
        SELECT 'function', p.proname::text, '', pg_get_functiondef(p.oid) FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'trigger', tgrelid::regclass::text, tgname::text, '' FROM pg_trigger
         WHERE NOT tgisinternal
        ORDER BY 1, 2, 3
        """,
    )
    return [tuple(row) for row in rows]


async def versions(dsn: str, table: str) -> list[str]:
    return [row[0] for row in await fetch(dsn, f"SELECT version_num FROM {table}")]


@pytest.mark.asyncio
async def test_upgrade_creates_the_change_log_and_the_trigger_function(dsn: str) -> None:
    await upgrade(dsn)
    found = await schema(dsn)
    columns = {(t, c) for kind, t, c, _ in found if kind == "column"}
    assert {
        ("raccoon_changes", name) for name in framework_metadata.tables["raccoon_changes"].c.keys()
    } <= columns
    indexes = {name for kind, _t, name, _ in found if kind == "index"}
    assert {"raccoon_changes_record_idx", "raccoon_changes_txid_idx"} <= indexes
    functions = [
        d for kind, name, _c, d in found if kind == "function" and name == "raccoon_record_change"
    ]
    assert len(functions) == 1 and "pg_notify('raccoon_changes'" in functions[0]
    assert await versions(dsn, "raccoon_alembic_version") == [FRAMEWORK_HEAD]
    # The application's history is not touched without app migrations.
    assert not await fetch(dsn, "SELECT 1 FROM pg_tables WHERE tablename = 'alembic_version'")


@pytest.mark.asyncio
async def test_upgrade_twice_is_a_no_op(dsn: str) -> None:
    await upgrade(dsn)
    before = await schema(dsn)
    await upgrade(dsn)
    assert await schema(dsn) == before
    assert await versions(dsn, "raccoon_alembic_version") == [FRAMEWORK_HEAD]


@pytest.mark.asyncio
async def test_concurrent_upgrades_take_turns(dsn: str) -> None:
    await asyncio.gather(upgrade(dsn), upgrade(dsn), upgrade(dsn))
    assert await versions(dsn, "raccoon_alembic_version") == [FRAMEWORK_HEAD]


@pytest.mark.asyncio
async def test_the_schema_module_matches_the_migrations(dsn: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    await upgrade(dsn)

    async def connect_asyncpg() -> Any:
        return await asyncpg.connect(dsn)

    engine = create_async_engine(
        "postgresql+asyncpg://", async_creator=connect_asyncpg, poolclass=NullPool
    )
    try:
        async with engine.connect() as connection:
            diffs = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"include_object": ours}),
                    framework_metadata,
                )
            )
    finally:
        await engine.dispose()
    assert diffs == []


def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Only the change log's tables (other modules describe the framework's other tables)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name in framework_metadata.tables


@pytest.mark.asyncio
async def test_application_migrations_with_a_tracked_table(dsn: str, tmp_path: Path) -> None:
    app = write_app(tmp_path / "migrations" / "versions", ORDERS_1, ORDERS_2).parent
    await upgrade(dsn, app_migrations=app, revision="app_0001")
    assert await versions(dsn, "alembic_version") == ["app_0001"]
    assert await versions(dsn, "raccoon_alembic_version") == [FRAMEWORK_HEAD]
    await upgrade(dsn, app_migrations=app)
    assert await versions(dsn, "alembic_version") == ["app_0002"]
    await upgrade(dsn, app_migrations=app)  # again: nothing to do
    async with connect(dsn) as connection:
        await connection.execute("INSERT INTO orders (customer, tenant) VALUES ('ann', 'acme')")
        await connection.execute("UPDATE orders SET total = 12.5")
        rows = await connection.fetch(
            "SELECT op, tenant, pk, after FROM raccoon_changes ORDER BY id"
        )
    assert [(r["op"], r["tenant"], r["pk"]) for r in rows] == [
        ("insert", "acme", {"id": 1}),
        ("update", "acme", {"id": 1}),
    ]
    assert rows[1]["after"]["total"] == 12.5

    await downgrade(dsn, "base", app_migrations=app)
    assert await versions(dsn, "alembic_version") == []
    assert not await fetch(dsn, "SELECT 1 FROM pg_tables WHERE tablename = 'orders'")
    assert await versions(dsn, "raccoon_alembic_version") == [FRAMEWORK_HEAD]


@pytest.mark.asyncio
async def test_a_bare_directory_of_revision_scripts_works(dsn: str, tmp_path: Path) -> None:
    await upgrade(dsn, app_migrations=write_app(tmp_path / "scripts", ORDERS_1))
    assert await versions(dsn, "alembic_version") == ["app_0001"]


@pytest.mark.asyncio
async def test_a_failing_migration_changes_nothing(dsn: str, tmp_path: Path) -> None:
    app = write_app(tmp_path / "migrations", ORDERS_1, ORDERS_2, BROKEN)
    with pytest.raises(MigrationError, match="no_such_function") as info:
        await upgrade(dsn, app_migrations=app)
    message = str(info.value)
    assert "the application" in message and "Nothing was changed" in message
    # One transaction: not even the framework's migrations stayed.
    tables = {
        r[0]
        for r in await fetch(dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }
    assert tables == set()


@pytest.mark.asyncio
async def test_downgrade_of_the_framework(dsn: str, tmp_path: Path) -> None:
    app = write_app(tmp_path / "migrations", ORDERS_1)
    await upgrade(dsn, app_migrations=app)
    # A tracked table still uses the trigger function: PostgreSQL says so.
    with pytest.raises(MigrationError, match="depend"):
        await downgrade(dsn, "base")
    async with connect(dsn) as connection:
        await connection.execute(untrack_table("orders"))
    await downgrade(dsn, "base")
    assert await versions(dsn, "raccoon_alembic_version") == []
    assert not await fetch(dsn, "SELECT 1 FROM pg_tables WHERE tablename = 'raccoon_changes'")
    assert not await fetch(dsn, "SELECT 1 FROM pg_proc WHERE proname = 'raccoon_record_change'")
    await upgrade(dsn)  # and back
    assert await versions(dsn, "raccoon_alembic_version") == [FRAMEWORK_HEAD]


@pytest.mark.asyncio
async def test_errors_say_what_went_wrong(dsn: str, tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="does not exist or is not a directory"):
        await upgrade(dsn, app_migrations=tmp_path / "nowhere")
    with pytest.raises(MigrationError, match=r"framework.*nope"):
        await upgrade(dsn, revision="nope")
    closed = dsn.rsplit("@", 1)[0] + "@127.0.0.1:1/x"
    with pytest.raises(MigrationError, match=r"cannot connect to .*127\.0\.0\.1:1"):
        await upgrade(closed)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "RACCOON_DATABASE_URL"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "raccoon.service.cli", "db", "upgrade", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )


@pytest.mark.slow
@pytest.mark.asyncio
async def test_raccoon_db_upgrade(dsn: str, tmp_path: Path) -> None:
    app = write_app(tmp_path / "migrations", ORDERS_1)
    result = await asyncio.to_thread(
        run_cli, "--migrations", str(app), env={"RACCOON_DATABASE_URL": dsn}
    )
    assert result.returncode == 0, result.stderr
    assert "database is up to date" in result.stdout
    assert await versions(dsn, "alembic_version") == ["app_0001"]
    result = await asyncio.to_thread(run_cli, "--dsn", dsn, "--revision", "nope")
    assert result.returncode == 1
    assert "raccoon db upgrade:" in result.stderr and "nope" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.asyncio
async def test_alembic_revision_writes_scripts_from_raccoons_template(
    dsn: str, tmp_path: Path
) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\n"
        "script_location = raccoon.data:migrations\n"
        "version_locations = %(here)s/migrations\n"
        "path_separator = newline\n"
    )
    command = [sys.executable, "-W", "error", "-m", "alembic", "-c", str(tmp_path / "alembic.ini")]
    result = await asyncio.to_thread(
        subprocess.run,
        [*command, "revision", "-m", "orders", "--rev-id", "app_0001"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    (script,) = (tmp_path / "migrations").glob("*.py")
    assert "from raccoon.data import track_table, untrack_table" in script.read_text()
    await upgrade(dsn, app_migrations=tmp_path / "migrations")
    assert await versions(dsn, "alembic_version") == ["app_0001"]


def test_raccoon_db_upgrade_without_a_database() -> None:
    result = run_cli()
    assert result.returncode == 2
    assert "RACCOON_DATABASE_URL" in result.stderr and "--dsn" in result.stderr
