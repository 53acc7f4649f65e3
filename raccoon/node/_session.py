"""The pieces of a WAMP connection below :class:`~raccoon.node.Connection`:
its lifecycle states, the autobahn session of one connection attempt, and
the records of what the connection registered and subscribed."""

from __future__ import annotations

import asyncio
import enum
import logging
from typing import TYPE_CHECKING, Any

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402

from ._adapt import CallbackRef  # noqa: E402
from ._endpoint import Endpoint  # noqa: E402

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = [
    "DETAILS_ARG",
    "FATAL_ABORTS",
    "SERIALIZERS",
    "ConnectionState",
    "LocalCallDetails",
    "LocalEventDetails",
    "Registration",
    "Session",
    "Subscription",
    "Topic",
]

log = logging.getLogger("raccoon.node")

DETAILS_ARG = "_raccoon_details"
# Reasons for which trying again with the same credentials cannot help.
FATAL_ABORTS = frozenset(
    {
        "wamp.error.no_such_realm",
        "wamp.error.authentication_failed",
        "wamp.error.not_authorized",
        "wamp.error.no_auth_method",
        "wamp.error.no_such_role",
    }
)
SERIALIZERS = {
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


class Settled:
    """Stands in for a registration's or subscription's finished task.

    Keeping the done :class:`asyncio.Task` (and its coroutine) would cost
    a few hundred bytes for every endpoint and topic of every node.
    """

    __slots__ = ()

    def done(self) -> bool:
        return True


#: The one :class:`Settled`.
SETTLED = Settled()


class Registration:
    __slots__ = ("endpoint", "generation", "handle", "task")

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.generation = -1
        self.handle: Any = None
        self.task: asyncio.Future[None] | Settled | None = None


class Topic:
    __slots__ = ("callbacks", "generation", "handle", "key", "match", "task", "topic")

    def __init__(self, topic: str, match: str) -> None:
        self.topic = topic
        self.match = match
        self.key = (topic, match)
        self.callbacks: list[CallbackRef] = []
        self.generation = -1
        self.handle: Any = None
        self.task: asyncio.Future[None] | Settled | None = None


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

    def __init__(self, topic: Topic, ref: CallbackRef) -> None:
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


class Session(ApplicationSession):
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
        error = getattr(fail, "value", None)
        if isinstance(error, ApplicationError):
            return
        if isinstance(error, asyncio.CancelledError):
            # The caller went away (or cancelled) while the endpoint ran:
            # nobody waits for the answer; not an error of ours.
            log.debug("an invocation was cancelled: %s", msg)
            return
        super().onUserError(fail, msg)
