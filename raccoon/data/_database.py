"""Database access: an asyncpg pool, statements from SQLAlchemy Core.

SQLAlchemy Core builds the statements (symbolic, composable, no string
building); asyncpg executes them (fast, and it caches prepared statements per
connection by SQL text). The ORM is not used: it does not fit an async
service, and Core carries all the table metadata we need.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["Database", "Executor", "Transaction", "compile_parts", "compile_statement"]

_DIALECT = pg_asyncpg.dialect()
# Render IN-list expansions into the SQL text instead of leaving the
# "post-compile" markers the SQLAlchemy engine would fill in.
_COMPILE_KWARGS = {"render_postcompile": True}

Statement = ClauseElement | str


# Compiled statements by SQLAlchemy cache key: compiling costs about a
# millisecond, as much as running a simple query, and the statements of a
# cursor differ only in their values. This is what SQLAlchemy's engine does
# with its own compiled cache.
_COMPILED: dict[Any, SQLCompiler] = {}
_COMPILED_MAX = 2000


def _compile(statement: ClauseElement, cache_key: Any) -> SQLCompiler:
    return cast(
        SQLCompiler,
        statement.compile(dialect=_DIALECT, cache_key=cache_key, compile_kwargs=_COMPILE_KWARGS),
    )


def compile_parts(statement: ClauseElement) -> tuple[str, list[str], list[Any]]:
    """``(sql, parameter names, values)`` of a Core statement, for asyncpg.

    The names say which ``$n`` each value fills (``$1`` is the first), so a
    caller may keep the SQL and change some values (a cursor's offset and
    limit) without building or compiling the statement again.
    """
    key = statement._generate_cache_key()
    # IN lists are rendered into the SQL text (one placeholder per value),
    # so a statement with one is compiled each time.
    if key is None or any(bind.expanding for bind in key.bindparams):
        compiled = _compile(statement, None)
        params = compiled.construct_params() or {}
    else:
        compiled = _COMPILED.get(key.key)  # type: ignore[assignment]
        if compiled is None:
            if len(_COMPILED) >= _COMPILED_MAX:
                _COMPILED.pop(next(iter(_COMPILED)))
            compiled = _COMPILED[key.key] = _compile(statement, key)
        params = compiled.construct_params(extracted_parameters=key.bindparams) or {}
    names = list(compiled.positiontup or [])
    # The type conversions SQLAlchemy's own engine applies (enums, JSON…),
    # which are cached on the compiled object.
    processors = cast("dict[str, Any]", compiled._bind_processors)
    values = []
    for name in names:
        value = params[name]
        processor = processors.get(name)
        values.append(processor(value) if processor is not None else value)
    return str(compiled), names, values


def compile_statement(statement: Statement, args: Sequence[Any] = ()) -> tuple[str, list[Any]]:
    """``(sql, positional parameters)`` for asyncpg.

    A string is passed through with ``args``; a Core statement is compiled
    for PostgreSQL with ``$n`` placeholders and its bound values (compiled
    once per statement shape, then taken from a cache).
    """
    if isinstance(statement, str):
        return statement, list(args)
    if args:
        raise TypeError("a SQLAlchemy statement carries its own parameters: pass no args")
    sql, _names, values = compile_parts(statement)
    return sql, values


class _PooledConnection(asyncpg.Connection):
    """A pool connection that knows whether its last use left it as it found it."""

    __slots__ = ("_raccoon_clean",)

    def _raccoon_mark_clean(self) -> None:
        # Reached through asyncpg's pool proxy, which forwards attribute reads.
        self._raccoon_clean = True


async def _reset_connection(connection: asyncpg.Connection) -> None:
    # asyncpg resets every released connection with one more round trip
    # (RESET ALL, CLOSE ALL, UNLISTEN *, advisory unlocks): ≈40 µs idle, far
    # more on a loaded machine, per query. The data layer's own reads (the
    # selects a Source builds, run alone in autocommit) cannot change the
    # session, so they skip it; every other use of a connection (writes,
    # transactions, raw SQL, `db.pool.acquire()`) still gets the full reset.
    if getattr(connection, "_raccoon_clean", False):
        connection._raccoon_clean = False
        return
    query = connection.get_reset_query()
    if query:
        await connection.execute(query)


def _encode_json(value: Any) -> str:
    # SQLAlchemy's JSON bind processor already produced JSON text; values
    # passed with raw SQL are encoded here.
    return value if isinstance(value, str) else json.dumps(value)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # json/jsonb columns come back as Python values, not JSON text.
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=_encode_json, decoder=json.loads, schema="pg_catalog"
        )


class Executor:
    """Runs statements on one connection (a transaction) or the pool."""

    def __init__(self, target: Any) -> None:
        self._target = target

    async def fetch(self, statement: Statement, *args: Any) -> list[asyncpg.Record]:
        """All rows."""
        sql, values = compile_statement(statement, args)
        return await self._target.fetch(sql, *values)

    async def fetchrow(self, statement: Statement, *args: Any) -> asyncpg.Record | None:
        """The first row, or ``None``."""
        sql, values = compile_statement(statement, args)
        return await self._target.fetchrow(sql, *values)

    async def fetchval(self, statement: Statement, *args: Any) -> Any:
        """The first column of the first row, or ``None``."""
        sql, values = compile_statement(statement, args)
        return await self._target.fetchval(sql, *values)

    async def execute(self, statement: Statement, *args: Any) -> str:
        """Run a statement; returns PostgreSQL's status (``'UPDATE 1'``)."""
        sql, values = compile_statement(statement, args)
        return await self._target.execute(sql, *values)

    async def _read(self, sql: str, values: Sequence[Any]) -> list[asyncpg.Record]:
        """Rows of a select the data layer built itself (a source's read):
        on the pool, the connection goes back without the session reset."""
        target = self._target
        if not isinstance(target, asyncpg.Pool):
            return await target.fetch(sql, *values)
        async with target.acquire() as connection:
            records = await connection.fetch(sql, *values)
            mark_clean = getattr(connection, "_raccoon_mark_clean", None)  # our pool's only
            if mark_clean is not None:
                mark_clean()
            return records


