"""The change log's tables, as SQLAlchemy Core :class:`~sqlalchemy.Table` objects.

They describe what the framework migration ``raccoon_0001``
(``raccoon/data/migrations``) creates; a test checks that the two agree. The
migration spells its DDL out instead of using these objects, because a
migration must keep creating the schema of its own time when this module
has moved on. (Other framework tables are described next to their code,
e.g. the accounts in :mod:`raccoon.service`.)
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

__all__ = ["CHANGE_CHANNEL", "change_log", "framework_metadata"]

#: Everything the framework migrations create.
framework_metadata = sa.MetaData()

#: The ``NOTIFY`` channel the change-log trigger announces new change ids on.
CHANGE_CHANNEL = "raccoon_changes"

#: The change log: one row per insert, update or delete of a tracked table,
#: written by the trigger function ``raccoon_record_change()``.
change_log = sa.Table(
    "raccoon_changes",
    framework_metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    # The table's name as SQLAlchemy spells `Table.fullname`: the bare name in
    # the `public` schema, `schema.name` elsewhere.
    sa.Column("table_name", sa.Text, nullable=False),
    # {"column": value} for each primary-key column (jsonb, so composite keys
    # and any key type fit one indexed column).
    sa.Column("pk", pg.JSONB, nullable=False),
    sa.Column("tenant", sa.Text, nullable=True),
    sa.Column("op", sa.Text, nullable=False),
    # The writing (top-level) transaction; the change feed's exactly-once
    # rule depends on it (docs/data-changes.md).
    sa.Column("txid", sa.BigInteger, nullable=False, server_default=sa.text("txid_current()")),
    sa.Column(
        "at",
        sa.TIMESTAMP(timezone=True),
        nullable=False,
        server_default=sa.text("clock_timestamp()"),
    ),
    sa.Column(
        "who",
        sa.Text,
        nullable=True,
        server_default=sa.text("NULLIF(current_setting('raccoon.user', true), '')"),
    ),
    sa.Column("before", pg.JSONB, nullable=True),
    sa.Column("after", pg.JSONB, nullable=True),
    sa.CheckConstraint("op IN ('insert', 'update', 'delete')", name="raccoon_changes_op_check"),
    # History of one record, in id order.
    sa.Index("raccoon_changes_record_idx", "table_name", "pk", "id"),
    # The change feed looks rows up by the transaction that wrote them.
    sa.Index("raccoon_changes_txid_idx", "txid"),
)
