"""Exceptions of :mod:`raccoon.data`.

Hierarchy::

    DataError                   a data-layer operation failed at run time
     └── DatabaseServerError    the embedded PostgreSQL could not be set up, started or reached

Misuse (a bad argument, starting a running server) raises the built-in
``ValueError``/``RuntimeError`` instead.
"""

from __future__ import annotations

__all__ = ["DataError", "DatabaseServerError"]


class DataError(Exception):
    """Base class of the run-time failures of :mod:`raccoon.data`."""


class DatabaseServerError(DataError):
    """The embedded PostgreSQL server failed: initdb, start, readiness or setup.

    The message says what happened and ends with the tail of the server log
    when there is one.
    """
