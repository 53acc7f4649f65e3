"""The ``raccoon`` command line.

For now: ``raccoon demo`` starts a Crossbar router and a few nodes in two
WAMP sessions that call each other and exchange signals, and ``raccoon
router`` runs just the router, ``raccoon db upgrade`` migrates a database.
Later issues add ``run``, ``new`` and ``user``. Every server a command starts
is stopped by its pid when the command ends, on Ctrl-C (SIGINT) or SIGTERM too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path as FsPath

from raccoon.build._command import add_build_parser, run_build
from raccoon.node import Connection, Path, Signal, WAMPNode, call, handler
from raccoon.service._commands import add_commands as add_service_commands
from raccoon.service._commands import run_command as run_service_command
from raccoon.service.router import Router, RouterSettings

__all__ = ["main"]

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


def _db_upgrade(
    parser: argparse.ArgumentParser, dsn: str | None, migrations: FsPath | None, revision: str
) -> int:
    from raccoon.data import MigrationError, upgrade  # only this command needs Alembic

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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``raccoon`` console script."""
    parser = argparse.ArgumentParser(prog="raccoon", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a router and a small demo of nodes")
    demo.add_argument("--seconds", type=float, help="stop after this long (default: Ctrl-C)")
    demo.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
    demo.add_argument("--workdir", type=FsPath, help="router directory (default: a temp dir)")
    router = sub.add_parser("router", help="run the Crossbar router alone")
    router.add_argument("--port", type=int, help="port (default: a free one)")
    router.add_argument("--realm", default="raccoon")
    router.add_argument("--workdir", type=FsPath, help="router directory (default: a temp dir)")
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
    add_build_parser(sub)
    add_service_commands(sub)  # serve, user add, tenant add, role add
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    service_status = run_service_command(parser, args)
    if service_status is not None:
        return service_status
    if args.command == "db":
        return _db_upgrade(parser, args.dsn, args.migrations, args.revision)
    if args.command == "build":
        return run_build(args)
    with tempfile.TemporaryDirectory(prefix="raccoon-") as tmp:
        workdir = args.workdir or FsPath(tmp) / "crossbar"
        if args.command == "demo":
            if args.seconds is not None and args.seconds < 0:
                parser.error("--seconds must be positive")
            return asyncio.run(_demo(args.seconds, args.interval, workdir))
        return _router(args.port, args.realm, workdir)


if __name__ == "__main__":
    sys.exit(main())
