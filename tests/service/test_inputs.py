"""Bad input to every public HTTP endpoint and WAMP procedure: a clear error, no
traceback for the client, and nothing changed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa
from autobahn.wamp.exception import ApplicationError
from service_support import PASSWORD, Browser

from raccoon.service import Service
from raccoon.service._schema import login_sessions

pytestmark = pytest.mark.asyncio(loop_scope="module")

SERVICE_SETTINGS = {"login_max_failures": 3, "max_request_size": 16 * 1024}

GOOD_LOGIN = {"username": "ann", "password": PASSWORD}


def raw(body: bytes | str, content_type: str = "application/json") -> dict[str, Any]:
    return {"data": body, "headers": {"Content-Type": content_type}}


BAD_BODIES: list[tuple[str, dict[str, Any], int, str]] = [
    ("truncated JSON", raw(b'{"username": '), 400, "malformed_json"),
    ("not UTF-8", raw(b'{"username": "\xff\xfe"}'), 400, "malformed_json"),
    ("NaN", raw(b'{"username": NaN, "password": "x"}'), 400, "malformed_json"),
    ("deep nesting", raw(b"[" * 7000 + b"]" * 7000), 400, "malformed_json"),
    ("form data", raw("username=ann", "application/x-www-form-urlencoded"), 415, ""),
    ("no content type", {"data": b"{}"}, 415, "unsupported_media_type"),
    ("a list", {"json": [GOOD_LOGIN]}, 400, "invalid_request"),
    ("a string", {"json": "ann"}, 400, "invalid_request"),
    ("null", raw(b"null"), 400, "invalid_request"),
    ("huge", raw(json.dumps({"username": "x" * 40_000})), 413, "payload_too_large"),
]

LOGIN_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("no fields", {}, "username"),
    ("no password", {"username": "ann"}, "password"),
    ("null password", {"username": "ann", "password": None}, "password"),
    ("int username", {"username": 1, "password": PASSWORD}, "username"),
    ("bool password", {"username": "ann", "password": True}, "password"),
    ("list username", {"username": ["ann"], "password": PASSWORD}, "username"),
    ("object password", {"username": "ann", "password": {"$ne": ""}}, "password"),
    ("empty username", {"username": "", "password": PASSWORD}, "username"),
    ("long username", {"username": "a" * 151, "password": PASSWORD}, "username"),
    ("long password", {"username": "ann", "password": "p" * 1025}, "password"),
    ("unknown field", {**GOOD_LOGIN, "admin": True}, "admin"),
    ("bad language", {**GOOD_LOGIN, "language": "x y"}, "language"),
    ("int language", {**GOOD_LOGIN, "language": 5}, "language"),
]


def assert_clean(status: int, text: str) -> dict[str, Any]:
    assert 400 <= status < 500, (status, text)
    assert "Traceback" not in text and 'File "' not in text, text
    answer = json.loads(text)
    assert isinstance(answer["error"], str) and isinstance(answer["message"], str)
    assert answer["message"], answer
    return answer


async def logins(service: Service) -> int:
    return int(await service.db.fetchval(sa.select(sa.func.count()).select_from(login_sessions)))


async def post(browser: Browser, path: str, **kwargs: Any) -> tuple[int, str]:
    async with browser.http.post(browser.service.url + path, **kwargs) as response:
        return response.status, await response.text()


@pytest.mark.parametrize("path", ["/api/login", "/api/token", "/api/logout"])
async def test_malformed_bodies_are_refused(service: Service, browser: Browser, path: str) -> None:
    before = await logins(service)
    for name, request, status, code in BAD_BODIES:
        got, text = await post(browser, path, **request)
        answer = assert_clean(got, text)
        assert got == status, (name, got, text)
        if code:
            assert answer["error"] == code, (name, answer)
    assert await logins(service) == before


async def test_bad_login_fields_are_refused_and_change_nothing(
    service: Service, browser: Browser
) -> None:
    before = await logins(service)
    for name, body, field in LOGIN_FIELDS:
        got, text = await post(browser, "/api/login", json=body)
        answer = assert_clean(got, text)
        assert got == 400 and answer["error"] == "invalid_request", (name, answer)
        assert answer["field"] == field, (name, answer)
    assert await logins(service) == before
    # None of that counted as a failed login (the limit is 3): ann still logs in.
    assert (await browser.login("ann", PASSWORD))["user"]["username"] == "ann"
    assert await logins(service) == before + 1


BAD_TEXT = [
    # As they arrive: JSON escapes, which json.loads turns into these characters.
    ("NUL", "\\u0000", "contains a NUL character"),
    ("NUL inside", "ann\\u0000x", "contains a NUL character"),
    ("lone surrogate", "\\ud800", "contains an unpaired surrogate"),
    ("low surrogate", "x\\udfffy", "contains an unpaired surrogate"),
]
TEXT_FIELDS = [
    ("/api/login", "username", {"password": PASSWORD}),
    ("/api/login", "password", {"username": "ann"}),
    ("/api/login", "language", {"username": "ann", "password": PASSWORD}),
    ("/api/token", "session", {}),
    ("/api/logout", "session", {}),
]


@pytest.mark.parametrize(("path", "field", "rest"), TEXT_FIELDS)
async def test_nul_and_surrogates_are_refused_in_every_field(
    service: Service,
    browser: Browser,
    caplog: pytest.LogCaptureFixture,
    path: str,
    field: str,
    rest: dict[str, Any],
) -> None:
    before = await logins(service)
    for name, escaped, message in BAD_TEXT:
        others = json.dumps(rest)[1:-1]
        body = f'{{"{field}": "{escaped}"{", " if others else ""}{others}}}'
        with caplog.at_level("WARNING"):
            got, text = await post(browser, path, **raw(body.encode()))
        answer = assert_clean(got, text)
        assert got == 400, (name, text)
        assert answer["error"] == "invalid_request" and answer["field"] == field, (name, answer)
        assert message in answer["message"], (name, answer)
        assert "\\u0000" not in text and "\\ud800" not in text, text  # not echoed
    # Nothing went wrong inside: no incident, no traceback, no login, no attempt counted.
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")], caplog.text
    assert await logins(service) == before


async def test_nul_in_a_field_name_is_refused(service: Service, browser: Browser) -> None:
    got, text = await post(browser, "/api/login", **raw(b'{"user\\u0000name": "ann"}'))
    answer = assert_clean(got, text)
    assert got == 400 and answer["error"] == "invalid_request"
    assert "NUL" in answer["message"]


@pytest.mark.parametrize("path", ["/api/token", "/api/logout"])
async def test_bad_session_fields_are_refused(
    service: Service, browser: Browser, browser2: Browser, path: str
) -> None:
    await browser.login("ann", PASSWORD)
    before = await logins(service)
    for body, _status, code in [
        ({}, 400, "invalid_request"),
        ({"session": 5}, 400, "invalid_request"),
        ({"session": "x" * 65}, 400, "invalid_request"),
        ({"session": browser.sid, "extra": 1}, 400, "invalid_request"),
        ({"session": "nope"}, 401, "session_expired"),
        ({"session": "s" + "0" * 24}, 401, "session_expired"),
    ]:
        answer = assert_clean(*await post(browser, path, json=body))
        assert answer["error"] == code, (body, answer)
    # The right session id without the browser's cookie.
    answer = assert_clean(*await post(browser2, path, json={"session": browser.sid}))
    assert answer["error"] == "session_expired"
    assert await logins(service) == before
    assert await browser.refresh()  # the login is intact


async def test_a_foreign_origin_cannot_post(service: Service, browser: Browser) -> None:
    got, text = await post(
        browser, "/api/login", json=GOOD_LOGIN, headers={"Origin": "http://evil.example"}
    )
    assert got == 403 and assert_clean(got, text)["error"] == "forbidden_origin"


async def test_no_bundle_configured_is_a_clear_404(service: Service, browser: Browser) -> None:
    async with browser.http.get(service.url + "/static/bundle.js") as response:
        answer = assert_clean(response.status, await response.text())
    assert answer["error"] == "no_bundle" and "bundle_path" in answer["message"]


# -- WAMP procedures --------------------------------------------------------------------------


def bad_calls(prefix: str) -> list[tuple[str, tuple[Any, ...], dict[str, Any], set[str]]]:
    invalid = {"raccoon.error.invalid_arguments"}
    ctx = f"{prefix}.ctx1.controller"
    return [
        ("raccoon.public.session.ready", (1,), {}, invalid),
        ("raccoon.public.session.ready", (), {"caller": 1}, invalid),
        (f"{prefix}.open", (), {}, invalid),
        (f"{prefix}.open", ("view",), {}, invalid),
        (f"{prefix}.open", (1, {}), {}, invalid),
        (f"{prefix}.open", ("fly", {"source": "auth.users"}), {}, invalid),
        (f"{prefix}.open", ("view", {"source": 5}), {}, invalid),
        (f"{prefix}.open", ("view", {"source": "auth.users", "ids": "1"}), {}, invalid),
        (f"{prefix}.open", ("view", {"source": "auth.users", "evil": 1}), {}, invalid),
        (f"{prefix}.open", ("view", {"source": "x" * 300_000}), {}, invalid),
        (
            f"{prefix}.open",
            ("view", {"source": "nothing.here"}),
            {},
            {"raccoon.error.no_controller"},
        ),
        (f"{prefix}.open", ("view", "auth.users"), {}, invalid),
        (f"{prefix}.close", (), {}, invalid),
        (f"{prefix}.close", (5,), {}, invalid),
        (f"{prefix}.close", ("ctx99",), {}, invalid),
        (f"{prefix}.list", (123,), {}, invalid),
        (f"{prefix}.list", (), {"language": ["it"]}, invalid),
        (f"{prefix}.describe", (1,), {}, invalid),
        (f"{ctx}.describe", ({"a": 1},), {}, invalid),
        (f"{ctx}.actions.logout.run", (1,), {}, invalid),
        (f"{prefix}.__state__", (1, 2, 3), {}, invalid),
        ("raccoon.public.session.__state__", ("x",), {"y": 1}, invalid),
        (f"{prefix}.nothing", (), {}, {"wamp.error.no_such_procedure"}),
    ]


async def test_bad_calls_to_public_procedures(service: Service, browser: Browser) -> None:
    await browser.login("ann", PASSWORD)
    session = await browser.raw()
    wamp = session.session
    prefix = browser.prefix
    before = await wamp.call("raccoon.public.session.ready")
    for uri, args, kwargs, errors in bad_calls(prefix):
        with pytest.raises(ApplicationError) as info:
            await wamp.call(uri, *args, **kwargs)
        error = info.value
        assert error.error in errors, (uri, args, kwargs, error.error, error.args)
        message = str(error.args[0]) if error.args else ""
        assert "Traceback" not in message and 'File "' not in message, message
        if error.error == "raccoon.error.invalid_arguments":
            assert message and len(message) < 2000, (uri, message)
    after = await wamp.call("raccoon.public.session.ready")
    assert after == before  # nothing opened, nothing closed
    assert service.sessions.node(prefix) is not None


async def test_an_oversized_message_drops_only_that_connection(
    service: Service, browser: Browser
) -> None:
    await browser.login("ann", PASSWORD)
    session = await browser.raw()
    prefix = browser.prefix
    before = await session.session.call("raccoon.public.session.ready")
    huge = "x" * (service.settings.max_message_size + 1024)
    # A publication (no pending call to cancel): the router closes the websocket.
    session.session.publish(f"{prefix}.on_huge", huge)
    await asyncio.wait_for(asyncio.shield(session.session.closed), 10)
    # The tree waits for the browser; it comes back and finds everything.
    again = await browser.raw()
    after = await again.session.call("raccoon.public.session.ready")
    assert after["resumed"] is True and after["contexts"] == before["contexts"]


def ascii_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make this process's autobahn JSON escape everything, as a browser's
    JSON.stringify does: that is how a lone surrogate travels ("\\ud800")."""
    from autobahn.wamp import serializer

    original = serializer._dumps

    def dumps(obj: Any, use_binary_hex_encoding: bool = False) -> str:
        text = original(obj, use_binary_hex_encoding)
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=True)

    monkeypatch.setattr(serializer, "_dumps", dumps)


