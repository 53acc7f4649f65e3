"""Signed, short-lived join tokens: HMAC-SHA256 over a compact JSON payload.

Private and standard-library only, because two very different processes use
it: the service issues tokens (:mod:`raccoon.service`) and the function
authenticator verifies them *inside the Crossbar router worker*, which runs
Twisted and must not import anything that switches ``txaio`` to asyncio
(``raccoon.service`` does, through autobahn's asyncio modules).

A token is ``r1.<payload>.<signature>``: the payload is the claims as
compact JSON in unpadded base64url, the signature an HMAC-SHA256 of
``r1.<payload>`` with a key derived from the service secret for this one
purpose (:func:`derive_key`), so the router holds only the key that checks
join tokens, never the secret itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_TOKEN_LENGTH", "JoinClaims", "TokenCodec", "TokenError", "derive_key"]

_VERSION = "r1"
#: Longer tickets are refused before any decoding (cheap denial of junk).
MAX_TOKEN_LENGTH = 4096
# Tolerated clock difference for "issued in the future" (same host, normally).
_SKEW = 5.0
_PURPOSE_JOIN = b"raccoon.join-token.v1"
_NAME = re.compile(r"[A-Za-z0-9_]+\Z")


class TokenError(ValueError):
    """A token is malformed, forged, expired, or not valid for this realm.

    The message says which, for logs and for the client: none of it is
    secret (it never echoes the token).
    """


def derive_key(secret: str | bytes, purpose: bytes = _PURPOSE_JOIN) -> bytes:
    """The HMAC key for *purpose* derived from the service *secret*.

    Different purposes get independent keys from one configured secret.
    """
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if len(secret) < 32:
        raise ValueError(
            f"the service secret is {len(secret)} bytes long; it must have at least 32 "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class JoinClaims:
    """What a join token says: who joins which realm, under which session prefix.

    ``sid`` identifies the login session (the "token family": every token
    refreshed from one login has the same ``sid`` and ``prefix``).
    """

    user_id: int
    username: str
    tenant: str | None
    roles: tuple[str, ...]
    language: str
    realm: str
    prefix: str
    sid: str
    issued_at: float
    expires_at: float

    def to_payload(self) -> dict[str, Any]:
        """The compact JSON payload of the token."""
        return {
            "uid": self.user_id,
            "sub": self.username,
            "ten": self.tenant,
            "rol": list(self.roles),
            "lng": self.language,
            "rlm": self.realm,
            "pfx": self.prefix,
            "sid": self.sid,
            "iat": int(self.issued_at),
            "exp": int(self.expires_at),
        }

    @classmethod
    def from_payload(cls, payload: Any) -> JoinClaims:
        """Check every field of a decoded payload; raise :class:`TokenError`."""
        if not isinstance(payload, Mapping):
            raise TokenError("the token payload is not a JSON object")

        def field(key: str, kind: type | tuple[type, ...]) -> Any:
            value = payload.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise TokenError(f"the token payload has no valid {key!r} field")
            return value

        tenant = payload.get("ten")
        if tenant is not None and not isinstance(tenant, str):
            raise TokenError("the token payload has no valid 'ten' field")
        roles = field("rol", list)
        if not all(isinstance(role, str) for role in roles):
            raise TokenError("the token payload has no valid 'rol' field")
        prefix = field("pfx", str)
        if not prefix or not all(_NAME.match(part) for part in prefix.split(".")):
            raise TokenError("the token payload has no valid 'pfx' field")
        return cls(
            user_id=field("uid", int),
            username=field("sub", str),
            tenant=tenant,
            roles=tuple(roles),
            language=field("lng", str),
            realm=field("rlm", str),
            prefix=prefix,
            sid=field("sid", str),
            issued_at=float(field("iat", (int, float))),
            expires_at=float(field("exp", (int, float))),
        )

    def authextra(self) -> dict[str, Any]:
        """The WAMP ``authextra`` the router gives the joined session.

        The service's dynamic authorizer reads ``prefix`` from it; the
        session tree reads the rest.
        """
        return {
            "raccoon_prefix": self.prefix,
            "raccoon_sid": self.sid,
            "raccoon_user_id": self.user_id,
            "raccoon_tenant": self.tenant,
            "raccoon_roles": list(self.roles),
            "raccoon_language": self.language,
        }


class TokenCodec:
    """Signs and verifies join tokens with one key::

    codec = TokenCodec(derive_key(settings.secret))
    token = codec.sign(claims)
    claims = codec.verify(token, realm="raccoon")   # or TokenError
    """

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) < 32:
            raise ValueError("a token key is at least 32 bytes: use derive_key(secret)")
        self._key = key

    def _signature(self, signed: bytes) -> bytes:
        return hmac.new(self._key, signed, hashlib.sha256).digest()

    def sign(self, claims: JoinClaims) -> str:
        """The token for *claims*."""
        payload = json.dumps(claims.to_payload(), separators=(",", ":"), sort_keys=True)
        signed = f"{_VERSION}.{_b64encode(payload.encode('utf-8'))}"
        return f"{signed}.{_b64encode(self._signature(signed.encode('ascii')))}"

    def verify(
        self, token: Any, *, realm: str | None = None, now: float | None = None
    ) -> JoinClaims:
        """The claims of a valid *token*, or :class:`TokenError` saying why not.

        Checks, in order: shape and size, signature (constant time), payload
        fields, expiry, issue time, and — when given — the *realm*.
        """
        if not isinstance(token, str) or not token:
            raise TokenError("no token: log in to get one")
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenError("the token is too long to be one of ours")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            raise TokenError("the token is malformed (expected r1.<payload>.<signature>)")
        try:
            signature = _b64decode(parts[2])
            raw = _b64decode(parts[1])
        except (binascii.Error, ValueError):
            raise TokenError("the token is malformed (bad base64)") from None
        expected = self._signature(f"{parts[0]}.{parts[1]}".encode("ascii"))
        if not hmac.compare_digest(signature, expected):
            raise TokenError("the token signature is invalid (forged, or signed with another key)")
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            raise TokenError("the token payload is not JSON") from None
        claims = JoinClaims.from_payload(payload)
        now = time.time() if now is None else now
        if claims.expires_at <= now:
            raise TokenError(
                f"the token expired {now - claims.expires_at:.0f} s ago: refresh it "
                "(POST /api/token) or log in again"
            )
        if claims.issued_at > now + _SKEW:
            raise TokenError("the token was issued in the future (clock skew?)")
        if realm is not None and claims.realm != realm:
            raise TokenError(f"the token is for realm {claims.realm!r}, not {realm!r}")
        return claims
