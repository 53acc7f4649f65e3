"""The service settings: one TOML file, overridden by ``RACCOON_*`` environment variables.

::

    settings = Settings.load("raccoon.toml")          # file + environment
    settings = Settings(secret="...", port=8080)       # in code (tests)

Every field is documented in ``docs/settings.md``. The environment
variable of a field is ``RACCOON_`` + its name in upper case
(``RACCOON_PORT=8080``); lists are comma-separated, booleans
``true/false/1/0/yes/no/on/off``. Unknown keys in the file are an error
(a typo must not silently keep a default); unknown ``RACCOON_*``
variables are ignored (other tools use the prefix too).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from raccoon._tokens import derive_key

__all__ = ["ENV_PREFIX", "Settings"]

#: Environment variables named ``ENV_PREFIX + FIELD`` override the file.
ENV_PREFIX = "RACCOON_"

_PATH_FRAGMENT = re.compile(r"[A-Za-z0-9_]+\Z")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(_[A-Za-z0-9]{1,8})*\Z")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to run (see ``docs/settings.md``)."""

    # -- where it listens -----------------------------------------------------------
    #: The WAMP realm browsers and backends join.
    realm: str = "raccoon"
    #: The interface of the one public port (Crossbar's web transport).
    host: str = "127.0.0.1"
    #: The public port: the page, the API and the websocket (0: a free one).
    port: int = 8080
    #: The origin browsers see (``https://app.example.com``) when a proxy or
    #: TLS terminator sits in front; default ``http://host:port``.
    public_url: str | None = None
    #: Origins allowed to open the websocket and POST to the API; default:
    #: the public origin only.
    allowed_origins: tuple[str, ...] = ()
    #: The private HTTP port of the service (aiohttp), on 127.0.0.1 (0: a free one).
    http_port: int = 0
    #: The private WAMP transport of the backend, on 127.0.0.1 (0: a free one).
    backend_port: int = 0

    # -- secrets and lifetimes --------------------------------------------------------
    #: Signs join tokens (at least 32 characters). Unset: a random one per
    #: start, so tokens do not survive a restart (development only).
    secret: str | None = field(default=None, repr=False)
    #: Seconds a join token is valid (refresh with ``POST /api/token``).
    token_ttl: float = 60.0
    #: Seconds a login lasts before the user must log in again.
    session_max_age: float = 12 * 3600.0
    #: Seconds a browser session's tree survives a disconnection.
    grace_period: float = 30.0

    # -- login ------------------------------------------------------------------------
    #: Failed logins allowed per username in the window.
    login_max_failures: int = 5
    #: Failed logins allowed per client address in the window (higher: many
    #: users may share an address behind a NAT).
    login_max_failures_per_client: int = 50
    #: The window of ``login_max_failures``, in seconds.
    login_window: float = 300.0
    #: Argon2id cost: iterations, memory in KiB, lanes (argon2-cffi's RFC 9106
    #: low-memory profile by default).
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4

    # -- limits -----------------------------------------------------------------------
    #: The largest HTTP request body accepted, in bytes.
    max_request_size: int = 64 * 1024
    #: The largest WAMP message a browser may send, in bytes.
    max_message_size: int = 1024 * 1024

    # -- the session tree -------------------------------------------------------------
    #: Browser sessions live at ``<session_root>.<session id>``.
    session_root: str = "raccoon.session"
    #: Procedures every browser may call: exact URIs, or prefixes ending with '.'.
    public_procedures: tuple[str, ...] = ("raccoon.public.",)
    #: The language when neither the user nor the browser names one.
    default_language: str = "en"

    # -- the rest ---------------------------------------------------------------------
    #: PostgreSQL URL; unset: an embedded server in ``workdir``.
    database_url: str | None = field(default=None, repr=False)
    #: Apply the framework migrations at start.
    migrate: bool = True
    #: The client bundle served at ``/static/bundle.js``.
    bundle_path: str | None = None
    #: The page title.
    title: str = "Raccoon"
    #: Directory for the router (and embedded database); unset: a temporary one.
    workdir: str | None = None
    #: The crossbar executable; unset: the one installed with Raccoon.
    crossbar: str | None = None
    #: Crossbar's log level. Above "info" on purpose: at "info" its reverse
    #: proxy logs every request's headers, cookies included.
    router_loglevel: str = "warn"
    #: Mark the browser cookie ``Secure``; unset: when ``public_url`` is https.
    cookie_secure: bool | None = None
    #: Serve ``/metrics`` through the public port too (default: only on the
    #: private HTTP port, for a scraper on the host).
    metrics_public: bool = False
    #: The embedded PostgreSQL's data directory; unset: ``workdir/postgres``.
    database_dir: str | None = None
    #: Development: the page follows the bundle and reloads when it changes
    #: (``raccoon dev`` turns it on; ``/static/dev.js``, ``/dev/build``).
    dev_reload: bool = False

    # -- logs -------------------------------------------------------------------------
    #: The level of Raccoon's own log: debug, info, warning, error.
    log_level: str = "info"
    #: ``text`` (one readable line per record, extras as ``key=value``) or
    #: ``json`` (one JSON object per line).
    log_format: str = "text"

    # -- an external router (several service processes) --------------------------------
    #: The backend transport of a router run by someone else
    #: (``ws://crossbar:8081/ws``); unset: the service runs its own Crossbar.
    router_url: str | None = None
    #: The ticket the service's backend session joins that router with.
    backend_ticket: str | None = field(default=None, repr=False)
    #: The interface of the private HTTP port: ``0.0.0.0`` when the router
    #: runs on another host (a container) and proxies to it.
    http_host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        _check(self)

    # -- derived values --------------------------------------------------------------
    @property
    def origin(self) -> str:
        """The public origin, ``scheme://host:port``."""
        if self.public_url:
            parts = urlsplit(self.public_url)
            return f"{parts.scheme}://{parts.netloc}"
        return f"http://{self.host}:{self.port}"

    @property
    def websocket_url(self) -> str:
        """The websocket URL browsers join at."""
        origin = self.origin
        scheme = "wss" if origin.startswith("https:") else "ws"
        return f"{scheme}{origin[origin.index(':') :]}/ws"

    @property
    def origins(self) -> tuple[str, ...]:
        """The allowed origins (the public one by default)."""
        return self.allowed_origins or (self.origin,)

    @property
    def secure_cookie(self) -> bool:
        """Whether the browser cookie is marked ``Secure``."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.origin.startswith("https:")

    def token_key(self) -> bytes:
        """The key join tokens are signed with (derived from :attr:`secret`)."""
        if self.secret is None:
            raise ValueError("no secret: set RACCOON_SECRET (or 'secret' in the settings file)")
        return derive_key(self.secret)

    # -- loading ---------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> Self:
        """Settings from *defaults* (an application's), then the TOML file
        *path* (optional), then the environment, then *overrides* (keyword
        arguments, for code and tests).

        Raises :class:`ValueError` naming the file, key and problem.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, value in (defaults or {}).items():
            if name not in _FIELDS:
                raise ValueError(
                    f"unknown default setting {name!r}; the settings are: "
                    f"{', '.join(sorted(_FIELDS))}"
                )
            values[name] = _coerce(name, value, "default settings")
        if path is not None:
            values.update(_from_toml(Path(path)))
        values.update(_from_env(env))
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with *changes* (checked like a new instance)."""
        return dataclasses.replace(self, **changes)


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_HINTS = typing.get_type_hints(Settings)


def _kind(name: str) -> tuple[type, bool]:
    """``(scalar type, optional)`` of field *name*."""
    hint = _HINTS[name]
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = True
        hint = args[0]
    origin = typing.get_origin(hint)
    return (tuple if origin is tuple else hint), optional


def _coerce(name: str, value: Any, where: str) -> Any:
    kind, optional = _kind(name)
    if value is None and optional:
        return None
    if kind is tuple:
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ValueError(f"{where}: {name!r} must be a list of strings, got {value!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is bool and not isinstance(value, bool):
        raise ValueError(f"{where}: {name!r} must be true or false, got {value!r}")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}: {name!r} must be {kind.__name__}, got {value!r}")
    return value


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"the settings file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read the settings file {path}: {exc}") from None
    # Either top-level keys, or everything under a [raccoon] table.
    if set(data) == {"raccoon"} and isinstance(data["raccoon"], dict):
        data = data["raccoon"]
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise ValueError(
            f"{path}: unknown settings {unknown}; the settings are: {', '.join(sorted(_FIELDS))}"
        )
    return {name: _coerce(name, value, str(path)) for name, value in data.items()}


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _FIELDS:
        variable = ENV_PREFIX + name.upper()
        if variable not in env:
            continue
        text = env[variable].strip()
        kind, optional = _kind(name)
        where = f"environment variable {variable}"
        if optional and text == "":
            values[name] = None
        elif kind is tuple:
            values[name] = tuple(part.strip() for part in text.split(",") if part.strip())
        elif kind is bool:
            if text.lower() not in _TRUE | _FALSE:
                raise ValueError(f"{where} must be true or false, got {text!r}")
            values[name] = text.lower() in _TRUE
        elif kind in (int, float):
            try:
                values[name] = kind(text)
            except ValueError:
                raise ValueError(f"{where} must be a number, got {text!r}") from None
        else:
            values[name] = text
    return values


def _check(s: Settings) -> None:
    for name in _FIELDS:
        _coerce(name, getattr(s, name), "settings")
    for name in ("port", "http_port", "backend_port"):
        port = getattr(s, name)
        if not 0 <= port < 65536:
            raise ValueError(f"settings: {name} {port} is not a TCP port (0 picks a free one)")
    for name in ("token_ttl", "session_max_age", "login_window"):
        if getattr(s, name) <= 0:
            raise ValueError(f"settings: {name} must be positive, got {getattr(s, name)}")
    if s.grace_period < 0:
        raise ValueError(f"settings: grace_period must be >= 0, got {s.grace_period}")
    if s.login_max_failures < 1 or s.login_max_failures_per_client < 1:
        raise ValueError("settings: login_max_failures(_per_client) must be at least 1")
    if s.argon2_time_cost < 1 or s.argon2_parallelism < 1 or s.argon2_memory_cost < 8:
        raise ValueError("settings: argon2 costs must be positive (memory at least 8 KiB)")
    if s.max_request_size < 1024 or s.max_message_size < 1024:
        raise ValueError("settings: max_request_size and max_message_size are at least 1024")
    if s.secret is not None:
        derive_key(s.secret)  # says what is wrong with it
    if s.public_url is not None:
        parts = urlsplit(s.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"settings: public_url must be http(s)://host[:port], got {s.public_url!r}"
            )
    for origin in s.allowed_origins:
        if not re.fullmatch(r"https?://[^/\s]+", origin):
            raise ValueError(
                f"settings: allowed origin {origin!r} must be scheme://host[:port], no path"
            )
    root = s.session_root.split(".")
    if not all(_PATH_FRAGMENT.match(part) for part in root):
        raise ValueError(f"settings: session_root {s.session_root!r} must be dotted identifiers")
    if root[0] == "wamp":
        raise ValueError("settings: session_root cannot be under 'wamp' (the router's meta API)")
    for public in s.public_procedures:
        stem = public.rstrip(".")
        if not stem or not all(_PATH_FRAGMENT.match(p) for p in stem.split(".")):
            raise ValueError(f"settings: public procedure {public!r} must be a dotted URI")
        if stem == "wamp" or stem.startswith("wamp."):
            raise ValueError(f"settings: public procedure {public!r} is in the router's meta API")
        if _overlaps(stem, s.session_root):
            raise ValueError(
                f"settings: public procedure {public!r} overlaps the session root "
                f"{s.session_root!r}: browsers could reach each other's sessions"
            )
    if not _LANGUAGE.match(s.default_language):
        raise ValueError(
            f"settings: default_language {s.default_language!r} must look like 'en' or 'it_CH'"
        )
    if s.router_loglevel not in ("none", "critical", "error", "warn", "info", "debug", "trace"):
        raise ValueError(f"settings: router_loglevel {s.router_loglevel!r} is not a log level")
    if s.log_level.lower() not in _LOG_LEVELS:
        raise ValueError(
            f"settings: log_level {s.log_level!r} is not one of {', '.join(_LOG_LEVELS)}"
        )
    if s.log_format not in ("text", "json"):
        raise ValueError(f"settings: log_format must be 'text' or 'json', got {s.log_format!r}")
    if s.router_url is not None:
        if not re.fullmatch(r"wss?://[^/\s]+/\S*", s.router_url):
            raise ValueError(
                f"settings: router_url must be ws://host:port/path, got {s.router_url!r}"
            )


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")
