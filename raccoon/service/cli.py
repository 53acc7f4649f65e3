"""The ``raccoon`` command line.

``raccoon new NAME`` writes an application; ``raccoon run [APP]`` runs it
with everything it needs (embedded PostgreSQL unless a database URL is set,
migrations, Crossbar, the service); ``raccoon serve [APP]`` is the same
service for production; ``raccoon db upgrade`` migrates a database;
``raccoon user|tenant|role add`` manage accounts; ``raccoon router`` runs a
bare router and ``raccoon router config`` writes the configuration of a
router run apart (docs/deployment.md); ``raccoon demo`` shows nodes talking
over a router; ``raccoon build`` builds client code. Every server a command
starts is stopped by its pid when the command ends, on Ctrl-C (SIGINT) or
SIGTERM too. Logs go to stderr, as readable lines or JSON (``--log-format``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path as FsPath

from raccoon.build._command import add_build_parser, run_build
from raccoon.node import Connection, Path, Signal, WAMPNode, call, handler
from raccoon.service._application import load_application
from raccoon.service._commands import add_commands as add_service_commands
from raccoon.service._commands import configure_from
from raccoon.service._commands import run_command as run_service_command
from raccoon.service._errors import ApplicationNotFound
from raccoon.service._logs import LOG_FORMATS
from raccoon.service._topology import router_config
from raccoon.service.router import Router, RouterSettings
from raccoon.service.settings import Settings

__all__ = ["DESCRIPTION", "build_parser", "main"]

log = logging.getLogger("raccoon.demo")

#: The environment variable naming the application's database.
DATABASE_URL_ENV = "RACCOON_DATABASE_URL"


class Clock(WAMPNode):
    """Ticks every ``interval`` seconds and tells the time on request."""

    on_tick = Signal()

    def __init__(self) -> None:
        self.count = 0

    @call
    async def now(self) -> int:
        return self.count

    async def tick(self) -> None:
        self.count += 1
        await self.on_tick.notify(self.count)


class Greeter(WAMPNode):
    """Lives in another WAMP session; reacts to the clock and calls it back."""

    def __init__(self) -> None:
        self.seen = 0

    @call
    async def greet(self, name: str) -> str:
        return f"hello {name}"

    @handler("@clock.on_tick")
    async def on_tick(self, count: int, details: object) -> None:
        self.seen += 1
        answer = await self.remote("@clock").now()
        print(
            f"tick {count} reached {self.node_path} (another WAMP session); "
            f"asked the clock back over RPC: now={answer}",
            flush=True,
        )


async def _demo(seconds: float | None, interval: float, workdir: FsPath) -> int:
    router = Router(RouterSettings(realm="raccoon"), workdir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    conns: list[Connection] = []
    try:
        print(f"starting Crossbar in {workdir} ...", flush=True)
        await router.start()
        print(
            f"router ready at {router.url} (realm {router.realm!r}, pid {router.pid})", flush=True
        )
        server = Connection(router.url, router.realm, name="server")
        client = Connection(router.url, router.realm, name="client")
        conns += [server, client]
        await asyncio.gather(server.connect(), client.connect())
        base = Path("demo")
        clock, greeter = Clock(), Greeter()
        await clock.node_bind(base + "clock", server.new_context())
        await greeter.node_bind(base + "greeter", client.new_context())
        print(
            f"nodes bound: {clock.node_path} (session {server.session_id}), "
            f"{greeter.node_path} (session {client.session_id})",
            flush=True,
        )
        print(await clock.remote("@greeter").greet("raccoon"), "(RPC across sessions)", flush=True)
        print("Ctrl-C to stop." if seconds is None else f"running for {seconds} s", flush=True)
        deadline = None if seconds is None else loop.time() + seconds
        while not stop.is_set() and (deadline is None or loop.time() < deadline):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if not stop.is_set():
                await clock.tick()
        await asyncio.sleep(0.1)  # let the last tick's handler finish
        await greeter.node_unbind()
        await clock.node_unbind()
        print(f"done: {clock.count} ticks sent, {greeter.seen} received", flush=True)
        return 0 if greeter.seen > 0 or clock.count == 0 else 1
    finally:
        for conn in conns:
            await conn.close()
        await router.stop()
        print("router stopped", flush=True)


def _router(port: int | None, realm: str, workdir: FsPath) -> int:
    async def run() -> None:
        router = Router(RouterSettings(realm=realm, port=port), workdir)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await router.start()
            print(f"router ready at {router.url} (realm {realm!r}); Ctrl-C to stop", flush=True)
            await stop.wait()
        finally:
            await router.stop()

    asyncio.run(run())
    return 0


def _router_config(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        settings = Settings.load(args.config)
        config = router_config(
            settings,
            upstream=args.upstream,
            backend_port=args.backend_port,
            backend_host=args.backend_host,
        )
    except ValueError as exc:
        parser.error(str(exc))
    text = json.dumps(config, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _db_upgrade(
    parser: argparse.ArgumentParser,
    dsn: str | None,
    migrations: FsPath | None,
    revision: str,
    app: str | None = None,
) -> int:
    from raccoon.data import MigrationError, upgrade  # only this command needs Alembic

    if app is not None:
        try:
            application = load_application(app)
        except ApplicationNotFound as exc:
            parser.error(str(exc))
        if migrations is None:
            migrations = application.path(application.migrations)
        dsn = dsn or application.load_settings().database_url
    dsn = dsn or os.environ.get(DATABASE_URL_ENV)
    if not dsn:
        parser.error(
            f"no database to upgrade: pass --dsn postgresql://... or set {DATABASE_URL_ENV}"
        )
    try:
        asyncio.run(upgrade(dsn, app_migrations=migrations, revision=revision))
    except MigrationError as exc:
        print(f"raccoon db upgrade: {exc}", file=sys.stderr, flush=True)
        return 1
    print("database is up to date", flush=True)
    return 0


#: ``raccoon --help``'s text: plain words, not the reST of the docstring above.
DESCRIPTION = (
    "Raccoon's command line: write an application (new), run it for development "
    "(run, dev) or production (serve), migrate its database (db), manage accounts "
    "(user, tenant, role), run a router (router), build client code (build)."
)
EPILOG = (
    "'raccoon COMMAND --help' tells more. Every server a command starts is stopped "
    "by its pid when the command ends, on Ctrl-C or SIGTERM too. Logs go to standard "
    "error, as readable lines or JSON (--log-format)."
)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``raccoon`` subcommand."""
    parser = argparse.ArgumentParser(prog="raccoon", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="the log level (default: the log_level setting, info)",
    )
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        help="readable lines or one JSON object per line (default: the log_format setting)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a router and a small demo of nodes")
    demo.add_argument("--seconds", type=float, help="stop after this long (default: Ctrl-C)")
    demo.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
    demo.add_argument("--workdir", type=FsPath, help="router directory (default: a temp dir)")
    router = sub.add_parser(
        "router", help="run the Crossbar router alone, or write a production router's config"
    )
    router.add_argument("--port", type=int, help="port (default: a free one)")
    router.add_argument("--realm", default="raccoon")
    router.add_argument("--workdir", type=FsPath, help="router directory (default: a temp dir)")
    router_sub = router.add_subparsers(dest="router_command")
    config = router_sub.add_parser(
        "config",
        help="print the Crossbar config of a router run apart from the services",
        description="The router of the service's settings (realm, public host and port, "
        "origins, limits), with the public port's '/' proxied to UPSTREAM and a backend "
        "transport for the services. Secrets stay in the router's environment: "
        "RACCOON_SECRET and RACCOON_BACKEND_TICKET. See docs/deployment.md.",
    )
    config.add_argument("--config", type=FsPath, help="the settings file (TOML)")
    config.add_argument(
        "--upstream",
        required=True,
        help="the services' HTTP port as the router reaches it: http://service:8000",
    )
    config.add_argument("--backend-port", type=int, default=8081, help="default 8081")
    config.add_argument(
        "--backend-host", default="0.0.0.0", help="the backend transport's interface"
    )
    config.add_argument("--out", type=FsPath, help="write here (default: standard output)")
    db = sub.add_parser("db", help="manage the database").add_subparsers(
        dest="db_command", required=True
    )
    db_upgrade = db.add_parser(
        "upgrade", help="apply the framework's migrations, then the application's"
    )
    db_upgrade.add_argument("--dsn", help=f"the database URL (default: ${DATABASE_URL_ENV})")
    db_upgrade.add_argument(
        "--migrations", type=FsPath, help="the application's Alembic revision scripts"
    )
    db_upgrade.add_argument("--revision", default="heads", help="target revision (default: heads)")
    db_upgrade.add_argument(
        "--app", help="the application (directory or module): its migrations and settings"
    )
    add_build_parser(sub)
    add_service_commands(sub)  # new, run, serve, user add, tenant add, role add
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``raccoon`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    service_status = run_service_command(parser, args)
    if service_status is not None:
        return service_status
    configure_from(args)
    if args.command == "db":
        return _db_upgrade(parser, args.dsn, args.migrations, args.revision, args.app)
    if args.command == "build":
        return run_build(args)
    if args.command == "router" and args.router_command == "config":
        return _router_config(parser, args)
    with tempfile.TemporaryDirectory(prefix="raccoon-") as tmp:
        workdir = args.workdir or FsPath(tmp) / "crossbar"
        if args.command == "demo":
            if args.seconds is not None and args.seconds < 0:
                parser.error("--seconds must be positive")
            return asyncio.run(_demo(args.seconds, args.interval, workdir))
        return _router(args.port, args.realm, workdir)


if __name__ == "__main__":
    sys.exit(main())
