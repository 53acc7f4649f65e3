"""The service's subcommands of ``raccoon``: ``new``, ``run``, ``serve``, ``user|tenant|role add``.

::

    raccoon new demo                 # writes the application demo/
    raccoon run demo                 # embedded PostgreSQL, migrations, seed, Crossbar, service
    raccoon dev demo                 # the same, rebuilding the client and reloading pages on change
    raccoon serve demo --config /etc/demo.toml     # production: settings say where things are
    raccoon tenant add acme --dsn postgresql://...
    raccoon role add clerk --dsn ...
    raccoon user add ann --tenant acme --role clerk --dsn ...   # asks for the password

Settings come from the application's defaults, then the settings file
(``--config``, else ``raccoon.toml`` in the application's directory), then
``RACCOON_*`` environment variables, then options such as ``--port``. For
the accounts commands the database comes from ``--dsn``, else
``RACCOON_DATABASE_URL``, else the settings file. Passwords are read from
the terminal (twice), or from standard input with ``--password-stdin``;
never from the command line, where other users could read them (``raccoon
run --password`` is the exception: a development convenience for the
seed's users).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path as FsPath
from typing import Any

from raccoon.data import Database, MigrationError, upgrade
from raccoon.service._accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Accounts,
    make_hasher,
)
from raccoon.service._application import Application, load_application
from raccoon.service._errors import AccountError, ApplicationNotFound
from raccoon.service._logs import configure_logging
from raccoon.service._run import RESTART, dev_settings, run_application
from raccoon.service._scaffold import create_application
from raccoon.service.settings import Settings

__all__ = ["add_commands", "configure_from", "run_command", "seed_password"]

COMMANDS = frozenset({"new", "run", "dev", "serve", "user", "tenant", "role"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the service's subcommands to the ``raccoon`` parser's *sub*."""
    new = sub.add_parser("new", help="write a new application that runs (raccoon run NAME)")
    new.add_argument("name", help="the application's name: a lowercase identifier ('orders')")
    new.add_argument(
        "--directory", type=FsPath, help="where to write it (default: ./NAME); must be empty"
    )
    run = sub.add_parser(
        "run",
        help="run an application: embedded PostgreSQL (unless a database URL is set), "
        "migrations, seed, Crossbar, the service; Ctrl-C stops it all",
    )
    dev = sub.add_parser(
        "dev",
        help="raccoon run, plus: rebuild the client on change and reload open pages; "
        "restart on a change of the application's Python files",
    )
    for parser in (run, dev):
        parser.add_argument(
            "app", nargs="?", help="its directory or module (default: the current directory)"
        )
        parser.add_argument(
            "--config", type=FsPath, help="the settings file (default: APP/raccoon.toml)"
        )
        parser.add_argument("--port", type=int, help="the public port (overrides the settings)")
        parser.add_argument("--host", help="the public interface (overrides the settings)")
        parser.add_argument(
            "--password",
            type=seed_password,
            help=f"the password of the users the seed creates, {MIN_PASSWORD_LENGTH} to "
            f"{MAX_PASSWORD_LENGTH} characters (default: a random one); used on the first "
            "run only, which seeds the database",
        )
        parser.add_argument("--no-seed", action="store_true", help="do not seed a fresh database")
    serve = sub.add_parser("serve", help="run the web service (router, page, API, sessions)")
    serve.add_argument("app", nargs="?", help="the application's directory or module")
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


def seed_password(text: str) -> str:
    """``--password``, checked while the arguments are parsed: a password the
    accounts would refuse must stop ``raccoon run`` before anything starts
    (no database, no router, no state directory), not after the whole setup."""
    if not MIN_PASSWORD_LENGTH <= len(text) <= MAX_PASSWORD_LENGTH:
        raise argparse.ArgumentTypeError(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, "
            f"this one has {len(text)}: choose another, e.g. --password correct-horse"
        )
    return text


def configure_from(args: argparse.Namespace, settings: Settings | None = None) -> None:
    """Set up logging: ``--log-level``/``--log-format`` (and ``-v``) over *settings*."""
    level = "debug" if getattr(args, "verbose", False) else getattr(args, "log_level", None)
    fmt = getattr(args, "log_format", None)
    configure_logging(
        level or (settings.log_level if settings is not None else "info"),
        fmt or (settings.log_format if settings is not None else "text"),
    )


def run_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int | None:
    """Run the subcommand in *args* if it is one of ours; ``None`` otherwise."""
    if args.command not in COMMANDS:
        return None
    if args.command == "new":
        return _new(args)
    if args.command in ("run", "dev", "serve"):
        return _run(parser, args)
    try:
        settings = Settings.load(args.config)
    except ValueError as exc:
        parser.error(str(exc))
    configure_from(args, settings)
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


def _new(args: argparse.Namespace) -> int:
    directory = args.directory or FsPath(args.name)
    try:
        files = create_application(directory, args.name)
    except ValueError as exc:
        print(f"raccoon new: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"wrote the application {args.name!r} in {directory} ({len(files)} files)")
    print(f"run it:  raccoon run {directory}")
    print(f"develop: raccoon dev {directory}   (rebuilds the client, reloads the page on change)")
    return 0


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    development = args.command in ("run", "dev")
    configure_from(args)  # until the settings are known
    try:
        if development or args.app is not None:
            app = load_application(args.app)
        else:
            app = Application("raccoon")  # the bare service: the default desktop only
        overrides: dict[str, Any] = {}
        if development and args.port is not None:
            overrides["port"] = args.port
        if development and args.host is not None:
            overrides["host"] = args.host
        settings = app.load_settings(args.config, **overrides)
    except (ApplicationNotFound, ValueError) as exc:
        parser.error(str(exc))
    configure_from(args, settings)
    if development:
        settings = dev_settings(app, settings)
    status = asyncio.run(
        run_application(
            app,
            settings,
            development=development,
            password=args.password if development and not args.no_seed else None,
            seed=development and not args.no_seed,
            watch=args.command == "dev",
        )
    )
    if status == RESTART and args.command == "dev":
        # Everything was stopped: start afresh in this process (same pid, so
        # whoever started us still holds it), with the new server code.
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "raccoon.service.cli", *sys.argv[1:]])
    return status
