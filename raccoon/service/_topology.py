"""The router a service needs, from the service's settings: for its own Crossbar, or another's.

The service normally runs its own Crossbar (:class:`~raccoon.service.Service`
calls :func:`router_settings`). For deployments where the router runs
apart — its own container, several service processes behind it —
:func:`router_config` writes the same router's Crossbar configuration,
with the secrets left to the router's environment::

    raccoon router config --upstream http://service:8000 > crossbar/config.json
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .router import (
    BackendTransport,
    FunctionAuthenticator,
    Role,
    RouterSettings,
    TicketPrincipal,
    build_config,
)
from .settings import Settings

__all__ = [
    "BACKEND_AUTHID",
    "BACKEND_TICKET_ENV",
    "BROWSER_ROLE",
    "SECRET_ENV",
    "TOKEN_KEY_ENV",
    "router_config",
    "router_settings",
]

#: The role of browser sessions (confined by the dynamic authorizer).
BROWSER_ROLE = "browser"
#: The authid of the service's own backend session.
BACKEND_AUTHID = "raccoon-backend"
#: Where the router's own Crossbar finds the join-token key (hex).
TOKEN_KEY_ENV = "RACCOON_ROUTER_TOKEN_KEY"
#: Where a router reads the backend's ticket (also the ``backend_ticket`` setting's variable).
BACKEND_TICKET_ENV = "RACCOON_BACKEND_TICKET"
#: Where a router run apart reads the service secret (the ``secret`` setting's variable).
SECRET_ENV = "RACCOON_SECRET"
#: The authorizer procedure of the browser role.
AUTHORIZE_PROCEDURE = "raccoon.service.authorize"


def router_settings(
    settings: Settings,
    *,
    web_proxy: str,
    backend: BackendTransport,
    authenticator: Mapping[str, Any],
    environment: Mapping[str, str] | None = None,
) -> RouterSettings:
    """The router of a service with *settings*: the public port (``/ws`` for
    browsers with the function authenticator configured by *authenticator*,
    ``/`` proxied to *web_proxy*), and the private *backend* transport."""
    return RouterSettings(
        realm=settings.realm,
        host=settings.host,
        port=settings.port,
        allowed_origins=settings.origins,
        max_message_size=settings.max_message_size,
        roles=(
            Role.full_access("backend"),
            Role(BROWSER_ROLE, authorizer=AUTHORIZE_PROCEDURE),
        ),
        anonymous_role=None,
        ticket=FunctionAuthenticator(
            "raccoon._authenticator.create",
            # The router-side revocation feed runs as a backend (it serves the
            # services and calls them): see raccoon._revocation_feed.
            {**authenticator, "role": BROWSER_ROLE, "revocations": {"role": "backend"}},
            expose_controller=True,
        ),
        web_proxy=web_proxy,
        web_proxy_max_body=settings.max_request_size,
        backend=backend,
        environment=dict(environment or {}),
        loglevel=settings.router_loglevel,  # type: ignore[arg-type]
        executable=settings.crossbar,
    )


def router_config(
    settings: Settings,
    *,
    upstream: str,
    backend_port: int = 8081,
    backend_host: str = "0.0.0.0",
) -> dict[str, Any]:
    """The Crossbar configuration of a router run apart from the services.

    Browsers reach ``settings.host:settings.port`` (``/ws``, and everything
    else proxied to *upstream*, the services' HTTP port, e.g.
    ``http://service:8000``); services join at
    ``ws://<router>:<backend_port>/ws`` with ``backend_ticket``. Secrets stay
    out of the file: the router reads the backend ticket from
    ``$RACCOON_BACKEND_TICKET`` and derives the join-token key from
    ``$RACCOON_SECRET`` — the same variables the services read.
    """
    return build_config(
        router_settings(
            settings,
            web_proxy=upstream,
            backend=BackendTransport(
                host=backend_host,
                port=backend_port,
                principals=(
                    TicketPrincipal(BACKEND_AUTHID, "${" + BACKEND_TICKET_ENV + "}", "backend"),
                ),
            ),
            authenticator={"secret_env": SECRET_ENV},
        )
    )
