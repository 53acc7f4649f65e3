"""One WAMP session kept alive, with local dispatch and re-registration.

A :class:`Connection` owns everything its nodes registered or subscribed:
when the router goes away it reconnects with backoff and, on every new join,
registers and subscribes all of it again before anyone's call proceeds.
Calls and events between nodes of the same connection are dispatched in
process (the router would not deliver a session's own events back to it).
Registrations and calls live in ``_rpc.py``, pub/sub in ``_pubsub.py``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl as ssl_module
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

import txaio

txaio.use_asyncio()

from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402

from ._context import NodeContext  # noqa: E402
from ._errors import NodeError, NotConnected  # noqa: E402
from ._limits import DEFAULT_MAX_MESSAGE_SIZE  # noqa: E402
from ._pubsub import PubSubMixin  # noqa: E402
from ._rpc import RPCMixin  # noqa: E402
from ._serialization import Serialization  # noqa: E402
from ._session import (  # noqa: E402
    FATAL_ABORTS,
    SERIALIZERS,
    ConnectionState,
    Registration,
    Session,
    Subscription,
    Topic,
)
from ._signal import Signal  # noqa: E402
from ._wire import guarded_serializer  # noqa: E402

__all__ = ["Connection", "ConnectionState", "Subscription"]

log = logging.getLogger("raccoon.node.connection")


class Connection(RPCMixin, PubSubMixin):
    """A WAMP connection for nodes, reconnecting by itself.

    ::

        conn = Connection('ws://127.0.0.1:8080/ws', 'raccoon')
        await conn.connect()
        await node.node_bind('app.orders', conn.new_context())

    ``ticket`` (a string, or a coroutine function returning a fresh one for
    each join) enables WAMP ticket authentication with ``authid``.
    Registrations and subscriptions made through the connection survive
    reconnects: they are made again on every join.

    ``max_message_size`` is the largest message the router's transport
    accepts from this connection (the backend transport's 16 MiB by
    default): a bigger result is answered with ``raccoon.error.result_too_large``
    and a bigger call or publication refused, rather than sent and the
    connection closed by the router. A message the connection cannot decode
    never drops it either (``_wire.py``).
    """

    on_join = Signal(doc="The session joined (again): ``(session_id)``.")
    on_leave = Signal(doc="The session left or the transport was lost: ``(reason)``.")

    def __init__(
        self,
        url: str,
        realm: str,
        *,
        authid: str | None = None,
        authmethods: list[str] | None = None,
        authextra: dict[str, Any] | None = None,
        ticket: str | Callable[[], Awaitable[str]] | None = None,
        serializers: tuple[str, ...] = ("cbor", "json"),
        serialization: Serialization | None = None,
        call_timeout: float = 30.0,
        retry_initial: float = 0.1,
        retry_max: float = 2.0,
        retry_growth: float = 1.5,
        auto_ping_interval: float = 10.0,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        name: str | None = None,
    ) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("ws", "wss") or not parsed.hostname:
            raise ValueError(f"connection url must be ws:// or wss://host:port/path, got {url!r}")
        unknown = [s for s in serializers if s not in SERIALIZERS]
        if unknown or not serializers:
            raise ValueError(
                f"unknown serializers {unknown}; choose among {sorted(SERIALIZERS)} "
                "(ubjson is left out on purpose: see docs/dependencies.md)"
            )
        if max_message_size < 1024:
            raise ValueError(f"max_message_size must be at least 1024, not {max_message_size}")
        self.url = url
        self.realm = realm
        self.max_message_size = max_message_size
        self.name = name or f"connection-{id(self):x}"
        self._host = parsed.hostname
        self._port = parsed.port or (443 if parsed.scheme == "wss" else 80)
        self._ssl = parsed.scheme == "wss"
        self._serializer_names = serializers
        self._authid = authid
        self._authextra = authextra
        self._ticket = ticket
        self._authmethods = authmethods or (["ticket"] if ticket is not None else ["anonymous"])
        self.serialization = serialization or _default_serialization()
        self.call_timeout = call_timeout
        self._retry = (retry_initial, retry_max, retry_growth)
        self._ping = auto_ping_interval
        self.context = NodeContext(wamp=self)
        self.state = ConnectionState.NEW
        self._session: Session | None = None
        self._session_id: int | None = None
        self._generation = 0
        self._joined = asyncio.Event()
        self._fatal: BaseException | None = None
        self._runner: asyncio.Task[None] | None = None
        self._registrations: dict[str, Registration] = {}
        self._topics: dict[tuple[str, str], Topic] = {}
        self._prefix_topics: dict[tuple[str, str], Topic] = {}
        self._transport: Any = None
        self._handler_tasks: set[asyncio.Future[None]] = set()

    # -- lifecycle ---------------------------------------------------------
    @property
    def session_id(self) -> int | None:
        """The current WAMP session id, ``None`` while not joined."""
        return self._session_id

    @property
    def is_connected(self) -> bool:
        """Whether a session is joined and everything re-registered."""
        return self._joined.is_set()

    def new_context(self, **values: Any) -> NodeContext:
        """A node context that carries this connection as ``wamp``."""
        return self.context.new(**values)

    async def connect(self, timeout: float | None = 30.0) -> None:
        """Start connecting (and reconnecting) and wait for the first join."""
        if self.state in (ConnectionState.CLOSING, ConnectionState.CLOSED):
            raise NodeError(f"{self.name} is closed; make a new Connection")
        if self._runner is None:
            self.state = ConnectionState.CONNECTING
            self._runner = asyncio.get_running_loop().create_task(
                self._run(), name=f"raccoon {self.name}"
            )
        await self.when_connected(timeout)

    async def when_connected(self, timeout: float | None = None) -> None:
        """Wait until a session is joined; raise :class:`NotConnected` on
        timeout or when the router refused us for good (bad realm or
        credentials)."""
        if self._joined.is_set():
            return
        if self._runner is None:
            raise NotConnected(f"{self.name} was never started: call connect() first")
        try:
            async with asyncio.timeout(timeout):
                while not self._joined.is_set():
                    if self._fatal is not None:
                        raise NotConnected(f"{self.name}: {self._fatal}") from self._fatal
                    if self.state is ConnectionState.CLOSED:
                        raise NotConnected(f"{self.name} is closed")
                    waiter = asyncio.ensure_future(self._joined.wait())
                    try:
                        await asyncio.wait({waiter}, timeout=0.25)
                    finally:
                        waiter.cancel()
        except TimeoutError:
            raise NotConnected(
                f"{self.name}: no WAMP session with {self.url} (realm {self.realm!r}) "
                f"within {timeout} s; is the router running?"
            ) from None

    async def close(self) -> None:
        """Leave the realm, stop reconnecting and drop all registrations."""
        if self.state is ConnectionState.CLOSED:
            return
        self.state = ConnectionState.CLOSING
        session = self._session
        if session is not None and session.is_attached():
            try:
                session.leave()
            except Exception:  # the transport may already be gone
                log.debug("%s: leave failed", self.name, exc_info=True)
        if self._runner is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._runner), 2.0)
            except TimeoutError:
                self._runner.cancel()
            except Exception:
                log.debug("%s: runner ended with an error", self.name, exc_info=True)
        if self._transport is not None:
            self._transport.close()
        self._registrations.clear()
        self._topics.clear()
        self._prefix_topics.clear()
        self.state = ConnectionState.CLOSED

    def drop_transport(self) -> None:
        """Cut the network connection abruptly (reconnection follows).

        For tests of adversity: the router sees the session vanish, as when
        a network link breaks.
        """
        if self._transport is not None:
            self._transport.abort()

    async def _run(self) -> None:
        initial, maximum, growth = self._retry
        delay = initial
        loop = asyncio.get_running_loop()
        while self.state not in (ConnectionState.CLOSING, ConnectionState.CLOSED):
            done: asyncio.Future[None] = loop.create_future()
            joined_before = self._generation
            try:
                factory = WampWebSocketClientFactory(
                    lambda done=done: Session(self, done),
                    url=self.url,
                    serializers=[
                        guarded_serializer(s, self.max_message_size) for s in self._serializer_names
                    ],
                )
                factory.setProtocolOptions(
                    autoPingInterval=self._ping, autoPingTimeout=self._ping / 2
                )
                ssl_ctx = ssl_module.create_default_context() if self._ssl else None
                self._transport, _ = await loop.create_connection(
                    factory, self._host, self._port, ssl=ssl_ctx
                )
                await done
            except OSError as exc:
                log.debug("%s: cannot reach %s: %s", self.name, self.url, exc)
            finally:
                self._transport = None
            if self._generation != joined_before:
                delay = initial
            if self.state in (ConnectionState.CLOSING, ConnectionState.CLOSED):
                break
            if self._fatal is not None and self._generation == 0:
                break  # refused before ever joining: connect() reports it
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * growth, maximum)
        self.state = ConnectionState.CLOSED if self.state is ConnectionState.CLOSING else self.state

    async def _answer_challenge(self, challenge: Any) -> str:
        if challenge.method != "ticket" or self._ticket is None:
            raise ApplicationError(
                "raccoon.error.auth", f"cannot answer a {challenge.method!r} challenge"
            )
        if isinstance(self._ticket, str):
            return self._ticket
        return await self._ticket()

    async def _on_join(self, session: Session, details: Any) -> None:
        self._session = session
        self._session_id = details.session
        self._generation += 1
        self._fatal = None
        self.state = ConnectionState.JOINED
        results = await asyncio.gather(
            *(self._ensure_registered(r) for r in list(self._registrations.values())),
            *(self._ensure_subscribed(t) for t in self._all_topics()),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                log.error("%s: could not restore after join: %s", self.name, result)
        if self._session is session:
            self._joined.set()
            log.info("%s joined %s as session %s", self.name, self.realm, details.session)
            try:
                await self.on_join.notify(details.session)
            except Exception:
                log.exception("%s: an on_join handler failed", self.name)

    def _on_leave(self, session: Session, details: Any) -> None:
        reason = getattr(details, "reason", None)
        if reason in FATAL_ABORTS:
            self._fatal = NotConnected(
                f"the router refused the session: {reason} ({details.message or 'no message'})",
                uri=reason,
            )
            log.warning("%s: %s", self.name, self._fatal)

    def _on_disconnect(self, session: Session) -> None:
        if self._session is not session:
            return
        self._session = None
        self._session_id = None
        was_joined = self._joined.is_set()
        self._joined.clear()
        if self.state is ConnectionState.JOINED:
            self.state = ConnectionState.CONNECTING
        if was_joined:
            if self.state is not ConnectionState.CLOSING:  # close() loses nothing
                log.info("%s: session lost, reconnecting", self.name)
            asyncio.get_running_loop().create_task(self._notify_leave())

    async def _notify_leave(self) -> None:
        try:
            await self.on_leave.notify("disconnected")
        except Exception:
            log.exception("%s: an on_leave handler failed", self.name)

    async def _session_within(self, timeout: float | None) -> Session:
        if not self._joined.is_set():
            await self.when_connected(timeout)
        session = self._session
        if session is None:
            raise NotConnected(f"{self.name}: the session was lost")
        return session

    def __repr__(self) -> str:
        return f"<Connection {self.name} {self.url} realm={self.realm!r} {self.state.value}>"


def _default_serialization() -> Serialization:
    from ._wamp import default_serialization  # the node types live above this module

    return default_serialization()
