"""The Raccoon service: the web service, the Crossbar router it runs, authentication
and per-session authorization, the session trees, and the ``raccoon`` command.

::

    from raccoon.service import Service, Settings

    async with Service(Settings.load("raccoon.toml"), controllers=registry) as service:
        print("open", service.url)
        await service.wait_closed()

An :class:`Application` bundles what a service runs (controllers, sources,
migrations, seed, default settings); ``raccoon new NAME`` writes one and
``raccoon run NAME`` runs it. See ``docs/security.md``, ``docs/sessions.md``,
``docs/settings.md`` and ``docs/deployment.md``.
"""

from raccoon._server import ServerState
from raccoon._tokens import JoinClaims, TokenCodec, derive_key
from raccoon.service._accounts import Accounts, User, make_hasher
from raccoon.service._application import Application, SeedContext, load_application
from raccoon.service._auth import Auth, Grant, normalize_language, parse_accept_language
from raccoon.service._authorizer import authorize_browser
from raccoon.service._backend import AuthorizerNode, PublicSessionNode
from raccoon.service._desktop import Desktop, Logout, desktop_content
from raccoon.service._errors import (
    AccountError,
    ApplicationNotFound,
    AuthError,
    InvalidCredentials,
    LoginThrottled,
    RouterError,
    ServiceError,
    SessionExpired,
    TokenError,
)
from raccoon.service._logins import Logins, LoginSession
from raccoon.service._logs import LogFormatter, configure_logging
from raccoon.service._metrics import Metrics
from raccoon.service._ratelimit import RateLimiter, SharedRateLimiter
from raccoon.service._scaffold import create_application
from raccoon.service._schema import accounts_metadata
from raccoon.service._service import BACKEND_AUTHID, BROWSER_ROLE, Service, ServiceState
from raccoon.service._session import SessionIdentity, SessionNode
from raccoon.service._sessions import SessionRegistry, SessionState
from raccoon.service._topology import router_config, router_settings
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
    "Application",
    "ApplicationNotFound",
    "Auth",
    "AuthError",
    "AuthorizerNode",
    "BackendTransport",
    "Desktop",
    "FunctionAuthenticator",
    "Grant",
    "InvalidCredentials",
    "JoinClaims",
    "LogFormatter",
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
    "SeedContext",
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
    "SharedRateLimiter",
    "TicketPrincipal",
    "TokenCodec",
    "TokenError",
    "User",
    "accounts_metadata",
    "authorize_browser",
    "build_config",
    "configure_logging",
    "create_app",
    "create_application",
    "derive_key",
    "desktop_content",
    "find_crossbar",
    "load_application",
    "make_hasher",
    "normalize_language",
    "parse_accept_language",
    "router_config",
    "router_settings",
]
