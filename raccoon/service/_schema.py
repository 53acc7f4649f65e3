"""The service's tables: tenants, users, roles, login sessions and attempts (SQLAlchemy Core).

The framework migrations ``raccoon_0002_accounts`` and
``raccoon_0003_login_attempts`` create them; like the data layer's
``_schema.py``, the migrations spell their DDL out, and a test checks that
the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "accounts_metadata",
    "login_attempts",
    "login_sessions",
    "roles",
    "tenants",
    "user_roles",
    "users",
]

#: Everything the accounts migration creates.
accounts_metadata = sa.MetaData()

_now = sa.text("now()")

tenants = sa.Table(
    "raccoon_tenants",
    accounts_metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False, server_default=_now),
    sa.UniqueConstraint("name", name="raccoon_tenants_name_key"),
    sa.CheckConstraint("name ~ '^[A-Za-z0-9_.-]{1,100}$'", name="raccoon_tenants_name_check"),
)

roles = sa.Table(
    "raccoon_roles",
    accounts_metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False, server_default=_now),
    sa.UniqueConstraint("name", name="raccoon_roles_name_key"),
    sa.CheckConstraint("name ~ '^[A-Za-z0-9_.:-]{1,100}$'", name="raccoon_roles_name_check"),
)

users = sa.Table(
    "raccoon_users",
    accounts_metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    # Unique without regard to case (the index below): 'Ann' and 'ann' are one user.
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
    # NULL: the browser's Accept-Language decides.
    sa.Column("language", sa.Text, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False, server_default=_now),
    sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False, server_default=_now),
    sa.CheckConstraint(
        "length(username) BETWEEN 1 AND 150 AND username = btrim(username)",
        name="raccoon_users_username_check",
    ),
    sa.CheckConstraint(
        "language IS NULL OR language ~ '^[A-Za-z]{2,8}(_[A-Za-z0-9]{1,8})*$'",
        name="raccoon_users_language_check",
    ),
    sa.Index("raccoon_users_username_key", sa.func.lower(sa.text("username")), unique=True),
    sa.Index("raccoon_users_tenant_idx", "tenant_id"),
)

user_roles = sa.Table(
    "raccoon_user_roles",
    accounts_metadata,
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
    sa.Index("raccoon_user_roles_role_idx", "role_id"),
)

#: One row per login: what a refresh (``POST /api/token``) and a logout check.
login_sessions = sa.Table(
    "raccoon_login_sessions",
    accounts_metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("raccoon_users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # SHA-256 of the browser's HttpOnly cookie: a refresh needs both.
    sa.Column("browser_key_hash", sa.LargeBinary, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("client", sa.Text, nullable=True),
    sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False, server_default=_now),
    sa.Column("expires_at", sa.TIMESTAMP(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.TIMESTAMP(timezone=True), nullable=True),
    sa.Index("raccoon_login_sessions_user_idx", "user_id"),
)

#: Failed-login counting shared by the service processes (``raccoon_0003``).
login_attempts = sa.Table(
    "raccoon_login_attempts",
    accounts_metadata,
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
