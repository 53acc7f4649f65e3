"""A workplace-risk register: the example application of Raccoon.

Companies → workplaces → risk assessments (hazard, severity, probability,
measures, due date, owner), for two tenants with their own users. The
server side is here; the browser side is the client package
``client/safety``, which ``raccoon run examples/safety`` builds (with the
framework's client) into the bundle the page loads.
"""

from __future__ import annotations

from pathlib import Path

from raccoon.service import Application, SeedContext

from .controllers import CONTROLLERS
from .i18n import CATALOG
from .seed import USERS, seed_accounts, seed_register
from .sources import SOURCES

HERE = Path(__file__).resolve().parent
#: The Alembic revision scripts of the application.
MIGRATIONS = HERE / "migrations"
#: The client package's parent directory (``raccoon build examples/safety/client/safety``).
CLIENT = HERE / "client"


async def seed(ctx: SeedContext) -> None:
    """Two tenants, their users (all with the run's password), 100,000 assessments."""
    await seed_accounts(ctx.accounts, ctx.password)
    for username, *_ in USERS:
        ctx.announce(username)
    await seed_register(ctx.db)


application = Application(
    "safety",
    controllers=CONTROLLERS,
    sources=SOURCES,
    catalog=CATALOG,
    migrations=MIGRATIONS,
    client=CLIENT / "safety",
    seed=seed,
    settings={"title": "Workplace safety"},
)

__all__ = ["CLIENT", "HERE", "MIGRATIONS", "application", "seed"]
