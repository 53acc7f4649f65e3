"""Fixtures of the end-to-end tests: a real chromium driven by Playwright.

``browser`` is one headless chromium for the whole test session (launching
one costs about a second); each test opens its own browser context (its own
cookies and storage: another "user"). The tests run in the session's event
loop (``loop_scope="session"``) because Playwright's objects belong to the
loop that made them.

Screenshots go to ``$RACCOON_ARTIFACTS`` (default: ``tmp/e2e-artifacts`` at
the repository root), one per test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from raccoon.data import create_database, drop_database
from raccoon.service import Service
from raccoon.service._client import build_client
from raccoon.testing.browser import launch_chromium

ROOT = Path(__file__).resolve().parents[2]


def _chromium_children() -> set[int]:
    me = psutil.Process()
    found = set()
    for child in me.children(recursive=True):
        try:
            if "chrom" in child.name():
                found.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return found


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """A headless chromium; closed at the end, with no chromium process left behind."""
    before = _chromium_children()
    async with async_playwright() as pw:
        chromium = await launch_chromium(pw)
        try:
            yield chromium
        finally:
            await chromium.close()
    left = _chromium_children() - before
    for _ in range(50):
        left = {pid for pid in left if psutil.pid_exists(pid)}
        if not left:
            break
        await asyncio.sleep(0.1)
    assert not left, f"chromium processes left behind: {sorted(left)}"


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """This test's artifact directory (screenshots)."""
    base = Path(os.environ.get("RACCOON_ARTIFACTS") or ROOT / "tmp" / "e2e-artifacts")
    path = base / request.node.name.replace("/", "_")
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- the example application, served for real ----------------------------------------------

sys.path.insert(0, str(ROOT / "examples"))

from safety import application  # noqa: E402
from safety.seed import seed_accounts, seed_register  # noqa: E402

#: The password of every seeded user.
PASSWORD = "correct horse battery"
#: Cheap Argon2 parameters for the tests.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_cost": 1024, "argon2_parallelism": 1}


@pytest.fixture(scope="session")
def safety_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's client bundle (development mode), built once per test session
    the way ``raccoon run`` builds it."""
    app = dataclasses.replace(application, root=ROOT / "examples" / "safety")
    package = app.path(app.client)
    assert package is not None
    return build_client(package, tmp_path_factory.mktemp("safety-build")).bundle


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def safety_service(
    request: pytest.FixtureRequest,
    database: str,
    safety_bundle: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Service]:
    """The example application (``examples/safety``'s ``application``) on a real service,
    router and seeded database, as ``raccoon run`` starts it.

    A test module may set ``GRACE_PERIOD`` (seconds a session tree outlives its
    connection; default 5)."""
    name = f"raccoon_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    dsn = await create_database(database, name)
    try:
        settings = application.load_settings(
            env={},
            secret=secrets.token_urlsafe(48),
            port=0,
            database_url=dsn,
            grace_period=getattr(request.module, "GRACE_PERIOD", 5.0),
            workdir=str(tmp_path_factory.mktemp("e2e-service")),
            bundle_path=str(safety_bundle),
            **FAST_HASHING,
        )
        service = application.service(settings)
        await service.start()
        try:
            await seed_accounts(service.accounts, PASSWORD)
            await seed_register(service.db)
            yield service
        finally:
            await service.stop()
    finally:
        await drop_database(database, name)
