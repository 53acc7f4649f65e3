"""The risk register's tables, tracked in the change log.

Revision ID: safety_0001
Revises:
"""

from __future__ import annotations

from alembic import op

from raccoon.data import track_table

revision = "safety_0001"
down_revision = None
branch_labels = None
depends_on = None

_TABLES = ("safety_companies", "safety_workplaces", "safety_assessments")


def upgrade() -> None:
    for statement in _DDL.split(";"):
        if statement.strip():
            op.execute(statement)
    for table in _TABLES:
        op.execute(track_table(table, primary_key=["id"], tenant_column="tenant"))


_DDL = """
        CREATE TABLE safety_companies (
            id serial PRIMARY KEY,
            tenant text NOT NULL,
            version integer NOT NULL DEFAULT 1,
            name varchar(120) NOT NULL,
            city varchar(80),
            employees integer
        );
        CREATE TABLE safety_workplaces (
            id serial PRIMARY KEY,
            tenant text NOT NULL,
            version integer NOT NULL DEFAULT 1,
            company_id integer NOT NULL REFERENCES safety_companies (id) ON DELETE CASCADE,
            name varchar(120) NOT NULL,
            department varchar(80)
        );
        CREATE INDEX ix_safety_workplaces_company_id ON safety_workplaces (company_id);
        CREATE TABLE safety_assessments (
            id serial PRIMARY KEY,
            tenant text NOT NULL,
            version integer NOT NULL DEFAULT 1,
            workplace_id integer NOT NULL REFERENCES safety_workplaces (id) ON DELETE CASCADE,
            hazard varchar(200) NOT NULL,
            severity integer NOT NULL
                CONSTRAINT safety_assessments_severity CHECK (severity BETWEEN 1 AND 4),
            probability integer NOT NULL
                CONSTRAINT safety_assessments_probability CHECK (probability BETWEEN 1 AND 4),
            measures text,
            due_date date,
            owner varchar(80)
        );
        CREATE INDEX ix_safety_assessments_workplace_id ON safety_assessments (workplace_id);
        CREATE INDEX ix_safety_companies_tenant_name ON safety_companies (tenant, name, id);
"""


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.execute(f"DROP TABLE {table}")
