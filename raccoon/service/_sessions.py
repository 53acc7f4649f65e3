"""The per-browser session tree: built on join, kept through a grace period, torn down.

Every login gets a URI prefix, ``<session_root>.<sid>``. When a browser
session joins the realm with a token for that prefix, the service binds a
:class:`SessionNode` there — the session's contexts, plus who the session
is — and opens the desktop in it. The router's ``wamp.session.on_leave``
carries only the WAMP session id, so :class:`SessionRegistry` keeps the map
from WAMP session ids to trees. When the last WAMP session of a tree
leaves, the tree waits ``grace_period`` seconds for the browser to come
back (a reconnect with a token of the same login reattaches it, state
intact), then it is unbound.

Lifecycle of a tree (:class:`SessionState`)::

    BUILDING ──▶ ATTACHED ◀──rejoin── DETACHED ──grace over──▶ CLOSING ──▶ CLOSED
        │            └────last leave────▶┘
        └──(exclusive) another process claimed it──▶ FOREIGN ──last leave──▶ (forgotten)
    (any state) ──end(): logout, service stop──▶ CLOSING

A tree is never built (nor resumed) for a login that was revoked (a
logout), has expired, or whose user was disabled: a join token copied
before the logout must not bring the session back. A join is checked
against the in-memory set of revoked logins (*revoked*) at once, and a
tree is built only after the database confirms the login is live
(*admit*); a refused browser session is closed by the router.

When several service processes share one router, every one of them hears
every join. With *exclusive*, a process first **claims** the session by
registering ``raccoon.service.trees.<sid>.ready``: the router lets only one
session register a URI, so exactly one process builds the tree; the others
keep a ``FOREIGN`` record and forward ``ready`` (and ``end``, for a logout
that reached them over HTTP) to the owner through that procedure. When the
owner has gone, ``ready`` claims and builds the tree again here.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from raccoon.context import OPERATIONS, Catalog, ContextError, Registry
from raccoon.node import Connection, Endpoint, Node, NodeError, NoSuchEndpoint, Path, RPCError

from ._desktop import desktop_content
from ._session import SessionIdentity, SessionNode

__all__ = ["SessionRegistry", "SessionState"]

log = logging.getLogger("raccoon.service.sessions")

_CLOSE_REASON = "raccoon.close.session_ended"
#: Where the owner of a session tree registers its claim (``<root>.<sid>.ready``, ``.end``).
TREES_ROOT = "raccoon.service.trees"


class SessionState(enum.Enum):
    """Where a session tree is in its life (see the module docstring)."""

    BUILDING = "building"
    ATTACHED = "attached"
    DETACHED = "detached"
    CLOSING = "closing"
    CLOSED = "closed"
    #: Another service process owns the tree (``exclusive`` registries only).
    FOREIGN = "foreign"


class _Claim:
    """The procedures the owner of a tree serves to the other service processes."""

    __slots__ = ("registry", "sid", "uris")

    def __init__(self, registry: SessionRegistry, sid: str) -> None:
        self.registry = registry
        self.sid = sid
        self.uris = (f"{TREES_ROOT}.{sid}.ready", f"{TREES_ROOT}.{sid}.end")

    async def ready(self, session: int) -> dict[str, Any]:
        """The description, for another process a browser asked."""
        return await self.registry.ready(session, forward=False)

    async def end(self, reason: str) -> bool:
        """End the session, for another process that got the logout."""
        return await self.registry.end(self.sid, reason, forward=False)


class _Tree:
    """The registry's record of one session tree."""

    __slots__ = (
        "builder",
        "built",
        "claim",
        "closed",
        "error",
        "grace",
        "identity",
        "node",
        "refused",
        "resumed",
        "state",
        "wamp",
    )

    def __init__(self, identity: SessionIdentity, builder: int) -> None:
        loop = asyncio.get_running_loop()
        self.identity = identity
        # The WAMP session whose join built the tree; any other one resumes it.
        self.builder = builder
        self.node: SessionNode | None = None
        self.state = SessionState.BUILDING
        self.wamp: set[int] = set()
        self.built: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.grace: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self.resumed = 0
        self.claim: _Claim | None = None
        #: Why the login may have no tree ('revoked', 'expired'…), once refused.
        self.refused: str | None = None


