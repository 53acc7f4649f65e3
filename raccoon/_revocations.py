"""Revoked logins, in memory: the set the router and the service both check.

A logout revokes a login (``raccoon_login_sessions.revoked_at``), but the
login's join tokens stay valid by signature until they expire, and a
browser session that joined with one keeps its authextra. So two places
check a login's ``sid`` against this set on every use, without asking the
database: the function authenticator in the Crossbar router worker (at
join) and the service's dynamic authorizer (at every action).

An entry lives until the login would have expired anyway
(``expires_at``): after that no token of it is valid and no refresh can
make one, so the set only ever holds the logins revoked within the last
``session_max_age``.

Private and standard-library only, for the same reason as
:mod:`raccoon._tokens`: the router worker (Twisted) imports it too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

__all__ = ["LIST_PROCEDURE", "REVOKE_PROCEDURE", "RevokedLogins"]

#: Registered in the router worker (:mod:`raccoon._revocation_feed`):
#: ``revoke([[sid, until], …])``, called by the services.
REVOKE_PROCEDURE = "raccoon.router.revoke"
#: Served by the services: every revoked, unexpired login as ``[[sid, until], …]``.
LIST_PROCEDURE = "raccoon.service.revocations"

_SID = re.compile(r"s[0-9a-f]{24}\Z")


class RevokedLogins:
    """Login session ids, each revoked until a time (seconds since the epoch).

    ::

        revoked = RevokedLogins()
        revoked.update([["s0123…", 1767225600.0]])   # the wire form: [sid, until] pairs
        "s0123…" in revoked                          # True until then
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        # Expired entries are dropped when the set has doubled since the last sweep.
        self._sweep_at = 1024

    def add(self, sid: str, until: float) -> None:
        """Revoke *sid* until *until* (a later time wins over an earlier one)."""
        if until > self._until.get(sid, 0.0):
            self._until[sid] = until
        if len(self._until) >= self._sweep_at:
            self._sweep()

    def update(self, entries: Any) -> int:
        """Add ``[sid, until]`` pairs as they come over WAMP; returns how many
        were well-formed (the rest is ignored: a wrong entry must not stop the
        good ones)."""
        added = 0
        if not isinstance(entries, (list, tuple)):
            return 0
        for entry in entries:
            if not isinstance(entry, (list, tuple)) or len(entry) != 2:
                continue
            sid, until = entry
            if (
                isinstance(sid, str)
                and _SID.match(sid)
                and isinstance(until, (int, float))
                and not isinstance(until, bool)
            ):
                self.add(sid, float(until))
                added += 1
        return added

    def __contains__(self, sid: object) -> bool:
        if not isinstance(sid, str):
            return False
        until = self._until.get(sid)
        if until is None:
            return False
        if until <= self._clock():
            del self._until[sid]
            return False
        return True

    def entries(self) -> list[list[Any]]:
        """The live entries in their wire form, ``[[sid, until], …]``."""
        self._sweep()
        return [[sid, until] for sid, until in self._until.items()]

    def __len__(self) -> int:
        return len(self._until)

    def _sweep(self) -> None:
        now = self._clock()
        self._until = {sid: until for sid, until in self._until.items() if until > now}
        self._sweep_at = max(1024, 2 * len(self._until))
