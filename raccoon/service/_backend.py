"""The service's own nodes on the realm: the dynamic authorizer and the public procedures.

Both are bound on the backend connection (role ``backend``, private
transport). Browsers reach only what the authorizer lets them: the public
procedures, and their own session prefix.
"""

from __future__ import annotations

from typing import Any

from raccoon.node import RPCError, WAMPNode, call

from ._authorizer import authorize_browser
from ._metrics import Metrics
from ._revocations import Revocations
from ._sessions import SessionRegistry

__all__ = ["AUTHORIZER_PATH", "PUBLIC_SESSION_PATH", "AuthorizerNode", "PublicSessionNode"]

#: Where the authorizer node is bound: its procedure is ``raccoon.service.authorize``.
AUTHORIZER_PATH = "raccoon.service"
#: Where the public session procedures live: ``raccoon.public.session.ready``.
PUBLIC_SESSION_PATH = "raccoon.public.session"

_ACTIONS = frozenset({"call", "register", "subscribe", "publish"})


class AuthorizerNode(WAMPNode):
    """The dynamic authorizer of the browser role (``<path>.authorize``), and the
    list of revoked logins the router asks for when it starts (``<path>.revocations``)."""

    def __init__(
        self, public: tuple[str, ...], metrics: Metrics, revocations: Revocations | None = None
    ) -> None:
        self.public = public
        self.metrics = metrics
        self._revocations = revocations

    # Shared: every service process behind one router serves it (it keeps no
    # state of its own: revocations reach every process).
    NODE_INVOKE = "roundrobin"

    @call
    async def authorize(
        self, session: Any, uri: Any, action: Any, options: Any = None
    ) -> dict[str, Any]:
        """Crossbar's question: may this browser session do *action* on *uri*?"""
        known = self._revocations
        revoked = known.is_revoked if known is not None else None
        decision = authorize_browser(session, uri, action, options, self.public, revoked)
        label = action if action in _ACTIONS else "other"
        self.metrics.authorizations.labels(label, "yes" if decision["allow"] else "no").inc()
        return dict(decision)

    @call
    async def revocations(self) -> list[list[Any]]:
        """Every revoked, unexpired login, ``[[sid, until], …]`` (from the database):
        what the router's revocation feed loads when it starts."""
        if self._revocations is None:
            return []
        return await self._revocations.stored()


class PublicSessionNode(WAMPNode):
    """Procedures every browser may call about its own session."""

    def __init__(
        self, sessions: SessionRegistry, timeout: float = 10.0, browser_role: str = "browser"
    ) -> None:
        self.sessions = sessions
        self.timeout = timeout
        self.browser_role = browser_role

    # Shared: a process that does not own the caller's tree asks the owner.
    NODE_INVOKE = "roundrobin"

    @call
    async def ready(self, details: Any = None) -> dict[str, Any]:
        """The caller's session, once its tree is built: prefix, user, tenant,
        roles, language, open contexts (the desktop first), and ``resumed``:
        true when the tree was built for an earlier WAMP session of the same
        login (a reconnection), so the client rebuilds its views from it."""
        caller = getattr(details, "caller", None)
        if not isinstance(caller, int):
            raise RPCError(
                "cannot tell which session is calling (caller not disclosed)",
                uri="raccoon.error.no_session",
            )
        role = getattr(details, "caller_authrole", None)
        if caller == self.node_connection.session_id or role not in (None, self.browser_role):
            raise RPCError(
                f"only browser sessions have a session tree (the caller's role is {role!r})",
                uri="raccoon.error.no_session",
            )
        return await self.sessions.ready(caller, self.timeout)
