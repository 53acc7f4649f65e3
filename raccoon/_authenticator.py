"""The WAMP-ticket ``function`` authenticator loaded inside the Crossbar router worker.

Crossbar imports this module in its router worker (Twisted) and calls
:func:`create` once with the ``config`` of the transport's ticket
authentication; the function it returns checks each join's ticket — a
join token the service signed — without any round trip to a backend, so
browsers can join even while every backend is restarting.

Configuration (``build_config`` writes it from the service settings)::

    "auth": {"ticket": {
        "type": "function",
        "create": "raccoon._authenticator.create",
        "config": {"key_env": "RACCOON_ROUTER_TOKEN_KEY", "role": "browser"}
    }}

The key is read from the environment variable named by ``key_env`` (hex),
so it is never written to the router's config file. A router run apart from
the service (``raccoon router config``, docs/deployment.md) gets
``secret_env`` instead: the variable holding the service's ``secret``
itself, from which the key is derived here exactly as the service does. The module is standard
library plus :mod:`autobahn.wamp.exception` only: importing anything that
selects asyncio for ``txaio`` would break the Twisted worker.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from autobahn.wamp.exception import ApplicationError

from raccoon._tokens import TokenCodec, TokenError, derive_key

__all__ = ["INVALID_TOKEN", "create"]

#: The error URI of a refused join (autobahn-js must not retry with the same ticket).
INVALID_TOKEN = "raccoon.error.invalid_token"


def create(
    config: Mapping[str, Any], controller: Any = None
) -> Callable[[str, str | None, Mapping[str, Any]], dict[str, Any]]:
    """Crossbar calls this once: returns ``authenticate(realm, authid, details)``."""
    codec = TokenCodec(_key(config))
    role = config.get("role", "browser")
    if not isinstance(role, str) or not role:
        raise RuntimeError(f"the raccoon ticket authenticator's role must be a name, got {role!r}")

    def authenticate(realm: str, authid: str | None, details: Mapping[str, Any]) -> dict[str, Any]:
        try:
            claims = codec.verify(details.get("ticket"), realm=realm)
        except TokenError as exc:
            raise ApplicationError(INVALID_TOKEN, str(exc)) from None
        if authid is not None and authid != claims.username:
            raise ApplicationError(
                INVALID_TOKEN,
                f"the token is for {claims.username!r}, not for the authid {authid!r} "
                "the client announced",
            )
        return {
            "realm": realm,
            "authid": claims.username,
            "role": role,
            "extra": claims.authextra(),
        }

    return authenticate


def _key(config: Mapping[str, Any]) -> bytes:
    """The token key: from ``key_env`` (hex), ``secret_env`` (derived) or ``key`` (hex, tests)."""
    secret_env = config.get("secret_env")
    if isinstance(secret_env, str):
        secret = os.environ.get(secret_env, "")
        if not secret:
            raise RuntimeError(
                f"the raccoon ticket authenticator has no secret: environment variable "
                f"{secret_env!r} is not set in the router's environment"
            )
        return derive_key(secret)
    key_env = config.get("key_env")
    hex_key = os.environ.get(key_env, "") if isinstance(key_env, str) else config.get("key", "")
    if not hex_key:
        raise RuntimeError(
            f"the raccoon ticket authenticator has no key: environment variable {key_env!r} "
            "is not set in the router's environment"
        )
    return bytes.fromhex(hex_key)