class Transaction(Executor):
    """One transaction on one connection (``async with db.transaction()``).

    ``user`` and ``tenant`` are set as transaction-local settings
    (``raccoon.user``, ``raccoon.tenant``) that the change-log triggers
    record, so history says who changed what.
    """

    def __init__(self, connection: asyncpg.Connection, user: str | None, tenant: str | None):
        super().__init__(connection)
        self.connection = connection
        self.user = user
        self.tenant = tenant


class Database:
    """A pool of PostgreSQL connections::

    async with Database(dsn) as db:
        rows = await db.fetch(sa.select(orders).where(orders.c.customer == 7))
        async with db.transaction(user='ann', tenant='acme') as tx:
            await tx.execute(sa.update(orders).values(total=0))
    """

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.dsn = dsn
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        """The asyncpg pool (open the database first)."""
        if self._pool is None:
            raise RuntimeError("the database is not open: call `await db.open()` first")
        return self._pool

    async def open(self) -> Database:
        """Open the pool (idempotent)."""
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=self._min_size,
                max_size=self._max_size,
                init=_init_connection,
                connection_class=_PooledConnection,
                reset=_reset_connection,
            )
        return self

    async def close(self) -> None:
        """Close the pool, waiting for connections to be released."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def executor(self) -> Executor:
        """Runs single statements on any pooled connection (autocommit)."""
        return Executor(self.pool)

    async def fetch(self, statement: Statement, *args: Any) -> list[asyncpg.Record]:
        """All rows of one statement, on any pooled connection."""
        return await self.executor.fetch(statement, *args)

    async def fetchrow(self, statement: Statement, *args: Any) -> asyncpg.Record | None:
        """The first row of one statement, or ``None``."""
        return await self.executor.fetchrow(statement, *args)

    async def fetchval(self, statement: Statement, *args: Any) -> Any:
        """The first value of one statement, or ``None``."""
        return await self.executor.fetchval(statement, *args)

    async def execute(self, statement: Statement, *args: Any) -> str:
        """Run one statement in its own transaction."""
        return await self.executor.execute(statement, *args)

    @asynccontextmanager
    async def transaction(
        self,
        *,
        user: str | None = None,
        tenant: str | None = None,
        readonly: bool = False,
        isolation: str = "read_committed",
    ) -> AsyncIterator[Transaction]:
        """A transaction: committed when the block ends, rolled back when it
        raises (nothing of a failed write remains)."""
        async with self.pool.acquire() as conn:
            async with conn.transaction(isolation=isolation, readonly=readonly):
                if user is not None or tenant is not None:
                    await conn.execute(
                        "SELECT set_config('raccoon.user', $1, true), "
                        "set_config('raccoon.tenant', $2, true)",
                        user or "",
                        tenant or "",
                    )
                yield Transaction(conn, user, tenant)
