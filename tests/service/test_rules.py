"""The authorizer's rule, the login rate limiter, Accept-Language: pure logic, no servers."""

from __future__ import annotations

import pytest

from raccoon.service import RateLimiter, authorize_browser, parse_accept_language

P = "raccoon.session.s" + "a" * 24
PUBLIC = ("raccoon.public.", "app.ping")
DETAILS = {"authextra": {"raccoon_prefix": P}}


def decide(uri: object, action: str, match: str | None = None, details: object = DETAILS) -> dict:
    options = {"match": match} if match else {}
    return authorize_browser(details, uri, action, options, PUBLIC)


@pytest.mark.parametrize("action", ["call", "register", "subscribe", "publish"])
def test_own_prefix_is_allowed_and_never_cached(action: str) -> None:
    for uri in (P, P + ".ctx1.view", P + ".x.y.z"):
        decision = decide(uri, action)
        assert decision["allow"] is True and decision["cache"] is False


@pytest.mark.parametrize("action", ["call", "register", "subscribe", "publish"])
def test_other_prefixes_are_denied_and_never_cached(action: str) -> None:
    other = "raccoon.session.s" + "b" * 24
    for uri in (other, other + ".ctx1", P + "b", P + "b.x", "raccoon.session", "app", "x"):
        decision = decide(uri, action)
        assert decision == {"allow": False, "disclose": False, "cache": False}, uri


def test_prefix_and_wildcard_patterns_must_stay_inside() -> None:
    # A prefix subscription to P itself would also get P1.x (string prefix match).
    assert not decide(P, "subscribe", "prefix")["allow"]
    assert decide(P + ".", "subscribe", "prefix")["allow"]
    assert decide(P + ".ctx1", "subscribe", "prefix")["allow"]
    assert not decide("raccoon.session.", "subscribe", "prefix")["allow"]
    assert not decide("", "subscribe", "prefix")["allow"]
    assert not decide("raccoon.session..on_open", "subscribe", "wildcard")["allow"]
    assert not decide("..", "subscribe", "wildcard")["allow"]
    assert decide(P + "..on_open", "subscribe", "wildcard")["allow"]
    assert not decide(P, "register", "prefix")["allow"]
    assert not decide(P + ".x", "subscribe", "fuzzy")["allow"]


@pytest.mark.parametrize("action", ["call", "register", "subscribe", "publish"])
def test_the_meta_api_is_denied_for_good(action: str) -> None:
    for uri in ("wamp", "wamp.session.list", "wamp.session.on_join"):
        decision = decide(uri, action)
        assert decision["allow"] is False and decision["cache"] is True


def test_public_procedures_may_only_be_called() -> None:
    assert decide("raccoon.public.session.ready", "call") == {
        "allow": True,
        "disclose": True,
        "cache": True,
    }
    assert decide("app.ping", "call")["allow"]
    assert not decide("app.ping.x", "call")["allow"]
    assert not decide("raccoon.public.", "call")["allow"]
    for action in ("register", "subscribe", "publish"):
        assert not decide("raccoon.public.session.ready", action)["allow"]
    assert not decide("raccoon.service.authorize", "call")["allow"]


@pytest.mark.parametrize(
    "details", [None, {}, {"authextra": None}, {"authextra": {"raccoon_prefix": ""}}, "junk"]
)
def test_without_a_prefix_nothing_but_public_calls(details: object) -> None:
    assert not decide(P + ".x", "call", details=details)["allow"]
    assert decide("raccoon.public.session.ready", "call", details=details)["allow"]


def test_a_revoked_login_may_do_nothing_at_all() -> None:
    sid = "s" + "a" * 24
    details = {"authextra": {"raccoon_prefix": P, "raccoon_sid": sid}}
    revoked = {sid}.__contains__
    for uri, action in [
        (P + ".x", "call"),
        (P, "register"),
        (P + ".on_x", "subscribe"),
        (P + ".on_x", "publish"),
        ("raccoon.public.session.ready", "call"),
    ]:
        decision = authorize_browser(details, uri, action, {}, PUBLIC, revoked)
        # Never cached: the decision is about this login, not the URI.
        assert decision == {"allow": False, "disclose": False, "cache": False}, (uri, action)
    other = {"authextra": {"raccoon_prefix": P, "raccoon_sid": "s" + "b" * 24}}
    assert authorize_browser(other, P + ".x", "call", {}, PUBLIC, revoked)["allow"]


def test_malformed_questions_are_denied() -> None:
    assert not decide(None, "call")["allow"]
    assert not decide(42, "call")["allow"]
    assert not decide(P, "delete")["allow"]


def test_the_rate_limiter_counts_a_sliding_window() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, 60.0, clock=lambda: now[0])
    keys = ["user:ann"]
    for _ in range(3):
        assert limiter.retry_after(keys) == 0
        limiter.hit(keys)
    assert limiter.retry_after(keys) == pytest.approx(60.0)
    now[0] += 30
    assert limiter.retry_after(keys) == pytest.approx(30.0)
    now[0] += 30.1
    assert limiter.retry_after(keys) == 0
    limiter.hit(keys)
    limiter.forgive(keys)  # that one succeeded
    assert limiter.retry_after(["user:bob"]) == 0


def test_the_rate_limiter_bounds_its_memory() -> None:
    limiter = RateLimiter(1, 60.0, max_keys=100)
    for i in range(1000):
        limiter.hit([f"client:{i}"])
    assert len(limiter) == 100


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("it-CH,it;q=0.9,en;q=0.8", "it_CH"),
        ("en;q=0.5, de", "de"),
        ("*", None),
        ("", None),
        (None, None),
        ("x" * 2000, None),
        ("fr;q=abc, es;q=0.1", "es"),
        ("en;q=0", None),
    ],
)
def test_accept_language(header: str | None, language: str | None) -> None:
    assert parse_accept_language(header) == language
