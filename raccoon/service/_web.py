"""The aiohttp application: the page, the bundle, login, tokens, health, metrics.

It listens on a private port (127.0.0.1); browsers reach it through
Crossbar's web transport, which serves the websocket at ``/ws`` and
reverse-proxies every other path here, so page, API and websocket share
one origin.

Every answer to ``/api/*`` is JSON. Errors are ``{"error": code,
"message": text}`` (plus ``field`` for a bad field), with a 4xx status for
bad requests; an unexpected failure answers 500 with an incident id that
is in the server log — never a traceback.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from raccoon.service._accounts import MAX_PASSWORD_LENGTH, text_problem
from raccoon.service._auth import normalize_language, parse_accept_language
from raccoon.service._devweb import add_dev_routes, build_id, dev_script_tag
from raccoon.service._errors import AuthError, LoginThrottled
from raccoon.service._icon import FAVICON_LINK, add_icon_routes
from raccoon.service._logins import is_browser_key, new_browser_key

if TYPE_CHECKING:
    from raccoon.service._service import Service

__all__ = ["BROWSER_COOKIE", "ApiError", "create_app"]

log = logging.getLogger("raccoon.service.web")

#: The HttpOnly cookie holding the browser key (see ``_logins.py``).
BROWSER_COOKIE = "raccoon_browser"
SERVICE_KEY: web.AppKey[Service] = web.AppKey("raccoon_service")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A request the API refuses: answered as ``{"error", "message", "field"}``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def _error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    body = {"error": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}
    return web.json_response(body, status=status)


_STATUS_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


# -- middlewares ---------------------------------------------------------------------------


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes a JSON answer without internals."""
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.status, exc.code, exc.message, field=exc.field)
    except LoginThrottled as exc:
        response = _error(exc.status, exc.code, str(exc), retry_after=round(exc.retry_after))
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response
    except AuthError as exc:
        return _error(exc.status, exc.code, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "http_error")
        message = {
            404: f"nothing at {request.path}",
            405: f"{request.method} is not allowed on {request.path}",
            413: f"the request body is larger than {_max_size(request)} bytes",
        }.get(exc.status, exc.reason)
        response = _error(exc.status, code, message)
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        incident = uuid.uuid4().hex[:12]
        log.exception("%s %s failed, incident %s", request.method, request.path, incident)
        return _error(500, "internal", f"internal error (incident {incident}); see the server log")


def _max_size(request: web.Request) -> int:
    return request.app[SERVICE_KEY].settings.max_request_size


