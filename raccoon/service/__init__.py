"""The Raccoon service: the web service, the Crossbar router it runs, authentication
and per-session authorization, the session trees, and the ``raccoon`` command.

::

    from raccoon.service import Service, Settings

    async with Service(Settings.load("raccoon.toml"), controllers=registry) as service:
        print("open", service.url)
        await service.wait_closed()

See ``docs/security.md``, ``docs/sessions.md`` and ``docs/settings.md``.
"""

from raccoon._server import ServerState
from raccoon._tokens import JoinClaims, TokenCodec, derive_key
from raccoon.service._accounts import Accounts, User, make_hasher
from raccoon.service._auth import Auth, Grant, normalize_language, parse_accept_language
from raccoon.service._authorizer import authorize_browser
from raccoon.service._backend import AuthorizerNode, PublicSessionNode
from raccoon.service._desktop import Desktop, Logout, desktop_content
from raccoon.service._errors import (
    AccountError,
    AuthError,
    InvalidCredentials,
    LoginThrottled,
    RouterError,
    ServiceError,
    SessionExpired,
    TokenError,
)
from raccoon.service._logins import Logins, LoginSession
from raccoon.service._metrics import Metrics
from raccoon.service._ratelimit import RateLimiter
from raccoon.service._schema import accounts_metadata
from raccoon.service._service import BACKEND_AUTHID, BROWSER_ROLE, Service, ServiceState
from raccoon.service._session import SessionIdentity, SessionNode
from raccoon.service._sessions import SessionRegistry, SessionState
from raccoon.service._web import ApiError, create_app
from raccoon.service.router import (
    BackendTransport,
    FunctionAuthenticator,
    Permission,
    Role,
    Router,
    RouterSettings,
    TicketPrincipal,
    build_config,
    find_crossbar,
)
from raccoon.service.settings import Settings

__all__ = [
    "BACKEND_AUTHID",
    "BROWSER_ROLE",
    "AccountError",
    "Accounts",
    "ApiError",
    "Auth",
    "AuthError",
    "AuthorizerNode",
    "BackendTransport",
    "Desktop",
    "FunctionAuthenticator",
    "Grant",
    "InvalidCredentials",
    "JoinClaims",
    "LoginSession",
    "LoginThrottled",
    "Logins",
    "Logout",
    "Metrics",
    "Permission",
    "PublicSessionNode",
    "RateLimiter",
    "Role",
    "Router",
    "RouterError",
    "RouterSettings",
    "ServerState",
    "Service",
    "ServiceError",
    "ServiceState",
    "SessionExpired",
    "SessionIdentity",
    "SessionNode",
    "SessionRegistry",
    "SessionState",
    "Settings",
    "TicketPrincipal",
    "TokenCodec",
    "TokenError",
    "User",
    "accounts_metadata",
    "authorize_browser",
    "build_config",
    "create_app",
    "derive_key",
    "desktop_content",
    "find_crossbar",
    "make_hasher",
    "normalize_language",
    "parse_accept_language",
]
