"""Exceptions of :mod:`raccoon.service`.

Hierarchy::

    ServiceError              a service component failed at run time
     ├── RouterError          the Crossbar router could not be found, started or reached
     ├── AuthError            a login, refresh or logout was refused (.code, .status)
     │    ├── InvalidCredentials   wrong username or password, or an inactive user
     │    ├── LoginThrottled       too many failed logins in the window (.retry_after)
     │    └── SessionExpired       the login session was revoked, expired or is unknown
     ├── AccountError         a tenant, role or user could not be created or changed (.field)
     └── ApplicationNotFound  ``raccoon run APP`` names nothing holding an Application

    TokenError (a ValueError, from raccoon._tokens)
                              a join token is malformed, forged, expired or for another realm

``TokenError`` stands apart because the function authenticator that raises
it runs inside the Crossbar router worker, which cannot import this
package. Misuse (calling ``start()`` on a running router, a bad setting)
raises the built-in ``RuntimeError``/``ValueError`` instead: those are bugs
in the caller, not failures of the environment.
"""

from __future__ import annotations

from raccoon._tokens import TokenError

__all__ = [
    "AccountError",
    "ApplicationNotFound",
    "AuthError",
    "InvalidCredentials",
    "LoginThrottled",
    "RouterError",
    "ServiceError",
    "SessionExpired",
    "TokenError",
]


class ServiceError(Exception):
    """Base class of the run-time failures of :mod:`raccoon.service`."""


class RouterError(ServiceError):
    """The Crossbar router is missing, failed to start, or is unreachable.

    The message says what happened and ends with the tail of the router log
    when there is one.
    """


class AuthError(ServiceError):
    """A login, token refresh or logout was refused.

    ``code`` is the machine-readable reason the HTTP API sends as ``error``;
    ``status`` the HTTP status it answers with.
    """

    code = "unauthorized"
    status = 401


class InvalidCredentials(AuthError):
    """Wrong username or password (deliberately not saying which), or an inactive user."""

    code = "invalid_credentials"


class LoginThrottled(AuthError):
    """Too many failed logins for this username or client address; try again later."""

    code = "throttled"
    status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        #: Seconds until a login attempt is accepted again.
        self.retry_after = retry_after


class SessionExpired(AuthError):
    """The login session is unknown, revoked, expired, or not this browser's."""

    code = "session_expired"


class AccountError(ServiceError):
    """A tenant, role or user could not be created or changed.

    ``field`` names the culprit (``'username'``, ``'tenant'``, ``'roles'``…)
    when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ApplicationNotFound(ServiceError):
    """The directory, file or module given as the application holds none.

    The message says what was looked for and what was found instead.
    """