class SessionRegistry:
    """The live session trees, by prefix and by WAMP session id.

    Feed it the router's meta events (:meth:`session_joined`,
    :meth:`session_left`; the service subscribes them on its backend
    connection), and ask it for a session (:meth:`ready`) or to end one
    (:meth:`end`). :attr:`count` and :meth:`statistics` say how many trees
    and nodes are alive — a leak shows there.
    """

    def __init__(
        self,
        connection: Connection,
        controllers: Registry,
        *,
        grace_period: float,
        catalog: Catalog | None = None,
        on_end: Callable[[SessionIdentity, str], Awaitable[None]] | None = None,
        context_values: Mapping[str, Any] | None = None,
        exclusive: bool = False,
        revoked: Callable[[str], bool] | None = None,
        admit: Callable[[SessionIdentity], Awaitable[str | None]] | None = None,
    ) -> None:
        self.connection = connection
        # revoked(sid): in memory, checked at every join. admit(identity):
        # None when the login is live, else why not ('revoked', 'expired'…),
        # awaited before a tree is built.
        self._revoked = revoked
        self._admit = admit
        self.exclusive = exclusive
        self.controllers = controllers
        self.grace_period = grace_period
        self.catalog = catalog
        self._on_end = on_end
        self._context_values = dict(context_values or {})
        self._trees: dict[str, _Tree] = {}
        self._by_wamp: dict[int, _Tree] = {}
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    # -- introspection ------------------------------------------------------------------
    @property
    def count(self) -> int:
        """How many session trees exist (building, attached, detached or closing)."""
        return len(self._trees)

    def state_of(self, prefix: str) -> SessionState | None:
        """The state of the tree at *prefix*, ``None`` when there is none."""
        tree = self._trees.get(prefix)
        return tree.state if tree is not None else None

    def node(self, prefix: str) -> SessionNode | None:
        """The session node at *prefix*, once built."""
        tree = self._trees.get(prefix)
        return tree.node if tree is not None else None

    def statistics(self) -> dict[str, int]:
        """Counts for health checks, metrics and leak tests."""
        by_state = {state.value: 0 for state in SessionState}
        nodes = 0
        for tree in self._trees.values():
            by_state[tree.state.value] += 1
            if tree.node is not None:
                nodes += _count_nodes(tree.node)
        return {
            "sessions": len(self._trees),
            **by_state,
            "wamp_sessions": len(self._by_wamp),
            "nodes": nodes,
            "resumes": sum(tree.resumed for tree in self._trees.values()),
        }

    # -- router events ------------------------------------------------------------------
    def session_joined(self, details: Mapping[str, Any]) -> None:
        """A session joined the realm (``wamp.session.on_join``)."""
        session_id = details.get("session")
        identity = SessionIdentity.from_details(details)
        if identity is None or not isinstance(session_id, int) or self._closing:
            return
        if session_id in self._by_wamp:
            return  # seen already (a reconciliation after a reconnect)
        if self._revoked is not None and self._revoked(identity.sid):
            self._refuse(identity, [session_id], "revoked")
            return
        tree = self._trees.get(identity.prefix)
        previous = None
        if tree is not None and tree.state in (SessionState.CLOSING, SessionState.CLOSED):
            previous, tree = tree, None
        if tree is None:
            tree = self._trees[identity.prefix] = _Tree(identity, session_id)
            self._spawn(self._build(tree, previous), f"build {identity.prefix}")
        else:
            # A reconnection (the old session's leave may even come later).
            tree.resumed += 1
            if tree.state is SessionState.DETACHED:
                self._cancel_grace(tree)
                tree.state = SessionState.ATTACHED
            log.info("session %s resumed by WAMP session %s", identity.prefix, session_id)
        tree.wamp.add(session_id)
        self._by_wamp[session_id] = tree
        waiter = self._waiters.pop(session_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def session_left(self, session_id: int) -> None:
        """A session left the realm (``wamp.session.on_leave``: only its id)."""
        tree = self._by_wamp.pop(session_id, None) if isinstance(session_id, int) else None
        if tree is None:
            return
        tree.wamp.discard(session_id)
        if not tree.wamp and tree.state is SessionState.ATTACHED:
            self._detach(tree)
        elif not tree.wamp and tree.state is SessionState.FOREIGN:
            self._forget(tree)

    async def reconcile(self, live: Mapping[int, Mapping[str, Any]]) -> None:
        """Bring the map in line with the sessions the router has now.

        After the backend reconnects it may have missed join and leave
        events: *live* maps each browser session id to its details
        (``wamp.session.get``).
        """
        for session_id in [s for s in self._by_wamp if s not in live]:
            self.session_left(session_id)
        for session_id, details in live.items():
            if session_id not in self._by_wamp:
                self.session_joined({**details, "session": session_id})

    # -- requests -----------------------------------------------------------------------
    async def ready(
        self, session_id: int, timeout: float = 10.0, *, forward: bool = True
    ) -> dict[str, Any]:
        """The description of the session tree of the WAMP session *session_id*,
        once it is built (the browser asks right after joining, possibly
        before the join event reached us). A tree another process owns is
        asked through its claim (unless not *forward*)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        tree = self._by_wamp.get(session_id)
        if tree is None:
            waiter = self._waiters.get(session_id)
            if waiter is None:
                waiter = self._waiters[session_id] = loop.create_future()
            try:
                await asyncio.wait_for(asyncio.shield(waiter), timeout)
            except TimeoutError:
                self._waiters.pop(session_id, None)
                raise RPCError(
                    f"no browser session tree for WAMP session {session_id} within {timeout} s "
                    "(did it join with a login token?)",
                    uri="raccoon.error.no_session",
                ) from None
            tree = self._by_wamp.get(session_id)
            if tree is None:
                raise RPCError(
                    "the session left while it was set up", uri="raccoon.error.no_session"
                )
        try:
            await asyncio.wait_for(asyncio.shield(tree.built), max(0.0, deadline - loop.time()))
        except TimeoutError:
            raise RPCError(
                f"the session tree {tree.identity.prefix} is still being built; try again",
                uri="raccoon.error.no_session",
            ) from None
        if tree.state is SessionState.FOREIGN:
            if not forward:
                raise RPCError(
                    f"the session {tree.identity.prefix} is not this process's",
                    uri="raccoon.error.no_session",
                )
            return await self._forward_ready(tree, session_id, deadline)
        if tree.refused is not None:
            raise RPCError(
                f"the login of the session {tree.identity.prefix} is {tree.refused}: log in again",
                uri="raccoon.error.no_session",
            )
        if tree.error is not None or tree.node is None:
            # Intent errors explain themselves; anything else stays in the log.
            reason = (
                str(tree.error)
                if isinstance(tree.error, ContextError)
                else "an internal error (see the server log)"
            )
            raise RPCError(
                f"the session {tree.identity.prefix} could not be set up: {reason}",
                uri="raccoon.error.session_failed",
            )
        if tree.state not in (SessionState.ATTACHED, SessionState.DETACHED):
            raise RPCError(
                f"the session {tree.identity.prefix} is {tree.state.value}",
                uri="raccoon.error.no_session",
            )
        description = await tree.node.describe()
        description["resumed"] = session_id != tree.builder
        return description

    def end_soon(self, sid: str, reason: str) -> None:
        """:meth:`end` in a task (from inside the tree's own endpoints)."""
        self._spawn(self.end(sid, reason), f"end {sid}")

    async def end(self, sid: str, reason: str, *, forward: bool = True) -> bool:
        """End the session of login *sid* now: unbind its tree and disconnect
        its browser sessions. False when it has no tree (here or, when
        *exclusive* and *forward*, in the process that owns it)."""
        tree = next((t for t in self._trees.values() if t.identity.sid == sid), None)
        if (tree is None or tree.state is SessionState.FOREIGN) and self.exclusive:
            if not forward:
                return False
            try:
                return bool(await self.connection.call(f"{TREES_ROOT}.{sid}.end", [reason]))
            except RPCError:  # no owner: no tree anywhere
                return False
        if tree is None:
            return False
        wamp_ids = list(tree.wamp)
        await self._teardown(tree, reason)
        if self._on_end is not None:
            try:
                await self._on_end(tree.identity, reason)
            except Exception:
                log.exception("the end hook of session %s failed", tree.identity.prefix)
        await asyncio.gather(*(self._kill(session_id, reason) for session_id in wamp_ids))
        return True

    async def close(self) -> None:
        """Tear every tree down (the service stops)."""
        self._closing = True
        await asyncio.gather(
            *(self._teardown(tree, "shutdown") for tree in list(self._trees.values())),
            return_exceptions=True,
        )
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for waiter in self._waiters.values():
            waiter.cancel()
        self._waiters.clear()

    # -- internals ----------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"raccoon session {name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    def _refuse(self, identity: SessionIdentity, wamp_ids: list[int], reason: str) -> None:
        """No tree for this login: close its browser sessions (and a tree it still has)."""
        log.warning(
            "refused WAMP sessions %s of %s: the login is %s", wamp_ids, identity.prefix, reason
        )
        for session_id in wamp_ids:
            self._spawn(self._kill(session_id, reason), f"refuse {session_id}")
        tree = self._trees.get(identity.prefix)
        if tree is not None and tree.state not in (SessionState.CLOSING, SessionState.CLOSED):
            self.end_soon(identity.sid, reason)

    async def _admitted(self, tree: _Tree) -> bool:
        """Whether the database says *tree*'s login is live; else refuse it."""
        if self._admit is None:
            return True
        try:
            reason = await self._admit(tree.identity)
        except Exception:
            # Unverifiable is refused: the browser reconnects and is asked again.
            log.exception("cannot check the login of %s", tree.identity.prefix)
            reason = "unverifiable"
        if reason is None:
            return True
        tree.refused = reason
        wamp_ids = list(tree.wamp)
        # Built (as nothing) first: an end() meanwhile waits for that.
        tree.built.set_result(None)
        await self._teardown(tree, reason, built=False)
        self._refuse(tree.identity, wamp_ids, reason)
        return False

    async def _build(self, tree: _Tree, previous: _Tree | None) -> None:
        ident = tree.identity
        if previous is not None:
            await asyncio.shield(previous.closed)
        if not await self._admitted(tree):
            return
        if self.exclusive and not await self._claim(tree):
            tree.built.set_result(None)
            return
        try:
            node = SessionNode(self.controllers, ident, self)
            context = self.connection.new_context(
                **self._context_values,
                session=node,
                identity=ident,
                user=ident.username,
                user_id=ident.user_id,
                tenant=ident.tenant,
                roles=frozenset(ident.roles),
                language=ident.language,
                principal=ident.principal,
                catalog=self.catalog,
            )
            tree.node = node
            await node.node_bind(Path(ident.prefix), context)
            await node.open_context(OPERATIONS.VIEW, desktop_content(ident.user_id))
        except Exception as exc:
            log.exception("cannot build the session tree %s", ident.prefix)
            tree.error = exc
            try:
                if tree.state is SessionState.BUILDING:
                    # Unbind what was bound before anyone hears of the failure.
                    await self._teardown(tree, "failed", built=False)
            finally:
                # An end() that started meanwhile is waiting for this.
                tree.built.set_result(None)
            return
        tree.built.set_result(None)
        if tree.state is SessionState.BUILDING:
            if tree.wamp:
                tree.state = SessionState.ATTACHED
            else:
                self._detach(tree)
        log.info("session %s built for %s", ident.prefix, ident.username)

    async def _claim(self, tree: _Tree) -> bool:
        """Claim *tree*'s session for this process; False (and ``FOREIGN``)
        when another process holds it."""
        claim = _Claim(self, tree.identity.sid)
        owner = f"session claim of {tree.identity.prefix}"
        ready_uri, end_uri = claim.uris
        try:
            await self.connection.register(Endpoint(ready_uri, claim.ready, owner))
        except NodeError:
            if tree.state is SessionState.BUILDING:
                tree.state = SessionState.FOREIGN
                if not tree.wamp:
                    self._forget(tree)
            log.debug("session %s belongs to another service process", tree.identity.prefix)
            return False
        await self.connection.register(Endpoint(end_uri, claim.end, owner))
        tree.claim = claim
        return True

    async def _release(self, tree: _Tree) -> None:
        claim, tree.claim = tree.claim, None
        if claim is not None:
            for uri in claim.uris:
                with contextlib.suppress(Exception):
                    await self.connection.unregister(uri)

    async def _forward_ready(self, tree: _Tree, session_id: int, deadline: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        uri = f"{TREES_ROOT}.{tree.identity.sid}.ready"
        try:
            answer: dict[str, Any] = await self.connection.call(
                uri, [session_id], timeout=max(0.5, deadline - loop.time())
            )
            return answer
        except NoSuchEndpoint:
            pass
        # The owner has gone (it stopped or died): build the tree here.
        if tree.state is SessionState.FOREIGN and self._trees.get(tree.identity.prefix) is tree:
            log.info("session %s lost its owner; building it here", tree.identity.prefix)
            tree.state = SessionState.BUILDING
            tree.built = loop.create_future()
            self._spawn(self._build(tree, None), f"adopt {tree.identity.prefix}")
        return await self.ready(session_id, max(0.5, deadline - loop.time()), forward=False)

    def _forget(self, tree: _Tree) -> None:
        """Drop the record of a tree another process owns."""
        tree.state = SessionState.CLOSED
        if self._trees.get(tree.identity.prefix) is tree:
            del self._trees[tree.identity.prefix]
        for session_id in tree.wamp:
            if self._by_wamp.get(session_id) is tree:
                del self._by_wamp[session_id]
        if not tree.closed.done():
            tree.closed.set_result(None)

    def _detach(self, tree: _Tree) -> None:
        tree.state = SessionState.DETACHED
        self._cancel_grace(tree)
        tree.grace = asyncio.get_running_loop().create_task(
            self._expire(tree), name=f"raccoon session grace {tree.identity.prefix}"
        )
        self._tasks.add(tree.grace)
        tree.grace.add_done_callback(self._task_done)

    def _cancel_grace(self, tree: _Tree) -> None:
        if tree.grace is not None and tree.grace is not asyncio.current_task():
            tree.grace.cancel()
        tree.grace = None

    async def _expire(self, tree: _Tree) -> None:
        await asyncio.sleep(self.grace_period)
        if tree.state is SessionState.DETACHED:
            tree.grace = None
            await self._teardown(tree, "expired")

    async def _teardown(self, tree: _Tree, reason: str, *, built: bool = True) -> None:
        if tree.state in (SessionState.CLOSING, SessionState.CLOSED):
            await asyncio.shield(tree.closed)
            return
        if tree.state is SessionState.FOREIGN:
            self._forget(tree)
            return
        tree.state = SessionState.CLOSING
        self._cancel_grace(tree)
        # A failed tree stays mapped until its sessions leave, so that
        # ready() can tell them why.
        for session_id in tree.wamp if reason != "failed" else ():
            if self._by_wamp.get(session_id) is tree:
                del self._by_wamp[session_id]
        if built:
            await asyncio.shield(tree.built)
        try:
            node = tree.node
            if node is not None and node.node_bound:
                with contextlib.suppress(Exception):
                    await node.on_end.notify(reason)
                await node.node_unbind()
        finally:
            # After the unbind: another process may build the tree as soon as
            # the claim is gone, and its registrations must not meet ours.
            await self._release(tree)
            tree.state = SessionState.CLOSED
            if self._trees.get(tree.identity.prefix) is tree:
                del self._trees[tree.identity.prefix]
            tree.closed.set_result(None)
            log.info("session %s closed (%s)", tree.identity.prefix, reason)

    async def _kill(self, session_id: int, reason: str) -> None:
        try:
            await self.connection.call(
                "wamp.session.kill",
                [session_id],
                {"reason": _CLOSE_REASON, "message": f"the session ended: {reason}"},
                timeout=5.0,
            )
        except RPCError as exc:  # gone already
            log.debug("killing WAMP session %s: %s", session_id, exc)


def _count_nodes(node: Node) -> int:
    return 1 + sum(_count_nodes(child) for child in node.node_children.values())
