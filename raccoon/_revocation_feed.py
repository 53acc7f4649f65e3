"""The router worker's copy of the revoked logins, kept up to date by the service.

The function authenticator (:mod:`raccoon._authenticator`) must refuse a
join token of a login that was logged out, without a round trip to a
backend for each join (joins must work while the backends restart). So the
router worker keeps the revoked logins in memory (:class:`RevokedLogins`)
and the service pushes to it:

- a session embedded in the router worker (Crossbar's in-process
  ``RouterApplicationSession``, role ``backend``) registers
  :data:`REVOKE_PROCEDURE`; a logout *calls* it (and waits), so when the
  logout answers, the router refuses the login's tokens;
- when that session starts — at the first ticket join after the router
  started — it asks a backend for every revoked, unexpired login
  (:data:`LIST_PROCEDURE`, from the database); if no backend is there yet,
  the service pushes the whole list when its backend (re)joins.

Imported only inside the router worker (it imports autobahn's Twisted
flavour, which must never be imported into the asyncio service).
"""

from __future__ import annotations

from typing import Any

from autobahn.twisted.wamp import ApplicationSession
from autobahn.wamp.types import ComponentConfig
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks

from raccoon._revocations import LIST_PROCEDURE, REVOKE_PROCEDURE, RevokedLogins

__all__ = ["LIST_TIMEOUT", "start_feed"]

#: Seconds the first join waits for a backend's list before going on without it.
LIST_TIMEOUT = 5.0


class _FeedSession(ApplicationSession):
    def __init__(self, realm: str, revoked: RevokedLogins, ready: Deferred[None]) -> None:
        super().__init__(ComponentConfig(realm=realm))
        self._revoked = revoked
        self._ready = ready

    @inlineCallbacks
    def onJoin(self, details: Any) -> Any:
        try:
            # First the procedure, then the list: a logout in between is in both.
            yield self.register(self._revoked.update, REVOKE_PROCEDURE)
            listing = self.call(LIST_PROCEDURE)
            listing.addTimeout(LIST_TIMEOUT, reactor)
            entries = yield listing
            count = self._revoked.update(entries)
            self.log.info("raccoon: {count} revoked logins known", count=count)
        except Exception as exc:
            # No backend yet: it pushes the list when it joins.
            self.log.warn(
                "raccoon: no list of revoked logins from the service yet ({error})", error=exc
            )
        finally:
            if not self._ready.called:
                self._ready.callback(None)


def start_feed(controller: Any, realm: str, role: str, revoked: RevokedLogins) -> Deferred[None]:
    """Embed the feed's session in *controller*'s router for *realm*; fires once it
    has the backend's list (or gave up waiting for it)."""
    ready: Deferred[None] = Deferred()
    router = controller.router_factory.get(realm)
    if router is None:  # no such realm: nothing joins it anyway
        ready.callback(None)
        return ready
    session = _FeedSession(realm, revoked, ready)
    controller.router_session_factory.add(
        session, router, authid="raccoon-revocations", authrole=role
    )
    return ready
