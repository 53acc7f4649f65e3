"""``raccoon run [APP]`` and ``raccoon serve [APP]``: run an application until Ctrl-C.

``run`` is for development: the state (embedded PostgreSQL, router
directory) lives in ``APP/.raccoon/`` and survives restarts, the
application's seed runs on a database without users, and what was started
is printed (with pids, also written to ``.raccoon/run.json``). ``serve`` is
the same service for production: nothing is seeded and the settings alone
say where things are. Both stop everything they started, by pid, on SIGINT
or SIGTERM, and exit 0. ``raccoon dev`` is ``run`` with ``watch``: the
client is rebuilt on change and open pages reload; a change of the
application's server code stops everything and asks the caller to start
again (:data:`RESTART`), see ``_dev.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
import signal
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from raccoon.build import BuildError
from raccoon.data import DataError
from raccoon.node import NodeError

from ._application import Application
from ._client import build_client, bundle_location
from ._dev import ClientWatcher, ServerWatcher
from ._errors import ServiceError
from ._logs import console_threshold
from ._seeding import SeedFailed, seed_database
from ._service import Service
from .settings import Settings

__all__ = [
    "RESTART",
    "RUN_FILE",
    "SECRET_FILE",
    "STATE_DIR",
    "dev_settings",
    "prepare_client",
    "run_application",
]

log = logging.getLogger("raccoon.run")

#: The application's development state directory (``raccoon run``).
STATE_DIR = ".raccoon"
#: In the state directory while ``raccoon run`` runs: its pids and URL.
RUN_FILE = "run.json"
#: In the state directory: the development secret ``raccoon run`` generates
#: when none is configured (join tokens survive a restart; never for production).
SECRET_FILE = "secret"

#: What :func:`run_application` returns when ``raccoon dev`` must start again
#: (the application's server code changed); everything is stopped by then.
RESTART = 75

_START_FAILURES = (ServiceError, DataError, NodeError, OSError, TimeoutError)


def dev_settings(app: Application, settings: Settings) -> Settings:
    """*settings* with ``raccoon run``'s defaults: state in ``APP/.raccoon``.

    An explicit ``workdir`` or ``database_dir`` is kept. When we are root the
    embedded PostgreSQL runs as another account, which may not be able to
    enter the application's directory (under ``/root``, say): its data then
    goes to ``/var/tmp/raccoon/<app>-<hash>/`` instead, and a warning says so.
    """
    changes: dict[str, Any] = {}
    workdir = Path(settings.workdir) if settings.workdir else (app.root or Path.cwd()) / STATE_DIR
    changes["workdir"] = str(workdir)
    if settings.database_url is None and settings.database_dir is None:
        datadir = workdir / "postgres"
        if os.geteuid() == 0 and not _others_can_enter(workdir):
            digest = hashlib.sha1(str(workdir.resolve()).encode()).hexdigest()[:10]
            datadir = Path("/var/tmp/raccoon") / f"{app.name}-{digest}" / "postgres"
            log.warning(
                "PostgreSQL cannot run as root and its account cannot enter %s: "
                "its data goes to %s",
                workdir,
                datadir,
            )
        changes["database_dir"] = str(datadir)
    return settings.replace(**changes)


def prepare_client(
    app: Application,
    settings: Settings,
    *,
    development: bool = True,
    say: Callable[[str], None] | None = None,
) -> Settings:
    """*settings* with ``bundle_path`` set to *app*'s client bundle, built if it changed.

    Nothing is built when the application has no ``client`` or the settings
    name a bundle already (a production image builds it once, ahead). The
    bundle goes below ``workdir`` (else ``APP/.raccoon``); ``raccoon run``
    builds in development mode (readable, quick), ``serve`` in production mode.
    """
    package = app.path(app.client)
    if package is None or settings.bundle_path is not None:
        return settings
    workdir = _workdir(app, settings)
    mode = "development" if development else "production"
    made = build_client(package, workdir, mode=mode)  # BuildError, CheckFailed say what
    if made.built and say is not None:
        say(
            f"  client    built {made.bundle.name} in {made.seconds:.1f} s "
            f"({made.size / 1024:.0f} KiB, {made.gzip_size / 1024:.0f} KiB gzipped)"
        )
    return settings.replace(bundle_path=str(made.bundle))


def _workdir(app: Application, settings: Settings) -> Path:
    return Path(settings.workdir) if settings.workdir else (app.root or Path.cwd()) / STATE_DIR


def _others_can_enter(path: Path) -> bool:
    """Whether every existing directory down to *path* is traversable by anyone."""
    for directory in (path, *path.parents):
        try:
            mode = directory.stat().st_mode
        except FileNotFoundError:
            continue  # created later, 0755 under the usual umask
        if not mode & stat.S_IXOTH:
            return False
    return True


async def run_application(
    app: Application,
    settings: Settings,
    *,
    development: bool = True,
    seed: bool | None = None,
    password: str | None = None,
    out: Callable[[str], None] | None = None,
    watch: bool = False,
) -> int:
    """Run *app* with *settings* until SIGINT or SIGTERM; the exit status.

    With *development* (``raccoon run``) what was started is reported, and
    ``workdir/run.json`` holds the pids while it runs. With *seed* (default:
    *development*) the application's seed runs on a database without users,
    with *password* for the users it creates (else a random one). With
    *watch* (``raccoon dev``) the client is rebuilt when it changes and pages
    reload; :data:`RESTART` is returned, everything stopped, when the
    application's server code changed.
    """
    seed = development if seed is None else seed
    say = out or _print
    # The summary below is what a developer reads: routine INFO log lines would
    # interleave with it (stderr and stdout share the terminal), so while
    # starting, and again while stopping, only warnings and errors are shown;
    # at debug level everything is.
    quiet = development and not _debugging()
    shown = console_threshold(logging.WARNING) if quiet else None
    if development:
        say(f"starting {app.name} ({app.root or Path.cwd()})")
    dev_secret: tuple[Path, bool] | None = None  # its file, and whether made now
    if development and settings.secret is None:
        try:
            settings, dev_secret = _dev_secret(app, settings)
        except OSError as exc:
            print(
                f"raccoon: cannot keep a development secret ({exc}): make the state "
                "directory writable, or set RACCOON_SECRET",
                file=sys.stderr,
                flush=True,
            )
            if shown is not None:
                console_threshold(shown)
            return 1
    if watch:
        settings = settings.replace(dev_reload=True)
    try:
        settings = prepare_client(app, settings, development=development, say=say)
    except BuildError as exc:
        if not watch:
            print(f"raccoon: the client of {app.name} does not build:\n{exc}", file=sys.stderr)
            return 1
        # raccoon dev goes on: the page loads once the code is fixed.
        say(f"  client    does not build yet; fix it and the page will load:\n{exc}".rstrip())
        package = app.path(app.client)
        assert package is not None
        settings = settings.replace(
            bundle_path=str(bundle_location(package, _workdir(app, settings)))
        )
    service = app.service(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    run_file = Path(settings.workdir) / RUN_FILE if development and settings.workdir else None
    watchers: list[asyncio.Task[None]] = []
    try:
        if not await _start(service, stop):
            say("interrupted while starting; everything started was stopped")
            return 130
        logins: list[tuple[str, str]] = []
        if seed and app.seed is not None:
            logins = await seed_database(app, service, password)
        if development:
            _report(service, logins, dev_secret, say)
        else:
            say(f"raccoon serving at {service.url} (realm {service.settings.realm!r})")
        if run_file is not None:
            _write_run_file(run_file, service)
        if watch:
            restart = _watch(app, settings, stop, say, watchers)
        say("Ctrl-C to stop.")
        if shown is not None:
            console_threshold(shown)  # from now on, the log as configured
        await stop.wait()
        if shown is not None:
            console_threshold(logging.WARNING)  # a deliberate stop is quiet
        say("stopping ...")
        return RESTART if watch and restart else 0
    except _START_FAILURES as exc:
        trace: BaseException | None = exc if _debugging() else None
        if isinstance(exc, SeedFailed) and exc.unexpected:
            trace = exc.__cause__  # a bug in the application's seed: its traceback helps
        log.error("%s could not run: %s", app.name, exc, exc_info=trace)
        print(f"raccoon: {app.name} could not run: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        for task in watchers:
            task.cancel()
        for task in watchers:
            with contextlib.suppress(asyncio.CancelledError):
                await task  # (a build already in a worker thread finishes: asyncio.run waits)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        try:
            await service.stop()
        finally:
            if run_file is not None:
                run_file.unlink(missing_ok=True)
            if shown is not None:
                console_threshold(shown)
        say("stopped")


def _watch(
    app: Application,
    settings: Settings,
    stop: asyncio.Event,
    say: Callable[[str], None],
    tasks: list[asyncio.Task[None]],
) -> list[str]:
    """Start ``raccoon dev``'s watchers into *tasks*; the list the changed server files
    go into (non-empty: restart), which also sets *stop*."""
    changed: list[str] = []
    package = app.path(app.client)
    workdir = _workdir(app, settings)
    if package is not None:
        client = ClientWatcher(package, workdir, say)
        tasks.append(asyncio.create_task(client.run(), name="raccoon-dev-client"))
        say(f"  watching  {package} and the framework's client: rebuilt on change")
    if app.root is not None:

        def restart(paths: list[str]) -> None:
            changed.extend(paths)
            say(f"  server    {', '.join(_short(p) for p in paths)} changed: restarting")
            stop.set()

        exclude = [workdir] + ([package] if package is not None else [])
        server = ServerWatcher(app.root, exclude, restart)
        tasks.append(asyncio.create_task(server.run(), name="raccoon-dev-server"))
        say(f"  watching  the Python files of {app.root}: the service restarts on change")
    return changed


def _short(path: str) -> str:
    with contextlib.suppress(ValueError):
        return str(Path(path).relative_to(Path.cwd()))
    return path


def _print(line: str) -> None:
    print(line, flush=True)


def _debugging() -> bool:
    return logging.getLogger().isEnabledFor(logging.DEBUG)


async def _start(service: Service, stop: asyncio.Event) -> bool:
    """Start *service* unless *stop* is set first; False when interrupted."""
    starting = asyncio.ensure_future(service.start())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if starting.done():
        starting.result()  # raises a failed start
        return True
    starting.cancel()  # Service.start stops what it began
    with contextlib.suppress(asyncio.CancelledError, *_START_FAILURES):
        await starting
    return False


def _dev_secret(app: Application, settings: Settings) -> tuple[Settings, tuple[Path, bool]]:
    """*settings* with the development secret of ``workdir/secret``, generated
    (0600) if there is none; the file, and whether it was generated now.

    Kept, so that logins survive a restart of ``raccoon run`` (a random secret
    per run would end them) and no warning is due: development is not production.
    """
    path = _workdir(app, settings) / SECRET_FILE
    with contextlib.suppress(FileNotFoundError):
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) >= 32:  # else: not one of ours (derive_key would refuse it)
            return settings.replace(secret=secret), (path, False)
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    return settings.replace(secret=secret), (path, True)


def _report(
    service: Service,
    logins: list[tuple[str, str]],
    dev_secret: tuple[Path, bool] | None,
    say: Callable[[str], None],
) -> None:
    postgres = service.postgres
    if postgres is not None:
        say(
            f"  database  embedded PostgreSQL, pid {postgres.pid}, data in {postgres.datadir} "
            f"({postgres.dsn})"
        )
    else:
        say("  database  database_url")
    if service.settings.router_url is None:
        router = service.router
        say(f"  router    Crossbar, pid {router.pid}, log {router.log_path}")
    else:
        say(f"  router    {service.settings.router_url} (run by someone else)")
    for username, password in logins:
        say(f"  login     {username} / {password}  (created now; shown only this once)")
    if dev_secret is not None:
        path, made = dev_secret
        what = "generated now for development" if made else "for development"
        say(f"  secret    {what}, kept in {path}; production needs its own (RACCOON_SECRET)")
    say(f"  open      {service.url}")


def _write_run_file(path: Path, service: Service) -> None:
    postgres = service.postgres
    router = service.router if service.settings.router_url is None else None
    data = {
        "pid": os.getpid(),
        "url": service.url,
        "router_pid": router.pid if router is not None else None,
        "postgres_pid": postgres.pid if postgres is not None else None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
