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

With ``"revocations": {"role": "backend"}`` in the config (and
``"expose_controller": true`` beside it, so that Crossbar hands :func:`create`
its router worker), a token of a **revoked login** (a logout) is refused
too: the worker keeps the revoked logins in memory, pushed by the service
(:mod:`raccoon._revocation_feed`), and checks each join against them — a
set lookup, still no round trip.

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

from raccoon._revocations import RevokedLogins
from raccoon._tokens import TokenCodec, TokenError, derive_key

__all__ = ["INVALID_TOKEN", "create"]

#: The error URI of a refused join (autobahn-js must not retry with the same ticket).
INVALID_TOKEN = "raccoon.error.invalid_token"


def create(
    config: Mapping[str, Any], controller: Any = None
) -> Callable[[str, str | None, Mapping[str, Any]], Any]:
    """Crossbar calls this once: returns ``authenticate(realm, authid, details)``.

    *controller* is Crossbar's router worker when the configuration says
    ``expose_controller``; with ``revocations`` configured it is required.
    """
    codec = TokenCodec(_key(config))
    role = config.get("role", "browser")
    if not isinstance(role, str) or not role:
        raise RuntimeError(f"the raccoon ticket authenticator's role must be a name, got {role!r}")
    revoked = RevokedLogins()
    feed = _Feed(config.get("revocations"), controller, revoked)

    def check(realm: str, authid: str | None, details: Mapping[str, Any]) -> dict[str, Any]:
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
        if claims.sid in revoked:
            raise ApplicationError(
                INVALID_TOKEN, "the login of this token was closed (logout): log in again"
            )
        return {
            "realm": realm,
            "authid": claims.username,
            "role": role,
            "extra": claims.authextra(),
        }

    def authenticate(realm: str, authid: str | None, details: Mapping[str, Any]) -> Any:
        waiting = feed.waiting(realm)
        if waiting is None:
            return check(realm, authid, details)
        # The first joins after the router started wait (briefly) for the list.
        return waiting.addCallback(lambda _: check(realm, authid, details))

    return authenticate


class _Feed:
    """Starts a realm's revocation feed at its first join (:mod:`raccoon._revocation_feed`)."""

    def __init__(self, config: Any, controller: Any, revoked: RevokedLogins) -> None:
        self.role: str | None = None
        if config is not None:
            role = config.get("role") if isinstance(config, Mapping) else None
            if not isinstance(role, str) or not role:
                raise RuntimeError(
                    "the raccoon ticket authenticator's 'revocations' needs the role of its "
                    f"router-side session, got {config!r}"
                )
            if controller is None:
                raise RuntimeError(
                    "the raccoon ticket authenticator checks revocations only with "
                    '"expose_controller": true in its Crossbar configuration'
                )
            self.role = role
        self.controller = controller
        self.revoked = revoked
        self._ready: dict[str, Any] = {}

    def waiting(self, realm: str) -> Any:
        """``None`` when *realm*'s feed is ready (or off); else a fresh Deferred for it."""
        if self.role is None:
            return None
        ready = self._ready.get(realm)
        if ready is None:
            # Imported here: the Twisted flavour of autobahn must never reach
            # a process that merely imports this module (tests, the service).
            from twisted.internet import reactor

            from raccoon._revocation_feed import LIST_TIMEOUT, start_feed

            ready = self._ready[realm] = start_feed(self.controller, realm, self.role, self.revoked)
            # Whatever happens to the feed, joins go on after this long.
            ready.addTimeout(LIST_TIMEOUT + 1.0, reactor, onTimeoutCancel=lambda *_: None)
        if ready.called:
            return None
        from twisted.internet.defer import Deferred

        waiter: Any = Deferred()

        def release(result: Any) -> Any:
            waiter.callback(None)
            return result

        ready.addBoth(release)
        return waiter


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
