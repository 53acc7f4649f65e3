"""Clients for the service tests: an HTTP+WAMP "browser", and a bare autobahn session.

:class:`RawSession` is plain autobahn — no Raccoon code between the test and
the router — so the isolation tests try exactly what an attacker's own
client could.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from autobahn.asyncio.wamp import ApplicationSession
from autobahn.asyncio.websocket import WampWebSocketClientFactory
from autobahn.wamp.serializer import JsonSerializer
from autobahn.wamp.types import ComponentConfig

from raccoon.node import Connection

#: Cheap Argon2 parameters: the tests hash and verify many passwords.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_cost": 1024, "argon2_parallelism": 1}
#: The password of every test user.
PASSWORD = "correct horse battery"


class JoinFailed(Exception):
    """The router refused the join: ``.reason`` is the WAMP error URI."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


class _Session(ApplicationSession):
    def __init__(
        self, realm: str, ticket: str | None, authid: str | None, joined: asyncio.Future[Any]
    ):
        super().__init__(ComponentConfig(realm=realm))
        self._ticket = ticket
        self._authid = authid
        self.joined = joined
        self.left: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def onConnect(self) -> None:
        methods = ["ticket"] if self._ticket is not None else ["anonymous"]
        self.join(self.config.realm, authmethods=methods, authid=self._authid)

    def onChallenge(self, challenge: Any) -> str:
        assert self._ticket is not None
        return self._ticket

    def onJoin(self, details: Any) -> None:
        if not self.joined.done():
            self.joined.set_result(details)

    def onLeave(self, details: Any) -> None:
        if not self.joined.done():
            self.joined.set_exception(JoinFailed(details.reason, details.message or ""))
        if not self.left.done():
            self.left.set_result(details)
        self.disconnect()

    def onDisconnect(self) -> None:
        if not self.joined.done():
            self.joined.set_exception(JoinFailed("disconnected", "closed before the join"))
        if not self.closed.done():
            self.closed.set_result(None)


class RawSession:
    """A joined bare autobahn session (``.session`` is the ApplicationSession)."""

    def __init__(self, session: _Session, transport: Any) -> None:
        self.session = session
        self.transport = transport
        self.details = session.joined.result()

    @property
    def id(self) -> int:
        return int(self.session._session_id)

    @classmethod
    async def join(
        cls,
        url: str,
        realm: str,
        ticket: str | None,
        *,
        authid: str | None = None,
        origin: str | None = None,
        within: float = 10.0,
    ) -> RawSession:
        loop = asyncio.get_running_loop()
        joined: asyncio.Future[Any] = loop.create_future()
        session = _Session(realm, ticket, authid, joined)
        headers = {"Origin": origin} if origin else None
        factory = WampWebSocketClientFactory(
            lambda: session, url=url, serializers=[JsonSerializer()], headers=headers
        )
        parts = urlsplit(url)
        transport, _ = await loop.create_connection(factory, parts.hostname, parts.port)
        try:
            async with asyncio.timeout(within):
                await asyncio.shield(joined)
        except BaseException:
            transport.close()
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                async with asyncio.timeout(2):
                    await session.closed
            raise
        return cls(session, transport)

    async def close(self) -> None:
        if not self.session.closed.done():
            with contextlib.suppress(Exception):
                if self.session.is_attached():
                    self.session.leave()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await asyncio.shield(self.session.closed)
        if not self.session.closed.done():
            self.transport.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await asyncio.shield(self.session.closed)

    def drop(self) -> None:
        """Cut the TCP connection without a goodbye."""
        self.transport.abort()


class Browser:
    """A browser: an HTTP client with its own cookie jar, and its WAMP sessions."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.login_answer: dict[str, Any] = {}
        self._raw: list[RawSession] = []
        self._connections: list[Connection] = []

    @property
    def token(self) -> str:
        return str(self.login_answer["token"])

    @property
    def prefix(self) -> str:
        return str(self.login_answer["prefix"])

    @property
    def sid(self) -> str:
        return str(self.login_answer["session"])

    async def post(self, path: str, body: Any, **kwargs: Any) -> tuple[int, Any]:
        async with self.http.post(self.service.url + path, json=body, **kwargs) as response:
            return response.status, await response.json()

    async def login(self, username: str, password: str, **kwargs: Any) -> dict[str, Any]:
        status, answer = await self.post(
            "/api/login", {"username": username, "password": password}, **kwargs
        )
        assert status == 200, answer
        self.login_answer = answer
        return answer

    async def refresh(self) -> str:
        status, answer = await self.post("/api/token", {"session": self.sid})
        assert status == 200, answer
        return str(answer["token"])

    async def raw(self, ticket: str | None = None, **kwargs: Any) -> RawSession:
        session = await RawSession.join(
            self.service.websocket_url,
            self.service.settings.realm,
            ticket or self.token,
            **kwargs,
        )
        self._raw.append(session)
        return session

    async def connection(self, **options: Any) -> Connection:
        """A reconnecting node-layer connection that fetches a fresh token per join."""
        connection = Connection(
            self.service.websocket_url,
            self.service.settings.realm,
            ticket=self.refresh,
            name=f"browser-{self.sid}",
            **options,
        )
        self._connections.append(connection)
        await connection.connect(timeout=20)
        return connection

    async def close(self) -> None:
        for connection in self._connections:
            await connection.close()
        for session in self._raw:
            await session.close()
        await self.http.close()
