"""The Crossbar router that Raccoon runs as a child process.

:class:`RouterSettings` describe the router, :func:`build_config` turns them
into a Crossbar configuration (version 2), and :class:`Router` runs
``crossbar start`` on it and knows when the realm is really joinable::

    router = Router(RouterSettings(realm="app"), workdir=tmp_path)
    async with router:
        ...  # connect to router.url, join router.realm

The web service (:class:`raccoon.service.Service`) adds ticket authentication
by a ``function`` authenticator on the public websocket
(:class:`FunctionAuthenticator`), a reverse proxy of ``/`` to its HTTP
server (``web_proxy``) and a private transport for backends
(:class:`BackendTransport`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from raccoon._process import ChildProcess, pick_free_port
from raccoon._server import ManagedServer, NotReady
from raccoon.service._errors import RouterError
from raccoon.service._probe import JoinRefused, join_realm

__all__ = [
    "BACKEND_MAX_MESSAGE_SIZE",
    "BROWSER_MAX_MESSAGE_SIZE",
    "BackendTransport",
    "FunctionAuthenticator",
    "Permission",
    "Role",
    "Router",
    "RouterSettings",
    "TicketPrincipal",
    "build_config",
    "find_crossbar",
]

LogLevel = Literal["none", "critical", "error", "warn", "info", "debug", "trace"]
_LOG_LEVELS = ("none", "critical", "error", "warn", "info", "debug", "trace")
# No "ubjson": it is backed by bjdata, whose C extension misbehaves under
# NumPy 2 (docs/dependencies.md).
_SERIALIZERS = ("cbor", "msgpack", "json")

#: The largest message (bytes) the router takes from a backend: the private
#: backend transport, and a bare router's websocket, which backends share.
#: Results of whole windows of rows travel this way. raccoon.node's
#: Connection refuses to send more (DEFAULT_MAX_MESSAGE_SIZE, the same
#: number) rather than have the router close the backend's connection.
BACKEND_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
#: The largest message (bytes) a browser may send: the default of a
#: service's ``max_message_size`` setting, which configures its public
#: websocket. A browser sends calls and events, never bulk data; Crossbar
#: closes the websocket of one that sends more (docs/security.md).
BROWSER_MAX_MESSAGE_SIZE = 1024 * 1024


@dataclass(frozen=True)
class Permission:
    """Static permissions of a role on the URIs matching *uri*.

    The default grants everything on every URI (``uri=""``, prefix match).
    """

    uri: str = ""
    match: Literal["exact", "prefix", "wildcard"] = "prefix"
    call: bool = True
    register: bool = True
    publish: bool = True
    subscribe: bool = True
    disclose_caller: bool = True
    disclose_publisher: bool = True
    cache: bool = True

    def to_config(self) -> dict[str, Any]:
        """This permission as a Crossbar ``permissions`` item."""
        return {
            "uri": self.uri,
            "match": self.match,
            "allow": {
                "call": self.call,
                "register": self.register,
                "publish": self.publish,
                "subscribe": self.subscribe,
            },
            "disclose": {"caller": self.disclose_caller, "publisher": self.disclose_publisher},
            "cache": self.cache,
        }


@dataclass(frozen=True)
class Role:
    """A realm role: static *permissions*, or an *authorizer* procedure URI."""

    name: str
    permissions: tuple[Permission, ...] = ()
    authorizer: str | None = None

    def __post_init__(self) -> None:
        if bool(self.permissions) == (self.authorizer is not None):
            raise ValueError(
                f"role {self.name!r} needs either static permissions or an authorizer "
                "procedure, not both and not neither"
            )

    @classmethod
    def full_access(cls, name: str) -> Role:
        """A role allowed every action on every URI of the realm."""
        return cls(name, permissions=(Permission(),))

    def to_config(self) -> dict[str, Any]:
        """This role as a Crossbar ``roles`` item."""
        if self.authorizer is not None:
            return {"name": self.name, "authorizer": self.authorizer}
        return {"name": self.name, "permissions": [p.to_config() for p in self.permissions]}


def _default_roles() -> tuple[Role, ...]:
    return (Role.full_access("backend"),)


# Crossbar reads "${NAME}" in a static ticket from its environment.
_ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass(frozen=True)
class FunctionAuthenticator:
    """WAMP-ticket authentication by a Python function loaded in the router worker.

    *create* is the dotted name of ``create(config, controller)``, which
    returns ``authenticate(realm, authid, details)``; *config* is passed to
    it as is (plain JSON). The function runs under Twisted inside Crossbar:
    it must not block, and its module must not import asyncio-flavoured
    autobahn (see :mod:`raccoon._authenticator`, the one the service uses).
    """

    create: str
    config: Mapping[str, object] = field(default_factory=dict)
    #: Crossbar passes its router worker to *create* (raccoon's authenticator
    #: embeds a session there to learn about revoked logins).
    expose_controller: bool = False

    def __post_init__(self) -> None:
        module, _, name = self.create.rpartition(".")
        if not module or not name:
            raise ValueError(
                f"FunctionAuthenticator.create must be 'package.module.function', "
                f"got {self.create!r}"
            )

    def to_config(self) -> dict[str, Any]:
        """This authenticator as a Crossbar ``auth.ticket`` item."""
        config: dict[str, Any] = {
            "type": "function",
            "create": self.create,
            "config": dict(self.config),
        }
        if self.expose_controller:
            config["expose_controller"] = True
        return config


@dataclass(frozen=True)
class TicketPrincipal:
    """A static WAMP-ticket principal: *authid* joins with *ticket* as *role*.

    Write the ticket as ``"${NAME}"`` to have Crossbar read it from its
    environment (:attr:`RouterSettings.environment`), so the secret never
    reaches the config file.
    """

    authid: str
    ticket: str = field(repr=False)
    role: str

    def resolve_ticket(self, environment: Mapping[str, str]) -> str:
        """The ticket itself, looking ``"${NAME}"`` up in *environment*, then ``os.environ``."""
        match = _ENV_REFERENCE.match(self.ticket)
        if match is None:
            return self.ticket
        name = match.group(1)
        value = environment.get(name, os.environ.get(name))
        if value is None:
            raise ValueError(
                f"the ticket of principal {self.authid!r} names the environment variable "
                f"{name!r}, which is not set"
            )
        return value


@dataclass(frozen=True)
class BackendTransport:
    """A second, private transport for backends (the service's own session).

    It listens on *host* (loopback by default: browsers never reach it) at
    *port* (``None``: a free one) and admits the static ticket *principals*
    (and anonymous joins as *anonymous_role* when set — only for
    development). With *rawsocket* it also takes WAMP-over-RawSocket.
    """

    port: int | None = None
    host: str = "127.0.0.1"
    path: str = "ws"
    principals: tuple[TicketPrincipal, ...] = ()
    anonymous_role: str | None = None
    rawsocket: bool = False

    @property
    def url(self) -> str:
        """The websocket URL backends connect to (needs a concrete port)."""
        return f"ws://{self.host}:{self.port}/{self.path}"


@dataclass(frozen=True)
class RouterSettings:
    """What the router serves and how.

    *port* ``None`` lets :class:`Router` pick a free port once; the router
    keeps it across restarts. Intervals are in seconds. Anonymous joins on
    the websocket get *anonymous_role* (``None`` disables anonymous auth).
    With *rawsocket* the port also accepts WAMP-over-RawSocket (a Crossbar
    "universal" transport), which is cheaper for backends.

    *ticket* adds WAMP-ticket authentication by a function authenticator on
    the public websocket; *web_proxy* (``http://host:port``) makes the public
    port reverse-proxy every other path to that HTTP server (the websocket
    stays at ``/<path>``), refusing request bodies over *web_proxy_max_body*
    bytes while they arrive (:mod:`raccoon._webproxy`); *backend* adds a
    private transport. *environment* is added to Crossbar's environment
    (secrets the config refers to); it is left out of ``repr`` and comparisons.
    """

    realm: str = "raccoon"
    host: str = "127.0.0.1"
    port: int | None = None
    path: str = "ws"
    # Crossbar's own default is every origin; say it explicitly so that
    # production settings have something visible to tighten.
    allowed_origins: tuple[str, ...] = ("*",)
    auto_ping_interval: float | None = 10.0
    auto_ping_timeout: float | None = 5.0
    # A bare router's websocket carries backends too; a service sets its
    # public websocket to the browser limit (Settings.max_message_size).
    max_message_size: int = BACKEND_MAX_MESSAGE_SIZE
    roles: tuple[Role, ...] = field(default_factory=_default_roles)
    anonymous_role: str | None = "backend"
    rawsocket: bool = False
    loglevel: LogLevel = "info"
    # The crossbar executable; None finds it next to the Python interpreter,
    # then on PATH (find_crossbar()).
    executable: str | None = None
    ticket: FunctionAuthenticator | None = None
    web_proxy: str | None = None
    web_proxy_max_body: int = 64 * 1024
    backend: BackendTransport | None = None
    environment: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.loglevel not in _LOG_LEVELS:
            raise ValueError(f"loglevel {self.loglevel!r} is not one of {', '.join(_LOG_LEVELS)}")
        if self.port is not None and not 0 < self.port < 65536:
            raise ValueError(f"port {self.port} is not a TCP port (1-65535), or None to pick one")
        if not self.path or "/" in self.path:
            raise ValueError(f"websocket path {self.path!r} must be one non-empty path segment")
        names = [role.name for role in self.roles]
        if len(set(names)) != len(names):
            raise ValueError(f"role names must be unique, got {names}")
        if self.anonymous_role is not None and self.anonymous_role not in names:
            raise ValueError(
                f"anonymous_role {self.anonymous_role!r} is not among the roles {names}; "
                "add that role or set anonymous_role=None"
            )
        if self.rawsocket and not 512 <= self.max_message_size <= BACKEND_MAX_MESSAGE_SIZE:
            raise ValueError("with rawsocket, max_message_size must be within 512 B .. 16 MiB")
        self._check_auth(names)

    def _check_auth(self, names: list[str]) -> None:
        if self.ticket is not None:
            role = self.ticket.config.get("role")
            if isinstance(role, str) and role not in names:
                raise ValueError(
                    f"the ticket authenticator assigns role {role!r}, which is not among the "
                    f"roles {names}"
                )
        if self.web_proxy is not None and not re.fullmatch(
            r"http://[^/:]+:\d{1,5}/?", self.web_proxy
        ):
            raise ValueError(
                f"web_proxy must be http://host:port (the HTTP server to forward to), "
                f"got {self.web_proxy!r}"
            )
        backend = self.backend
        if backend is None:
            return
        if backend.port is not None and backend.port == self.port:
            raise ValueError(f"the backend transport needs its own port, not {self.port}")
        for role in [p.role for p in backend.principals] + [backend.anonymous_role]:
            if role is not None and role not in names:
                raise ValueError(
                    f"the backend transport admits role {role!r}, which is not among the "
                    f"roles {names}"
                )
        if not backend.principals and backend.anonymous_role is None:
            raise ValueError(
                "the backend transport admits nobody: give it principals (or an anonymous_role)"
            )

    def probe(self) -> tuple[str, str | None, str | None]:
        """``(url, authid, ticket)`` with which the readiness check joins.

        The backend transport's first principal when there is one (the
        public websocket may admit tokens only), else the public websocket,
        anonymously.
        """
        backend = self.backend
        if backend is not None and backend.port is not None:
            if backend.principals:
                principal = backend.principals[0]
                return backend.url, principal.authid, principal.resolve_ticket(self.environment)
            return backend.url, None, None
        return self.url, None, None

    @property
    def url(self) -> str:
        """The websocket URL clients connect to (needs a concrete port)."""
        return f"ws://{self.host}:{self.port}/{self.path}"


def _websocket_config(settings: RouterSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "enable_webstatus": False,
        "allowed_origins": list(settings.allowed_origins),
        "max_message_size": settings.max_message_size,
    }
    if settings.auto_ping_interval is not None:
        options["auto_ping_interval"] = round(settings.auto_ping_interval * 1000)
    if settings.auto_ping_timeout is not None:
        options["auto_ping_timeout"] = round(settings.auto_ping_timeout * 1000)
    config: dict[str, Any] = {
        "type": "websocket",
        "serializers": list(_SERIALIZERS),
        "options": options,
    }
    auth = _auth_config(settings)
    if auth:
        config["auth"] = auth
    return config


def _auth_config(settings: RouterSettings) -> dict[str, Any]:
    """The ``auth`` block shared by every transport (ticket auth goes here)."""
    auth: dict[str, Any] = {}
    if settings.anonymous_role is not None:
        auth["anonymous"] = {"type": "static", "role": settings.anonymous_role}
    if settings.ticket is not None:
        auth["ticket"] = settings.ticket.to_config()
    return auth


def _web_proxy_config(url: str, max_body: int) -> dict[str, Any]:
    # Our own resource, not Crossbar's "reverseproxy": that one reads a whole
    # body into memory before any limit applies, and breaks chunked bodies.
    return {
        "type": "resource",
        "classname": "raccoon._webproxy.ApiProxy",
        "extra": {"upstream": url.rstrip("/"), "max_body": max_body},
    }


def _backend_transport_config(
    backend: BackendTransport, settings: RouterSettings
) -> dict[str, Any]:
    auth: dict[str, Any] = {}
    if backend.principals:
        auth["ticket"] = {
            "type": "static",
            "principals": {
                p.authid: {"ticket": p.ticket, "role": p.role} for p in backend.principals
            },
        }
    if backend.anonymous_role is not None:
        auth["anonymous"] = {"type": "static", "role": backend.anonymous_role}
    websocket = {
        "type": "websocket",
        "serializers": list(_SERIALIZERS),
        "options": {
            "enable_webstatus": False,
            "max_message_size": BACKEND_MAX_MESSAGE_SIZE,
            # Backends are no browsers; an Origin header, if any, must be ours.
            "allowed_origins": list(settings.allowed_origins),
        },
        "auth": auth,
    }
    endpoint = {"type": "tcp", "interface": backend.host, "port": backend.port}
    paths = {backend.path: websocket}
    if not backend.rawsocket:
        return {"type": "web", "endpoint": endpoint, "paths": paths}
    return {
        "type": "universal",
        "endpoint": endpoint,
        "rawsocket": {
            "serializers": list(_SERIALIZERS),
            "options": {"max_message_size": BACKEND_MAX_MESSAGE_SIZE},
            "auth": auth,
        },
        "web": {"paths": paths},
    }


#: A web path that exists to have Crossbar load :mod:`raccoon._router_worker` into
#: the router worker as it starts (it answers 404): that module undoes what
#: would let one websocket message crash or wedge the worker.
GUARD_PATH = "raccoon-guard"
_GUARD = {"type": "resource", "classname": "raccoon._router_worker.GuardResource"}


def _transport_config(settings: RouterSettings) -> dict[str, Any]:
    endpoint = {"type": "tcp", "interface": settings.host, "port": settings.port}
    paths = {settings.path: _websocket_config(settings), GUARD_PATH: _GUARD}
    if settings.web_proxy is not None:
        # "/" forwards everything else; Crossbar looks its named children
        # (the websocket path) up first, so "/ws" is not swallowed.
        paths["/"] = _web_proxy_config(settings.web_proxy, settings.web_proxy_max_body)
    if not settings.rawsocket:
        return {"type": "web", "endpoint": endpoint, "paths": paths}
    rawsocket: dict[str, Any] = {
        "serializers": list(_SERIALIZERS),
        "options": {"max_message_size": settings.max_message_size},
    }
    auth = _auth_config(settings)
    if auth:
        rawsocket["auth"] = auth
    return {
        "type": "universal",
        "endpoint": endpoint,
        "rawsocket": rawsocket,
        "web": {"paths": paths},
    }


def _transports_config(settings: RouterSettings) -> list[dict[str, Any]]:
    transports = [_transport_config(settings)]
    if settings.backend is not None:
        if settings.backend.port is None:
            raise ValueError(
                "build_config() needs a concrete backend port; Router picks a free one, or "
                "set BackendTransport.port"
            )
        transports.append(_backend_transport_config(settings.backend, settings))
    return transports


def build_config(settings: RouterSettings) -> dict[str, Any]:
    """The Crossbar node configuration (version 2) for *settings*.

    One router worker, one realm, one transport on ``settings.port`` (which
    must be set). The result is plain JSON data: callers may adjust it
    before writing it (or extend the helpers this function is made of).
    """
    if settings.port is None:
        raise ValueError(
            "build_config() needs a concrete port; Router picks a free one, or pass "
            "dataclasses.replace(settings, port=...)"
        )
    return {
        "version": 2,
        "controller": {},
        "workers": [
            {
                "type": "router",
                "realms": [
                    {
                        "name": settings.realm,
                        "roles": [role.to_config() for role in settings.roles],
                    }
                ],
                "transports": _transports_config(settings),
            }
        ],
    }


def find_crossbar(executable: str | None = None) -> Path:
    """Locate the ``crossbar`` executable, or raise :class:`RouterError`.

    An explicit *executable* (a path or a name on ``PATH``) wins; otherwise
    the one installed next to the running interpreter (the same virtualenv),
    then ``PATH``.
    """
    if executable is not None:
        found = shutil.which(executable)
        if found is None:
            raise RouterError(
                f"the crossbar executable {executable!r} does not exist or is not "
                "executable; fix RouterSettings.executable or leave it None to use the "
                "one installed with raccoon[router]"
            )
        return Path(found)
    # Not resolved: the venv's bin/python is usually a symlink out of the venv.
    beside = Path(sys.executable).parent / "crossbar"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("crossbar")
    if found is None:
        raise RouterError(
            f"no crossbar executable next to {sys.executable} nor on PATH; install the "
            "router extra into this environment: pip install 'raccoon[router]'"
        )
    return Path(found)


_JOIN_ATTEMPT_TIMEOUT = 5.0  # seconds; a booting router refuses at once


class Router(ManagedServer):
    """A Crossbar router run as our child process, in the cbdir *workdir*.

    :meth:`start` writes ``config.json``, runs ``crossbar start`` and returns
    once a WAMP session could join the realm; :meth:`stop` ends it by pid
    (SIGTERM, then SIGKILL). The port is fixed at construction, so a
    restarted router keeps its :attr:`url`. The router gets SIGTERM if our
    process dies. Use it as ``async with Router(...)``, or from synchronous
    code with :meth:`start_blocking` and :meth:`stop_blocking`. Not
    thread-safe.
    """

    server_name = "crossbar"
    error_type = RouterError
    stop_signal = signal.SIGTERM  # the controller stops its workers in order

    def __init__(self, settings: RouterSettings, workdir: str | os.PathLike[str]) -> None:
        super().__init__()
        if settings.port is None:
            settings = dataclasses.replace(settings, port=pick_free_port(settings.host))
        backend = settings.backend
        if backend is not None and backend.port is None:
            backend = dataclasses.replace(backend, port=pick_free_port(backend.host))
            settings = dataclasses.replace(settings, backend=backend)
        self.settings = settings
        self.workdir = Path(workdir)

    def __repr__(self) -> str:
        return f"<Router {self.url} realm={self.realm!r} {self.state.value} pid={self.pid}>"

    @property
    def url(self) -> str:
        """The websocket URL, ``ws://host:port/path``."""
        return self.settings.url

    @property
    def realm(self) -> str:
        return self.settings.realm

    @property
    def backend_url(self) -> str | None:
        """The private backend transport's websocket URL, if there is one."""
        backend = self.settings.backend
        return backend.url if backend is not None else None

    @property
    def port(self) -> int:
        port = self.settings.port
        if port is None:  # pragma: no cover - __init__ sets it
            raise RuntimeError("the router has no port")
        return port

    @property
    def config_path(self) -> Path:
        return self.workdir / "config.json"

    @property
    def log_path(self) -> Path:
        """Where crossbar's output goes (appended across restarts)."""
        return self.workdir / "crossbar.log"

    def _describe(self) -> str:
        return f"crossbar at {self.url} (cbdir {self.workdir})"

    def _start_hint(self) -> str:
        return f"most likely the configuration is invalid or port {self.port} is taken"

    async def _prepare(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(build_config(self.settings), indent=2)
        # Owner-only: the config may hold tickets (unless they come from the
        # environment) and says where the private transport listens.
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(text)
        os.chmod(self.config_path, 0o600)

    def _child(self) -> ChildProcess:
        executable = find_crossbar(self.settings.executable)
        argv: list[str | os.PathLike[str]] = [executable, "start", "--cbdir", self.workdir]
        argv += ["--loglevel", self.settings.loglevel]
        return ChildProcess(
            argv,
            log_path=self.log_path,
            death_signal=self.stop_signal,
            cwd=self.workdir,
            env=dict(os.environ, **self.settings.environment, PYTHONUNBUFFERED="1"),
        )

    async def _attempt_ready(self, within: float) -> None:
        url, authid, ticket = self.settings.probe()
        try:
            authextra = await join_realm(
                url, self.realm, min(within, _JOIN_ATTEMPT_TIMEOUT), authid=authid, ticket=ticket
            )
        except (OSError, TimeoutError, JoinRefused) as exc:
            raise NotReady(
                f"WAMP join on realm {self.realm!r}: {type(exc).__name__}: {exc}"
            ) from None
        self._check_is_ours(authextra)

    def _check_is_ours(self, authextra: dict[str, Any]) -> None:
        """Make sure the router that welcomed us is our child's worker.

        Otherwise another router already listening on the port answered,
        and ours is about to fail with "address in use".
        """
        worker_pid = authextra.get("x_cb_pid")
        controller_pid = self.pid
        if not isinstance(worker_pid, int) or controller_pid is None:
            return
        if controller_pid in (worker_pid, *_ancestors(worker_pid)):
            return
        raise RouterError(
            f"port {self.port} is served by another Crossbar (worker pid {worker_pid}), "
            f"not by ours (pid {controller_pid}); stop that router or use another port"
        )


def _ancestors(pid: int) -> Sequence[int]:
    """The parent pids of *pid* up to init, from /proc (empty where unavailable)."""
    chain: list[int] = []
    while pid > 1 and len(chain) < 64:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        # The command name may contain spaces and parentheses; ppid follows the last ')'.
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        chain.append(pid)
    return chain
