"""The first run's seed, all or nothing: :func:`seed_database`.

``raccoon run`` calls the application's seed when the database has no user
yet. The seed runs inside one transaction, on one connection: when it
raises, everything it wrote is rolled back, the database is as if it never
ran, and the next ``raccoon run`` seeds again. (Before, a seed failing
halfway left a tenant without users, and every later run failed with "the
tenant ... exists already".)

The seed sees an ordinary :class:`~raccoon.data.Database` and
:class:`~raccoon.service.Accounts`; their ``db.transaction()`` blocks become
savepoints of the seed's transaction. The one connection does one thing at a
time: a seed must not run queries concurrently (``asyncio.gather``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import asyncpg

from raccoon.data import Database, DataError

from ._accounts import Accounts
from ._application import Application, SeedContext
from ._errors import ServiceError

if TYPE_CHECKING:
    from ._service import Service

__all__ = ["SeedFailed", "seed_database"]


class SeedFailed(ServiceError):
    """The application's seed raised; nothing it wrote was kept.

    ``unexpected`` is true when the cause is not one of Raccoon's own
    errors (a bug in the seed): its traceback is then worth showing.
    """

    def __init__(self, message: str, *, unexpected: bool) -> None:
        super().__init__(message)
        self.unexpected = unexpected


class _OneConnection:
    """Stands in for the pool of a :class:`Database`: every ``acquire()`` yields
    the seed's connection, inside its transaction; other calls go to it."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self._connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class _SeedDatabase(Database):
    """A :class:`Database` whose every statement runs on one connection."""

    def __init__(self, dsn: str, connection: asyncpg.Connection) -> None:
        super().__init__(dsn, min_size=1, max_size=1)
        self._pool = _OneConnection(connection)

    async def open(self) -> Database:
        return self

    async def close(self) -> None:
        pass  # the connection goes back to the service's pool after the seed


async def seed_database(
    app: Application, service: Service, password: str | None
) -> list[tuple[str, str]]:
    """Run *app*'s seed if the database has no user yet, in one transaction;
    the logins it announced. Raises :class:`SeedFailed` saying what to do."""
    db = service.db
    if app.seed is None or await db.fetchval("SELECT EXISTS (SELECT 1 FROM raccoon_users)"):
        return []
    async with db.pool.acquire() as connection:
        seed_db = _SeedDatabase(db.dsn, connection)
        context = SeedContext(seed_db, Accounts(seed_db, service.accounts.hasher), service.settings)
        if password is not None:
            context.password = password
        try:
            # read committed: what Database.transaction() asks for, so that the
            # seed's own transaction blocks nest as savepoints.
            async with connection.transaction(isolation="read_committed"):
                await app.seed(context)
        except Exception as exc:
            ours = isinstance(exc, ServiceError | DataError | asyncpg.PostgresError)
            raise SeedFailed(await _explain(app, service, exc, ours), unexpected=not ours) from exc
    return context.logins


async def _explain(app: Application, service: Service, exc: Exception, ours: bool) -> str:
    """What went wrong, and what the user is to do about it."""
    cause = str(exc) if ours else f"{type(exc).__name__}: {exc}"
    message = (
        f"the seed of {app.name} failed: {cause}. Nothing it wrote was kept (it runs in one "
        "transaction): fix the seed, or what it depends on, and run again"
    )
    # A database without users but with tenants was left by a seed that failed
    # halfway before seeds were atomic: seeding again cannot succeed on it.
    leftovers = await service.db.fetchval("SELECT EXISTS (SELECT 1 FROM raccoon_tenants)")
    if leftovers:
        postgres = service.postgres
        if postgres is not None:
            where = f"delete {postgres.datadir} (the development database) and run again"
        else:
            where = "empty the database database_url names and run again"
        message += (
            f". The database holds tenants but no user: an earlier seed stopped halfway; "
            f"to start over, {where}"
        )
    return message
