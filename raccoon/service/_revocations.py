"""Revoked logins: the database says which, the router and every service process hold the set.

A logout (``Logins.revoke``/``close``) must make every token of the login
useless at once, everywhere:

- **the router** refuses its join tokens: :meth:`Revocations.announce`
  calls the router worker's ``raccoon.router.revoke`` and waits for it
  (:mod:`raccoon._revocation_feed`), so the logout answers only once the
  router knows;
- **every service process** denies every action of the login's browser
  sessions in the dynamic authorizer, and builds no session tree for it:
  each holds the set in memory (:attr:`Revocations.revoked`), filled from
  ``raccoon_login_sessions`` when its backend joins, and kept current by
  the event ``raccoon.service.revoked`` that the process revoking a login
  publishes to the others (through the router, like everything else they
  share).

When the backend (re)joins — after a restart of the router or of the
service — the whole list goes to the router again, from the database.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from raccoon._revocations import REVOKE_PROCEDURE, RevokedLogins
from raccoon.data import Database
from raccoon.node import Connection, NoSuchEndpoint, RPCError

__all__ = ["REVOKED_TOPIC", "Revocations"]

log = logging.getLogger("raccoon.service.revocations")

#: Where a service process tells the others about a login it revoked: ``([[sid, until], …])``.
REVOKED_TOPIC = "raccoon.service.revoked"
# The router's list goes in pieces of this many entries (bounded messages).
_BATCH = 2000


class Revocations:
    """The revoked logins of one service process (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        #: The set the authorizer and the session registry check.
        self.revoked = RevokedLogins()
        self._connection: Connection | None = None

    def is_revoked(self, sid: object) -> bool:
        """Whether the login *sid* was revoked (and has not expired since)."""
        return sid in self.revoked

    async def attach(self, connection: Connection) -> None:
        """Follow the other processes' revocations on *connection* (the backend)."""
        self._connection = connection
        await connection.subscribe(REVOKED_TOPIC, self._heard)

    def _heard(self, entries: Any = None) -> None:
        self.revoked.update(entries)

    async def stored(self) -> list[list[Any]]:
        """Every revoked, unexpired login in the database, ``[[sid, until], …]``."""
        rows = await self.db.fetch(
            "SELECT id, extract(epoch FROM expires_at)::float8 AS until "
            "FROM raccoon_login_sessions "
            "WHERE revoked_at IS NOT NULL AND expires_at > now()"
        )
        return [[row["id"], row["until"]] for row in rows]

    async def resync(self) -> None:
        """After the backend (re)joined: reload from the database, and tell the router."""
        entries = await self.stored()
        self.revoked.update(entries)
        for start in range(0, len(entries), _BATCH):
            if not await self._tell_router(entries[start : start + _BATCH]):
                break
        log.info("%d revoked logins known", len(entries))

    async def announce(self, sid: str, expires_at: datetime) -> None:
        """The login *sid* (valid until *expires_at*) was just revoked in the database."""
        entries = [[sid, expires_at.timestamp()]]
        self.revoked.update(entries)
        connection = self._connection
        if connection is None:
            return
        try:
            await connection.publish(REVOKED_TOPIC, [entries])
        except RPCError as exc:
            log.warning("could not tell the other service processes about a logout: %s", exc)
        await self._tell_router(entries)

    async def _tell_router(self, entries: list[list[Any]]) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            await connection.call(REVOKE_PROCEDURE, [entries], timeout=5.0)
        except NoSuchEndpoint:
            # No browser joined since the router started: its feed, when it
            # starts, asks for the list (LIST_PROCEDURE) itself.
            return False
        except RPCError as exc:
            log.warning("could not tell the router about revoked logins: %s", exc)
            return False
        return True
