"""The node layer: a tree of nodes on dotted paths of one WAMP realm.

Nodes call each other (``@call`` endpoints, :meth:`WAMPNode.remote`), emit
:class:`Signal` s that local and remote ``@handler`` s receive, and share a
prototype-like :class:`NodeContext` down the tree. See ``docs/nodes.md``.

Example (two sessions of one realm)::

    from raccoon.node import Connection, WAMPNode, Path, call

    class Calculator(WAMPNode):
        @call
        async def add(self, a: int, b: int) -> int:
            return a + b

    await Calculator().node_bind(Path('app.calc'), conn1.new_context())
    client = WAMPNode()
    await client.node_bind(Path('app.client'), conn2.new_context())
    assert await client.remote('@calc').add(1, 2) == 3
"""

from ._connection import Connection, ConnectionState, Subscription
from ._context import NodeContext
from ._endpoint import Endpoint, call
from ._errors import (
    InvalidArguments,
    NodeError,
    NoSuchEndpoint,
    NotConnected,
    PathError,
    RemoteInternalError,
    RPCError,
)
from ._follow import follow
from ._limits import (
    DEFAULT_MAX_MESSAGE_SIZE,
    MAX_ARGUMENT_DEPTH,
    MAX_ARGUMENTS_SIZE,
    MAX_COLLECTION_LENGTH,
    MAX_ERROR_DATA,
    MAX_ERROR_MESSAGE,
    MAX_NAME_LENGTH,
    MAX_STRING_LENGTH,
    MESSAGE_TOO_LARGE,
    RESULT_TOO_LARGE,
    UNDECODABLE,
)
from ._node import Node, NodeState
from ._path import Path, PathLike
from ._proxy import Proxy
from ._serialization import Serialization
from ._signal import BoundSignal, Signal, handler
from ._state import RemoteState, StateView
from ._wamp import WAMPNode, default_serialization

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "MAX_ARGUMENTS_SIZE",
    "MAX_ARGUMENT_DEPTH",
    "MAX_COLLECTION_LENGTH",
    "MAX_ERROR_DATA",
    "MAX_ERROR_MESSAGE",
    "MAX_NAME_LENGTH",
    "MAX_STRING_LENGTH",
    "MESSAGE_TOO_LARGE",
    "RESULT_TOO_LARGE",
    "UNDECODABLE",
    "BoundSignal",
    "Connection",
    "ConnectionState",
    "Endpoint",
    "InvalidArguments",
    "NoSuchEndpoint",
    "Node",
    "NodeContext",
    "NodeError",
    "NodeState",
    "NotConnected",
    "Path",
    "PathError",
    "PathLike",
    "Proxy",
    "RPCError",
    "RemoteInternalError",
    "RemoteState",
    "Serialization",
    "Signal",
    "StateView",
    "Subscription",
    "WAMPNode",
    "call",
    "default_serialization",
    "follow",
    "handler",
]
