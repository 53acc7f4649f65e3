"""Exceptions of the node layer.

Hierarchy::

    NodeError                  misuse of a node: bad lifecycle transition,
    │                          direct assignment of a child, unknown signal…
    ├── PathError              an invalid path or fragment (also a ValueError)
    └── RPCError               a remote call or a registration failed; carries
        │                      the WAMP error URI and the data the callee sent
        ├── NoSuchEndpoint     nothing is registered at that path
        ├── InvalidArguments   the callee refused the arguments it was given
        ├── RemoteInternalError the callee failed; details are only in its log
        └── NotConnected       no WAMP session within the call's timeout

An endpoint can raise :class:`RPCError` (with its own ``uri`` and keyword
data) to send a clear, expected error to its caller; any other exception is
logged on the callee's side and reaches the caller as
:class:`RemoteInternalError`, without traceback text.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "InvalidArguments",
    "NoSuchEndpoint",
    "NodeError",
    "NotConnected",
    "PathError",
    "RPCError",
    "RemoteInternalError",
]


class NodeError(Exception):
    """A node was used in a way its lifecycle or the node tree does not allow."""


class PathError(NodeError, ValueError):
    """A path or path fragment is not valid, or cannot be resolved."""


class RPCError(NodeError):
    """A call failed on the other side, or could not be delivered.

    ``uri`` is the WAMP error URI (``raccoon.error.*`` for the framework's own
    errors, anything dotted for an application's); ``data`` holds the
    keyword payload the callee attached.

    Raise it from an endpoint to answer with a clear error::

        raise RPCError("credit limit exceeded", uri="app.error.credit", limit=100)
    """

    default_uri = "raccoon.error.application"

    def __init__(self, message: str, *, uri: str | None = None, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.uri = uri or self.default_uri
        self.data = data

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, uri={self.uri!r})"


class NoSuchEndpoint(RPCError):
    """Nothing is registered at the called path (never bound, or unbound)."""

    default_uri = "wamp.error.no_such_procedure"


class InvalidArguments(RPCError):
    """The endpoint refused the arguments: wrong count, names or types."""

    default_uri = "raccoon.error.invalid_arguments"


class RemoteInternalError(RPCError):
    """The endpoint failed unexpectedly; the traceback is in the callee's log."""

    default_uri = "raccoon.error.internal"


class NotConnected(RPCError):
    """No WAMP session was available within the timeout."""

    default_uri = "raccoon.error.not_connected"


_BY_URI: dict[str, type[RPCError]] = {
    cls.default_uri: cls
    for cls in (NoSuchEndpoint, InvalidArguments, RemoteInternalError, NotConnected)
}


def rpc_error_from_wamp(uri: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> RPCError:
    """Rebuild the right :class:`RPCError` subclass from a WAMP ERROR message.

    The other side chose the message and the data: the message is cut to
    :data:`~raccoon.node._limits.MAX_ERROR_MESSAGE` characters, and data
    named like the constructor's own parameters cannot make it fail.
    """
    from ._limits import bounded_message  # _limits raises our errors: import late

    cls = _BY_URI.get(uri, RPCError)
    first = args[0] if args else uri
    error = cls(bounded_message(first if type(first) is str else str(first)), uri=uri)
    error.data = dict(kwargs) if kwargs else {}
    return error
