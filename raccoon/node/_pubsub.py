"""Subscriptions and publications of a :class:`~raccoon.node.Connection`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import txaio

txaio.use_asyncio()

from autobahn.wamp.exception import (  # noqa: E402
    ApplicationError,
    SerializationError,
    TransportLost,
)
from autobahn.wamp.types import PublishOptions, SubscribeOptions  # noqa: E402

from ._adapt import CallbackRef  # noqa: E402
from ._context import NodeContext  # noqa: E402
from ._errors import InvalidArguments, RPCError, rpc_error_from_wamp  # noqa: E402
from ._limits import MESSAGE_TOO_LARGE, check_arguments  # noqa: E402
from ._lograte import PeerWarnings  # noqa: E402
from ._serialization import Serialization  # noqa: E402
from ._session import (  # noqa: E402
    DETAILS_ARG,
    SETTLED,
    LocalEventDetails,
    Session,
    Settled,
    Subscription,
    Topic,
)
from ._wire import MessageTooLarge  # noqa: E402

__all__ = ["PubSubMixin"]

log = logging.getLogger("raccoon.node.connection")
# Events refused at the door come from peers: rate-limited, or a peer could fill the log.
peer_warnings = PeerWarnings(log)

# One instance per match policy for every subscription (autobahn only reads them).
_SUBSCRIBE_OPTIONS = {
    match: SubscribeOptions(match=match, details_arg=DETAILS_ARG) for match in ("exact", "prefix")
}


class PubSubMixin:
    """Subscribing (again after every join), delivering and publishing events."""

    name: str
    context: NodeContext
    serialization: Serialization
    _session: Session | None
    _session_id: int | None
    _generation: int
    _joined: asyncio.Event
    _topics: dict[tuple[str, str], Topic]
    _prefix_topics: dict[tuple[str, str], Topic]
    _handler_tasks: set[asyncio.Future[None]]

    # -- pub/sub -----------------------------------------------------------
    def _all_topics(self) -> list[Topic]:
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
            entry = table[(topic, match)] = Topic(topic, match)
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
        task = entry.task
        if isinstance(task, asyncio.Future) and not task.done():
            try:
                await asyncio.shield(task)
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

    async def _ensure_subscribed(self, entry: Topic) -> None:
        session = self._session
        if session is None:
            return
        if entry.generation != self._generation or entry.task is None:
            entry.generation = self._generation
            entry.task = asyncio.ensure_future(self._do_subscribe(session, entry))
        task = entry.task
        if isinstance(task, Settled):
            return
        await asyncio.shield(task)
        if entry.task is task:
            entry.task = SETTLED  # done: no need to keep the task and its coroutine

    async def _do_subscribe(self, session: Session, entry: Topic) -> None:
        def on_event(*args: Any, **kwargs: Any) -> None:
            details = kwargs.pop(DETAILS_ARG, None)
            try:
                # Events may come from any session, a browser's too: the
                # same door as calls, but nobody to answer, so it is dropped.
                check_arguments(entry.topic, args, kwargs)
            except InvalidArguments as exc:
                peer_warnings.warning(
                    "refused event", "%s: an event was dropped: %s", self.name, exc
                )
                return
            context = self.context
            args = tuple(self.serialization.decode(list(args), context)) if args else args
            kwargs = self.serialization.decode(kwargs, context) if kwargs else kwargs
            self._deliver(entry, args, kwargs, details, wait=False)

        try:
            entry.handle = await session.subscribe(
                on_event,
                entry.topic,
                options=_SUBSCRIBE_OPTIONS[entry.match],
            )
        except ApplicationError as exc:
            raise rpc_error_from_wamp(exc.error, exc.args, exc.kwargs) from None
        except TransportLost:
            entry.generation = -1

    def _deliver(
        self, entry: Topic, args: tuple[Any, ...], kwargs: dict[str, Any], details: Any, wait: bool
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
        try:
            self._publish_remotely(topic, args, kwargs, False)
        except RPCError as exc:  # too large to send: nobody waits to be told
            log.error("%s: event on %s dropped: %s", self.name, topic, exc)

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
        except SerializationError as exc:
            too_large = exc.__context__
            if not isinstance(too_large, MessageTooLarge):
                raise
            # Sent, the router would close the connection: not sent at all.
            raise RPCError(
                f"{topic}: not published: {too_large}",
                uri=MESSAGE_TOO_LARGE,
                size=too_large.size,
                limit=too_large.limit,
            ) from None
