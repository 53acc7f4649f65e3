"""Failed-login counting shared by every service process: ``raccoon_login_attempts``.

Revision ID: raccoon_0003
Revises: raccoon_0002

Each login attempt inserts one row per key (``user:<name>``,
``client:<address>``) before the password is checked; a successful login
deletes its rows. Replicas behind one router share the database, so they
share the count: a guesser cannot multiply their attempts by the number of
processes. The SQLAlchemy Core description is ``login_attempts`` in
``raccoon/service/_schema.py``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "raccoon_0003"
down_revision: str | None = "raccoon_0002"
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "raccoon_login_attempts",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column(
            "attempted_at",
            sa.TIMESTAMP(timezone=True),
            nullable=False,
            server_default=sa.text("clock_timestamp()"),
        ),
        sa.Index("raccoon_login_attempts_key_idx", "key", "attempted_at"),
    )


def downgrade() -> None:
    op.drop_table("raccoon_login_attempts")
