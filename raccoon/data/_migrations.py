"""Migrations with Alembic: the framework's and the application's, and tracking tables.

Two separate Alembic histories share one run: the framework's revisions
(``raccoon/data/migrations/versions``, version table
``raccoon_alembic_version``) and the application's (a directory it names,
version table ``alembic_version``). :func:`upgrade` applies the framework's
first — the application's migrations use its change log — then the
application's, all in **one transaction** under an advisory lock: a failing
migration leaves the database as it was, and two processes upgrading at once
run one after the other.

Alembic is synchronous. It runs here on SQLAlchemy's asyncio engine over
asyncpg (``AsyncConnection.run_sync``, which needs ``greenlet``), so the DSN
means exactly what it means to the rest of Raccoon and no second PostgreSQL
driver is needed (docs/dependencies.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import sqlalchemy as sa

from raccoon.data._admin import _redact, quote_ident
from raccoon.data._errors import MigrationError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = [
    "APP_VERSION_TABLE",
    "FRAMEWORK_MIGRATIONS",
    "FRAMEWORK_VERSION_TABLE",
    "TRIGGER_NAME",
    "downgrade",
    "track_table",
    "untrack_table",
    "upgrade",
]

#: The framework's Alembic script directory (its env.py serves application runs too).
FRAMEWORK_MIGRATIONS = Path(__file__).parent / "migrations"
#: The version table of the framework's history.
FRAMEWORK_VERSION_TABLE = "raccoon_alembic_version"
#: The version table of the application's history (Alembic's usual name).
APP_VERSION_TABLE = "alembic_version"
#: The name of the change-log trigger :func:`track_table` creates on a table.
TRIGGER_NAME = "raccoon_record_change"

# pg_advisory_xact_lock key serializing migration runs: b"raccoonm" as a bigint.
_LOCK_KEY = int.from_bytes(b"raccoonm", "big", signed=True)

PathLike = str | os.PathLike[str]


# -- tracking tables ---------------------------------------------------------------------


def _table_reference(table: sa.Table | str) -> str:
    """The quoted, schema-qualified name of *table* for DDL."""
    if isinstance(table, sa.Table):
        schema, name = table.schema, table.name
    elif isinstance(table, str):
        schema, _, name = table.rpartition(".")
        schema = schema or None
    else:
        raise TypeError(f"expected a sqlalchemy Table or a table name, got {table!r}")
    qualified = quote_ident(name)
    return qualified if schema is None else f"{quote_ident(schema)}.{qualified}"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def track_table(
    table: sa.Table | str,
    *,
    tenant_column: str | None = None,
    primary_key: Sequence[str] | None = None,
) -> str:
    """The DDL that records every insert, update and delete of *table* in the change log.

    For an application migration (after the framework's, which creates the
    trigger function)::

        from raccoon.data import track_table

        def upgrade() -> None:
            op.create_table("orders", ...)
            op.execute(track_table("orders", primary_key=["id"], tenant_column="tenant"))

    With a :class:`~sqlalchemy.Table` the primary key comes from it; with a
    name (``"orders"`` or ``"schema.orders"``) it must be given. Each change
    records the tenant from *tenant_column* of the row when given, else from
    the transaction's ``raccoon.tenant`` setting (``db.transaction(tenant=...)``).
    The statement is ``CREATE OR REPLACE TRIGGER`` (PostgreSQL 14+), so
    running it again updates the arguments. ``TRUNCATE`` is not recorded.
    """
    reference = _table_reference(table)
    if isinstance(table, sa.Table):
        columns = set(table.columns.keys())
        if primary_key is None:
            primary_key = [column.name for column in table.primary_key.columns]
        for name in [*primary_key, *([tenant_column] if tenant_column else [])]:
            if name not in columns:
                raise ValueError(
                    f"table {table.fullname!r} has no column {name!r}; "
                    f"its columns are {sorted(columns)}"
                )
    if isinstance(primary_key, str):
        raise TypeError(
            f"primary_key must be a list of column names, not the string {primary_key!r}"
        )
    if not primary_key:
        raise ValueError(
            f"tracking {reference} needs its "
            "primary-key columns, which identify a record in the change log: pass "
            "primary_key=[...] (or give the table a primary key)"
        )
    if tenant_column is not None and not tenant_column:
        raise ValueError("tenant_column must be a column name or None, not an empty string")
    arguments = ", ".join(_literal(name) for name in [tenant_column or "", *primary_key])
    return (
        f"CREATE OR REPLACE TRIGGER {TRIGGER_NAME} "
        f"AFTER INSERT OR UPDATE OR DELETE ON {reference} "
        f"FOR EACH ROW EXECUTE FUNCTION raccoon_record_change({arguments})"
    )


def untrack_table(table: sa.Table | str) -> str:
    """The DDL that stops recording changes of *table* (the inverse of :func:`track_table`).

    Its changes already in the log stay there.
    """
    return f"DROP TRIGGER IF EXISTS {TRIGGER_NAME} ON {_table_reference(table)}"


# -- running Alembic ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """One Alembic command over one history, within the run's transaction."""

    what: str  # "the framework" / "the application (dir)", for messages
    versions: Path | None  # None: the framework's own versions/ directory
    version_table: str
    command: str  # "upgrade" | "downgrade"
    revision: str

    def run(self, connection: Connection) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        # The options go through configparser: a '%' must be doubled.
        config.set_main_option("script_location", str(FRAMEWORK_MIGRATIONS).replace("%", "%%"))
        if self.versions is not None:
            # One path, split on newlines: nothing that may be in a path name.
            config.set_main_option("path_separator", "newline")
            config.set_main_option("version_locations", str(self.versions).replace("%", "%%"))
        config.attributes["connection"] = connection
        config.attributes["version_table"] = self.version_table
        run: Callable[[Config, str], None] = getattr(command, self.command)
        run(config, self.revision)


