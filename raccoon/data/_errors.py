"""Exceptions of :mod:`raccoon.data`.

Hierarchy::

    DataError                   a data-layer operation failed at run time
     ├── DatabaseServerError    the embedded PostgreSQL could not be set up, started or reached
     ├── RequestError           what a client asked for is invalid (fix the request)
     │    ├── ArgumentError     an argument (an id, a window) is malformed or oversized
     │    ├── FilterError       a filter, sort or page spec is malformed (names its path)
     │    └── ValidationError   values to write are invalid (a list of FieldError)
     ├── TooLargeError          the answer would not fit one message (a record too large)
     ├── PermissionDenied       the principal may not do this operation on this source
     ├── NotFoundError          no such record (or one of another tenant: existence never leaks)
     ├── ConflictError          the record changed since the version given (carries the current one)
     ├── MigrationError         migrating the database failed (nothing was changed)
     └── ChangeFeedError        the change feed could not start (database, change log)

Every error has ``to_dict()``: ``{"code", "message", "details"}``, JSON-able,
for RPC layers to send to clients.

Misuse (a bad argument, a malformed Source declaration, starting a running
server) raises the built-in ``TypeError``/``ValueError``/``RuntimeError``
instead: that is a bug to fix in the code, not a failure to report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ArgumentError",
    "ChangeFeedError",
    "ConflictError",
    "DataError",
    "DatabaseServerError",
    "FieldError",
    "FilterError",
    "MigrationError",
    "NotFoundError",
    "PermissionDenied",
    "RequestError",
    "TooLargeError",
    "ValidationError",
]


class DataError(Exception):
    """Base class of the run-time failures of :mod:`raccoon.data`."""

    #: A stable machine-readable name of the failure, sent to clients.
    code = "data_error"

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "message", "details"}``, JSON-able, for clients."""
        return {"code": self.code, "message": str(self), "details": self.details()}

    def details(self) -> dict[str, Any]:
        """The JSON-able specifics of this error (empty by default)."""
        return {}


class DatabaseServerError(DataError):
    """The embedded PostgreSQL server failed: initdb, start, readiness or setup.

    The message says what happened and ends with the tail of the server log
    when there is one.
    """

    code = "database_server_error"


class RequestError(DataError):
    """What a client asked for is invalid; the same request will fail again."""

    code = "invalid_request"


class ArgumentError(RequestError):
    """An argument of a request is malformed or oversized: ``argument`` names
    it (``"pk"``, ``"offset"``), ``problem`` says what is wrong. Refused
    before any work; the message quotes at most a short piece of it."""

    code = "invalid_arguments"

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument}: {problem}")
        self.argument = argument
        self.problem = problem

    def details(self) -> dict[str, Any]:
        return {"argument": self.argument, "problem": self.problem}


class FilterError(RequestError):
    """A filter, sort or pagination spec is malformed.

    ``path`` locates the problem in the spec (``"filter.and[2].value"``,
    ``"sort[0]"``, ``"after.name"``); the message says what is wrong there.
    """

    code = "invalid_filter"

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem

    def details(self) -> dict[str, Any]:
        return {"path": self.path, "problem": self.problem}


@dataclass(frozen=True)
class FieldError:
    """One validation problem: ``field`` (``None`` for the whole record) and ``message``.

    ``code`` is a stable name for clients that translate messages:
    ``required``, ``unknown``, ``readonly``, ``type``, ``too_long``, ``range``,
    ``choice``, ``unique``, ``check``, ``reference``, ``referenced``, ``rule``.
    """

    field: str | None
    message: str
    code: str = "invalid"

    def to_dict(self) -> dict[str, Any]:
        """``{"field", "message", "code"}``."""
        return {"field": self.field, "message": self.message, "code": self.code}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ValidationError(RequestError):
    """Values to write are invalid; nothing was written.

    ``errors`` lists every problem found (a :class:`FieldError` each), so a
    form can show them all at once.
    """

    code = "validation_failed"

    def __init__(self, errors: list[FieldError], *, source: str | None = None) -> None:
        if not errors:
            raise ValueError("a ValidationError needs at least one FieldError")
        self.errors = list(errors)
        self.source = source
        where = f" for {source!r}" if source else ""
        listed = "; ".join(str(error) for error in self.errors)
        super().__init__(f"invalid values{where}: {listed}")

    def details(self) -> dict[str, Any]:
        return {"source": self.source, "errors": [error.to_dict() for error in self.errors]}


class PermissionDenied(DataError):
    """The principal may not do ``operation`` (``view``, ``create``, ``edit``,
    ``delete``) on ``source`` (or on the record ``pk``); nothing was changed."""

    code = "permission_denied"

    def __init__(self, message: str, *, source: str, operation: str, pk: Any = None) -> None:
        super().__init__(message)
        self.source = source
        self.operation = operation
        self.pk = pk

    def details(self) -> dict[str, Any]:
        return {"source": self.source, "operation": self.operation, "pk": self.pk}


class NotFoundError(DataError):
    """No record ``pk`` in ``source`` that the principal may see.

    A record of another tenant, or one hidden by a row rule, is reported the
    same way as a missing one, so its existence does not leak.
    """

    code = "not_found"

    def __init__(self, message: str, *, source: str, pk: Any) -> None:
        super().__init__(message)
        self.source = source
        self.pk = pk

    def details(self) -> dict[str, Any]:
        return {"source": self.source, "pk": self.pk}


class ConflictError(DataError):
    """The record changed since ``version``: the write was not applied.

    ``current`` is the record as it is now (JSON-able, with its version);
    ``attempted`` the values the write tried to apply (``None`` for a
    delete). Show both, let the user merge, then retry with
    ``current["version"]``.
    """

    code = "conflict"

    def __init__(
        self,
        message: str,
        *,
        source: str,
        pk: Any,
        version: Any,
        current: dict[str, Any],
        attempted: dict[str, Any] | None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.pk = pk
        self.version = version
        self.current = current
        self.attempted = attempted

    def details(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "pk": self.pk,
            "version": self.version,
            "current": self.current,
            "attempted": self.attempted,
        }


class TooLargeError(DataError):
    """The answer would exceed what one message may carry (a record stored
    larger than the data layer's answer budget, by SQL from elsewhere)."""

    code = "too_large"

    def __init__(self, message: str, *, source: str, pk: Any = None, size: int = 0) -> None:
        super().__init__(message)
        self.source = source
        self.pk = pk
        self.size = size

    def details(self) -> dict[str, Any]:
        return {"source": self.source, "pk": self.pk, "size": self.size}


class MigrationError(DataError):
    """Migrating the database failed: unreachable, unknown revision, or a migration raised.

    Every run is one transaction, so the database is as it was before.
    """

    code = "migration_error"


class ChangeFeedError(DataError):
    """The change feed could not start: the database is unreachable or has no change log."""

    code = "change_feed_error"
