"""One WAMP session kept alive, with local dispatch and re-registration.

A :class:`Connection` owns everything its nodes registered or subscribed:
when the router goes away it reconnects with backoff and, on every new join,
registers and subscribes all of it again before anyone's call proceeds.
Calls and events between nodes of the same connection are dispatched in
process (the router would not deliver a session's own events back to it).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import ssl as ssl_module
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp import serializer as wamp_serializers  # noqa: E402
from autobahn.wamp.exception import ApplicationError, TransportLost  # noqa: E402
from autobahn.wamp.types import (  # noqa: E402
    ComponentConfig,
    PublishOptions,
    RegisterOptions,
    SubscribeOptions,
)

from ._adapt import CallbackRef  # noqa: E402
from ._context import NodeContext  # noqa: E402
from ._endpoint import Endpoint  # noqa: E402
from ._errors import (  # noqa: E402
    InvalidArguments,
    NodeError,
    NotConnected,
    RPCError,
    rpc_error_from_wamp,
)
from ._serialization import Serialization  # noqa: E402
from ._signal import Signal  # noqa: E402

__all__ = ["Connection", "ConnectionState", "Subscription"]

log = logging.getLogger("raccoon.node.connection")

_DETAILS_ARG = "_raccoon_details"
# Reasons for which trying again with the same credentials cannot help.
_FATAL_ABORTS = frozenset(
    {
        "wamp.error.no_such_realm",
        "wamp.error.authentication_failed",
        "wamp.error.not_authorized",
        "wamp.error.no_auth_method",
        "wamp.error.no_such_role",
    }
)
_SERIALIZERS = {
    "json": "JsonSerializer",
    "msgpack": "MsgPackSerializer",
    "cbor": "CBORSerializer",
}


class ConnectionState(enum.Enum):
    """Where a :class:`Connection` is in its life."""

    NEW = "new"
    CONNECTING = "connecting"
    JOINED = "joined"
    CLOSING = "closing"
    CLOSED = "closed"


class _Registration:
    __slots__ = ("endpoint", "generation", "handle", "task")

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.generation = -1
        self.handle: Any = None
        self.task: asyncio.Future[None] | None = None


class _Topic:
    __slots__ = ("callbacks", "generation", "handle", "key", "match", "task", "topic")

    def __init__(self, topic: str, match: str) -> None:
        self.topic = topic
        self.match = match
        self.key = (topic, match)
        self.callbacks: list[CallbackRef] = []
        self.generation = -1
        self.handle: Any = None
        self.task: asyncio.Future[None] | None = None


class LocalCallDetails:
    """Call details of an in-process call (same attributes as autobahn's
    ``CallDetails`` that make sense without a router)."""

    __slots__ = ("caller", "caller_authid", "caller_authrole", "procedure")

    def __init__(self, caller: int | None, procedure: str) -> None:
        self.caller = caller
        self.procedure = procedure
        self.caller_authid = None
        self.caller_authrole = None


class LocalEventDetails:
    """Event details of an in-process delivery (like autobahn's ``EventDetails``)."""

    __slots__ = ("publication", "publisher", "publisher_authid", "publisher_authrole", "topic")

    def __init__(self, publisher: int | None, topic: str) -> None:
        self.publisher = publisher
        self.topic = topic
        self.publication = None
        self.publisher_authid = None
        self.publisher_authrole = None


class Subscription:
    """What :meth:`Connection.subscribe` returns; give it back to unsubscribe."""

    __slots__ = ("_ref", "_topic")

    def __init__(self, topic: _Topic, ref: CallbackRef) -> None:
        self._topic = topic
        self._ref = ref

    @property
    def topic(self) -> str:
        """The subscribed topic (a prefix when ``match == 'prefix'``)."""
        return self._topic.topic

    @property
    def match(self) -> str:
        """``'exact'`` or ``'prefix'``."""
        return self._topic.match


class _Session(ApplicationSession):
    """The autobahn session of one connection attempt."""

    def __init__(self, owner: Connection, done: asyncio.Future[None]) -> None:
        super().__init__(ComponentConfig(realm=owner.realm))
        self._owner = owner
        self._done = done

    def onConnect(self) -> None:
        o = self._owner
        self.join(o.realm, authmethods=o._authmethods, authid=o._authid, authextra=o._authextra)

    async def onChallenge(self, challenge: Any) -> str:
        return await self._owner._answer_challenge(challenge)

    async def onJoin(self, details: Any) -> None:
        await self._owner._on_join(self, details)

    def onLeave(self, details: Any) -> Any:
        self._owner._on_leave(self, details)
        return super().onLeave(details)

    def onDisconnect(self) -> None:
        self._owner._on_disconnect(self)
        if not self._done.done():
            self._done.set_result(None)

    def onUserError(self, fail: Any, msg: str) -> None:
        # Our endpoints turn every failure into an ApplicationError on
        # purpose and log unexpected ones themselves: don't log them twice.
        if isinstance(getattr(fail, "value", None), ApplicationError):
            return
        super().onUserError(fail, msg)


class Connection:
    """A WAMP connection for nodes, reconnecting by itself.

    ::

        conn = Connection('ws://127.0.0.1:8080/ws', 'raccoon')
        await conn.connect()
        await node.node_bind('app.orders', conn.new_context())

    ``ticket`` (a string, or a coroutine function returning a fresh one for
    each join) enables WAMP ticket authentication with ``authid``.
    Registrations and subscriptions made through the connection survive
    reconnects: they are made again on every join.
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
        name: str | None = None,
    ) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("ws", "wss") or not parsed.hostname:
            raise ValueError(f"connection url must be ws:// or wss://host:port/path, got {url!r}")
        unknown = [s for s in serializers if s not in _SERIALIZERS]
        if unknown or not serializers:
            raise ValueError(
                f"unknown serializers {unknown}; choose among {sorted(_SERIALIZERS)} "
                "(ubjson is left out on purpose: see docs/dependencies.md)"
            )
        self.url = url
        self.realm = realm
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
        self._session: _Session | None = None
        self._session_id: int | None = None
        self._generation = 0
        self._joined = asyncio.Event()
        self._fatal: BaseException | None = None
        self._runner: asyncio.Task[None] | None = None
        self._registrations: dict[str, _Registration] = {}
        self._topics: dict[tuple[str, str], _Topic] = {}
        self._prefix_topics: dict[tuple[str, str], _Topic] = {}
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
                    lambda done=done: _Session(self, done),
                    url=self.url,
                    serializers=[
                        getattr(wamp_serializers, _SERIALIZERS[s])() for s in self._serializer_names
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

    async def _on_join(self, session: _Session, details: Any) -> None:
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

    def _on_leave(self, session: _Session, details: Any) -> None:
        reason = getattr(details, "reason", None)
        if reason in _FATAL_ABORTS:
            self._fatal = NotConnected(
                f"the router refused the session: {reason} ({details.message or 'no message'})",
                uri=reason,
            )
            log.warning("%s: %s", self.name, self._fatal)

    def _on_disconnect(self, session: _Session) -> None:
        if self._session is not session:
            return
        self._session = None
        self._session_id = None
        was_joined = self._joined.is_set()
        self._joined.clear()
        if self.state is ConnectionState.JOINED:
            self.state = ConnectionState.CONNECTING
        if was_joined:
            log.info("%s: session lost, reconnecting", self.name)
            asyncio.get_running_loop().create_task(self._notify_leave())

    async def _notify_leave(self) -> None:
        try:
            await self.on_leave.notify("disconnected")
        except Exception:
            log.exception("%s: an on_leave handler failed", self.name)

    async def _session_within(self, timeout: float | None) -> _Session:
        if not self._joined.is_set():
            await self.when_connected(timeout)
        session = self._session
        if session is None:
            raise NotConnected(f"{self.name}: the session was lost")
        return session

    # -- registrations -----------------------------------------------------
    def registered(self, uri: str) -> Endpoint | None:
        """The local endpoint at ``uri``, if this connection has one."""
        reg = self._registrations.get(uri)
        return reg.endpoint if reg else None

    async def register(self, endpoint: Endpoint) -> None:
        """Register ``endpoint`` now (if joined) and after every reconnect."""
        existing = self._registrations.get(endpoint.uri)
        if existing is not None:
            raise NodeError(
                f"cannot register {endpoint.uri!r} for {endpoint.owner}: "
                f"{existing.endpoint.owner} already registered it on this connection"
            )
        reg = _Registration(endpoint)
        self._registrations[endpoint.uri] = reg
        try:
            await self._ensure_registered(reg)
        except BaseException:
            if self._registrations.get(endpoint.uri) is reg:
                del self._registrations[endpoint.uri]
            raise

    async def unregister(self, uri: str) -> None:
        """Stop serving ``uri``; a no-op when it is not registered here."""
        reg = self._registrations.pop(uri, None)
        if reg is None:
            return
        if reg.task is not None and not reg.task.done():
            try:
                await asyncio.shield(reg.task)
            except Exception:
                return
        session = self._session
        if reg.handle is not None and session is not None and reg.generation == self._generation:
            try:
                await reg.handle.unregister()
            except (ApplicationError, TransportLost) as exc:
                log.debug("%s: unregister %s: %s", self.name, uri, exc)

    async def _ensure_registered(self, reg: _Registration) -> None:
        session = self._session
        if session is None:
            return  # registered on the next join
        if reg.generation != self._generation or reg.task is None:
            reg.generation = self._generation
            reg.task = asyncio.ensure_future(self._do_register(session, reg))
        await asyncio.shield(reg.task)

    async def _do_register(self, session: _Session, reg: _Registration) -> None:
        endpoint = self._registrations.get(reg.endpoint.uri, reg).endpoint
        if self._registrations.get(endpoint.uri) is not reg:
            return
        invoke = self._remote_invoker(endpoint)
        try:
            reg.handle = await session.register(
                invoke, endpoint.uri, options=RegisterOptions(details_arg=_DETAILS_ARG)
            )
        except ApplicationError as exc:
            if exc.error == "wamp.error.procedure_already_exists":
                raise NodeError(
                    f"cannot register {endpoint.uri!r} for {endpoint.owner}: another "
                    "WAMP session already serves it"
                ) from None
            raise rpc_error_from_wamp(exc.error, exc.args, exc.kwargs) from None
        except TransportLost:
            reg.generation = -1  # try again on the next join

    def _remote_invoker(self, endpoint: Endpoint) -> Callable[..., Awaitable[Any]]:
        serialization = self.serialization
        context = self.context

        async def invoke(*args: Any, **kwargs: Any) -> Any:
            details = kwargs.pop(_DETAILS_ARG, None)
            if args:
                args = tuple(serialization.decode(list(args), context))
            if kwargs:
                kwargs = serialization.decode(kwargs, context)
            try:
                result = await endpoint.invoke(args, kwargs, details)
            except RPCError as exc:
                raise ApplicationError(
                    exc.uri, exc.message, **serialization.encode_kwargs(exc.data)
                ) from None
            return serialization.encode(result)

        return invoke

    # -- calls -------------------------------------------------------------
    def call(
        self,
        uri: str,
        args: tuple[Any, ...] | list[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        context: NodeContext | None = None,
    ) -> Awaitable[Any]:
        """Call the procedure at ``uri``; in process when it is registered here.

        Returns an awaitable. Failures raise :class:`RPCError` (or a
        subclass); a call that gets no answer within ``timeout`` (default: the
        connection's ``call_timeout``) raises one with uri
        ``raccoon.error.timeout``. While the connection is down the call waits
        for it, within the same timeout.
        """
        kwargs = kwargs or {}
        reg = self._registrations.get(uri)
        if reg is not None:
            return reg.endpoint.invoke(args, kwargs, LocalCallDetails(self._session_id, uri))
        if "options" in kwargs:
            raise InvalidArguments(
                f"{uri}: the keyword argument 'options' is reserved by WAMP clients; rename it"
            )
        timeout = self.call_timeout if timeout is None else timeout
        context = context or self.context
        if self._session is None or not self._joined.is_set():
            return self._call_when_connected(uri, args, kwargs, timeout, context)
        # The common case avoids a coroutine and a task per call: a future
        # completed by callbacks (this path sets the throughput of many
        # concurrent calls, see bench/rpc.py).
        return self._send_call(self._session, uri, args, kwargs, timeout, context)

    def _send_call(
        self,
        session: _Session,
        uri: str,
        args: tuple[Any, ...] | list[Any],
        kwargs: dict[str, Any],
        timeout: float,
        context: NodeContext,
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        outer: asyncio.Future[Any] = loop.create_future()
        s = self.serialization
        try:
            inner = session.call(uri, *s.encode_args(args), **s.encode_kwargs(kwargs))
        except TransportLost:
            outer.set_exception(NotConnected(f"{uri}: the connection was lost during the call"))
            return outer
        timer = loop.call_later(timeout, _time_out, outer, inner, uri, timeout)

        def done(fut: Any) -> None:
            timer.cancel()
            if outer.done():
                return
            if fut.cancelled():
                outer.cancel()
                return
            exc = fut.exception()
            if exc is None:
                result = fut.result()
                if type(result).__name__ == "CallResult":
                    result = result.results if not result.kwresults else result.kwresults
                try:
                    outer.set_result(s.decode(result, context))
                except Exception as decode_error:
                    outer.set_exception(decode_error)
            elif isinstance(exc, ApplicationError):
                outer.set_exception(rpc_error_from_wamp(exc.error, exc.args, exc.kwargs))
            elif isinstance(exc, TransportLost):
                outer.set_exception(
                    NotConnected(f"{uri}: the connection was lost during the call")
                )
            else:
                outer.set_exception(exc)

        def cancelled(fut: asyncio.Future[Any]) -> None:
            if fut.cancelled() and not inner.done():
                inner.cancel()

        inner.add_done_callback(done)
        outer.add_done_callback(cancelled)
        return outer

    async def _call_when_connected(
        self,
        uri: str,
        args: tuple[Any, ...] | list[Any],
        kwargs: dict[str, Any],
        timeout: float,
        context: NodeContext,
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            session = await self._session_within(timeout)
        except NotConnected as exc:
            raise NotConnected(f"{uri}: {exc}") from None
        return await self._send_call(
            session, uri, args, kwargs, max(0.0, deadline - loop.time()), context
        )

    # -- pub/sub -----------------------------------------------------------
    def _all_topics(self) -> list[_Topic]:
        return [*self._topics.values(), *self._prefix_topics.values()]

    async def subscribe(
        self, topic: str, callback: Callable[..., Any], *, match: str = "exact"
    ) -> Subscription:
        """Deliver events on ``topic`` (or below the prefix) to ``callback``.

        The callback gets the arguments it declares, and ``details`` (an
        autobahn ``EventDetails``) if it has such a parameter. Synchronous
        callbacks run in event order; coroutine callbacks are started in
        order as tasks. Bound methods are held weakly.
        """
        if match not in ("exact", "prefix"):
            raise ValueError(f"match must be 'exact' or 'prefix', got {match!r}")
        table = self._topics if match == "exact" else self._prefix_topics
        entry = table.get((topic, match))
        if entry is None:
            entry = table[(topic, match)] = _Topic(topic, match)
        ref = CallbackRef(callback)
        entry.callbacks.append(ref)
        try:
            await self._ensure_subscribed(entry)
        except BaseException:
            await self.unsubscribe(Subscription(entry, ref))
            raise
        return Subscription(entry, ref)

    async def unsubscribe(self, subscription: Subscription) -> None:
        """Stop a delivery made by :meth:`subscribe`."""
        entry = subscription._topic
        if subscription._ref in entry.callbacks:
            entry.callbacks.remove(subscription._ref)
        if entry.callbacks:
            return
        table = self._topics if entry.match == "exact" else self._prefix_topics
        if table.get(entry.key) is entry:
            del table[entry.key]
        if entry.task is not None and not entry.task.done():
            try:
                await asyncio.shield(entry.task)
            except Exception:
                return
        if entry.handle is not None and entry.generation == self._generation and self._session:
            try:
                await entry.handle.unsubscribe()
            except (ApplicationError, TransportLost) as exc:
                log.debug("%s: unsubscribe %s: %s", self.name, entry.topic, exc)

    async def unsubscribe_callback(
        self, topic: str, callback: Callable[..., Any], *, match: str = "exact"
    ) -> bool:
        """Unsubscribe ``callback`` from ``topic``; False if it was not subscribed."""
        table = self._topics if match == "exact" else self._prefix_topics
        entry = table.get((topic, match))
        if entry is None:
            return False
        for ref in entry.callbacks:
            if ref.matches(callback):
                await self.unsubscribe(Subscription(entry, ref))
                return True
        return False

    async def _ensure_subscribed(self, entry: _Topic) -> None:
        session = self._session
        if session is None:
            return
        if entry.generation != self._generation or entry.task is None:
            entry.generation = self._generation
            entry.task = asyncio.ensure_future(self._do_subscribe(session, entry))
        await asyncio.shield(entry.task)

    async def _do_subscribe(self, session: _Session, entry: _Topic) -> None:
        def on_event(*args: Any, **kwargs: Any) -> None:
            details = kwargs.pop(_DETAILS_ARG, None)
            context = self.context
            args = tuple(self.serialization.decode(list(args), context)) if args else args
            kwargs = self.serialization.decode(kwargs, context) if kwargs else kwargs
            self._deliver(entry, args, kwargs, details, wait=False)

        try:
            entry.handle = await session.subscribe(
                on_event,
                entry.topic,
                options=SubscribeOptions(match=entry.match, details_arg=_DETAILS_ARG),
            )
        except ApplicationError as exc:
            raise rpc_error_from_wamp(exc.error, exc.args, exc.kwargs) from None
        except TransportLost:
            entry.generation = -1

    def _deliver(
        self, entry: _Topic, args: tuple[Any, ...], kwargs: dict[str, Any], details: Any, wait: bool
    ) -> list[Awaitable[Any]]:
        pending: list[Awaitable[Any]] = []
        for ref in list(entry.callbacks):
            func = ref.get()
            if func is None:
                entry.callbacks.remove(ref)
                continue
            try:
                result = ref.adapter(func, args, kwargs, details)
            except Exception:
                log.exception("%s: handler %r of %s failed", self.name, func, entry.topic)
                continue
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                if wait:
                    pending.append(self._guard(result, func, entry.topic))
                else:
                    task = asyncio.ensure_future(self._guard(result, func, entry.topic))
                    self._handler_tasks.add(task)  # keep it alive until it is done
                    task.add_done_callback(self._handler_tasks.discard)
        return pending

    async def _guard(self, awaitable: Awaitable[Any], func: Any, topic: str) -> None:
        try:
            await awaitable
        except Exception:
            log.exception("%s: handler %r of %s failed", self.name, func, topic)

    async def publish(
        self,
        topic: str,
        args: tuple[Any, ...] | list[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        acknowledge: bool = False,
    ) -> None:
        """Publish an event: in-process subscribers of this connection run
        first (and are awaited), then the router delivers it to the others.

        While disconnected the event cannot reach other sessions: it is
        dropped with a warning (pub/sub keeps no backlog).
        """
        kwargs = kwargs or {}
        pending = self._publish_locally(topic, args, kwargs, wait=True)
        if pending:
            await asyncio.gather(*pending)
        result = self._publish_remotely(topic, args, kwargs, acknowledge)
        if result is not None:
            try:
                await result
            except ApplicationError as exc:
                raise rpc_error_from_wamp(exc.error, exc.args, exc.kwargs) from None
            except TransportLost:
                log.warning("%s: connection lost, event on %s dropped", self.name, topic)

    def publish_nowait(
        self,
        topic: str,
        args: tuple[Any, ...] | list[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Publish at once, without waiting for anything: synchronous local
        subscribers run now, coroutine ones are started as tasks, and the
        event is sent. Consecutive calls keep their order everywhere."""
        kwargs = kwargs or {}
        self._publish_locally(topic, args, kwargs, wait=False)
        self._publish_remotely(topic, args, kwargs, False)

    def _publish_locally(
        self, topic: str, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any], wait: bool
    ) -> list[Awaitable[Any]]:
        if "options" in kwargs:
            raise InvalidArguments(
                f"{topic}: the keyword argument 'options' is reserved by WAMP clients; rename it"
            )
        pending: list[Awaitable[Any]] = []
        if self._topics or self._prefix_topics:
            details = LocalEventDetails(self._session_id, topic)
            entry = self._topics.get((topic, "exact"))
            if entry is not None:
                pending += self._deliver(entry, tuple(args), kwargs, details, wait=wait)
            for entry in list(self._prefix_topics.values()):
                if topic.startswith(entry.topic):
                    pending += self._deliver(entry, tuple(args), kwargs, details, wait=wait)
        return pending

    def _publish_remotely(
        self, topic: str, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any], ack: bool
    ) -> Any:
        session = self._session
        if session is None or not self._joined.is_set():
            log.warning("%s: not connected, event on %s dropped", self.name, topic)
            return None
        s = self.serialization
        options = PublishOptions(acknowledge=ack, exclude_me=True)
        try:
            return session.publish(
                topic, *s.encode_args(args), options=options, **s.encode_kwargs(kwargs)
            )
        except TransportLost:
            log.warning("%s: connection lost, event on %s dropped", self.name, topic)
            return None

    def __repr__(self) -> str:
        return f"<Connection {self.name} {self.url} realm={self.realm!r} {self.state.value}>"


def _time_out(outer: asyncio.Future[Any], inner: Any, uri: str, timeout: float) -> None:
    if not outer.done():
        outer.set_exception(
            RPCError(f"{uri}: no answer within {timeout} s", uri="raccoon.error.timeout")
        )
    if not inner.done():
        inner.cancel()


def _default_serialization() -> Serialization:
    from ._wamp import default_serialization  # the node types live above this module

    return default_serialization()