def _app_versions(app_migrations: PathLike) -> Path:
    """The directory holding the application's revision scripts."""
    path = Path(app_migrations).absolute()
    if not path.is_dir():
        raise MigrationError(
            f"the application migrations directory {path} does not exist or is not a "
            "directory; pass the directory that holds the application's Alembic "
            "revision scripts (or its parent with a versions/ subdirectory)"
        )
    # `alembic init` puts the scripts in versions/; a bare directory of
    # scripts works too.
    versions = path / "versions"
    return versions if versions.is_dir() else path


async def upgrade(
    dsn: str,
    *,
    app_migrations: PathLike | None = None,
    revision: str = "heads",
) -> None:
    """Bring the database of *dsn* up to date: the framework's migrations, then the application's.

    *app_migrations* is the directory of the application's Alembic revision
    scripts (directly in it, or in its ``versions/`` subdirectory); its
    ``env.py``, if any, is not used. *revision* is the target of the
    application's history when *app_migrations* is given (the framework then
    goes to its head), else of the framework's. Everything runs in one
    transaction: on failure nothing has changed. Running it again when
    everything is current changes nothing.

    Raises :class:`~raccoon.data.MigrationError` when the database cannot be
    reached, a revision is unknown, or a migration fails.
    """
    steps = [
        _Step(
            "the framework",
            None,
            FRAMEWORK_VERSION_TABLE,
            "upgrade",
            "heads" if app_migrations is not None else revision,
        )
    ]
    if app_migrations is not None:
        versions = _app_versions(app_migrations)
        steps.append(
            _Step(
                f"the application ({versions})",
                versions,
                APP_VERSION_TABLE,
                "upgrade",
                revision,
            )
        )
    await _run(dsn, steps)


async def downgrade(dsn: str, revision: str, *, app_migrations: PathLike | None = None) -> None:
    """Take one history of the database of *dsn* back to *revision* (``"base"``: all of it).

    Without *app_migrations* it downgrades the framework's history — which
    PostgreSQL refuses while application tables are still tracked (their
    triggers use the framework's function): untrack them first. With
    *app_migrations* it downgrades the application's history only. One
    transaction, like :func:`upgrade`.
    """
    if app_migrations is None:
        step = _Step("the framework", None, FRAMEWORK_VERSION_TABLE, "downgrade", revision)
    else:
        versions = _app_versions(app_migrations)
        step = _Step(
            f"the application ({versions})", versions, APP_VERSION_TABLE, "downgrade", revision
        )
    await _run(dsn, [step])


def _apply(connection: Connection, steps: Sequence[_Step]) -> None:
    # Concurrent runs (several service processes starting at once) queue
    # here; the second then finds everything current.
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
    for step in steps:
        try:
            step.run(connection)
        except MigrationError:
            raise
        except Exception as exc:
            raise MigrationError(
                f"migrating {step.what} ({step.command} to {step.revision!r}) failed: "
                f"{_describe(exc)}. Nothing was changed: the whole run is one transaction, "
                "rolled back. Fix the cause and run it again."
            ) from exc


def _describe(exc: BaseException) -> str:
    """The useful part of an Alembic or driver error."""
    original = getattr(exc, "orig", None)  # sqlalchemy.exc.DBAPIError wraps the driver's
    cause = getattr(original, "__cause__", None) or original or exc
    return f"{type(cause).__name__}: {cause}"


async def _run(dsn: str, steps: Sequence[_Step]) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    async def connect() -> Any:
        # asyncpg parses the DSN itself, exactly as Database and ChangeFeed do.
        return await asyncpg.connect(dsn)

    engine = create_async_engine("postgresql+asyncpg://", async_creator=connect, poolclass=NullPool)
    try:
        try:
            connection = await engine.connect()
        except (OSError, TimeoutError, asyncpg.PostgresError, sa.exc.DBAPIError) as exc:
            raise MigrationError(
                f"cannot connect to {_redact(dsn)} to migrate it: {_describe(exc)}. "
                "Check that the server runs and the DSN is right."
            ) from exc
        try:
            async with connection.begin():
                await connection.run_sync(_apply, steps)
        finally:
            await connection.close()
    finally:
        await engine.dispose()
