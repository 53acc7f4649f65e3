"""The per-session container of open contexts, and its client API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from raccoon.node import (
    InvalidArguments,
    Node,
    NodeContext,
    PathLike,
    RPCError,
    Signal,
    WAMPNode,
    call,
)

from ._content import Content
from ._context import ContextNode, ContextState
from ._errors import ContextStateError, ElectionError, InvalidIntent
from ._operation import Operation

if TYPE_CHECKING:
    from ._registry import Registry

__all__ = ["Contexts"]


class Contexts(WAMPNode):
    """A session's open contexts, numbered ``ctx1``, ``ctx2``…, as children.

    Bind it under the session's prefix; the client opens and closes
    contexts through its endpoints, server code through the methods::

        contexts = Contexts(registry)
        await contexts.node_bind(session_prefix, connection.new_context(language='it'))
        desktop = await contexts.open_context('view', Content('auth.users', ids=[uid]))

    Endpoints (for the client): ``open(operation, content)`` returns the new
    context's :meth:`ContextNode.describe`; ``close(context_id)``;
    ``list()`` describes the open contexts. Signals: ``on_open(description)``
    whenever a context opens — also one started by a server action, so the
    client can build its view — and ``on_close(context_id)``.

    Unbinding the container (the session ended) closes every context.
    Context numbers are never reused within a session.
    """

    on_open = Signal(doc="A context was opened: ``(description)``.")
    on_close = Signal(doc="A context was closed: ``(context_id)``.")

    def __init__(self, registry: Registry, *, max_contexts: int = 64) -> None:
        self.registry = registry
        self.max_contexts = max_contexts
        self._counter = 0
        self._opening = 0  # contexts being opened: not yet children, but counted

    @property
    def contexts(self) -> dict[str, ContextNode]:
        """The open contexts by id."""
        return {k: v for k, v in self.node_children.items() if isinstance(v, ContextNode)}

    async def node_bind(
        self, path: PathLike, context: NodeContext | None = None, parent: Node | None = None
    ) -> None:
        """Bind like any node, on a new branch of the context that holds this
        container as ``contexts`` (how controllers and actions find it)."""
        if context is None:
            context = parent.node_context if parent is not None else None
        branch = (context or NodeContext()).new(contexts=self)
        await super().node_bind(path, branch, parent)

    async def node_unbind(self) -> None:
        """Close every context, then unbind."""
        try:
            if self.node_bound:
                await self.close_all()
        finally:
            await super().node_unbind()

    # -- server API ----------------------------------------------------------------
    async def open_context(
        self,
        operation: Operation | str,
        content: Content | Mapping[str, Any],
        *,
        view_path: PathLike | None = None,
    ) -> ContextNode:
        """Open a new context for the intent; returns it once its
        controller is bound. Election and validation errors come first,
        before anything is bound."""
        if not self.node_bound:
            raise ContextStateError(f"cannot open a context in {self!r}: it is not bound")
        op = Operation.parse(operation)
        intent = Content.from_wire(content)
        self.registry.elect(op, intent)  # fail before binding anything
        if len(self.contexts) + self._opening >= self.max_contexts:
            raise ContextStateError(
                f"{self!r} already has {self.max_contexts} open contexts, the most a session "
                "may have: close some first"
            )
        self._counter += 1
        context_id = f"ctx{self._counter}"
        context = ContextNode()
        self._opening += 1
        try:
            await self.node_add(context_id, context)
            await context.open(self.registry, op, intent, view_path)
        except BaseException:
            await context.node_unbind()
            raise
        finally:
            self._opening -= 1
        await self.on_open.notify(context.describe())
        return context

    async def close_context(self, context_id: str) -> None:
        """Close the context ``context_id`` and unbind it."""
        context = self.contexts.get(context_id)
        if context is None:
            raise ContextStateError(self._unknown(context_id))
        await context.node_unbind()
        await self.on_close.notify(context_id)

    async def close_all(self) -> None:
        """Close every open context (newest first); one that fails to close
        does not keep the others open."""
        errors: list[Exception] = []
        for context_id in reversed(list(self.contexts)):
            try:
                await self.close_context(context_id)
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise ExceptionGroup(f"closing contexts of {self!r} failed", errors)

    def _unknown(self, context_id: str) -> str:
        open_ids = ", ".join(self.contexts) or "none"
        return f"no open context {context_id!r} in {self.node_path} (open: {open_ids})"

    # -- client API ----------------------------------------------------------------
    @call
    async def open(self, operation: str, content: dict[str, Any]) -> dict[str, Any]:
        """Open a context for the intent; returns its description."""
        where = f"{self.node_path}.open"
        try:
            context = await self.open_context(operation, content)
        except InvalidIntent as exc:
            argument = "operation" if exc.field == "operation" else "content"
            raise InvalidArguments(f"{where}: {exc}", argument=argument, field=exc.field) from None
        except ElectionError as exc:
            raise RPCError(
                str(exc),
                uri=exc.uri,
                operation=exc.operation.value,
                content=exc.content.to_wire(),
            ) from None
        except ContextStateError as exc:
            raise RPCError(f"{where}: {exc}", uri="raccoon.error.context_state") from None
        return context.describe()

    @call
    async def close(self, context_id: str) -> None:
        """Close the context ``context_id``."""
        if context_id not in self.contexts:
            raise InvalidArguments(
                f"{self.node_path}.close: {self._unknown(context_id)}", argument="context_id"
            )
        await self.close_context(context_id)

    @call("list")
    async def list_contexts(self, language: str | None = None) -> list[dict[str, Any]]:
        """The descriptions of the open contexts, oldest first."""
        return [
            c.describe(language) for c in self.contexts.values() if c.state is ContextState.OPEN
        ]