def _security_headers(service: Service) -> Middleware:
    settings = service.settings
    ws = settings.websocket_url
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; connect-src 'self' {ws}; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'; object-src 'none'"
    )

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        response = await handler(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if settings.origin.startswith("https:"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.path.startswith("/api/") or request.path in ("/health", "/metrics"):
            headers.setdefault("Cache-Control", "no-store")
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        service.metrics.http_requests.labels(name, str(response.status)).inc()
        service.metrics.http_seconds.labels(name).observe(time.perf_counter() - started)
        return response

    return middleware


@web.middleware
async def _origin_check(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unsafe methods from a browser must come from an allowed origin."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        origin = request.headers.get("Origin")
        allowed = request.app[SERVICE_KEY].settings.origins
        if origin is not None and origin not in allowed:
            raise ApiError(403, "forbidden_origin", f"requests from origin {origin!r} are refused")
    return await handler(request)


# -- request helpers -----------------------------------------------------------------------


async def _json_body(
    request: web.Request, fields: dict[str, tuple[type, bool, int]]
) -> dict[str, Any]:
    """The request's JSON object, checked against *fields*: name → (type, required, max length)."""
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the request body as application/json")
    raw = await request.read()  # over client_max_size: 413 from aiohttp
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "the request body must be a JSON object")
    for key in data:
        if (problem := text_problem(key)) is not None:
            raise ApiError(400, "invalid_request", f"a field name {problem}")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ApiError(
            400,
            "invalid_request",
            f"unknown field {unknown[0]!r}; expected {', '.join(sorted(fields))}",
            field=unknown[0],
        )
    for name, (kind, required, limit) in fields.items():
        if name not in data or data[name] is None:
            if required:
                raise ApiError(400, "invalid_request", f"the field {name!r} is required", name)
            data[name] = None
            continue
        value = data[name]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ApiError(
                400, "invalid_request", f"the field {name!r} must be a {kind.__name__}", name
            )
        # Before anything else sees it: PostgreSQL cannot store NUL, and
        # nothing can encode a lone surrogate (JSON's "\u0000", "\ud800").
        if isinstance(value, str) and (problem := text_problem(value)) is not None:
            raise ApiError(400, "invalid_request", f"the field {name!r} {problem}", name)
        if isinstance(value, str) and not 0 < len(value) <= limit:
            raise ApiError(
                400,
                "invalid_request",
                f"the field {name!r} must have 1 to {limit} characters",
                name,
            )
    return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _client_address(request: web.Request) -> str | None:
    """The browser's address: Crossbar's proxy (on loopback) says it in X-Real-IP."""
    remote = request.remote
    forwarded = request.headers.get("X-Real-IP")
    try:
        if forwarded and remote and ipaddress.ip_address(remote).is_loopback:
            return str(ipaddress.ip_address(forwarded.strip()))
    except ValueError:
        pass
    return remote


def _browser_key(request: web.Request) -> str | None:
    key = request.cookies.get(BROWSER_COOKIE)
    return key if is_browser_key(key) else None


def _set_browser_cookie(response: web.Response, service: Service, key: str) -> None:
    response.set_cookie(
        BROWSER_COOKIE,
        key,
        max_age=int(service.settings.session_max_age),
        path="/api/",
        httponly=True,
        samesite="Strict",
        secure=service.settings.secure_cookie,
    )


# -- handlers ------------------------------------------------------------------------------


async def _page(request: web.Request) -> web.Response:
    settings = request.app[SERVICE_KEY].settings
    config = json.dumps(
        {
            "realm": settings.realm,
            "url": settings.websocket_url,
            "login": "/api/login",
            "token": "/api/token",
            "logout": "/api/logout",
        }
    ).replace("<", "\\u003c")
    # In development the bundle's URL names its build, so that a reload never
    # runs a cached older bundle.
    version = f"?v={build_id(settings)}" if settings.dev_reload else ""
    body = (
        '<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(settings.title)}</title>\n"
        f"{FAVICON_LINK}"
        f'<script type="application/json" id="raccoon-config">{config}</script>\n'
        f'<script src="/static/bundle.js{version}" defer></script>\n'
        f"{dev_script_tag(settings)}"
        '</head>\n<body>\n<div id="raccoon"></div>\n'
        "<noscript>This application needs JavaScript.</noscript>\n</body>\n</html>\n"
    )
    return web.Response(text=body, content_type="text/html", charset="utf-8")


async def _bundle(request: web.Request) -> web.StreamResponse:
    settings = request.app[SERVICE_KEY].settings
    name = request.match_info["name"]
    if settings.bundle_path is None:
        raise ApiError(
            404,
            "no_bundle",
            "no client bundle is configured: build it and set bundle_path "
            "(RACCOON_BUNDLE_PATH) to the bundle.js file",
        )
    bundle = Path(settings.bundle_path)
    path = bundle if name == "bundle.js" else bundle.with_name(bundle.name + ".map")
    if not path.is_file():
        raise ApiError(404, "no_bundle", f"the client bundle {path} does not exist: build it first")
    content_type = "application/javascript" if name == "bundle.js" else "application/json"
    compressed = path.with_name(path.name + ".gz")
    if compressed.is_file() and compressed.stat().st_mtime_ns < path.stat().st_mtime_ns:
        # A .gz older than the bundle belongs to an earlier build: never serve
        # it (FileResponse would, to browsers that accept gzip).
        return web.Response(body=path.read_bytes(), headers={"Content-Type": content_type})
    return web.FileResponse(path, headers={"Content-Type": content_type})


async def _login(request: web.Request) -> web.Response:
    service = request.app[SERVICE_KEY]
    data = await _json_body(
        request,
        {
            "username": (str, True, 150),
            "password": (str, True, MAX_PASSWORD_LENGTH),
            "language": (str, False, 35),
        },
    )
    language = normalize_language(data["language"]) if data["language"] else None
    if data["language"] and language is None:
        raise ApiError(
            400, "invalid_request", "the field 'language' must look like 'it-CH'", "language"
        )
    language = language or parse_accept_language(request.headers.get("Accept-Language"))
    browser_key = _browser_key(request) or new_browser_key()
    grant = await service.auth.login(
        data["username"],
        data["password"],
        browser_key=browser_key,
        language=language,
        client=_client_address(request),
    )
    response = web.json_response(grant.to_wire(service.settings))
    _set_browser_cookie(response, service, browser_key)
    return response


async def _refresh(request: web.Request) -> web.Response:
    service = request.app[SERVICE_KEY]
    data = await _json_body(request, {"session": (str, True, 64)})
    grant = await service.auth.refresh(data["session"], _browser_key(request))
    return web.json_response(grant.to_wire(service.settings))


async def _logout(request: web.Request) -> web.Response:
    service = request.app[SERVICE_KEY]
    data = await _json_body(request, {"session": (str, True, 64)})
    session = await service.auth.logout(data["session"], _browser_key(request))
    await service.sessions.end(session.sid, "logout")
    return web.json_response({"ok": True, "session": session.sid})


async def _health(request: web.Request) -> web.Response:
    report = await request.app[SERVICE_KEY].health()
    return web.json_response(report, status=200 if report["status"] == "ok" else 503)


async def _metrics(request: web.Request) -> web.Response:
    service = request.app[SERVICE_KEY]
    if not service.settings.metrics_public and "X-Forwarded-For" in request.headers:
        # Through the public port: hidden unless metrics_public.
        raise web.HTTPNotFound()
    return web.Response(
        body=service.metrics.render(), headers={"Content-Type": service.metrics.content_type}
    )


def create_app(service: Service) -> web.Application:
    """The aiohttp application of *service* (its settings, auth, sessions, metrics)."""
    app = web.Application(
        client_max_size=service.settings.max_request_size,
        middlewares=[_security_headers(service), _errors, _origin_check],
    )
    app[SERVICE_KEY] = service
    app.router.add_get("/", _page)
    app.router.add_get("/static/{name:bundle\\.js(\\.map)?}", _bundle)
    app.router.add_post("/api/login", _login)
    app.router.add_post("/api/token", _refresh)
    app.router.add_post("/api/logout", _logout)
    app.router.add_get("/health", _health)
    app.router.add_get("/metrics", _metrics)
    add_icon_routes(app)  # /favicon.ico: else a 404 on every page load
    if service.settings.dev_reload:
        add_dev_routes(app, service.settings)
    return app
