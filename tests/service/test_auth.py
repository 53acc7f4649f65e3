"""Login, throttling, tokens and joins, against a real router and database."""

from __future__ import annotations

import asyncio
import time

import pytest
from service_support import PASSWORD, Browser, JoinFailed, RawSession

from raccoon.service import JoinClaims, Service, TokenCodec, derive_key

pytestmark = pytest.mark.asyncio(loop_scope="module")

SERVICE_SETTINGS = {"login_max_failures": 3, "login_window": 60.0}


async def login_status(browser: Browser, username: str, password: str) -> tuple[int, dict]:
    return await browser.post("/api/login", {"username": username, "password": password})


async def test_a_wrong_password_fails(browser: Browser) -> None:
    status, answer = await login_status(browser, "ann", "not the password")
    assert status == 401
    assert answer == {"error": "invalid_credentials", "message": "wrong username or password"}
    # An unknown user gets the very same answer.
    assert await login_status(browser, "nobody", "whatever") == (401, answer)


async def test_failures_in_the_window_throttle_the_username(
    service: Service, browser: Browser
) -> None:
    await service.accounts.create_user("carl", PASSWORD)
    for _ in range(3):
        assert (await login_status(browser, "carl", "wrong"))[0] == 401
    async with browser.http.post(
        service.url + "/api/login", json={"username": "CARL", "password": PASSWORD}
    ) as response:
        answer = await response.json()
        assert response.status == 429, answer
        assert answer["error"] == "throttled" and 0 < answer["retry_after"] <= 60
        assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Other users are not affected.
    assert (await login_status(browser, "ann", PASSWORD))[0] == 200


async def test_a_good_login_yields_a_token_that_joins(service: Service, browser: Browser) -> None:
    answer = await browser.login("ann", PASSWORD, headers={"Accept-Language": "de-CH, de;q=0.9"})
    assert answer["user"]["username"] == "ann" and answer["user"]["tenant"] == "acme"
    assert answer["user"]["roles"] == ["clerk"] and answer["language"] == "de_CH"
    assert answer["realm"] == service.settings.realm and answer["url"] == service.websocket_url
    assert answer["prefix"] == f"{service.settings.session_root}.{answer['session']}"
    assert 0 < answer["expires_in"] <= service.settings.token_ttl
    claims = TokenCodec(service.settings.token_key()).verify(answer["token"])
    assert claims.prefix == answer["prefix"] and claims.username == "ann"
    session = await browser.raw()
    assert session.details.authid == "ann" and session.details.authrole == "browser"
    assert session.details.authextra["raccoon_prefix"] == answer["prefix"]
    described = await session.session.call("raccoon.public.session.ready")
    assert described["prefix"] == answer["prefix"] and described["tenant"] == "acme"
    assert described["contexts"][0]["view_spec"] == {"type": "Desktop"}
    assert described["language"] == "de_CH"


async def test_the_users_own_language_wins(service: Service, browser: Browser) -> None:
    await service.accounts.create_user("dora", PASSWORD, language="it")
    answer = await browser.login("dora", PASSWORD, headers={"Accept-Language": "fr"})
    assert answer["language"] == "it"


def sign(service: Service, secret: str | None = None, **changes: object) -> str:
    now = time.time()
    values: dict[str, object] = dict(
        user_id=1,
        username="ann",
        tenant="acme",
        roles=("clerk",),
        language="en",
        realm=service.settings.realm,
        prefix=f"{service.settings.session_root}.s{'c' * 24}",
        sid=f"s{'c' * 24}",
        issued_at=now,
        expires_at=now + 60,
    )
    values.update(changes)
    key = derive_key(secret) if secret else service.settings.token_key()
    return TokenCodec(key).sign(JoinClaims(**values))  # type: ignore[arg-type]


async def refused(service: Service, ticket: str | None, **kwargs: object) -> JoinFailed:
    with pytest.raises(JoinFailed) as info:
        session = await RawSession.join(
            service.websocket_url,
            service.settings.realm,
            ticket,
            **kwargs,  # type: ignore[arg-type]
        )
        await session.close()
    return info.value


async def test_expired_forged_and_foreign_tokens_cannot_join(service: Service) -> None:
    now = time.time()
    assert sign(service)  # the control: a fresh token from the right key joins
    session = await RawSession.join(service.websocket_url, service.settings.realm, sign(service))
    await session.close()
    expired = sign(service, issued_at=now - 120, expires_at=now - 1)
    assert "expired" in str(await refused(service, expired))
    forged = sign(service, secret="an attacker's own secret, long enough to pass")
    assert "signature" in str(await refused(service, forged))
    other_realm = sign(service, realm="elsewhere")
    failure = await refused(service, other_realm)
    assert failure.reason == "raccoon.error.invalid_token" and "elsewhere" in str(failure)
    version, payload, signature = sign(service).split(".")
    tampered = f"{version}.{payload[:-2]}xy.{signature}"
    assert (await refused(service, tampered)).reason == "raccoon.error.invalid_token"
    assert (await refused(service, "garbage")).reason == "raccoon.error.invalid_token"
    # Anonymous joins are not offered on the public port at all.
    assert (await refused(service, None)).reason == "wamp.error.no_auth_method"


async def test_a_token_for_another_realm_cannot_join_that_realm(service: Service) -> None:
    # Joining a realm the router does not have, with a token made for it.
    failure = await refused_on_realm(service, "elsewhere", sign(service, realm="elsewhere"))
    assert failure.reason in ("wamp.error.no_such_realm", "raccoon.error.invalid_token")


async def refused_on_realm(service: Service, realm: str, ticket: str) -> JoinFailed:
    with pytest.raises(JoinFailed) as info:
        session = await RawSession.join(service.websocket_url, realm, ticket)
        await session.close()
    return info.value


async def test_refresh_needs_the_cookie_and_logout_ends_everything(
    service: Service, browser: Browser, browser2: Browser
) -> None:
    await browser.login("bob", PASSWORD)
    first = await browser.refresh()
    assert TokenCodec(service.settings.token_key()).verify(first).prefix == browser.prefix
    # Another browser (no cookie) cannot refresh that login, nor log it out.
    stolen = await browser2.post("/api/token", {"session": browser.sid})
    assert stolen[0] == 401 and stolen[1]["error"] == "session_expired"
    assert (await browser2.post("/api/logout", {"session": browser.sid}))[0] == 401
    session = await browser.raw(first)
    await session.session.call("raccoon.public.session.ready")
    assert service.sessions.state_of(browser.prefix) is not None
    status, answer = await browser.post("/api/logout", {"session": browser.sid})
    assert status == 200 and answer == {"ok": True, "session": browser.sid}
    # The tree is gone at once, the browser's WAMP session was closed by the router.
    assert service.sessions.state_of(browser.prefix) is None
    left = await asyncio.wait_for(session.session.left, 5)
    assert left.reason == "raccoon.close.session_ended"
    status, answer = await browser.post("/api/token", {"session": browser.sid})
    assert status == 401 and "closed" in answer["message"]


async def test_a_disabled_user_can_neither_log_in_nor_refresh(
    service: Service, browser: Browser
) -> None:
    await service.accounts.create_user("eve", PASSWORD)
    await browser.login("eve", PASSWORD)
    await service.accounts.set_active("eve", False)
    assert (await login_status(browser, "eve", PASSWORD))[0] == 401
    status, answer = await browser.post("/api/token", {"session": browser.sid})
    assert status == 401 and "disabled" in answer["message"]
