"""Exceptions of :mod:`raccoon.service`.

Hierarchy::

    ServiceError        a service component failed at run time
     └── RouterError    the Crossbar router could not be found, started or reached

Misuse (calling ``start()`` on a running router, a bad setting) raises the
built-in ``RuntimeError``/``ValueError`` instead: those are bugs in the
caller, not failures of the environment.
"""

from __future__ import annotations

__all__ = ["RouterError", "ServiceError"]


class ServiceError(Exception):
    """Base class of the run-time failures of :mod:`raccoon.service`."""


class RouterError(ServiceError):
    """The Crossbar router is missing, failed to start, or is unreachable.

    The message says what happened and ends with the tail of the router log
    when there is one.
    """
