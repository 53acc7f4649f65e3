"""The Alembic environment of every Raccoon migration run, framework and application.

Alembic loads this file itself (it is not imported as a module).
:func:`raccoon.data.upgrade` runs Alembic with an open connection, already
inside the one transaction of the whole run, and the version table to use,
in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context


def _run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "Raccoon's Alembic environment got no database connection: its migrations "
            "run through `raccoon db upgrade` (or raccoon.data.upgrade()), which connects "
            "and picks the version tables. Use `alembic revision` only to write new "
            "revision files."
        )
    context.configure(
        connection=connection,
        version_table=config.attributes["version_table"],
        target_metadata=config.attributes.get("target_metadata"),
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
