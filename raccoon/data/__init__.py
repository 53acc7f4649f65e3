"""Raccoon's data layer: PostgreSQL through asyncpg.

For now: the embedded PostgreSQL server used by default in development and
tests, and helpers to create and drop databases.

Sources (docs/data.md): a :class:`Source` wraps a table with what clients
may see and do; :func:`read`, :func:`count`, :func:`get`, :func:`create`,
:func:`update` and :func:`delete` run as a :class:`Principal`, scoped to its
tenant, checked against :class:`Permissions`, validated, versioned.
"""

from raccoon._server import ServerState
from raccoon.data._admin import create_database, drop_database, dsn_with_database, quote_ident
from raccoon.data._catalog import Catalog
from raccoon.data._changes import Change, FieldChange, diff_rows
from raccoon.data._cursor import Cursor, DetailCursor, data_rpc_error, row_key
from raccoon.data._database import Database, Transaction
from raccoon.data._errors import (
    ArgumentError,
    ChangeFeedError,
    ConflictError,
    DatabaseServerError,
    DataError,
    FieldError,
    FilterError,
    MigrationError,
    NotFoundError,
    PermissionDenied,
    RequestError,
    TooLargeError,
    ValidationError,
)
from raccoon.data._feed import ChangeFeed, FeedState, FeedStatistics, Subscription
from raccoon.data._filters import OPERATORS, Filter
from raccoon.data._history import history
from raccoon.data._limits import MAX_RECORD_BYTES, MAX_RESULT_BYTES
from raccoon.data._migrations import downgrade, track_table, untrack_table, upgrade
from raccoon.data._permissions import OPERATIONS, Permissions, RowRule
from raccoon.data._position import FeedPosition
from raccoon.data._principal import Principal
from raccoon.data._reads import count, get, read
from raccoon.data._schema import change_log
from raccoon.data._sorting import Sort, SortKey
from raccoon.data._source import Source
from raccoon.data._validation import Check, Rule
from raccoon.data._writes import create, delete, update
from raccoon.data.embedded import DEFAULT_SERVER_ACCOUNT, EmbeddedPostgres, postgres_bindir

__all__ = [
    "DEFAULT_SERVER_ACCOUNT",
    "MAX_RECORD_BYTES",
    "MAX_RESULT_BYTES",
    "OPERATIONS",
    "OPERATORS",
    "ArgumentError",
    "Catalog",
    "Change",
    "ChangeFeed",
    "ChangeFeedError",
    "Check",
    "ConflictError",
    "Cursor",
    "DataError",
    "Database",
    "DatabaseServerError",
    "DetailCursor",
    "EmbeddedPostgres",
    "FeedPosition",
    "FeedState",
    "FeedStatistics",
    "FieldChange",
    "FieldError",
    "Filter",
    "FilterError",
    "MigrationError",
    "NotFoundError",
    "PermissionDenied",
    "Permissions",
    "Principal",
    "RequestError",
    "RowRule",
    "Rule",
    "ServerState",
    "Sort",
    "SortKey",
    "Source",
    "Subscription",
    "TooLargeError",
    "Transaction",
    "ValidationError",
    "change_log",
    "count",
    "create",
    "create_database",
    "data_rpc_error",
    "delete",
    "diff_rows",
    "downgrade",
    "drop_database",
    "dsn_with_database",
    "get",
    "history",
    "postgres_bindir",
    "quote_ident",
    "read",
    "row_key",
    "track_table",
    "untrack_table",
    "update",
    "upgrade",
]
