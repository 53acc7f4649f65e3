"""Nodes on the WAMP realm: endpoints, published signals, remote handlers
(JavaScript only). The browser's ``raccoon.node.WAMPNode``.

A :class:`WAMPNode` needs a context carrying a :class:`~.connection.Connection`
as ``wamp`` (``connection.new_context()``), or a parent that has one. On bind
it registers its ``@call`` endpoints and subscribes its remote handlers; on
unbind it takes them away again.
"""

from __globals__ import Error

from .errors import NodeError
from .node import BOUND, UNBINDING, Node
from .path import Path
from .proxy import is_proxy, make_proxy
from .serialization import Serialization
from .signal import call_handler, class_meta


class WAMPNode(Node):
    """A node whose endpoints and signals live on the WAMP realm."""

    def __init__(self):
        super().__init__()
        self._node_registered = []
        self._node_subscriptions = []

    @property
    def node_connection(self):
        """The WAMP connection of the node's context."""
        conn = None if self.node_context is None else self.node_context.get("wamp")
        if conn is None:
            raise NodeError(
                f"{self} has no WAMP connection: bind it with a context from "
                "connection.new_context() or under a parent that has one"
            )
        return conn

    def remote(self, path):
        """A proxy for ``path`` (``'@x'``, ``'#name'`` or absolute)."""
        if self.node_context is None:
            raise NodeError(f"{self} is not bound: cannot reach '{path}'")
        return make_proxy(self.node_resolve(path), self.node_context)

    async def _node_bind_hook(self):
        conn = self.node_connection
        path = self.node_path
        meta = class_meta(self.constructor)
        owner = f"{self.constructor.name} at {path}"
        try:
            for pair in meta.endpoints:
                name = pair[1]
                uri = f"{path}" if name == "." else f"{path.add(name)}"
                await conn.register(uri, _endpoint(self[pair[0]].bind(self)), owner)
                self._node_registered.append(uri)
            for pair in meta.remote_handlers:
                target = f"{self.node_resolve(pair[0])}"
                deliver = _remote_handler(self[pair[1]].bind(self), target)
                sub = await conn.subscribe(target, deliver, match="prefix", raw=True)
                self._node_subscriptions.append(sub)
        except Error as error:
            await self._node_unbind_hook()
            raise error

    async def _node_unbind_hook(self):
        conn = None if self.node_context is None else self.node_context.get("wamp")
        registered = self._node_registered
        subs = self._node_subscriptions
        self._node_registered = []
        self._node_subscriptions = []
        if conn is None:
            return
        for uri in registered:
            await conn.unregister(uri)
        for sub in subs:
            await conn.unsubscribe(sub)

    async def _publish_signal(self, bound, args, kwargs):
        if self._node_state != BOUND and self._node_state != UNBINDING:
            return
        path = self.node_path
        topic = path if bound.name == "." else path.add(bound.name)
        await self.node_connection.publish(f"{topic}", args, kwargs)


def _endpoint(method):
    def invoke(args, kwargs, details):
        return call_handler(method, args, kwargs)

    return invoke


def _remote_handler(method, exact):
    """Deliver events at ``exact`` itself, or one fragment below it (the
    signals of the node it names), to ``method``: the router's prefix match
    is by string and includes deeper paths and the state replication topic."""
    below = exact + "."

    def deliver(args, kwargs, details):
        topic = exact if details is None or details.topic is None else details.topic
        if topic != exact:
            rest = topic[len(below) :]
            if not topic.startswith(below) or rest.indexOf(".") >= 0 or rest.startswith("__"):
                return None
        return call_handler(method, args, kwargs)

    return deliver


def default_serialization():
    """A registry where nodes and proxies travel as proxies of their path,
    and paths as paths (the server's defaults)."""
    registry = Serialization()

    def encode_node(node):
        if node.node_path is None:
            raise NodeError(f"cannot send {node} over WAMP: it is not bound")
        return f"{node.node_path}"

    registry.register(Node, "node", encode_node, lambda value, context: make_proxy(value, context))
    registry.register(Path, "path", lambda path: f"{path}", lambda value, context: Path(value))
    registry.register_check(
        is_proxy,
        "proxy",
        lambda proxy: f"{proxy.node_path}",
        lambda value, context: make_proxy(value, context),
    )
    return registry


__all__ = ["WAMPNode", "default_serialization"]
