"""The ``raccoon`` pytest plugin (registered as a ``pytest11`` entry point).

Fixtures, all against real servers:

``crossbar`` (session)
    A started :class:`~raccoon.service.Router` on a free port: ``.url``,
    ``.realm``. Stopped at the end of the session.
``database`` (session)
    A PostgreSQL DSN (``str``) of a database created for this session. By
    default on an :class:`~raccoon.data.EmbeddedPostgres` started in a
    temporary directory; with ``RACCOON_TEST_DSN`` set, on that server
    instead (the database is dropped at the end; the DSN must be allowed to
    ``CREATE DATABASE``).
``router_factory`` (function)
    Starts extra private routers (e.g. to kill and restart one under live
    clients): ``router = await router_factory.start()``, or
    ``router_factory.start_blocking()`` in a synchronous test. Every router it
    made is stopped at teardown.
``postgres_factory`` (function)
    The same for private :class:`~raccoon.data.EmbeddedPostgres` servers.

Environment: ``RACCOON_CROSSBAR`` names the crossbar executable to use.
When a server is unavailable (no crossbar executable, no database) the
tests that need it are skipped with the reason — except with ``CI=true``,
where they error: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from raccoon._process import run_blocking
from raccoon.data import (
    DatabaseServerError,
    EmbeddedPostgres,
    create_database,
    drop_database,
)
from raccoon.service import Router, RouterError, RouterSettings
from raccoon.testing.connections import connection1, connection2
from raccoon.testing.connections import when_connected_fixture as when_connected

__all__ = [
    "PostgresFactory",
    "RouterFactory",
    "connection1",
    "connection2",
    "crossbar",
    "database",
    "in_ci",
    "postgres_factory",
    "router_factory",
    "when_connected",
]

#: Server settings for throwaway test clusters: durability is not needed there.
TEST_POSTGRES_OPTIONS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def in_ci() -> bool:
    """True when the environment says we run in CI (``CI=true``, ``CI=1``)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _unavailable(what: str, exc: BaseException) -> NoReturn:
    """Skip the test because *what* is unavailable, or fail it in CI."""
    reason = f"{what} is unavailable: {exc}"
    if in_ci():
        pytest.fail(f"{reason}\n(CI=true: a missing server is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def _router_settings() -> RouterSettings:
    return RouterSettings(executable=os.environ.get("RACCOON_CROSSBAR") or None)


def _postgres_datadir() -> Path:
    # Not under pytest's basetemp: it is mode 0700 and, when we are root, the
    # server runs as another account that could not enter it. A fresh
    # mkdtemp() under /tmp is handed over to that account.
    return Path(tempfile.mkdtemp(prefix="raccoon-test-pg-"))


# -- session servers -------------------------------------------------------------------


@pytest.fixture(scope="session")
def crossbar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Router]:
    """A real Crossbar router for the whole session (``.url``, ``.realm``)."""
    router = Router(_router_settings(), tmp_path_factory.mktemp("crossbar"))
    try:
        router.start_blocking()
    except RouterError as exc:
        _unavailable("the Crossbar router", exc)
    try:
        yield router
    finally:
        router.stop_blocking()


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """The DSN of a PostgreSQL database created for this test session."""
    name = f"raccoon_test_{os.getpid()}_{secrets.token_hex(3)}"
    external = os.environ.get("RACCOON_TEST_DSN")
    if external:
        yield from _database_on(external, name)
        return
    datadir = _postgres_datadir()
    server = EmbeddedPostgres(datadir, options=TEST_POSTGRES_OPTIONS)
    try:
        try:
            server.start_blocking()
        except DatabaseServerError as exc:
            _unavailable("the embedded PostgreSQL", exc)
        yield from _database_on(server.dsn, name)
    finally:
        server.stop_blocking()
        shutil.rmtree(datadir, ignore_errors=True)


def _database_on(admin_dsn: str, name: str) -> Iterator[str]:
    try:
        dsn = run_blocking(create_database(admin_dsn, name))
    except (OSError, TimeoutError) as exc:  # asyncpg's own errors surface as they are
        _unavailable(f"the PostgreSQL server of RACCOON_TEST_DSN / {admin_dsn}", exc)
    try:
        yield dsn
    finally:
        run_blocking(drop_database(admin_dsn, name))


# -- private servers per test ----------------------------------------------------------


def _stop_each(stops: list[Callable[[], None]]) -> None:
    """Call every stop, even after one fails; then raise the first failure."""
    errors: list[BaseException] = []
    for stop in stops:
        try:
            stop()
        except BaseException as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


class RouterFactory:
    """Makes private routers for one test and stops them all at its end."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self.routers: list[Router] = []

    def create(self, settings: RouterSettings | None = None) -> Router:
        """A new router, not started, with its own cbdir and free port."""
        router = Router(settings or _router_settings(), self._base / f"router{len(self.routers)}")
        self.routers.append(router)
        return router

    async def start(self, settings: RouterSettings | None = None) -> Router:
        """A new router, started."""
        router = self.create(settings)
        await router.start()
        return router

    def start_blocking(self, settings: RouterSettings | None = None) -> Router:
        """A new router, started, for synchronous tests."""
        router = self.create(settings)
        router.start_blocking()
        return router

    def stop_all(self) -> None:
        _stop_each([router.stop_blocking for router in self.routers])


@pytest.fixture
def router_factory(tmp_path: Path) -> Iterator[RouterFactory]:
    """Start extra private routers; all are stopped when the test ends."""
    factory = RouterFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.stop_all()


class PostgresFactory:
    """Makes private embedded PostgreSQL servers for one test, stopped and removed at its end."""

    def __init__(self) -> None:
        self.servers: list[EmbeddedPostgres] = []

    def create(self) -> EmbeddedPostgres:
        """A new server in a fresh temporary data directory, not started."""
        server = EmbeddedPostgres(_postgres_datadir(), options=TEST_POSTGRES_OPTIONS)
        self.servers.append(server)
        return server

    async def start(self) -> EmbeddedPostgres:
        """A new server, started."""
        server = self.create()
        await server.start()
        return server

    def start_blocking(self) -> EmbeddedPostgres:
        """A new server, started, for synchronous tests."""
        server = self.create()
        server.start_blocking()
        return server

    def stop_all(self) -> None:
        _stop_each([server.stop_blocking for server in self.servers])
        for server in self.servers:
            shutil.rmtree(server.datadir, ignore_errors=True)


@pytest.fixture
def postgres_factory() -> Iterator[PostgresFactory]:
    """Start private embedded PostgreSQL servers; all are stopped when the test ends."""
    factory = PostgresFactory()
    try:
        yield factory
    finally:
        factory.stop_all()
