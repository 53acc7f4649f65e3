"""Two service processes behind one router run apart (``router_url``), as in
docker-compose.yml: one tree per session, ``ready`` and logout work through
either process, and a session whose owner stopped is built again by the other."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from service_support import FAST_HASHING, PASSWORD, Browser

from raccoon._process import pick_free_port
from raccoon.service import (
    BACKEND_AUTHID,
    BackendTransport,
    Router,
    Service,
    SessionState,
    Settings,
    TicketPrincipal,
    router_settings,
)
from raccoon.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

SECRET = secrets.token_urlsafe(48)


class Pair:
    """The router and the two services."""

    def __init__(self, router: Router, services: list[Service]) -> None:
        self.router = router
        self.services = services

    def owner_of(self, prefix: str) -> tuple[Service, Service]:
        """``(owner, other)`` of the tree at *prefix*."""
        a, b = self.services
        states = (a.sessions.state_of(prefix), b.sessions.state_of(prefix))
        if states[0] is SessionState.ATTACHED:
            assert states[1] is SessionState.FOREIGN, states
            return a, b
        assert states == (SessionState.FOREIGN, SessionState.ATTACHED), states
        return b, a


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pair(
    service_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    tmp = tmp_path_factory.mktemp("replicas")
    port, backend_port = pick_free_port(), pick_free_port()
    http_ports = [pick_free_port(), pick_free_port()]
    ticket = secrets.token_urlsafe(24)
    common: dict[str, Any] = {
        "secret": SECRET,
        "port": port,
        "router_url": f"ws://127.0.0.1:{backend_port}/ws",
        "backend_ticket": ticket,
        "database_url": service_database,
        "migrate": False,
        "grace_period": 2.0,
        "token_ttl": 600.0,
        "crossbar": os.environ.get("RACCOON_CROSSBAR") or None,
        **FAST_HASHING,
    }
    settings = [
        Settings(**common, http_port=http_port, workdir=str(tmp / f"s{i}"))
        for i, http_port in enumerate(http_ports)
    ]
    # The router as `raccoon router config` describes it (secrets from the
    # environment), proxying the public port to the first service only.
    router = Router(
        router_settings(
            settings[0],
            web_proxy=f"http://127.0.0.1:{http_ports[0]}",
            backend=BackendTransport(
                port=backend_port,
                principals=(
                    TicketPrincipal(BACKEND_AUTHID, "${RACCOON_BACKEND_TICKET}", "backend"),
                ),
            ),
            authenticator={"secret_env": "RACCOON_SECRET"},
            environment={"RACCOON_SECRET": SECRET, "RACCOON_BACKEND_TICKET": ticket},
        ),
        tmp / "crossbar",
    )
    await router.start()
    services = [Service(s) for s in settings]
    try:
        for service in services:
            await service.start()
        await services[0].accounts.create_user("ann", PASSWORD)
        yield Pair(router, services)
    finally:
        for service in services:
            await service.stop()
        await router.stop()


async def test_one_tree_per_session_and_ready_through_either(pair: Pair) -> None:
    browser = Browser(pair.services[0])
    try:
        await browser.login("ann", PASSWORD)
        session = await browser.raw()
        answers = [
            await session.session.call("raccoon.public.session.ready") for _ in range(4)
        ]  # round robin: both processes answer
        assert {a["prefix"] for a in answers} == {browser.prefix}
        assert all(a["contexts"][0]["view_spec"] == {"type": "Desktop"} for a in answers)
        owner, other = pair.owner_of(browser.prefix)
        assert owner.sessions.node(browser.prefix) is not None
        assert other.sessions.node(browser.prefix) is None
        # A logout that reaches the other process over HTTP ends the tree.
        async with browser.http.post(
            other.http_url + "/api/logout", json={"session": browser.sid}
        ) as response:
            assert response.status == 200, await response.text()
        await asyncio.wait_for(session.session.closed, 10)
        await eventually(lambda: owner.sessions.state_of(browser.prefix) is None, 10.0)
        await eventually(lambda: other.sessions.state_of(browser.prefix) is None, 10.0)
    finally:
        await browser.close()


async def test_failed_logins_count_across_the_replicas(pair: Pair) -> None:
    """Guesses spread over both processes hit one limit: the count is in the database."""
    a, b = pair.services
    limit = a.settings.login_max_failures
    await a.accounts.create_user("eve", PASSWORD)

    async def login(service: Service, password: str) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                service.http_url + "/api/login", json={"username": "eve", "password": password}
            ) as response,
        ):
            return response.status

    for attempt in range(limit):
        assert await login((a, b)[attempt % 2], "guess") == 401
    # Either process now refuses, without checking the (right) password.
    assert await login(b, PASSWORD) == 429
    assert await login(a, PASSWORD) == 429
    assert await login(a, "guess") == 429


async def test_a_session_whose_owner_stopped_is_built_again(pair: Pair) -> None:
    browser = Browser(pair.services[0])
    try:
        await browser.login("ann", PASSWORD)
        session = await browser.raw()
        await session.session.call("raccoon.public.session.ready")
        owner, other = pair.owner_of(browser.prefix)
        await owner.stop()
        answer = await session.session.call("raccoon.public.session.ready")
        assert answer["prefix"] == browser.prefix and answer["resumed"] is False
        assert other.sessions.state_of(browser.prefix) is SessionState.ATTACHED
    finally:
        await browser.close()
