"""Exceptions of the context layer.

Hierarchy::

    ContextError               base of everything raccoon.context raises
    ├── InvalidIntent          a bad operation name or malformed content; .field
    │                          names what is wrong (also a ValueError)
    ├── RegistrationError      a controller or action declares something the
    │                          registry cannot accept, or is registered twice
    │                          (also a TypeError: it is a programming mistake)
    ├── ElectionError          no single controller can realize an intent;
    │   │                      .operation, .content
    │   ├── NoController       nothing matches the intent
    │   └── AmbiguousIntent    several match equally well; .candidates
    └── ContextStateError      a context used against its lifecycle (opened
                               twice, started outside a session…)

Misuse (``InvalidIntent``, ``RegistrationError``, ``ContextStateError``) is
kept apart from election failures, which depend on what the application
registered. At the WAMP boundary (:class:`~raccoon.context.Contexts`) these
are turned into the node layer's :class:`~raccoon.node.RPCError` family so
that a client gets a clear message and a stable error URI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._content import Content
    from ._operation import Operation

__all__ = [
    "AmbiguousIntent",
    "ContextError",
    "ContextStateError",
    "ElectionError",
    "InvalidIntent",
    "NoController",
    "RegistrationError",
]


class ContextError(Exception):
    """Base of every error raised by :mod:`raccoon.context`."""


class InvalidIntent(ContextError, ValueError):
    """An operation name or a content is malformed; ``field`` says which part
    (``'operation'``, ``'source'``, ``'ids'``, ``'ids[2]'``, ``'filters'``…)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class RegistrationError(ContextError, TypeError):
    """A controller or action class cannot be registered as declared."""


class ElectionError(ContextError):
    """No single controller could be elected for ``operation`` on ``content``.

    ``uri`` is the WAMP error URI a client receives for it.
    """

    uri = "raccoon.error.election"

    def __init__(self, message: str, *, operation: Operation, content: Content) -> None:
        super().__init__(message)
        self.operation = operation
        self.content = content


class NoController(ElectionError):
    """No registered controller can realize the intent."""

    uri = "raccoon.error.no_controller"


class AmbiguousIntent(ElectionError):
    """Several controllers match the intent equally well (same specificity
    and same ``PRIORITY``); ``candidates`` lists them."""

    uri = "raccoon.error.ambiguous_intent"

    def __init__(
        self,
        message: str,
        *,
        operation: Operation,
        content: Content,
        candidates: tuple[Any, ...],
    ) -> None:
        super().__init__(message, operation=operation, content=content)
        self.candidates = candidates


class ContextStateError(ContextError):
    """A context (or the session container) was used against its lifecycle."""
