"""The Raccoon service: database, router, web application and session trees, together.

::

    async with Service(Settings.load("raccoon.toml"), controllers=registry) as service:
        print("open", service.url)
        await service.wait_closed()      # or do something else

What :meth:`Service.start` does, in order:

1. opens the database (``database_url``, or an embedded PostgreSQL) and
   applies the framework migrations, then the application's (``migrate``);
   with *sources*, starts the change feed their cursors follow;
2. starts the aiohttp application on a private port of 127.0.0.1;
3. starts Crossbar with one public port — ``/ws`` is the browsers'
   websocket (WAMP-ticket auth by the function authenticator, role
   ``browser`` under the dynamic authorizer), every other path is
   reverse-proxied to the aiohttp application — and a private backend
   transport on 127.0.0.1 (role ``backend``, a random ticket per start).
   With ``router_url`` set, a router someone else runs is used instead
   (``raccoon router config`` writes its configuration; see
   ``docs/deployment.md``);
4. joins as the backend, binds the authorizer and the public procedures,
   and follows ``wamp.session.on_join``/``on_leave`` to build and tear
   down the session trees.

:meth:`stop` undoes it in reverse. Every process started is stopped by pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import logging
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from raccoon._process import pick_free_port
from raccoon._tokens import TokenCodec
from raccoon.context import OPERATIONS, Catalog, Registry
from raccoon.data import Catalog as SourceCatalog
from raccoon.data import ChangeFeed, Database, EmbeddedPostgres, upgrade
from raccoon.node import Connection, RPCError
from raccoon.node import Path as NodePath

from ._accounts import Accounts, make_hasher
from ._auth import Auth
from ._backend import AUTHORIZER_PATH, PUBLIC_SESSION_PATH, AuthorizerNode, PublicSessionNode
from ._desktop import Desktop, desktop_content
from ._errors import ServiceError
from ._logins import Logins
from ._metrics import Metrics
from ._revocations import Revocations
from ._session import SessionIdentity
from ._sessions import SessionRegistry
from ._supervise import ServerWatch
from ._topology import (
    BACKEND_AUTHID,
    BACKEND_TICKET_ENV,
    BROWSER_ROLE,
    TOKEN_KEY_ENV,
    router_settings,
)
from ._web import create_app
from .router import BackendTransport, Router, RouterSettings, TicketPrincipal
from .settings import Settings

__all__ = ["BACKEND_AUTHID", "BROWSER_ROLE", "Service", "ServiceState"]

log = logging.getLogger("raccoon.service")


class ServiceState(enum.Enum):
    """``NEW → STARTING → RUNNING → STOPPING → STOPPED``; a failed start stops what it began."""

    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class Service:
    """The web service of a Raccoon application (see the module docstring).

    *controllers* is the application's intent :class:`~raccoon.context.Registry`;
    when nothing in it can ``VIEW`` a user, the default
    :class:`~raccoon.service.Desktop` is registered. *catalog* translates
    labels into each session's language. *sources* are the application's
    data sources (a :class:`raccoon.data.Catalog`): the service then runs
    a :class:`~raccoon.data.ChangeFeed`, and every session's node context
    holds ``sources`` and ``feed`` besides ``db``, so controllers can make
    cursors. *migrations* is the directory of the application's Alembic
    revisions, applied after the framework's at start (``migrate``).
    An :class:`~raccoon.service.Application` gives all of these:
    ``application.service(settings)``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        controllers: Registry | None = None,
        catalog: Catalog | None = None,
        sources: SourceCatalog | None = None,
        migrations: str | os.PathLike[str] | None = None,
    ) -> None:
        self.settings = settings
        self.controllers = controllers if controllers is not None else Registry()
        if not self.controllers.candidates(OPERATIONS.VIEW, desktop_content(1)):
            self.controllers.register(Desktop)
        self.catalog = catalog
        self.sources = sources
        self.migrations = Path(migrations) if migrations is not None else None
        self.state = ServiceState.NEW
        self.metrics = Metrics()
        self._cleanup: list[Any] = []
        self._stopped = asyncio.Event()
        self._db: Database | None = None
        self._postgres: EmbeddedPostgres | None = None
        self._feed: ChangeFeed | None = None
        self._router: Router | None = None
        #: Restarts the service's own router if its process dies (not with ``router_url``).
        self.router_watch: ServerWatch | None = None
        self._backend: Connection | None = None
        self._auth: Auth | None = None
        self._sessions: SessionRegistry | None = None
        self._accounts: Accounts | None = None
        self._revocations: Revocations | None = None
        self._http_url: str | None = None

    # -- parts (once started) ------------------------------------------------------------
    def _need(self, value: Any, what: str) -> Any:
        if value is None:
            raise RuntimeError(
                f"the service has no {what} yet: start it first ({self.state.value})"
            )
        return value

    @property
    def db(self) -> Database:
        """The database."""
        return self._need(self._db, "database")

    @property
    def router(self) -> Router:
        """The Crossbar router (not with ``router_url``: someone else runs it)."""
        return self._need(self._router, "router")

    @property
    def postgres(self) -> EmbeddedPostgres | None:
        """The embedded PostgreSQL server, when no ``database_url`` is set (once started)."""
        return self._postgres

    @property
    def feed(self) -> ChangeFeed | None:
        """The change feed of the application's sources (``None`` without sources)."""
        return self._feed

    @property
    def backend(self) -> Connection:
        """The service's own WAMP connection (role ``backend``)."""
        return self._need(self._backend, "backend connection")

    @property
    def auth(self) -> Auth:
        """Login, refresh and logout."""
        return self._need(self._auth, "auth")

    @property
    def accounts(self) -> Accounts:
        """Users, tenants and roles."""
        return self._need(self._accounts, "accounts")

    @property
    def sessions(self) -> SessionRegistry:
        """The live browser session trees."""
        return self._need(self._sessions, "session registry")

    @property
    def url(self) -> str:
        """The public origin: the page, the API, and the websocket at ``/ws``."""
        return self.settings.origin

    @property
    def websocket_url(self) -> str:
        """The browsers' websocket URL."""
        return self.settings.websocket_url

    @property
    def http_url(self) -> str:
        """The private URL of the aiohttp application (for scrapers on the host)."""
        return self._need(self._http_url, "HTTP server")

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Start everything; on failure, stop what was started and raise."""
        if self.state is not ServiceState.NEW:
            raise RuntimeError(f"a service starts once; this one is {self.state.value}")
        self.state = ServiceState.STARTING
        try:
            await self._start()
        except BaseException:
            await self._teardown()
            self.state = ServiceState.STOPPED
            raise
        self.state = ServiceState.RUNNING

    async def _start(self) -> None:
        settings = self.settings
        secret = settings.secret
        if secret is None:
            secret = secrets.token_urlsafe(48)
            # `raccoon run` brings a development secret: this is production's case.
            log.warning(
                "no secret configured: join tokens are signed with a random key of this "
                "process only (logins end when it restarts, other replicas refuse them); "
                "set RACCOON_SECRET or 'secret' in the settings file (docs/settings.md)"
            )
        workdir = self._workdir()
        settings = self.settings = dataclasses.replace(
            settings,
            secret=secret,
            port=settings.port or pick_free_port(settings.host),
            http_port=settings.http_port or pick_free_port("127.0.0.1"),
            backend_port=settings.backend_port or pick_free_port("127.0.0.1"),
        )
        db = self._db = await self._open_database(workdir)
        self._accounts = Accounts(
            db,
            make_hasher(
                settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism
            ),
        )
        revocations = self._revocations = Revocations(db)
        logins = Logins(
            db, self._accounts, settings.session_max_age, on_revoke=revocations.announce
        )
        self._auth = Auth(
            settings, self._accounts, logins, TokenCodec(settings.token_key()), self.metrics
        )
        context_values: dict[str, Any] = {"db": db, "accounts": self._accounts}
        if self.sources is not None:
            feed = self._feed = ChangeFeed(db.dsn)
            await feed.start()
            self._cleanup.append(feed.stop)
            context_values.update(feed=feed, sources=self.sources)
        await self._start_http()
        if settings.router_url is not None:
            backend_url, backend_ticket = settings.router_url, settings.backend_ticket
            if not backend_ticket:
                raise ServiceError(
                    f"router_url is set ({backend_url}) but backend_ticket is not: set "
                    "RACCOON_BACKEND_TICKET to the ticket that router admits the "
                    "services' backend sessions with (see docs/deployment.md)"
                )
            log.info("joining the router at %s", backend_url)
        else:
            backend_ticket = secrets.token_urlsafe(32)
            router = self._router = Router(
                self._router_settings(backend_ticket), workdir / "crossbar"
            )
            self._cleanup.append(router.stop)
            await router.start()
            watch = self.router_watch = ServerWatch(router)
            watch.start()
            self._cleanup.append(watch.stop)  # before the router stops (last in, first out)
            assert router.backend_url is not None
            backend_url = router.backend_url
            log.info("router started", extra={"pid": router.pid, "url": router.url})
        backend = self._backend = Connection(
            backend_url,
            settings.realm,
            authid=BACKEND_AUTHID,
            ticket=backend_ticket,
            name="raccoon-backend",
        )
        self._cleanup.append(backend.close)
        await backend.connect(timeout=30.0)
        # Before any browser session is heard of: the revoked logins.
        await revocations.attach(backend)
        await revocations.resync()

        async def on_end(identity: SessionIdentity, reason: str) -> None:
            if reason == "logout":
                await logins.close(identity.sid)

        sessions = self._sessions = SessionRegistry(
            backend,
            self.controllers,
            grace_period=settings.grace_period,
            catalog=self.catalog,
            on_end=on_end,
            context_values=context_values,
            # Behind a router run apart there may be other service processes.
            exclusive=settings.router_url is not None,
            revoked=revocations.is_revoked,
            admit=lambda identity: logins.status(identity.sid),
        )
        self._cleanup.append(sessions.close)
        self.metrics.watch_sessions(sessions.statistics)
        await backend.subscribe("wamp.session.on_join", self._on_join)
        await backend.subscribe("wamp.session.on_leave", self._on_leave)
        for path, node in (
            (
                AUTHORIZER_PATH,
                AuthorizerNode(settings.public_procedures, self.metrics, revocations),
            ),
            (PUBLIC_SESSION_PATH, PublicSessionNode(sessions, browser_role=BROWSER_ROLE)),
        ):
            await node.node_bind(NodePath(path), backend.new_context())
            self._cleanup.append(node.node_unbind)
        backend.on_join.connect(self._on_backend_join)
        log.info("raccoon service at %s", self.url, extra={"realm": settings.realm})

    def _workdir(self) -> Path:
        if self.settings.workdir is not None:
            path = Path(self.settings.workdir)
            path.mkdir(parents=True, exist_ok=True)
            return path
        path = Path(tempfile.mkdtemp(prefix="raccoon-service-"))
        self._cleanup.append(lambda: shutil.rmtree(path, ignore_errors=True))
        return path

    async def _open_database(self, workdir: Path) -> Database:
        dsn = self.settings.database_url
        if dsn is None:
            # Not under workdir when it is a fresh 0700 temp dir: as root the
            # server runs as another account (see EmbeddedPostgres).
            if self.settings.database_dir is not None:
                datadir = Path(self.settings.database_dir)
            elif self.settings.workdir is not None:
                datadir = Path(self.settings.workdir) / "postgres"
            else:
                datadir = Path(tempfile.mkdtemp(prefix="raccoon-pg-"))
                self._cleanup.append(lambda: shutil.rmtree(datadir, ignore_errors=True))
            server = self._postgres = EmbeddedPostgres(datadir)
            self._cleanup.append(server.stop)
            await server.start()
            log.info(
                "embedded PostgreSQL started", extra={"pid": server.pid, "datadir": str(datadir)}
            )
            dsn = server.dsn
        if self.settings.migrate:
            await upgrade(dsn, app_migrations=self.migrations)
            log.info(
                "database migrated",
                extra={"application": str(self.migrations) if self.migrations else None},
            )
        db = Database(dsn)
        await db.open()
        self._cleanup.append(db.close)
        return db

    async def _start_http(self) -> None:
        runner = web.AppRunner(create_app(self), access_log=None)
        await runner.setup()
        self._cleanup.append(runner.cleanup)
        site = web.TCPSite(runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        host = self.settings.http_host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        self._http_url = f"http://{host}:{self.settings.http_port}"

    def _router_settings(self, backend_ticket: str) -> RouterSettings:
        s = self.settings
        return router_settings(
            s,
            web_proxy=f"http://127.0.0.1:{s.http_port}",
            backend=BackendTransport(
                port=s.backend_port,
                principals=(
                    TicketPrincipal(BACKEND_AUTHID, "${" + BACKEND_TICKET_ENV + "}", "backend"),
                ),
            ),
            authenticator={"key_env": TOKEN_KEY_ENV},
            environment={TOKEN_KEY_ENV: s.token_key().hex(), BACKEND_TICKET_ENV: backend_ticket},
        )

    async def stop(self) -> None:
        """Stop everything that was started (idempotent)."""
        if self.state in (ServiceState.STOPPING, ServiceState.STOPPED):
            await self._stopped.wait()
            return
        self.state = ServiceState.STOPPING
        try:
            await self._teardown()
        finally:
            self.state = ServiceState.STOPPED

    async def _teardown(self) -> None:
        errors: list[BaseException] = []
        while self._cleanup:
            step = self._cleanup.pop()
            try:
                result = step()
                if asyncio.iscoroutine(result):
                    await result
            except Exception as exc:
                log.exception("stopping the service: %r failed", step)
                errors.append(exc)
        self._stopped.set()
        if errors:
            raise ServiceError(f"the service did not stop cleanly: {errors[0]}") from errors[0]

    async def wait_closed(self) -> None:
        """Wait until :meth:`stop` has finished."""
        await self._stopped.wait()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- router events -------------------------------------------------------------------
    def _on_join(self, info: dict[str, Any]) -> None:
        if isinstance(info, dict) and info.get("authrole") == BROWSER_ROLE:
            self.sessions.session_joined(info)

    def _on_leave(self, session_id: int) -> None:
        self.sessions.session_left(session_id)

    async def _on_backend_join(self, session_id: int) -> None:
        """After a reconnect the backend may have missed joins, leaves and
        revocations: ask the database and the router, and tell the router."""
        backend = self.backend
        if self._revocations is not None:
            try:
                await self._revocations.resync()
            except Exception:
                log.exception("could not reload the revoked logins after a reconnect")
        try:
            ids = await backend.call("wamp.session.list", [[BROWSER_ROLE]], timeout=10.0)
            live: dict[int, dict[str, Any]] = {}
            for sid in ids:
                with contextlib.suppress(RPCError):
                    live[sid] = await backend.call("wamp.session.get", [sid], timeout=10.0)
            await self.sessions.reconcile(live)
        except RPCError as exc:
            log.warning("could not reconcile the session trees after a reconnect: %s", exc)

    # -- health --------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        """``{"status": "ok"|"degraded", "router", "database", "sessions"}`` for ``/health``."""
        backend_ok = self._backend is not None and self._backend.is_connected
        if self.settings.router_url is not None:
            router_ok = backend_ok  # someone else runs it: reachable is all we know
        else:
            router_ok = self._router is not None and self._router.running
        database: dict[str, Any] = {"ok": False}
        if self._db is not None:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(2.0):
                    await self._db.fetchval("SELECT 1")
                database = {
                    "ok": True,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                }
            except Exception as exc:
                database = {"ok": False, "error": type(exc).__name__}
        ok = router_ok and backend_ok and database["ok"]
        return {
            "status": "ok" if ok else "degraded",
            "router": {"running": router_ok, "backend_connected": backend_ok},
            "database": database,
            "sessions": self._sessions.statistics() if self._sessions is not None else {},
        }
