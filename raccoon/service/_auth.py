"""Login, token refresh and logout — the rules, apart from HTTP.

:class:`Auth` checks credentials (rate-limited per username and per client
address), opens and checks login sessions, and issues join tokens. The
aiohttp handlers (``_web.py``) only parse requests and shape answers.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from raccoon._tokens import JoinClaims, TokenCodec
from raccoon.service._accounts import Accounts
from raccoon.service._errors import AccountError, InvalidCredentials, LoginThrottled
from raccoon.service._logins import Logins, LoginSession
from raccoon.service._metrics import Metrics
from raccoon.service._ratelimit import SharedRateLimiter
from raccoon.service.settings import Settings

__all__ = ["Auth", "Grant", "normalize_language", "parse_accept_language"]

_TAG = re.compile(r"[A-Za-z]{2,8}([_-][A-Za-z0-9]{1,8})*\Z")


def normalize_language(tag: object) -> str | None:
    """``'it-CH'`` → ``'it_CH'``; ``None`` for anything that is not a language tag."""
    if not isinstance(tag, str) or not _TAG.match(tag):
        return None
    first, *rest = tag.replace("-", "_").split("_")
    return "_".join([first.lower(), *(part.upper() if len(part) == 2 else part for part in rest)])


def parse_accept_language(header: str | None) -> str | None:
    """The browser's preferred language from an ``Accept-Language`` header.

    ``'it-CH,it;q=0.9,en;q=0.8'`` → ``'it_CH'``; ``None`` when nothing usable.
    """
    if not header or len(header) > 1024:
        return None
    best: tuple[float, int, str] | None = None
    for index, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        language = normalize_language(tag.strip())
        if language is None or quality <= 0:
            continue
        key = (quality, -index, language)
        if best is None or key > best:
            best = key
    return best[2] if best is not None else None


@dataclass(frozen=True)
class Grant:
    """A join token and what the browser needs with it."""

    token: str
    claims: JoinClaims
    session: LoginSession

    def to_wire(self, settings: Settings) -> dict[str, Any]:
        """The JSON answer of ``/api/login`` and ``/api/token``."""
        return {
            "token": self.token,
            "expires_in": int(self.claims.expires_at - self.claims.issued_at),
            "session": self.session.sid,
            "prefix": self.claims.prefix,
            "realm": self.claims.realm,
            "url": settings.websocket_url,
            "language": self.claims.language,
            "user": self.session.user.to_wire(),
        }


class Auth:
    """Credentials in, join tokens out."""

    def __init__(
        self,
        settings: Settings,
        accounts: Accounts,
        logins: Logins,
        codec: TokenCodec,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.accounts = accounts
        self.logins = logins
        self.codec = codec
        self.metrics = metrics
        # In the database: every replica of the service counts the same failures.
        self.user_limiter = SharedRateLimiter(
            accounts.db, settings.login_max_failures, settings.login_window
        )
        self.client_limiter = SharedRateLimiter(
            accounts.db, settings.login_max_failures_per_client, settings.login_window
        )

    def prefix(self, sid: str) -> str:
        """The URI prefix of the browser session of login *sid*."""
        return f"{self.settings.session_root}.{sid}"

    def issue(self, session: LoginSession, occasion: str) -> Grant:
        """A fresh join token for *session* (``occasion``: 'login' or 'refresh')."""
        now = time.time()
        user = session.user
        claims = JoinClaims(
            user_id=user.id,
            username=user.username,
            tenant=user.tenant,
            roles=user.roles,
            language=session.language,
            realm=self.settings.realm,
            prefix=self.prefix(session.sid),
            sid=session.sid,
            issued_at=now,
            expires_at=now + self.settings.token_ttl,
        )
        self.metrics.tokens.labels(occasion).inc()
        return Grant(self.codec.sign(claims), claims, session)

    async def login(
        self,
        username: str,
        password: str,
        *,
        browser_key: str,
        language: str | None,
        client: str | None,
    ) -> Grant:
        """Check the credentials and open a login session.

        Raises :class:`LoginThrottled` (no password is checked then) or
        :class:`InvalidCredentials`. *language* is the browser's preference,
        used when the user has none of their own.
        """
        keys = [f"user:{username.lower()}"]
        client_keys = [f"client:{client}"] if client else []
        wait = max(
            await self.user_limiter.retry_after(keys),
            await self.client_limiter.retry_after(client_keys),
        )
        if wait > 0:
            self.metrics.logins.labels("throttled").inc()
            raise LoginThrottled(
                f"too many failed logins; try again in {wait:.0f} s", retry_after=wait
            )
        # Counted before the (slow) check, so parallel guesses count too.
        attempt = await self.user_limiter.hit(keys) + await self.client_limiter.hit(client_keys)
        try:
            user = await self.accounts.verify_password(username, password)
        except (InvalidCredentials, AccountError):
            self.metrics.logins.labels("failed").inc()
            raise InvalidCredentials("wrong username or password") from None
        await self.user_limiter.forgive(attempt)  # both limiters' rows: they share a table
        chosen = user.language or language or self.settings.default_language
        session = await self.logins.open(user, browser_key, chosen, client)
        self.metrics.logins.labels("ok").inc()
        return self.issue(session, "login")

    async def refresh(self, sid: object, browser_key: object) -> Grant:
        """A new token for the live login *sid* of this browser (or :class:`SessionExpired`)."""
        session = await self.logins.check(sid, browser_key)
        return self.issue(session, "refresh")

    async def logout(self, sid: object, browser_key: object) -> LoginSession:
        """Close the login *sid* of this browser (or :class:`SessionExpired`)."""
        return await self.logins.revoke(sid, browser_key)
