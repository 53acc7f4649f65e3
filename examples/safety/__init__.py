"""A workplace-risk register: the example application of Raccoon.

Companies → workplaces → risk assessments (hazard, severity, probability,
measures, due date, owner), for two tenants with their own users. The
server side is here; the browser side is the client package in
``client/safety`` (built with ``raccoon build examples/safety/client
--bundle safety``).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The Alembic revision scripts of the application.
MIGRATIONS = HERE / "migrations"
#: The client package directory (for ``raccoon build``).
CLIENT = HERE / "client"
