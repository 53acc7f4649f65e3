"""Raccoon in the browser: the client node layer, written in Python and
transpiled to JavaScript with JavaScripthon.

The same concepts and names as the server's ``raccoon.node`` and
``raccoon.reactive`` (see ``docs/client-python.md`` for the differences)::

    from raccoon import WAMPNode, Path, Signal, handler, call, register_signals

The single-source modules (path, context, tracker, reactive, replica,
serialization, errors, compat) also run under CPython.
"""

from .compat import iterable
from .connection import Connection
from .context import NodeContext
from .cursor import CursorProxy
from .errors import (
    InvalidArguments,
    NodeError,
    NoSuchEndpoint,
    NotConnected,
    PathError,
    RemoteInternalError,
    RPCError,
)
from .node import Node
from .path import Path
from .promise import reversed_promise, sleep
from .proxy import is_proxy, make_proxy
from .reactive import MISSING, ReactiveDict, Value
from .serialization import Serialization
from .session import ClientSession, HttpError, boot, post_json
from .signal import BoundSignal, Signal, call, handler, register_signals
from .state import RemoteState
from .tracker import Computation, Dependency, autorun, flush, nonreactive
from .view import View, actions_of, element
from .wamp import WAMPNode, default_serialization

__all__ = [
    "MISSING",
    "BoundSignal",
    "ClientSession",
    "Computation",
    "Connection",
    "CursorProxy",
    "Dependency",
    "HttpError",
    "InvalidArguments",
    "NoSuchEndpoint",
    "Node",
    "NodeContext",
    "NodeError",
    "NotConnected",
    "Path",
    "PathError",
    "RPCError",
    "ReactiveDict",
    "RemoteInternalError",
    "RemoteState",
    "Serialization",
    "Signal",
    "Value",
    "View",
    "WAMPNode",
    "actions_of",
    "autorun",
    "boot",
    "call",
    "default_serialization",
    "element",
    "flush",
    "handler",
    "is_proxy",
    "iterable",
    "make_proxy",
    "nonreactive",
    "post_json",
    "register_signals",
    "reversed_promise",
    "sleep",
]
