"""The service's subcommands of ``raccoon``: ``serve``, ``user add``, ``tenant add``, ``role add``.

::

    raccoon tenant add acme --dsn postgresql://...
    raccoon role add clerk --dsn ...
    raccoon user add ann --tenant acme --role clerk --dsn ...   # asks for the password
    raccoon serve --config raccoon.toml

The database comes from ``--dsn``, else ``RACCOON_DATABASE_URL``, else the
settings file given with ``--config``. Passwords are read from the
terminal (twice), or from standard input with ``--password-stdin``; never
from the command line, where other users could read them.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from pathlib import Path as FsPath

from raccoon.data import Database, MigrationError, upgrade
from raccoon.service._accounts import Accounts, make_hasher
from raccoon.service._errors import AccountError, ServiceError
from raccoon.service._service import Service
from raccoon.service.settings import Settings

__all__ = ["add_commands", "run_command"]

COMMANDS = frozenset({"serve", "user", "tenant", "role"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the service's subcommands to the ``raccoon`` parser's *sub*."""
    serve = sub.add_parser("serve", help="run the web service (router, page, API, sessions)")
    serve.add_argument("--config", type=FsPath, help="the settings file (TOML)")
    for noun, what in (("user", "users"), ("tenant", "tenants"), ("role", "roles")):
        group = sub.add_parser(noun, help=f"manage {what}").add_subparsers(
            dest=f"{noun}_command", required=True
        )
        add = group.add_parser("add", help=f"create a {noun}")
        add.add_argument("name", help=f"the {noun}'s name")
        add.add_argument("--dsn", help="the database URL (default: $RACCOON_DATABASE_URL)")
        add.add_argument("--config", type=FsPath, help="the settings file (TOML)")
        if noun == "user":
            add.add_argument("--tenant", help="the tenant the user belongs to")
            add.add_argument(
                "--role", action="append", default=[], help="a role to grant (repeatable)"
            )
            add.add_argument("--language", help="the user's language ('it', 'de_CH')")
            add.add_argument("--display-name", default="", help="the name to show")
            add.add_argument("--email")
            add.add_argument(
                "--password-stdin", action="store_true", help="read the password from stdin"
            )
        elif noun == "tenant":
            add.add_argument("--title", default="", help="the tenant's display title")
        else:
            add.add_argument("--description", default="")


def run_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int | None:
    """Run the subcommand in *args* if it is one of ours; ``None`` otherwise."""
    if args.command not in COMMANDS:
        return None
    try:
        settings = Settings.load(args.config)
    except ValueError as exc:
        parser.error(str(exc))
    if args.command == "serve":
        return asyncio.run(_serve(settings))
    dsn = args.dsn or settings.database_url
    if not dsn:
        parser.error(
            "no database: pass --dsn postgresql://..., set RACCOON_DATABASE_URL, "
            "or give --config with database_url"
        )
    password = None
    if args.command == "user":
        password = _read_password(args.password_stdin)
    try:
        asyncio.run(_add(args, dsn, settings, password))
    except (AccountError, MigrationError) as exc:
        print(f"raccoon {args.command} add: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"{args.command} {args.name!r} created", flush=True)
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("the passwords differ", file=sys.stderr)
        raise SystemExit(1)
    return first


async def _add(
    args: argparse.Namespace, dsn: str, settings: Settings, password: str | None
) -> None:
    await upgrade(dsn)  # the accounts tables come with the framework migrations
    async with Database(dsn, min_size=1, max_size=2) as db:
        hasher = make_hasher(
            settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism
        )
        accounts = Accounts(db, hasher)
        if args.command == "tenant":
            await accounts.create_tenant(args.name, args.title)
        elif args.command == "role":
            await accounts.create_role(args.name, args.description)
        else:
            assert password is not None
            await accounts.create_user(
                args.name,
                password,
                tenant=args.tenant,
                roles=args.role,
                display_name=args.display_name,
                email=args.email,
                language=args.language,
            )


async def _serve(settings: Settings) -> int:
    service = Service(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await service.start()
    except (ServiceError, MigrationError, OSError) as exc:
        print(f"raccoon serve: {exc}", file=sys.stderr, flush=True)
        return 1
    try:
        print(f"raccoon serving at {service.url} (realm {service.settings.realm!r})", flush=True)
        print("Ctrl-C to stop.", flush=True)
        await stop.wait()
    finally:
        await service.stop()
        print("stopped", flush=True)
    return 0
