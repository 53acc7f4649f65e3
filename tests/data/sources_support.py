"""Helpers for the source, filter, validation, write, tenant and permission tests.

Each test works in its own PostgreSQL schema (``scratch_schema``), dropped
at the end, so tests never see each other's tables.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator

import sqlalchemy as sa

from raccoon.data import Database, Permissions, Principal, Source

ANN = Principal("ann", "acme", roles={"clerk"})
BOB = Principal("bob", "globex", roles={"clerk"})

ORDERS_DDL = """
CREATE TYPE {s}.kind AS ENUM ('retail', 'wholesale', 'internal');
CREATE TABLE {s}.orders (
    id serial PRIMARY KEY,
    tenant text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    name varchar(50) NOT NULL,
    qty integer CONSTRAINT orders_qty_check CHECK (qty >= 0),
    price numeric(10, 2),
    active boolean NOT NULL DEFAULT true,
    created date,
    stamp timestamptz,
    kind {s}.kind,
    note text,
    owner text,
    code varchar(20),
    CONSTRAINT orders_code_key UNIQUE (tenant, code)
);
"""


def orders_table(schema: str, metadata: sa.MetaData | None = None) -> sa.Table:
    """The Core table matching ORDERS_DDL."""
    return sa.Table(
        "orders",
        metadata or sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("qty", sa.Integer, sa.CheckConstraint("qty >= 0", name="orders_qty_check")),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created", sa.Date),
        sa.Column("stamp", sa.DateTime(timezone=True)),
        sa.Column(
            "kind",
            sa.Enum("retail", "wholesale", "internal", name="kind", schema=schema),
        ),
        sa.Column("note", sa.Text),
        sa.Column("owner", sa.Text),
        sa.Column("code", sa.String(20)),
        sa.UniqueConstraint("tenant", "code", name="orders_code_key"),
        schema=schema,
    )


def orders_source(schema: str, **options: object) -> Source:
    """``crm.orders`` over the schema's orders table, open to everyone unless told."""
    options.setdefault("permissions", Permissions.everyone())
    return Source("crm.orders", orders_table(schema), **options)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def scratch_schema(db: Database, ddl: str = ORDERS_DDL) -> AsyncIterator[str]:
    """A fresh schema holding ``ddl`` (``{s}`` is the schema name); dropped afterwards."""
    schema = f"t_{secrets.token_hex(5)}"
    await db.execute(f"CREATE SCHEMA {schema}")
    try:
        async with db.transaction() as tx:
            for statement in ddl.format(s=schema).split(";"):
                if statement.strip():
                    await tx.execute(statement)
        yield schema
    finally:
        await db.execute(f"DROP SCHEMA {schema} CASCADE")


async def checksum(db: Database, schema: str, table: str = "orders") -> tuple[int, str]:
    """Row count and an md5 of every row: equal before and after means nothing changed."""
    return tuple(  # type: ignore[return-value]
        await db.fetchrow(
            f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
            f"FROM {schema}.{table} AS t"
        )
    )
