"""Accounts of the web service: tenants, roles, users, their roles, login sessions.

Revision ID: raccoon_0002
Revises: raccoon_0001

The SQLAlchemy Core description of these tables is
``raccoon/service/_schema.py`` (``accounts_metadata``). The users table is
not tracked by the change log on purpose: its rows hold password hashes,
which must not be copied into the history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "raccoon_0002"
down_revision: str | None = "raccoon_0001"
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None

_NOW = sa.text("now()")


def _created_at() -> sa.Column[object]:
    return sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False, server_default=_NOW)


def upgrade() -> None:
    op.create_table(
        "raccoon_tenants",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        _created_at(),
        sa.UniqueConstraint("name", name="raccoon_tenants_name_key"),
        sa.CheckConstraint("name ~ '^[A-Za-z0-9_.-]{1,100}$'", name="raccoon_tenants_name_check"),
    )
    op.create_table(
        "raccoon_roles",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        _created_at(),
        sa.UniqueConstraint("name", name="raccoon_roles_name_key"),
        sa.CheckConstraint("name ~ '^[A-Za-z0-9_.:-]{1,100}$'", name="raccoon_roles_name_check"),
    )
    op.create_table(
        "raccoon_users",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column(
            "tenant_id",
            sa.BigInteger,
            sa.ForeignKey("raccoon_tenants.id", ondelete="RESTRICT"),
            nullable=True,
        ),
        sa.Column("display_name", sa.Text, nullable=False, server_default=""),
        sa.Column("email", sa.Text, nullable=True),
        sa.Column("language", sa.Text, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        _created_at(),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False, server_default=_NOW),
        sa.CheckConstraint(
            "length(username) BETWEEN 1 AND 150 AND username = btrim(username)",
            name="raccoon_users_username_check",
        ),
        sa.CheckConstraint(
            "language IS NULL OR language ~ '^[A-Za-z]{2,8}(_[A-Za-z0-9]{1,8})*$'",
            name="raccoon_users_language_check",
        ),
    )
    op.create_index(
        "raccoon_users_username_key", "raccoon_users", [sa.text("lower(username)")], unique=True
    )
    op.create_index("raccoon_users_tenant_idx", "raccoon_users", ["tenant_id"])
    op.create_table(
        "raccoon_user_roles",
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("raccoon_users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "role_id",
            sa.BigInteger,
            sa.ForeignKey("raccoon_roles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("raccoon_user_roles_role_idx", "raccoon_user_roles", ["role_id"])
    op.create_table(
        "raccoon_login_sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("raccoon_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("browser_key_hash", sa.LargeBinary, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("client", sa.Text, nullable=True),
        _created_at(),
        sa.Column("expires_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.TIMESTAMP(timezone=True), nullable=True),
    )
    op.create_index("raccoon_login_sessions_user_idx", "raccoon_login_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_table("raccoon_login_sessions")
    op.drop_table("raccoon_user_roles")
    op.drop_table("raccoon_users")
    op.drop_table("raccoon_roles")
    op.drop_table("raccoon_tenants")
