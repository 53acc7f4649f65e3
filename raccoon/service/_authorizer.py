"""The dynamic authorizer's rule: what a browser session may do on which URI.

Crossbar calls the authorizer procedure for every action of a session whose
role has one, with ``(session_details, uri, action, options)``, and caches
the answer by **(realm, role, uri, action)** when it says ``cache: true`` —
for every later session of that role, and without regard to
``options.match``. So only answers that are the same for every browser may
be cached; everything that depends on the session's own prefix is answered
with ``cache: false``.

The rule, for a browser whose session prefix is ``P``:

- anything on ``wamp`` or ``wamp.*`` (the router's meta API): denied (cached);
- anything at all by a session of a **revoked login** (a logout; its
  ``raccoon_sid`` is in the service's in-memory set, ``_revocations.py``):
  denied (not cached) — the router kills such sessions at logout, this
  holds whatever slipped through;
- ``call`` of a public procedure: allowed, caller disclosed (cached);
- ``register``, ``subscribe``, ``publish`` and ``call`` under its own
  prefix: allowed (not cached). "Under" means ``uri == P`` or
  ``uri.startswith(P + '.')`` — the dot matters: ``P`` must not cover
  ``P1``. A *prefix* pattern must start with ``P + '.'`` (a prefix
  subscription to ``P`` itself would also receive ``P1.x``); a *wildcard*
  pattern must be ``P`` or start with ``P + '.'``, so its empty fragments
  only ever stand for URIs inside ``P``;
- everything else: denied (not cached).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["PREFIX_KEY", "SID_KEY", "authorize_browser"]

#: The authextra key holding the session's prefix (set by the authenticator).
PREFIX_KEY = "raccoon_prefix"
#: The authextra key holding the session's login id.
SID_KEY = "raccoon_sid"
_ACTIONS = frozenset({"call", "register", "subscribe", "publish"})
_MATCHES = frozenset({"exact", "prefix", "wildcard"})

_DENY_CACHED: dict[str, Any] = {"allow": False, "disclose": False, "cache": True}
_DENY: dict[str, Any] = {"allow": False, "disclose": False, "cache": False}
_PUBLIC_CALL: dict[str, Any] = {"allow": True, "disclose": True, "cache": True}


def _public(uri: str, public: tuple[str, ...]) -> bool:
    for entry in public:
        if entry.endswith("."):
            if uri.startswith(entry) and len(uri) > len(entry):
                return True
        elif uri == entry:
            return True
    return False


def _inside(uri: str, prefix: str, match: str) -> bool:
    below = uri.startswith(prefix + ".")
    if match == "prefix":
        return below
    return below or uri == prefix


def authorize_browser(
    details: Any,
    uri: Any,
    action: Any,
    options: Any,
    public: tuple[str, ...],
    revoked: Callable[[object], bool] | None = None,
) -> dict[str, Any]:
    """The authorization of a browser session for *action* on *uri*.

    *details* are the session details Crossbar passes (its ``authextra``
    holds the prefix and the login id), *options* the action's options
    (``match`` for subscribe and register), *public* the public procedures
    (exact URIs, or prefixes ending with '.'), *revoked* tells whether a
    login id was revoked. Never raises: anything malformed is denied.
    """
    if not isinstance(uri, str) or not uri or action not in _ACTIONS:
        return _DENY
    if uri == "wamp" or uri.startswith("wamp."):
        return _DENY_CACHED
    authextra = details.get("authextra") if isinstance(details, Mapping) else None
    if not isinstance(authextra, Mapping):
        authextra = {}
    if revoked is not None and revoked(authextra.get(SID_KEY)):
        return _DENY
    match = "exact"
    if action in ("subscribe", "register") and isinstance(options, Mapping):
        match = options.get("match") or "exact"
    if match not in _MATCHES:
        return _DENY
    if action == "call" and _public(uri, public):
        return _PUBLIC_CALL
    prefix = authextra.get(PREFIX_KEY)
    if not isinstance(prefix, str) or not prefix:
        return _DENY
    if _inside(uri, prefix, match):
        return {"allow": True, "disclose": action in ("call", "publish"), "cache": False}
    return _DENY
