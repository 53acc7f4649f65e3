"""Fixtures for the web service tests: a real service per test module.

Each module gets its own database (created on the session's PostgreSQL,
migrated, dropped at the end) and its own :class:`~raccoon.service.Service`
— a real Crossbar router with the function authenticator and the dynamic
authorizer, the aiohttp application, the backend session — configured by
the module's ``SERVICE_SETTINGS`` dict and ``SERVICE_CONTROLLERS`` list.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from service_support import FAST_HASHING, PASSWORD, Browser

from raccoon._process import run_blocking
from raccoon.context import Registry
from raccoon.data import create_database, drop_database, upgrade
from raccoon.service import Service, Settings


@pytest.fixture(scope="module")
def service_database(database: str) -> Iterator[str]:
    """A fresh, migrated database for this module (on the session's server)."""
    name = f"raccoon_svc_{os.getpid()}_{secrets.token_hex(3)}"
    dsn = run_blocking(create_database(database, name))
    try:
        run_blocking(upgrade(dsn))
        yield dsn
    finally:
        run_blocking(drop_database(database, name))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(
    request: pytest.FixtureRequest, service_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Service]:
    """A started service; users ``ann`` (tenant acme, role clerk) and ``bob``
    (tenant globex) with password :data:`PASSWORD`."""
    options: dict[str, Any] = {
        "secret": secrets.token_urlsafe(48),
        "port": 0,
        "database_url": service_database,
        "migrate": False,
        "grace_period": 2.0,
        "workdir": str(tmp_path_factory.mktemp("service")),
        "crossbar": os.environ.get("RACCOON_CROSSBAR") or None,
        **FAST_HASHING,
        **getattr(request.module, "SERVICE_SETTINGS", {}),
    }
    controllers = Registry(getattr(request.module, "SERVICE_CONTROLLERS", []))
    svc = Service(Settings(**options), controllers=controllers)
    await svc.start()
    try:
        accounts = svc.accounts
        for tenant in ("acme", "globex"):
            await accounts.create_tenant(tenant)
        await accounts.create_role("clerk")
        await accounts.create_user("ann", PASSWORD, tenant="acme", roles=["clerk"])
        await accounts.create_user("bob", PASSWORD, tenant="globex")
        yield svc
    finally:
        await svc.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def browser(service: Service) -> AsyncIterator[Browser]:
    """A browser (HTTP cookie jar + WAMP sessions), closed after the test."""
    b = Browser(service)
    try:
        yield b
    finally:
        await b.close()


@pytest_asyncio.fixture(loop_scope="module")
async def browser2(service: Service) -> AsyncIterator[Browser]:
    """A second, independent browser."""
    b = Browser(service)
    try:
        yield b
    finally:
        await b.close()
