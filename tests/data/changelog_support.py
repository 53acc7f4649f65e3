"""Helpers for the change-log, change-feed, history and migration tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from raccoon.data import (
    Change,
    create_database,
    drop_database,
    dsn_with_database,
    track_table,
    upgrade,
)

ITEMS_DDL = """
CREATE TABLE items (
    id serial PRIMARY KEY,
    name text NOT NULL,
    qty integer NOT NULL DEFAULT 0,
    tenant text
)
"""


@contextlib.asynccontextmanager
async def fresh_database(database: str) -> AsyncIterator[str]:
    """A new empty database on the server of the session's *database* DSN."""
    admin = dsn_with_database(database, "postgres")
    name = f"raccoon_t_{secrets.token_hex(4)}"
    dsn = await create_database(admin, name)
    try:
        yield dsn
    finally:
        await drop_database(admin, name)


async def prepare_items(dsn: str, *, tenant_column: str | None = None) -> None:
    """Migrate *dsn* and create the tracked table ``items``."""
    await upgrade(dsn)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(ITEMS_DDL)
        await connection.execute(
            track_table("items", primary_key=["id"], tenant_column=tenant_column)
        )
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def items_database(database: str, *, tenant_column: str | None = None) -> AsyncIterator[str]:
    """A fresh, migrated database with the tracked table ``items``."""
    async with fresh_database(database) as dsn:
        await prepare_items(dsn, tenant_column=tenant_column)
        yield dsn


@contextlib.asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection (not through Raccoon), decoding jsonb for assertions."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        yield connection
    finally:
        await connection.close()


async def log_ids(dsn: str, table: str = "items") -> list[int]:
    async with connect(dsn) as connection:
        rows = await connection.fetch(
            "SELECT id FROM raccoon_changes WHERE table_name = $1 ORDER BY id", table
        )
    return [row["id"] for row in rows]


def ids(changes: list[Change]) -> list[int]:
    return [change.id for change in changes]


class Proxy:
    """A TCP proxy in front of PostgreSQL that can cut or freeze the connections through it.

    ``cut()`` closes every current connection at once (as a network failure
    or a restarted middlebox would); ``freeze()`` stops forwarding on them
    without closing anything (a black hole: nobody learns the peer is gone).
    New connections work normally either way.
    """

    def __init__(self, dsn: str) -> None:
        parts = urlsplit(dsn)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._dsn_parts = parts
        self._server: asyncio.Server | None = None
        self._links: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter, asyncio.Event]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0

    async def start(self) -> str:
        """Start listening; return the DSN that goes through the proxy."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        netloc = self._dsn_parts.netloc.rsplit("@", 1)
        user = netloc[0] + "@" if len(netloc) == 2 else ""
        return urlunsplit(self._dsn_parts._replace(netloc=f"{user}127.0.0.1:{port}"))

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        flowing = asyncio.Event()
        flowing.set()
        self._links.append((writer, up_writer, flowing))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink, flowing))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pipe(
        source: asyncio.StreamReader, sink: asyncio.StreamWriter, flowing: asyncio.Event
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                await flowing.wait()
                sink.write(data)
                await sink.drain()
        sink.transport.abort()

    def cut(self) -> None:
        """Abort every connection through the proxy now."""
        links, self._links = self._links, []
        for client, upstream, _flowing in links:
            client.transport.abort()
            upstream.transport.abort()

    def freeze(self) -> None:
        """Stop forwarding on the current connections, closing nothing."""
        for _client, _upstream, flowing in self._links:
            flowing.clear()

    async def close(self) -> None:
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def run_writers(count: int, body: Callable[[int], Awaitable[None]]) -> None:
    """Run *count* writer coroutines ``body(i)`` concurrently; re-raise the first failure."""
    async with asyncio.TaskGroup() as group:
        for index in range(count):
            group.create_task(body(index))
