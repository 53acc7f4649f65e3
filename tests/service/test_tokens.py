"""Join tokens and the router-side authenticator, without servers."""

from __future__ import annotations

import base64
import json
import time

import pytest
from autobahn.wamp.exception import ApplicationError

from raccoon._authenticator import INVALID_TOKEN, create
from raccoon.service import JoinClaims, TokenCodec, TokenError, derive_key

SECRET = "s" * 48


def claims(**changes: object) -> JoinClaims:
    now = time.time()
    values: dict[str, object] = dict(
        user_id=7,
        username="ann",
        tenant="acme",
        roles=("clerk",),
        language="it",
        realm="raccoon",
        prefix="raccoon.session.s" + "a" * 24,
        sid="s" + "a" * 24,
        issued_at=now,
        expires_at=now + 60,
    )
    values.update(changes)
    return JoinClaims(**values)  # type: ignore[arg-type]


def test_a_token_round_trips() -> None:
    codec = TokenCodec(derive_key(SECRET))
    original = claims()
    decoded = codec.verify(codec.sign(original), realm="raccoon")
    assert decoded.username == "ann" and decoded.roles == ("clerk",)
    assert decoded.prefix == original.prefix and decoded.tenant == "acme"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "no token"),
        ("", "no token"),
        ("x" * 5000, "too long"),
        ("r1.abc", "malformed"),
        ("r2.abc.def", "malformed"),
        ("r1.!!!.???", "signature|malformed"),
    ],
)
def test_malformed_tokens_are_refused(token: object, message: str) -> None:
    with pytest.raises(TokenError, match=message):
        TokenCodec(derive_key(SECRET)).verify(token)


def test_a_forged_or_tampered_token_is_refused() -> None:
    codec = TokenCodec(derive_key(SECRET))
    token = codec.sign(claims())
    with pytest.raises(TokenError, match="signature"):
        TokenCodec(derive_key("t" * 48)).verify(token)
    version, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["pfx"] = "raccoon.session.s" + "b" * 24  # someone else's session
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenError, match="signature"):
        codec.verify(f"{version}.{forged}.{signature}")


def test_expiry_issue_time_and_realm_are_checked() -> None:
    codec = TokenCodec(derive_key(SECRET))
    now = time.time()
    with pytest.raises(TokenError, match="expired"):
        codec.verify(codec.sign(claims(issued_at=now - 120, expires_at=now - 60)))
    with pytest.raises(TokenError, match="future"):
        codec.verify(codec.sign(claims(issued_at=now + 600, expires_at=now + 660)))
    with pytest.raises(TokenError, match="realm 'other'"):
        codec.verify(codec.sign(claims(realm="other")), realm="raccoon")


def test_a_short_secret_is_refused_with_advice() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        derive_key("short")


def test_the_function_authenticator(monkeypatch: pytest.MonkeyPatch) -> None:
    key = derive_key(SECRET)
    monkeypatch.setenv("TEST_TOKEN_KEY", key.hex())
    authenticate = create({"key_env": "TEST_TOKEN_KEY", "role": "browser"})
    token = TokenCodec(key).sign(claims())
    principal = authenticate("raccoon", None, {"ticket": token})
    assert principal["authid"] == "ann" and principal["role"] == "browser"
    assert principal["extra"]["raccoon_prefix"] == claims().prefix
    for realm, authid, ticket in [
        ("other", None, token),  # a token for another realm
        ("raccoon", "bob", token),  # announcing someone else
        ("raccoon", None, "junk"),
    ]:
        with pytest.raises(ApplicationError) as info:
            authenticate(realm, authid, {"ticket": ticket})
        assert info.value.error == INVALID_TOKEN


def test_the_authenticator_needs_its_key() -> None:
    with pytest.raises(RuntimeError, match="RACCOON_NO_SUCH_VARIABLE"):
        create({"key_env": "RACCOON_NO_SUCH_VARIABLE"})


def test_revoked_logins_expire_and_ignore_malformed_entries() -> None:
    from raccoon._revocations import RevokedLogins

    now = [1000.0]
    revoked = RevokedLogins(clock=lambda: now[0])
    sid, other = "s" + "a" * 24, "s" + "b" * 24
    added = revoked.update(
        [[sid, 1060.0], [other, 1010], ["not a sid", 2000.0], [sid], "junk", [other, True]]
    )
    assert added == 2
    assert sid in revoked and other in revoked and "not a sid" not in revoked
    revoked.add(sid, 1030.0)  # an earlier end does not shorten a revocation
    now[0] = 1020.0
    assert other not in revoked and sid in revoked
    now[0] = 1060.0
    assert sid not in revoked and len(revoked) == 0
    assert revoked.update("junk") == 0 and revoked.entries() == []


def test_checking_revocations_needs_the_router_worker() -> None:
    config = {"key": "00" * 32, "revocations": {"role": "backend"}}
    with pytest.raises(RuntimeError, match="expose_controller"):
        create(config)
    with pytest.raises(RuntimeError, match="role"):
        create({"key": "00" * 32, "revocations": {}}, controller=object())
