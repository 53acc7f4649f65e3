"""Nodes on the WAMP realm: endpoints, published signals, remote handlers."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from raccoon.reactive import Computation, autorun

from ._adapt import adapter_for
from ._endpoint import Endpoint, endpoint_name
from ._errors import NodeError
from ._follow import LatestRunner, follow_targets
from ._node import Node, NodeState
from ._path import Path, PathLike
from ._proxy import Proxy
from ._serialization import Serialization
from ._signal import BoundSignal, class_remote_handlers
from ._state import STATE, RemoteState, StatePublisher

if TYPE_CHECKING:
    from ._connection import Connection, Subscription

__all__ = ["WAMPNode", "class_endpoints", "default_serialization"]

log = logging.getLogger("raccoon.node")

_ENDPOINTS: weakref.WeakKeyDictionary[type, tuple[tuple[str, str], ...]] = (
    weakref.WeakKeyDictionary()
)


def class_endpoints(cls: type) -> tuple[tuple[str, str], ...]:
    """``(attribute, name below the node path)`` of every ``@call`` method."""
    try:
        return _ENDPOINTS[cls]
    except KeyError:
        pass
    found: dict[str, str] = {}
    seen: set[str] = set()
    for klass in cls.__mro__:
        for attr, value in vars(klass).items():
            if attr in seen:
                continue
            seen.add(attr)
            is_endpoint, name = endpoint_name(value)
            if is_endpoint:
                found[attr] = name or attr
    names: dict[str, str] = {}
    for attr, name in found.items():
        if name in names:
            raise NodeError(
                f"{cls.__qualname__}: endpoints {names[name]!r} and {attr!r} both use the "
                f"name {name!r}"
            )
        names[name] = attr
    result = tuple(found.items())
    _ENDPOINTS[cls] = result
    return result


class WAMPNode(Node):
    """A node whose ``@call`` endpoints and signals live on the WAMP realm.

    Its context must carry a :class:`~raccoon.node.Connection` as ``wamp``
    (``connection.new_context()``). On bind it registers its endpoints and
    subscribes its remote handlers; on unbind it takes them away again.

    ``NODE_INVOKE`` is the invocation policy of the node's registrations
    (its ``@call`` endpoints without one of their own, and its state):
    ``'single'``, or ``'roundrobin'`` and the like for a node that several
    processes bind at the same path, each serving a share of the calls.
    """

    #: The invocation policy of the node's registrations (see INVOKE_POLICIES).
    NODE_INVOKE: ClassVar[str] = "single"

    _node_registered: list[str]
    _node_subscriptions: list[Subscription]
    _node_publisher: StatePublisher | None
    _node_follows: list[tuple[RemoteState, Computation, LatestRunner]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls, *args, **kwargs)
        object.__setattr__(self, "_node_registered", [])
        object.__setattr__(self, "_node_subscriptions", [])
        object.__setattr__(self, "_node_publisher", None)
        object.__setattr__(self, "_node_follows", [])
        return self

    @property
    def node_connection(self) -> Connection:
        """The WAMP connection of the node's context."""
        conn = self.node_context.get("wamp") if self.node_context is not None else None
        if conn is None:
            raise NodeError(
                f"{self!r} has no WAMP connection: bind it with a context from "
                "`connection.new_context()` or under a parent that has one"
            )
        return conn

    # -- remote access -----------------------------------------------------
    def remote(self, path: PathLike) -> Proxy:
        """A proxy for ``path`` (``'@x'``, ``'#name'`` or absolute)."""
        if self.node_context is None:
            raise NodeError(f"{self!r} is not bound: cannot reach {path!r}")
        return Proxy(self.node_resolve(path), self.node_context)

    def call(self, path: PathLike, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """Call the endpoint at ``path``: ``await node.call('@calc.add', 1, 2)``."""
        return self.remote(path)(*args, **kwargs)

    # -- binding -------------------------------------------------------------
    async def _node_bind_hook(self) -> None:
        conn = self.node_connection
        path = self.node_path
        assert path is not None
        owner = f"{type(self).__qualname__} at {path}"
        shared = type(self).NODE_INVOKE
        invoke = None if shared == "single" else shared
        endpoints = [
            Endpoint(str(path if name == "." else path + name), getattr(self, attr), owner, invoke)
            for attr, name in class_endpoints(type(self))
        ]
        publisher = StatePublisher(self.node_data, lambda: list(self._node_children))
        publisher.attach(conn, path)
        object.__setattr__(self, "_node_publisher", publisher)
        endpoints.append(Endpoint(str(path + STATE), publisher.snapshot, owner, invoke))
        try:
            for endpoint in endpoints:
                await conn.register(endpoint)
                self._node_registered.append(endpoint.uri)
            for target, attr in class_remote_handlers(type(self)):
                topic = self.node_resolve(target)
                sub = await conn.subscribe(
                    str(topic), _remote_handler(getattr(self, attr), topic), match="prefix"
                )
                self._node_subscriptions.append(sub)
            for source, key, attr in follow_targets(type(self)):
                await self._node_start_follow(source, key, attr)
        except BaseException:
            await self._node_unbind_hook()
            raise

    async def _node_start_follow(self, source: str, key: str, attr: str) -> None:
        await self.node_follow(source, key, getattr(self, attr))

    async def node_follow(
        self, source: PathLike, key: str, callback: Callable[[Any], Awaitable[Any]]
    ) -> RemoteState:
        """Run ``callback(value)`` now and whenever ``source``'s state ``key``
        changes, like :func:`follow` but decided at run time (e.g. a detail
        whose master is configured). Stops when this node is unbound.
        Returns the replica of the source's state."""
        if self._node_state not in (NodeState.BINDING, NodeState.BOUND):
            raise NodeError(f"cannot follow {source!r}: {self!r} is not bound")
        state = RemoteState(self.node_resolve(source), self.node_context)  # type: ignore[arg-type]
        await state.start()
        runner = LatestRunner(callback, name=f"{self.node_path} follows {source}.{key}")
        try:
            comp = autorun(lambda: runner.submit(state.data.get(key)))
        except BaseException:
            await state.close()
            raise
        self._node_follows.append((state, comp, runner))
        return state

    async def _node_unbind_hook(self) -> None:
        follows: list[tuple[RemoteState, Computation, LatestRunner]] = list(self._node_follows)
        self._node_follows.clear()
        for state, comp, runner in follows:
            comp.stop()
            await runner.cancel()
            await state.close()
        publisher = self._node_publisher
        if publisher is not None:
            publisher.close()
            object.__setattr__(self, "_node_publisher", None)
        conn = self.node_context.get("wamp") if self.node_context is not None else None
        registered, subs = list(self._node_registered), list(self._node_subscriptions)
        self._node_registered.clear()
        self._node_subscriptions.clear()
        if conn is None:
            return
        await asyncio.gather(
            *(conn.unregister(uri) for uri in registered),
            *(conn.unsubscribe(sub) for sub in subs),
        )

    def _node_child_added(self, name: str) -> None:
        if self._node_publisher is not None:
            self._node_publisher.child_added(name)

    def _node_child_removed(self, name: str) -> None:
        if self._node_publisher is not None:
            self._node_publisher.child_removed(name)

    async def _publish_signal(
        self, signal: BoundSignal, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        if self._node_state not in (NodeState.BOUND, NodeState.UNBINDING):
            return
        path = self.node_path
        assert path is not None
        topic = path if signal.name == "." else path + signal.name
        await self.node_connection.publish(
            str(topic), args, kwargs, acknowledge=signal.signal.acknowledge
        )


def _remote_handler(method: Callable[..., Any], target: Path) -> Callable[..., Any]:
    """Deliver events at ``target`` itself, or one fragment below it (the
    signals of the node ``target`` names), to ``method``.

    The router's prefix match is by string (``a.b`` also matches ``a.bc.x``)
    and includes deeper descendants and the node's state replication topic,
    hence the check on the event's topic.
    """
    exact = str(target)
    below = exact + "."
    adapter = adapter_for(method)

    def deliver(*args: Any, details: Any = None, **kwargs: Any) -> Any:
        topic = getattr(details, "topic", None) or exact
        if topic != exact:
            rest = topic[len(below) :]
            # Not deeper descendants, and not the node's own replication
            # topics (`__changes__`), which are no signals.
            if not topic.startswith(below) or "." in rest or rest.startswith("__"):
                return None
        return adapter(method, args, kwargs, details)

    return deliver


def default_serialization() -> Serialization:
    """A registry where nodes and proxies travel as proxies of their path."""
    registry = Serialization()

    def encode_node(node: Node) -> str:
        if node.node_path is None:
            raise NodeError(f"cannot send {node!r} over WAMP: it is not bound")
        return str(node.node_path)

    registry.register(Node, "node", encode=encode_node, decode=lambda v, ctx: Proxy(v, ctx))
    registry.register(Path, "path", encode=str, decode=lambda v, ctx: Path(v))
    registry.register(
        Proxy, "proxy", encode=lambda p: str(p.node_path), decode=lambda v, ctx: Proxy(v, ctx)
    )
    return registry
