"""Creating and dropping databases on a PostgreSQL server (tests, the demo, setup)."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import asyncpg

__all__ = ["create_database", "drop_database", "dsn_with_database", "quote_ident"]

_SCHEMES = ("postgres", "postgresql")


def quote_ident(name: str) -> str:
    """*name* as a quoted SQL identifier: double quotes around, inner ones doubled."""
    if not name or "\x00" in name or len(name.encode()) > 63:
        raise ValueError(
            f"{name!r} is not a usable PostgreSQL identifier: it must be 1-63 bytes "
            "without NUL characters"
        )
    return '"' + name.replace('"', '""') + '"'


def dsn_with_database(dsn: str, database: str) -> str:
    """*dsn* (a ``postgresql://`` URL) pointing at *database* instead.

    >>> dsn_with_database("postgresql://postgres@127.0.0.1:5432/postgres", "app")
    'postgresql://postgres@127.0.0.1:5432/app'
    """
    parts = urlsplit(dsn)
    if parts.scheme not in _SCHEMES:
        shown = f" {_redact(dsn)!r}" if parts.scheme else ""  # keyword DSNs may hold a password
        raise ValueError(
            f"the DSN{shown} is not a postgresql:// URL; keyword DSNs "
            "('host=... dbname=...') are not supported here"
        )
    # A database named in the query string would win over the path.
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("dbname", "database")]
    return urlunsplit(parts._replace(path="/" + quote(database, safe=""), query=urlencode(query)))


async def create_database(dsn: str, name: str) -> str:
    """Create database *name* on the server of *dsn*; return a DSN for it.

    *dsn* must allow ``CREATE DATABASE``. Fails with asyncpg's
    ``DuplicateDatabaseError`` if it exists.
    """
    statement = f"CREATE DATABASE {quote_ident(name)}"
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
    return dsn_with_database(dsn, name)


async def drop_database(dsn: str, name: str) -> None:
    """Drop database *name* on the server of *dsn* if it exists.

    Connections still open to it are terminated (``WITH (FORCE)``, which
    needs PostgreSQL 13 or later).
    """
    statement = f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)"
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _redact(dsn: str) -> str:
    """*dsn* without its password, for messages."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
