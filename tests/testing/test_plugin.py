"""The raccoon pytest plugin: its fixtures in this session, and its behaviour
under CI / RACCOON_TEST_DSN in separate pytest runs (pytester)."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import pytest

from raccoon._process import pick_free_port, run_blocking
from raccoon.data import EmbeddedPostgres
from raccoon.service import Router, ServerState
from raccoon.service._probe import join_realm
from raccoon.testing.plugin import PostgresFactory, RouterFactory

pytest_plugins = ["pytester"]

# The inner runs use the project's strict settings too.
INNER_INI = """
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
filterwarnings = error
timeout = 60
"""


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# -- the fixtures, used directly ----------------------------------------------------------


@pytest.mark.asyncio
async def test_crossbar_fixture(crossbar: Router) -> None:
    assert crossbar.running
    assert crossbar.realm == "raccoon"
    assert crossbar.url == f"ws://127.0.0.1:{crossbar.port}/ws"
    await join_realm(crossbar.url, crossbar.realm, 10.0)


@pytest.mark.asyncio
async def test_database_fixture(database: str) -> None:
    connection = await asyncpg.connect(database)
    try:
        assert await connection.fetchval("select 1") == 1
        assert (await connection.fetchval("select current_database()")).startswith("raccoon_test_")
    finally:
        await connection.close()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_router_factory(router_factory: RouterFactory, crossbar: Router) -> None:
    router = await router_factory.start()
    assert router.running and router.url != crossbar.url
    await join_realm(router.url, router.realm, 10.0)
    assert router_factory.routers == [router]  # stopped at teardown (tested below)


@pytest.mark.asyncio
async def test_postgres_factory(postgres_factory: PostgresFactory) -> None:
    server = await postgres_factory.start()
    dsn = await server.create_database("app")
    await server.restart()
    connection = await asyncpg.connect(dsn)
    try:
        assert await connection.fetchval("select current_database()") == "app"
    finally:
        await connection.close()


# -- the plugin in separate pytest runs ---------------------------------------------------


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester with our ini and a clean environment (no CI, no test DSN)."""
    pytester.makeini(INNER_INI)
    for name in ("CI", "RACCOON_TEST_DSN", "RACCOON_CROSSBAR"):
        monkeypatch.delenv(name, raising=False)
    return pytester


@pytest.mark.slow
def test_factories_stop_everything_at_teardown(inner: pytest.Pytester, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    inner.makepyfile(
        f"""
        def test_start(router_factory, postgres_factory):
            router = router_factory.start_blocking()
            server = postgres_factory.start_blocking()
            with open({str(pids)!r}, "w") as out:
                out.write(f"{{router.pid}} {{server.pid}} {{server.datadir}}")
        """
    )
    inner.runpytest_subprocess().assert_outcomes(passed=1)
    router_pid, server_pid, datadir = pids.read_text().split()
    assert gone(int(router_pid)) and gone(int(server_pid))
    assert not Path(datadir).exists()


MISSING_CROSSBAR_TEST = """
def test_needs_a_router(crossbar):
    pass
"""


def test_missing_crossbar_skips_locally(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner.makepyfile(MISSING_CROSSBAR_TEST)
    monkeypatch.setenv("RACCOON_CROSSBAR", "/nonexistent/crossbar")
    result = inner.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*the Crossbar router is unavailable*/nonexistent/crossbar*"])


def test_missing_crossbar_errors_in_ci(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner.makepyfile(MISSING_CROSSBAR_TEST)
    monkeypatch.setenv("RACCOON_CROSSBAR", "/nonexistent/crossbar")
    monkeypatch.setenv("CI", "true")
    result = inner.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CI=true: a missing server is an error, not a skip*"])


UNREACHABLE_DATABASE_TEST = """
def test_needs_a_database(database):
    pass
"""


def unreachable_dsn() -> str:
    return f"postgresql://postgres@127.0.0.1:{pick_free_port()}/postgres"


def test_unreachable_database_skips_locally(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner.makepyfile(UNREACHABLE_DATABASE_TEST)
    monkeypatch.setenv("RACCOON_TEST_DSN", unreachable_dsn())
    result = inner.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*PostgreSQL server of RACCOON_TEST_DSN*unavailable*"])


def test_unreachable_database_errors_in_ci(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner.makepyfile(UNREACHABLE_DATABASE_TEST)
    monkeypatch.setenv("RACCOON_TEST_DSN", unreachable_dsn())
    monkeypatch.setenv("CI", "true")
    result = inner.runpytest_subprocess()
    result.assert_outcomes(errors=1)


def test_database_on_a_server_given_by_dsn(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, postgres_factory: PostgresFactory
) -> None:
    server = postgres_factory.start_blocking()
    monkeypatch.setenv("RACCOON_TEST_DSN", server.dsn)
    inner.makepyfile(
        """
        import asyncpg, pytest

        @pytest.mark.asyncio
        async def test_database(database):
            connection = await asyncpg.connect(database)
            await connection.execute("create table t (x int)")
            await connection.close()
        """
    )
    inner.runpytest_subprocess().assert_outcomes(passed=1)
    assert names_of_test_databases(server) == []  # created for the session, then dropped


def names_of_test_databases(server: EmbeddedPostgres) -> list[str]:
    async def names() -> list[str]:
        connection = await asyncpg.connect(server.dsn)
        try:
            rows = await connection.fetch(
                "select datname from pg_database where datname like 'raccoon_test_%'"
            )
        finally:
            await connection.close()
        return [row["datname"] for row in rows]

    assert server.state is ServerState.RUNNING
    return run_blocking(names())
