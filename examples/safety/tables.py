"""The tables of the workplace-risk register: companies → workplaces → risk assessments.

Every table has a ``tenant`` column (the data layer scopes reads and
writes to the session's tenant) and a ``version`` (optimistic concurrency).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

companies = sa.Table(
    "safety_companies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("city", sa.String(80)),
    sa.Column("employees", sa.Integer),
)

workplaces = sa.Table(
    "safety_workplaces",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column(
        "company_id",
        sa.Integer,
        sa.ForeignKey("safety_companies.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("department", sa.String(80)),
)

assessments = sa.Table(
    "safety_assessments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column(
        "workplace_id",
        sa.Integer,
        sa.ForeignKey("safety_workplaces.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("hazard", sa.String(200), nullable=False),
    sa.Column("severity", sa.Integer, nullable=False),
    sa.Column("probability", sa.Integer, nullable=False),
    sa.Column("measures", sa.Text),
    sa.Column("due_date", sa.Date),
    sa.Column("owner", sa.String(80)),
    sa.CheckConstraint("severity BETWEEN 1 AND 4", name="safety_assessments_severity"),
    sa.CheckConstraint("probability BETWEEN 1 AND 4", name="safety_assessments_probability"),
)

TABLES = (companies, workplaces, assessments)
