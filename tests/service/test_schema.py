"""The accounts tables: the migration and ``raccoon/service/_schema.py`` agree; downgrade works."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from raccoon.data import downgrade, upgrade
from raccoon.service import accounts_metadata


async def diff(dsn: str) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    async def connect() -> Any:
        return await asyncpg.connect(dsn)

    engine = create_async_engine("postgresql+asyncpg://", async_creator=connect, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            diffs: list[Any] = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), accounts_metadata)
            )
    finally:
        await engine.dispose()
    # Only our tables: the framework's others are described elsewhere.
    return [
        d
        for d in diffs
        if not (d[0] == "remove_table" and d[1].name not in accounts_metadata.tables)
        and not (d[0] == "remove_index" and d[1].table.name not in accounts_metadata.tables)
    ]


@pytest.mark.asyncio
async def test_the_schema_module_matches_the_migration(service_database: str) -> None:
    assert await diff(service_database) == []


@pytest.mark.asyncio
async def test_the_accounts_migration_goes_down_and_up(service_database: str) -> None:
    await downgrade(service_database, "raccoon_0001")
    connection = await asyncpg.connect(service_database)
    try:
        tables = {r[0] for r in await connection.fetch("SELECT tablename FROM pg_tables")} & set(
            accounts_metadata.tables
        )
        assert tables == set()
    finally:
        await connection.close()
    await upgrade(service_database)
    assert await diff(service_database) == []
