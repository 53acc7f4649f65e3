"""The Raccoon service: the Crossbar router it runs (and, later, the web
service, authentication and the command line)."""

from raccoon._server import ServerState
from raccoon.service._errors import RouterError, ServiceError
from raccoon.service.router import (
    Permission,
    Role,
    Router,
    RouterSettings,
    build_config,
    find_crossbar,
)

__all__ = [
    "Permission",
    "Role",
    "Router",
    "RouterError",
    "RouterSettings",
    "ServerState",
    "ServiceError",
    "build_config",
    "find_crossbar",
]
