"""Exceptions of the client node layer (the same hierarchy as the server's).

::

    NodeError                  misuse: lifecycle, child attributes, duplicate registration
    ├── PathError              an invalid path or an unresolvable fragment
    └── RPCError               a call failed; .uri, .message, .data
        ├── NoSuchEndpoint
        ├── InvalidArguments
        ├── RemoteInternalError
        └── NotConnected

They derive from JavaScript's ``Error`` (``Exception`` under CPython): a
JavaScripthon class deriving from ``Exception`` with a body fails to load.
"""

from __globals__ import Error


class NodeError(Error):
    """A node was used in a way its lifecycle or the node tree does not allow."""

    kind = "NodeError"

    def __init__(self, message):
        super().__init__(message)
        self.message = message
        self.name = self.kind

    def __str__(self):
        return self.message


class PathError(NodeError):
    """A path or path fragment is not valid, or cannot be resolved."""

    kind = "PathError"


class RPCError(NodeError):
    """A call failed on the other side, or could not be delivered.

    ``uri`` is the WAMP error URI, ``data`` the keyword payload the callee
    attached: ``raise RPCError('credit limit exceeded', uri='app.error.credit')``.
    """

    kind = "RPCError"
    default_uri = "raccoon.error.application"

    def __init__(self, message, *, uri=None, data=None):
        super().__init__(message)
        self.uri = self.default_uri if uri is None else uri
        self.data = {} if data is None else data


class NoSuchEndpoint(RPCError):
    """Nothing is registered at the called path."""

    kind = "NoSuchEndpoint"
    default_uri = "wamp.error.no_such_procedure"


class InvalidArguments(RPCError):
    """The endpoint refused the arguments."""

    kind = "InvalidArguments"
    default_uri = "raccoon.error.invalid_arguments"


class RemoteInternalError(RPCError):
    """The endpoint failed unexpectedly; the details are in the callee's log."""

    kind = "RemoteInternalError"
    default_uri = "raccoon.error.internal"


class NotConnected(RPCError):
    """No WAMP session was available within the timeout."""

    kind = "NotConnected"
    default_uri = "raccoon.error.not_connected"


def rpc_error_from_wamp(uri, args, kwargs):
    """The right :class:`RPCError` subclass for a WAMP error message."""
    message = uri
    if args is not None and len(args) > 0:
        message = "" + args[0]
    data = {} if kwargs is None else kwargs
    by_uri = {
        "wamp.error.no_such_procedure": NoSuchEndpoint,
        "wamp.error.no_such_registration": NoSuchEndpoint,
        "raccoon.error.invalid_arguments": InvalidArguments,
        "wamp.error.invalid_argument": InvalidArguments,
        "raccoon.error.internal": RemoteInternalError,
        "raccoon.error.not_connected": NotConnected,
    }
    # Capitalized: JavaScripthon instantiates (with `new`) only capitalized names.
    ErrorClass = by_uri.get(uri, RPCError)
    return ErrorClass(message, uri=uri, data=data)


__all__ = [
    "InvalidArguments",
    "NoSuchEndpoint",
    "NodeError",
    "NotConnected",
    "PathError",
    "RPCError",
    "RemoteInternalError",
    "rpc_error_from_wamp",
]