@pytest.mark.parametrize("bad", ["x\x00y"])
async def test_nul_in_wamp_arguments(
    service: Service,
    browser: Browser,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    bad: str,
) -> None:
    ascii_json(monkeypatch)
    await browser.login("ann", PASSWORD)
    session = await browser.raw()
    wamp = session.session
    prefix = browser.prefix
    before = await wamp.call("raccoon.public.session.ready")
    ctx = f"{prefix}.ctx1.controller"
    # The public procedures refuse them.
    for args, kwargs in [((bad,), {}), ((), {bad: 1}), ((), {"x": bad})]:
        with pytest.raises(ApplicationError) as info:
            await asyncio.wait_for(wamp.call("raccoon.public.session.ready", *args, **kwargs), 5)
        assert info.value.error == "raccoon.error.invalid_arguments", (bad, info.value)
    # The session's own procedures may refuse or take them; never a traceback.
    for uri, args, kwargs in [
        (f"{prefix}.open", (bad, {"source": "auth.users"}), {}),
        (f"{prefix}.open", ("view", {"source": bad}), {}),
        (f"{prefix}.open", ("view", {bad: 1}), {}),
        (f"{prefix}.close", (bad,), {}),
        (f"{ctx}.actions.logout.run", (), {bad: 1}),
    ]:
        with caplog.at_level("WARNING"):
            with pytest.raises(ApplicationError) as info:
                await asyncio.wait_for(wamp.call(uri, *args, **kwargs), 5)
        message = str(info.value.args[0]) if info.value.args else ""
        assert "Traceback" not in message, (uri, message)
        assert info.value.error.startswith("raccoon.error."), info.value
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not errors, caplog.text
    assert session.session.is_attached()
    assert await wamp.call("raccoon.public.session.ready") == before


async def test_an_unpaired_surrogate_closes_only_that_connection(
    service: Service, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone surrogate cannot be forwarded by the router as text (no serializer
    encodes it): the router refuses the message as invalid and closes that
    browser's connection at once (raccoon/_router_worker.py), instead of holding
    the call forever. The backend and the session tree are untouched, and the
    browser comes back to the same tree."""
    ascii_json(monkeypatch)
    await browser.login("ann", PASSWORD)
    session = await browser.raw()
    before = await session.session.call("raccoon.public.session.ready")
    tree = service.sessions.node(browser.prefix)
    backend = service.backend.session_id
    call = asyncio.ensure_future(session.session.call(f"{browser.prefix}.open", "view", "x\ud800"))
    await asyncio.wait_for(asyncio.shield(session.session.closed), 5)
    call.cancel()  # never answered: its transport is gone
    assert service.backend.session_id == backend
    again = await browser.raw()
    after = await again.session.call("raccoon.public.session.ready")
    assert after["contexts"] == before["contexts"]
    assert service.sessions.node(browser.prefix) is tree  # the same tree, not a new one
