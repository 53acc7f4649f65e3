"""Exceptions of :mod:`raccoon.reactive`.

Every exception raised on purpose by this package derives from
:class:`ReactiveError`. Misuse (a wrong argument, an operation called at the
wrong moment) is kept apart from failures that happen while the reactive
graph runs, and each misuse class also derives from the matching builtin, so
``except TypeError`` keeps working::

    ReactiveError
    ├── ReactiveTypeError(TypeError)        misuse: wrong kind of object
    ├── ReactiveValueError(ValueError)      misuse: right kind, wrong value
    ├── ReactiveStateError(RuntimeError)    misuse: not allowed right now
    ├── InfiniteLoopError(RuntimeError)     failure: a computation keeps invalidating itself
    └── OutOfSyncError                      failure: a replica missed changes

Timeouts (:func:`raccoon.reactive.until`) raise the builtin
:class:`TimeoutError`, like :func:`asyncio.timeout` does.
"""

from __future__ import annotations

__all__ = [
    "InfiniteLoopError",
    "OutOfSyncError",
    "ReactiveError",
    "ReactiveStateError",
    "ReactiveTypeError",
    "ReactiveValueError",
]


class ReactiveError(Exception):
    """Base class of every exception raised by :mod:`raccoon.reactive`."""


class ReactiveTypeError(ReactiveError, TypeError):
    """An argument is of the wrong kind.

    For example a non-callable passed to :func:`autorun`, or a mutable object
    of unknown kind stored in a :class:`ReactiveDict`.
    """


class ReactiveValueError(ReactiveError, ValueError):
    """An argument has the right kind but a value that cannot work."""


class ReactiveStateError(ReactiveError, RuntimeError):
    """An operation was called at a moment when it is not allowed.

    For example :meth:`Tracker.flush` called from inside a computation, or a
    coroutine function given to :func:`autorun` with no event loop to run it.
    """


class InfiniteLoopError(ReactiveError, RuntimeError):
    """A computation was re-run too many times within one flush.

    It keeps invalidating itself, directly or through other computations;
    the tracker stops it and reports this error through the computation's
    error callbacks, the tracker's and the log.
    """


class OutOfSyncError(ReactiveError):
    """A replica received a change that does not follow its version.

    Some changes were lost in between; the replica must be reloaded from a
    fresh snapshot (:meth:`ReactiveDict.load_snapshot`).
    """
