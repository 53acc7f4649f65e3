"""Shared pieces of the data benchmarks: an embedded PostgreSQL with a
migrated database and a tracked table of generated rows."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import sqlalchemy as sa

from raccoon.data import EmbeddedPostgres, Permissions, Source, track_table, upgrade

ITEMS_DDL = """
CREATE TABLE items (
    id serial PRIMARY KEY,
    tenant text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    name varchar(80) NOT NULL,
    city text NOT NULL,
    severity integer NOT NULL,
    score double precision NOT NULL,
    note text
);
CREATE INDEX items_city_name ON items (city, name, id);
CREATE INDEX items_name ON items (name, id);
"""

metadata = sa.MetaData()
items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("city", sa.Text, nullable=False),
    sa.Column("severity", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("note", sa.Text),
)
ITEMS = Source("bench.items", items, permissions=Permissions.everyone())


@asynccontextmanager
async def items_database(rows: int) -> AsyncIterator[str]:
    """A DSN of a fresh embedded PostgreSQL with ``rows`` generated items (tenant 'acme')."""
    tmp = Path(tempfile.mkdtemp(prefix="raccoon-bench-pg-"))
    server = EmbeddedPostgres(tmp, options={"fsync": "off", "synchronous_commit": "off"})
    await server.start()
    try:
        dsn = await server.create_database("bench")
        await upgrade(dsn)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(ITEMS_DDL)
            await conn.execute(
                "INSERT INTO items (tenant, name, city, severity, score, note) "
                "SELECT 'acme', 'Item ' || lpad(i::text, 7, '0'), 'City ' || (i % 50), "
                "(i / 7) % 5, (i % 1000) / 10.0, 'generated row number ' || i "
                f"FROM generate_series(1, {int(rows)}) AS i"
            )
            await conn.execute("ANALYZE items")
            await conn.execute(track_table("items", primary_key=["id"], tenant_column="tenant"))
        finally:
            await conn.close()
        yield dsn
    finally:
        await server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
