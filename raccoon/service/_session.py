"""One browser session's identity, and the node at the root of its tree.

:class:`SessionIdentity` is who a browser session is, as the function
authenticator put it in the session's authextra; :class:`SessionNode` is
bound at the session's prefix: the session's contexts, and who it is.
The lifecycle of the trees is :mod:`raccoon.service._sessions`'.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from raccoon.context import Contexts, Registry
from raccoon.data import Principal
from raccoon.node import InvalidArguments, Signal, call

__all__ = ["MAX_INTENT_BYTES", "SessionIdentity", "SessionNode"]

#: The largest intent content, as JSON, a browser may ask to open.
MAX_INTENT_BYTES = 16 * 1024
_MAX_NAME = 64


class _Owner(Protocol):
    def end_soon(self, sid: str, reason: str) -> None: ...


@dataclass(frozen=True)
class SessionIdentity:
    """Who a browser session is: read from the authextra the authenticator set."""

    prefix: str
    sid: str
    user_id: int
    username: str
    tenant: str | None
    roles: tuple[str, ...]
    language: str

    @classmethod
    def from_details(cls, details: Mapping[str, Any]) -> SessionIdentity | None:
        """The identity in a ``wamp.session.on_join`` payload, or ``None``
        when the session is not a browser's (or the payload is malformed)."""
        extra = details.get("authextra")
        username = details.get("authid")
        if not isinstance(extra, Mapping) or not isinstance(username, str):
            return None
        prefix, sid = extra.get("raccoon_prefix"), extra.get("raccoon_sid")
        user_id, tenant = extra.get("raccoon_user_id"), extra.get("raccoon_tenant")
        roles, language = extra.get("raccoon_roles"), extra.get("raccoon_language")
        if not (isinstance(prefix, str) and isinstance(sid, str) and prefix.endswith("." + sid)):
            return None
        if not isinstance(user_id, int) or not isinstance(language, str):
            return None
        if tenant is not None and not isinstance(tenant, str):
            return None
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            return None
        return cls(prefix, sid, user_id, username, tenant, tuple(roles), language)

    @property
    def principal(self) -> Principal:
        """The data layer's principal for this session's reads and writes."""
        return Principal(self.username, self.tenant, roles=frozenset(self.roles))


class SessionNode(Contexts):
    """The root of one browser session's tree, bound at the session prefix.

    It is the session's :class:`~raccoon.context.Contexts` (``open``,
    ``close``, ``list``; the desktop is ``ctx1``), and says who the session
    is: ``describe()``. Its node context holds ``session`` (this node),
    ``identity``, ``user`` (the username), ``user_id``, ``tenant``, ``roles``,
    ``language``, ``principal`` and ``catalog``, for every controller below.
    ``logout()`` ends the session.
    """

    on_end = Signal(doc="The session is ending: ``(reason)`` — 'logout', 'expired', 'shutdown'.")

    def __init__(self, registry: Registry, identity: SessionIdentity, owner: _Owner):
        super().__init__(registry)
        self.identity = identity
        self._owner = owner

    @call
    async def describe(self) -> dict[str, Any]:
        """Who this session is and what it has open."""
        ident = self.identity
        return {
            "prefix": ident.prefix,
            "session": ident.sid,
            "user": {"id": ident.user_id, "username": ident.username},
            "tenant": ident.tenant,
            "roles": list(ident.roles),
            "language": ident.language,
            "contexts": await self.list_contexts(),
        }

    @call
    async def open(self, operation: str, content: dict[str, Any]) -> dict[str, Any]:
        """Open a context for the intent (see :class:`~raccoon.context.Contexts`),
        refusing oversized intents before they reach validation and election
        (whose error messages quote what they got)."""
        where = f"{self.node_path}.open"
        if len(operation) > _MAX_NAME:
            raise InvalidArguments(
                f"{where}: the operation is {len(operation)} characters long; "
                "operations are short names such as 'view'",
                argument="operation",
            )
        try:
            size = len(json.dumps(content))
        except (TypeError, ValueError, RecursionError):
            size = MAX_INTENT_BYTES + 1
        if size > MAX_INTENT_BYTES:
            raise InvalidArguments(
                f"{where}: the content is too large ({size} bytes of JSON, at most "
                f"{MAX_INTENT_BYTES}); name records by id or filter, not by value",
                argument="content",
            )
        return await super().open(operation, content)

    @call
    async def close(self, context_id: str) -> None:
        """Close the context ``context_id``."""
        if len(context_id) > _MAX_NAME:
            raise InvalidArguments(
                f"{self.node_path}.close: {len(context_id)} characters are no context id",
                argument="context_id",
            )
        await super().close(context_id)

    @call
    async def logout(self) -> None:
        """End this session: the login is closed and the browser disconnected."""
        await self.end("logout")

    async def end(self, reason: str) -> None:
        """End the session *reason* (``'logout'``…) once the current call has answered."""
        self._owner.end_soon(self.identity.sid, reason)
