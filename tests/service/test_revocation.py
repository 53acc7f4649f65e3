"""A logout makes every token of the login useless at once: router, authorizer, session trees.

A join token is valid by its signature until it expires (a minute); a copy
taken before the logout must not join again, a session of a revoked login
must not act, and no session tree is ever built for such a login.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from autobahn.wamp.exception import ApplicationError
from service_support import PASSWORD, Browser, JoinFailed, RawSession

from raccoon.service import Service
from raccoon.service._schema import login_sessions
from raccoon.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

SERVICE_SETTINGS = {"token_ttl": 600.0}


async def replay(service: Service, token: str) -> JoinFailed:
    with pytest.raises(JoinFailed) as info:
        session = await RawSession.join(service.websocket_url, service.settings.realm, token)
        await session.close()
    return info.value


async def test_a_token_copied_before_logout_cannot_join_again(
    service: Service, browser: Browser, browser2: Browser
) -> None:
    await browser.login("ann", PASSWORD)
    copied = browser.token
    session = await browser.raw()
    await session.session.call("raccoon.public.session.ready")
    status, _ = await browser.post("/api/logout", {"session": browser.sid})
    assert status == 200
    await asyncio.wait_for(session.session.left, 5)
    # Replayed within its lifetime: refused by the router itself.
    failure = await replay(service, copied)
    assert failure.reason == "raccoon.error.invalid_token" and "logout" in str(failure)
    # The sentinel: the service builds trees from the router's join events, in
    # order; once it has built one for a session that joined after the replay,
    # a tree the replay had caused would exist too.
    await browser2.login("bob", PASSWORD)
    await browser2.raw()
    await eventually(
        lambda: service.sessions.state_of(browser2.prefix) is not None, 10.0, "a later tree"
    )
    assert service.sessions.state_of(browser.prefix) is None  # not rebuilt
    # A second logout still says the login is closed, and nothing is attached.
    status, answer = await browser.post("/api/logout", {"session": browser.sid})
    assert status == 401 and "closed" in answer["message"]
    assert service.sessions.state_of(browser.prefix) is None


async def test_a_token_never_used_before_logout_cannot_join(
    service: Service, browser: Browser
) -> None:
    await browser.login("bob", PASSWORD)
    copied = browser.token
    assert (await browser.post("/api/logout", {"session": browser.sid}))[0] == 200
    failure = await replay(service, copied)
    assert failure.reason == "raccoon.error.invalid_token" and "logout" in str(failure)


async def test_a_logout_from_inside_the_session_revokes_its_tokens(
    service: Service, browser: Browser
) -> None:
    await browser.login("ann", PASSWORD)
    copied = browser.token
    session = await browser.raw()
    await session.session.call("raccoon.public.session.ready")
    await session.session.call(f"{browser.prefix}.logout")
    await asyncio.wait_for(session.session.left, 5)
    failure = await replay(service, copied)
    assert failure.reason == "raccoon.error.invalid_token"
    assert service.sessions.state_of(browser.prefix) is None


async def test_a_session_of_a_revoked_login_can_do_nothing(
    service: Service, browser: Browser
) -> None:
    await browser.login("ann", PASSWORD)
    session = await browser.raw()
    wamp = session.session
    prefix = browser.prefix
    await wamp.call("raccoon.public.session.ready")
    await wamp.call(f"{prefix}.describe")
    # Revoked without the logout's teardown (as if the kill had been lost):
    # the authorizer alone must hold.
    await service.auth.logins.close(browser.sid)
    attempts = [
        lambda: wamp.call(f"{prefix}.describe"),
        lambda: wamp.call(f"{prefix}.list"),
        lambda: wamp.register(lambda: None, f"{prefix}.mine"),
        lambda: wamp.subscribe(lambda *a: None, f"{prefix}.on_anything"),
        lambda: wamp.publish(f"{prefix}.on_x", 1, options=_acknowledged()),
    ]
    for attempt in attempts:
        with pytest.raises(ApplicationError) as info:
            await attempt()
        assert info.value.error == "wamp.error.not_authorized", info.value
    await session.close()


def _acknowledged() -> Any:
    from autobahn.wamp.types import PublishOptions

    return PublishOptions(acknowledge=True)


async def revoke_in_the_database_only(service: Service, sid: str, **values: Any) -> None:
    """Change the login row behind everyone's back: neither the router nor the
    service's memory hear of it (as after a restart that lost a revocation)."""
    await service.db.execute(
        sa.update(login_sessions).where(login_sessions.c.id == sid).values(**values)
    )


@pytest.mark.parametrize("change", ["revoked", "expired"])
async def test_no_tree_is_built_for_a_closed_login(
    service: Service, browser: Browser, change: str
) -> None:
    await browser.login("ann", PASSWORD)
    values = {"revoked_at": sa.func.now()} if change == "revoked" else {}
    if change == "expired":
        values = {"expires_at": sa.func.now() - sa.text("interval '1 second'")}
    await revoke_in_the_database_only(service, browser.sid, **values)
    session = await browser.raw()  # the router does not know
    left = await asyncio.wait_for(session.session.left, 10)
    assert left.reason == "raccoon.close.session_ended", left
    assert change in (left.message or "")
    assert service.sessions.state_of(browser.prefix) is None


@pytest.mark.slow
async def test_revocations_survive_a_router_restart(service: Service, browser: Browser) -> None:
    await browser.login("bob", PASSWORD)
    copied = browser.token
    assert (await browser.post("/api/logout", {"session": browser.sid}))[0] == 200
    await service.router.restart()
    await service.backend.when_connected(timeout=30)
    # The new router worker learns the list from the service (at the first
    # join, or when the backend rejoins, whichever comes first).
    failure = await replay(service, copied)
    assert failure.reason == "raccoon.error.invalid_token" and "logout" in str(failure)
    # And a live login still works after the restart.
    await browser.login("ann", PASSWORD)
    session = await browser.raw()
    described = await session.session.call("raccoon.public.session.ready")
    assert described["prefix"] == browser.prefix
