"""A minimal autobahn client that joins a realm once: the router readiness check."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from autobahn.asyncio.wamp import ApplicationSession
from autobahn.asyncio.websocket import WampWebSocketClientFactory
from autobahn.wamp.serializer import JsonSerializer
from autobahn.wamp.types import ComponentConfig

__all__ = ["JoinRefused", "join_realm"]

_CLOSE_GRACE = 2.0  # seconds


class JoinRefused(Exception):
    """The router answered but did not let the session join (or dropped it)."""


class _ProbeSession(ApplicationSession):
    """Joins (anonymously, or with a WAMP ticket), records the welcome
    details, and leaves at once."""

    def __init__(
        self,
        config: ComponentConfig,
        joined: asyncio.Future[dict[str, Any]],
        closed: asyncio.Future[None],
        authid: str | None = None,
        ticket: str | None = None,
    ) -> None:
        super().__init__(config)
        self._joined = joined
        self._closed = closed
        self._authid = authid
        self._ticket = ticket

    def onConnect(self) -> None:
        if self._ticket is None:
            self.join(self.config.realm)
        else:
            self.join(self.config.realm, authmethods=["ticket"], authid=self._authid)

    def onChallenge(self, challenge: Any) -> str:
        if challenge.method != "ticket" or self._ticket is None:
            raise JoinRefused(f"the router asked for {challenge.method!r} authentication")
        return self._ticket

    def onJoin(self, details: Any) -> None:
        if not self._joined.done():
            self._joined.set_result(dict(details.authextra or {}))
        self.leave()

    def onLeave(self, details: Any) -> None:
        if not self._joined.done():
            reason = f"{details.reason} {details.message or ''}".strip()
            self._joined.set_exception(JoinRefused(f"the router refused the join: {reason}"))
        self.disconnect()

    def onDisconnect(self) -> None:
        if not self._joined.done():
            self._joined.set_exception(JoinRefused("the connection closed before the join"))
        if not self._closed.done():
            self._closed.set_result(None)


async def join_realm(
    url: str,
    realm: str,
    within: float,
    *,
    authid: str | None = None,
    ticket: str | None = None,
) -> dict[str, Any]:
    """Join *realm* at the websocket *url*, leave, and return the welcome authextra.

    Anonymously by default; with a *ticket*, by WAMP-ticket authentication
    as *authid* (for a realm whose transports admit no anonymous session).

    Raises :class:`OSError` when nothing listens, :class:`JoinRefused` when
    the router refuses, :class:`TimeoutError` after *within* seconds.
    """
    loop = asyncio.get_running_loop()
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"router url {url!r} must name a host and a port")
    joined: asyncio.Future[dict[str, Any]] = loop.create_future()
    closed: asyncio.Future[None] = loop.create_future()
    session = _ProbeSession(ComponentConfig(realm=realm), joined, closed, authid, ticket)
    # JSON only: the ubjson serializer is backed by bjdata (see docs/dependencies.md).
    factory = WampWebSocketClientFactory(
        lambda: session, url=url, serializers=[JsonSerializer()], loop=loop
    )
    transport: asyncio.BaseTransport | None = None
    try:
        async with asyncio.timeout(within):
            transport, _ = await loop.create_connection(factory, parts.hostname, parts.port)
            return await joined
    finally:
        if transport is not None:
            # Give the polite GOODBYE a moment (the router then logs no
            # aborted session), then make sure the socket is closed before
            # our caller's loop may close: an open one warns when collected.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_CLOSE_GRACE):
                    await asyncio.shield(closed)
            if not closed.done():
                transport.close()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_CLOSE_GRACE):
                        await asyncio.shield(closed)
        if joined.done() and not joined.cancelled():
            joined.exception()  # mark retrieved: our caller reports refusals
