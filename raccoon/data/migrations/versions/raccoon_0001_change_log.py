"""The change log: table ``raccoon_changes`` and trigger function ``raccoon_record_change()``.

Revision ID: raccoon_0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "raccoon_0001"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None

# Arguments (TG_ARGV) given by raccoon.data.track_table(): the tenant column
# ('' for none), then the primary-key columns.
RECORD_CHANGE_FUNCTION = r"""
CREATE FUNCTION raccoon_record_change() RETURNS trigger
LANGUAGE plpgsql
-- The log is found where this migration created it, whatever the search_path
-- of the session that writes to a tracked table.
SET search_path FROM CURRENT
AS $function$
DECLARE
    tenant_column text := NULLIF(TG_ARGV[0], '');
    old_row jsonb;
    new_row jsonb;
    source_row jsonb;
    key jsonb := '{}'::jsonb;
    change_tenant text;
    change_id bigint;
    i integer;
BEGIN
    IF TG_NARGS < 2 THEN
        RAISE EXCEPTION 'raccoon_record_change() on %.% has no primary-key columns as '
            'trigger arguments', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING HINT = 'create the trigger with raccoon.data.track_table(table)';
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_row := to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_row := to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        -- Nothing changed: nothing to record, nothing for cursors to refresh.
        RETURN NULL;
    END IF;
    source_row := COALESCE(new_row, old_row);
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        key := key || jsonb_build_object(TG_ARGV[i], source_row -> TG_ARGV[i]);
    END LOOP;
    IF tenant_column IS NOT NULL THEN
        change_tenant := source_row ->> tenant_column;
    ELSE
        change_tenant := NULLIF(current_setting('raccoon.tenant', true), '');
    END IF;
    -- txid, at and who come from the column defaults.
    INSERT INTO raccoon_changes (table_name, pk, tenant, op, before, after)
    VALUES (
        CASE WHEN TG_TABLE_SCHEMA = 'public' THEN TG_TABLE_NAME
             ELSE TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME END,
        key, change_tenant, lower(TG_OP), old_row, new_row
    )
    RETURNING id INTO change_id;
    PERFORM pg_notify('raccoon_changes', change_id::text);
    RETURN NULL;
END
$function$
"""


def upgrade() -> None:
    op.create_table(
        "raccoon_changes",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("pk", pg.JSONB, nullable=False),
        sa.Column("tenant", sa.Text, nullable=True),
        sa.Column("op", sa.Text, nullable=False),
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
    )
    op.create_index("raccoon_changes_record_idx", "raccoon_changes", ["table_name", "pk", "id"])
    op.create_index("raccoon_changes_txid_idx", "raccoon_changes", ["txid"])
    op.execute(RECORD_CHANGE_FUNCTION)


def downgrade() -> None:
    # No CASCADE: while application tables are still tracked, PostgreSQL
    # refuses and names their triggers, instead of silently dropping them.
    op.execute("DROP FUNCTION raccoon_record_change()")
    op.drop_table("raccoon_changes")
