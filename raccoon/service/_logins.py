"""Login sessions: what a token refresh and a logout check, in the database.

A login creates one row, identified by a random *session id* (``sid``),
which is also the last fragment of the browser session's URI prefix. The
row stores the SHA-256 of the browser's key — a random value the browser
keeps in an HttpOnly cookie — so a refresh needs both the ``sid`` (which
the page knows) and the cookie (which scripts cannot read). Join tokens
live a minute; a revoked or expired login stops yielding new ones, and a
revocation is announced (``on_revoke``, see ``_revocations.py``) so that
the tokens it already gave out stop working too.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from raccoon.data import Database
from raccoon.service._accounts import Accounts, User
from raccoon.service._errors import SessionExpired
from raccoon.service._schema import login_sessions, users

__all__ = ["LoginSession", "Logins", "is_session_id", "new_browser_key"]

_SID = re.compile(r"s[0-9a-f]{24}\Z")
_BROWSER_KEY = re.compile(r"[A-Za-z0-9_-]{43}\Z")


def is_session_id(value: object) -> bool:
    """Whether *value* has the shape of a login session id."""
    return isinstance(value, str) and _SID.match(value) is not None


def new_browser_key() -> str:
    """A fresh browser key (the cookie's value)."""
    return secrets.token_urlsafe(32)


def is_browser_key(value: object) -> bool:
    """Whether *value* has the shape of a browser key."""
    return isinstance(value, str) and _BROWSER_KEY.match(value) is not None


def _digest(browser_key: str) -> bytes:
    return hashlib.sha256(browser_key.encode("ascii")).digest()


@dataclass(frozen=True)
class LoginSession:
    """One login: its id, user, language, and when it ends."""

    sid: str
    user: User
    language: str
    expires_at: datetime


class Logins:
    """Opens, checks and revokes login sessions."""

    def __init__(
        self,
        db: Database,
        accounts: Accounts,
        max_age: float,
        on_revoke: Callable[[str, datetime], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.accounts = accounts
        self.max_age = max_age
        #: Awaited with ``(sid, expires_at)`` after a login was revoked.
        self.on_revoke = on_revoke

    async def open(
        self, user: User, browser_key: str, language: str, client: str | None
    ) -> LoginSession:
        """Record a new login of *user* from the browser holding *browser_key*."""
        sid = "s" + secrets.token_hex(12)
        expires_at = datetime.now(UTC) + timedelta(seconds=self.max_age)
        await self.db.execute(
            sa.insert(login_sessions).values(
                id=sid,
                user_id=user.id,
                browser_key_hash=_digest(browser_key),
                language=language,
                client=client,
                expires_at=expires_at,
            )
        )
        return LoginSession(sid, user, language, expires_at)

    async def check(self, sid: object, browser_key: object) -> LoginSession:
        """The live login *sid* of this browser, with its user reloaded.

        Raises :class:`SessionExpired` when it is unknown, revoked, expired,
        belongs to another browser, or its user was disabled.
        """
        if not is_session_id(sid) or not is_browser_key(browser_key):
            raise SessionExpired("no such login session for this browser: log in again")
        assert isinstance(sid, str) and isinstance(browser_key, str)
        row = await self.db.fetchrow(
            sa.select(
                login_sessions.c.user_id,
                login_sessions.c.browser_key_hash,
                login_sessions.c.language,
                login_sessions.c.expires_at,
                login_sessions.c.revoked_at,
            ).where(login_sessions.c.id == sid)
        )
        if row is None or not secrets.compare_digest(
            bytes(row["browser_key_hash"]), _digest(browser_key)
        ):
            raise SessionExpired("no such login session for this browser: log in again")
        if row["revoked_at"] is not None:
            raise SessionExpired("this login session was closed (logout): log in again")
        if row["expires_at"] <= datetime.now(UTC):
            raise SessionExpired("this login session has expired: log in again")
        user = await self.accounts.user_by_id(row["user_id"])
        if user is None or not user.active:
            raise SessionExpired("the user of this login session is disabled: log in again")
        return LoginSession(sid, user, row["language"], row["expires_at"])

    async def revoke(self, sid: object, browser_key: object) -> LoginSession:
        """Close the login *sid* of this browser (a logout); returns it."""
        session = await self.check(sid, browser_key)
        await self.close(session.sid)
        return session

    async def close(self, sid: str) -> None:
        """Close the login *sid* on the server's own decision (a logout from
        inside the session, an administrator); idempotent. Returns once the
        revocation is announced (the router refuses the login's tokens)."""
        expires_at = await self.db.fetchval(
            sa.update(login_sessions)
            .where(login_sessions.c.id == sid)
            .values(revoked_at=sa.func.coalesce(login_sessions.c.revoked_at, sa.func.now()))
            .returning(login_sessions.c.expires_at)
        )
        if expires_at is not None and self.on_revoke is not None:
            await self.on_revoke(sid, expires_at)

    async def status(self, sid: str) -> str | None:
        """Why the login *sid* may not have a session (``'unknown'``, ``'revoked'``,
        ``'expired'``, ``'disabled'``), or ``None`` when it is live."""
        row = await self.db.fetchrow(
            sa.select(
                login_sessions.c.revoked_at,
                login_sessions.c.expires_at,
                users.c.active,
            )
            .select_from(login_sessions.join(users, users.c.id == login_sessions.c.user_id))
            .where(login_sessions.c.id == sid)
        )
        if row is None:
            return "unknown"
        if row["revoked_at"] is not None:
            return "revoked"
        if row["expires_at"] <= datetime.now(UTC):
            return "expired"
        if not row["active"]:
            return "disabled"
        return None
