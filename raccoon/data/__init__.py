"""Raccoon's data layer: PostgreSQL through asyncpg.

For now: the embedded PostgreSQL server used by default in development and
tests, and helpers to create and drop databases.
"""

from raccoon._server import ServerState
from raccoon.data._admin import create_database, drop_database, dsn_with_database, quote_ident
from raccoon.data._errors import DatabaseServerError, DataError
from raccoon.data.embedded import DEFAULT_SERVER_ACCOUNT, EmbeddedPostgres, postgres_bindir

__all__ = [
    "DEFAULT_SERVER_ACCOUNT",
    "DataError",
    "DatabaseServerError",
    "EmbeddedPostgres",
    "ServerState",
    "create_database",
    "drop_database",
    "dsn_with_database",
    "postgres_bindir",
    "quote_ident",
]
