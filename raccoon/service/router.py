"""The Crossbar router that Raccoon runs as a child process.

:class:`RouterSettings` describe the router, :func:`build_config` turns them
into a Crossbar configuration (version 2), and :class:`Router` runs
``crossbar start`` on it and knows when the realm is really joinable::

    router = Router(RouterSettings(realm="app"), workdir=tmp_path)
    async with router:
        ...  # connect to router.url, join router.realm
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from raccoon._process import ChildProcess, pick_free_port
from raccoon._server import ManagedServer, NotReady
from raccoon.service._errors import RouterError
from raccoon.service._probe import JoinRefused, join_realm

__all__ = [
    "Permission",
    "Role",
    "Router",
    "RouterSettings",
    "build_config",
    "find_crossbar",
]

LogLevel = Literal["none", "critical", "error", "warn", "info", "debug", "trace"]
_LOG_LEVELS = ("none", "critical", "error", "warn", "info", "debug", "trace")
# No "ubjson": it is backed by bjdata, whose C extension misbehaves under
# NumPy 2 (docs/dependencies.md).
_SERIALIZERS = ("cbor", "msgpack", "json")


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


@dataclass(frozen=True)
class RouterSettings:
    """What the router serves and how.

    *port* ``None`` lets :class:`Router` pick a free port once; the router
    keeps it across restarts. Intervals are in seconds. Anonymous joins on
    the websocket get *anonymous_role* (``None`` disables anonymous auth).
    With *rawsocket* the port also accepts WAMP-over-RawSocket (a Crossbar
    "universal" transport), which is cheaper for backends.
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
    max_message_size: int = 16 * 1024 * 1024
    roles: tuple[Role, ...] = field(default_factory=_default_roles)
    anonymous_role: str | None = "backend"
    rawsocket: bool = False
    loglevel: LogLevel = "info"
    # The crossbar executable; None finds it next to the Python interpreter,
    # then on PATH (find_crossbar()).
    executable: str | None = None

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
        if self.rawsocket and not 512 <= self.max_message_size <= 16 * 1024 * 1024:
            raise ValueError("with rawsocket, max_message_size must be within 512 B .. 16 MiB")

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
    return auth


def _transport_config(settings: RouterSettings) -> dict[str, Any]:
    endpoint = {"type": "tcp", "interface": settings.host, "port": settings.port}
    paths = {settings.path: _websocket_config(settings)}
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
                "transports": [_transport_config(settings)],
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
        self.config_path.write_text(json.dumps(build_config(self.settings), indent=2))

    def _child(self) -> ChildProcess:
        executable = find_crossbar(self.settings.executable)
        argv: list[str | os.PathLike[str]] = [executable, "start", "--cbdir", self.workdir]
        argv += ["--loglevel", self.settings.loglevel]
        return ChildProcess(
            argv,
            log_path=self.log_path,
            death_signal=self.stop_signal,
            cwd=self.workdir,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )

    async def _attempt_ready(self, within: float) -> None:
        try:
            authextra = await join_realm(self.url, self.realm, min(within, _JOIN_ATTEMPT_TIMEOUT))
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
