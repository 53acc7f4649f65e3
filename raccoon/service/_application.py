"""What an application is: :class:`Application`, and finding one on disk.

An application is a Python package (or a directory with an ``app.py``, or a
module) whose attribute ``application`` is an :class:`Application`: its
controllers, data sources, translations, migrations, client bundle, seed
and default settings, given explicitly::

    # demo/__init__.py
    from pathlib import Path
    from raccoon.service import Application

    HERE = Path(__file__).parent

    application = Application(
        "demo",
        controllers=[Desktop, Projects],
        sources=[projects, tasks],
        migrations=HERE / "migrations",
        seed=seed,
        settings={"title": "Demo"},
    )

``raccoon run demo`` (or ``raccoon run`` inside ``demo/``) loads it with
:func:`load_application`; ``application.service(settings)`` makes the
:class:`~raccoon.service.Service` that runs it.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from raccoon.context import Catalog, Controller, Registry
from raccoon.data import Catalog as SourceCatalog
from raccoon.data import Database, Source

from ._accounts import Accounts
from ._errors import ApplicationNotFound
from .settings import Settings

if TYPE_CHECKING:
    from ._service import Service

__all__ = [
    "APPLICATION_ATTRIBUTE",
    "SETTINGS_FILE",
    "Application",
    "SeedContext",
    "load_application",
]

#: The module attribute :func:`load_application` looks for.
APPLICATION_ATTRIBUTE = "application"
#: The settings file of an application, in its directory.
SETTINGS_FILE = "raccoon.toml"

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}\Z")


@dataclass
class SeedContext:
    """What an application's seed function gets: the database and the accounts.

    ``password`` is the password to give the users it creates: the one
    passed as ``raccoon run --password``, else a random one. Call
    :meth:`announce` for each user created, so that ``raccoon run`` prints
    how to log in.

    The seed runs in one transaction on one connection (``_seeding.py``): if
    it raises, nothing it wrote is kept and the next run seeds again. Its
    ``db.transaction()`` blocks are savepoints of that transaction; it must
    not run statements concurrently (``asyncio.gather``) on ``db``.
    """

    db: Database
    accounts: Accounts
    settings: Settings
    password: str = field(default_factory=lambda: secrets.token_urlsafe(9), repr=False)
    logins: list[tuple[str, str]] = field(default_factory=list, repr=False)

    def announce(self, username: str, password: str | None = None) -> None:
        """Say that *username* can log in with *password* (default :attr:`password`)."""
        self.logins.append((username, self.password if password is None else password))


Seed = Callable[[SeedContext], Awaitable[None]]


@dataclass(frozen=True)
class Application:
    """A Raccoon application: everything the service needs besides its settings.

    - *name*: a short identifier (``"demo"``), used in messages and state paths;
    - *controllers*: a :class:`~raccoon.context.Registry`, or the controller
      classes to put in a new one (the default desktop is added when none
      can ``VIEW`` a user);
    - *sources*: a :class:`raccoon.data.Catalog`, or the sources for one;
      with sources the service runs a change feed and every session's node
      context holds ``sources``, ``feed`` and ``db`` for cursors;
    - *catalog*: translations (:class:`raccoon.context.Catalog`);
    - *migrations*: the directory of the application's Alembic revisions,
      applied after the framework's;
    - *client*: the application's browser package (a directory with an
      ``__init__.py``, in Python): ``raccoon run`` and ``raccoon dev`` build
      it with the framework's client into a bundle when it changed;
    - *bundle*: an already built client bundle (the ``bundle_path`` default),
      instead of *client*;
    - *seed*: ``async def seed(ctx: SeedContext)``, run by ``raccoon run``
      when the database has no user yet (a fresh development database);
    - *settings*: defaults under the settings file and the environment.

    Relative paths are resolved against *root*, the application's directory,
    which :func:`load_application` sets (else the current directory).
    """

    name: str
    controllers: Registry | Iterable[type[Controller]] = ()
    sources: SourceCatalog | Iterable[Source] | None = None
    catalog: Catalog | None = None
    migrations: str | os.PathLike[str] | None = None
    client: str | os.PathLike[str] | None = None
    bundle: str | os.PathLike[str] | None = None
    seed: Seed | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    root: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(
                f"application name {self.name!r} must start with a letter and hold only "
                "letters, digits, '_' and '-' (at most 63 characters)"
            )
        controllers = self.controllers
        if not isinstance(controllers, Registry):
            controllers = Registry(list(controllers))
        object.__setattr__(self, "controllers", controllers)
        sources = self.sources
        if sources is not None and not isinstance(sources, SourceCatalog):
            sources = SourceCatalog(sources)
        object.__setattr__(self, "sources", sources)
        if self.seed is not None and not callable(self.seed):
            raise TypeError(
                f"seed must be an async function taking a SeedContext, not {self.seed!r}"
            )
        object.__setattr__(self, "settings", dict(self.settings))
        Settings.load(env={}, defaults=self.settings)  # says what is wrong, early

    @property
    def registry(self) -> Registry:
        """The controllers, as a :class:`~raccoon.context.Registry`."""
        assert isinstance(self.controllers, Registry)  # __post_init__ made it one
        return self.controllers

    @property
    def source_catalog(self) -> SourceCatalog | None:
        """The sources, as a :class:`raccoon.data.Catalog` (``None`` without sources)."""
        assert self.sources is None or isinstance(self.sources, SourceCatalog)
        return self.sources

    def path(self, value: str | os.PathLike[str] | None) -> Path | None:
        """*value* resolved against the application's directory."""
        if value is None:
            return None
        return (self.root or Path.cwd()) / Path(value)

    @property
    def settings_file(self) -> Path | None:
        """``raccoon.toml`` in the application's directory, if there is one."""
        if self.root is None:
            return None
        path = self.root / SETTINGS_FILE
        return path if path.is_file() else None

    def load_settings(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """The settings: the application's defaults (and its bundle), the file
        *path* (default :attr:`settings_file`), the environment, *overrides*."""
        defaults = dict(self.settings)
        bundle = self.path(self.bundle)
        if bundle is not None:
            defaults.setdefault("bundle_path", str(bundle))
        if path is None:
            path = self.settings_file
        return Settings.load(path, env=env, defaults=defaults, **overrides)

    def service(self, settings: Settings) -> Service:
        """The :class:`~raccoon.service.Service` running this application with *settings*."""
        from ._service import Service

        return Service(
            settings,
            controllers=self.registry,
            catalog=self.catalog,
            sources=self.source_catalog,
            migrations=self.path(self.migrations),
        )


def load_application(target: str | os.PathLike[str] | None = None) -> Application:
    """Find and import the application *target* names, with its :attr:`~Application.root` set.

    *target* is a directory (a package, or holding ``app.py``), a ``.py``
    file, or an importable module name; ``module:attribute`` names another
    attribute than ``application``. ``None`` is the current directory.

    Raises :class:`ApplicationNotFound` saying what was looked for, or what
    was found instead; an exception raised by the application's own module
    propagates.
    """
    text = os.fspath(target) if target is not None else "."
    attribute = APPLICATION_ATTRIBUTE
    spec = text
    if ":" in text and not Path(text).exists():
        spec, attribute = text.rsplit(":", 1)
    path = Path(spec)
    if path.exists():
        module, root = _import_path(path.resolve())
    elif re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*", spec):
        module, root = _import_name(spec)
    else:
        raise ApplicationNotFound(
            f"{text!r} is neither a file or directory nor a module name; pass the "
            "application's directory (or nothing, inside it)"
        )
    value = getattr(module, attribute, None)
    if not isinstance(value, Application):
        found = "nothing" if value is None else f"{type(value).__name__} {value!r}"
        raise ApplicationNotFound(
            f"{module.__name__} ({getattr(module, '__file__', '?')}) has {found} as "
            f"{attribute!r}; it must be a raccoon.service.Application: "
            f"{attribute} = Application('name', controllers=[...])"
        )
    return dataclasses.replace(value, root=value.root or root)


def _import_path(path: Path) -> tuple[ModuleType, Path]:
    if path.is_dir():
        if (path / "__init__.py").is_file():
            return _import_package(path), path
        if (path / "app.py").is_file():
            return _import_file(path / "app.py"), path
        raise ApplicationNotFound(
            f"{path} holds no application: expected an __init__.py (a package) or an "
            "app.py defining `application = Application(...)`. Create one with "
            "`raccoon new NAME`"
        )
    if path.suffix == ".py":
        return _import_file(path), path.parent
    raise ApplicationNotFound(f"{path} is not a directory nor a .py file")


def _import_package(path: Path) -> ModuleType:
    name = path.name
    if not name.isidentifier():
        raise ApplicationNotFound(
            f"the package directory {path} cannot be imported: {name!r} is not a Python "
            "identifier; rename it, or give the application an app.py instead"
        )
    parent = str(path.parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    existing = sys.modules.get(name)
    if existing is not None and Path(getattr(existing, "__file__", "") or "").parent != path:
        raise ApplicationNotFound(
            f"cannot import the application {path} as {name!r}: another module of that "
            f"name is loaded already ({getattr(existing, '__file__', existing)}); rename "
            "the application's directory"
        )
    return importlib.import_module(name)


def _import_file(path: Path) -> ModuleType:
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)  # so that it can import its neighbours
    stem = re.sub(r"\W", "_", path.parent.name)
    name = f"raccoon_app_{stem}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ApplicationNotFound(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _import_name(name: str) -> tuple[ModuleType, Path]:
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise ApplicationNotFound(
                f"no application {name!r}: it is not a directory here, nor an importable "
                "module; pass the application's directory"
            ) from None
        raise
    file = getattr(module, "__file__", None)
    return module, Path(file).resolve().parent if file else Path.cwd()
