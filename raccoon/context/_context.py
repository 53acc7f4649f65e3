"""A context: an elected controller paired with its client view."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from raccoon.node import Node, NodeContext, Path, PathLike, Proxy, WAMPNode

from ._action import Action, ActionSet
from ._content import Content
from ._declarations import ControllerSpec
from ._errors import ContextError, ContextStateError
from ._operation import Operation
from ._translation import translate_json

if TYPE_CHECKING:
    from ._controller import Controller
    from ._registry import Registry

__all__ = ["ContextNode", "ContextState"]

# Keys a context stores in its node context; '#controller' and '#view'
# resolve through the first two.
_KEYS = ("controller", "view", "context")


class ContextState(enum.Enum):
    """The lifecycle of a :class:`ContextNode`; only these transitions happen::

    NEW ──open──▶ OPENING ──▶ OPEN ──close──▶ CLOSING ──▶ CLOSED
                     └──(failure)──▶ NEW
    NEW ──close──▶ CLOSED
    """

    NEW = "new"
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class ContextNode(WAMPNode):
    """Pairs the controller elected for an intent with its client view.

    Bind it, then :meth:`open` it::

        context = ContextNode()
        await session.node_add('ctx1', context)
        await context.open(registry, Operation.VIEW, Content('auth.users', ids=[7]))

    The context node gets its own branch of the node context, holding
    ``controller`` (the controller, bound as the child ``controller``),
    ``view`` (a proxy for the client view's path) and ``context`` (this
    node); the controller, its actions and cursors share that branch, so
    ``'#controller'`` and ``'#view'`` address the pair from any of them.
    :meth:`close` (or unbinding) unbinds the controller and everything under it.
    """

    controller: Controller
    """The elected controller, while the context is open."""

    _context_state: ContextState
    _context_lock: asyncio.Lock
    _view_path: Path | None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # Like Node: set up here so a subclass's __init__ need not call super().
        self = super().__new__(cls, *args, **kwargs)
        object.__setattr__(self, "_context_state", ContextState.NEW)
        object.__setattr__(self, "_context_lock", asyncio.Lock())
        object.__setattr__(self, "_view_path", None)
        return self

    @property
    def state(self) -> ContextState:
        """Where the context is in its lifecycle."""
        return self._context_state

    @property
    def id(self) -> str | None:
        """The context's name in its session (``'ctx1'``), once bound."""
        return self.node_name

    @property
    def view_path(self) -> Path | None:
        """Where the client view lives, once opened."""
        return self._view_path

    async def node_bind(
        self, path: PathLike, context: NodeContext | None = None, parent: Node | None = None
    ) -> None:
        """Bind like any node, but on a new branch of the given context, so
        that what this context stores there is seen only below it."""
        if context is None:
            context = parent.node_context if parent is not None else None
        branch = (context or NodeContext()).new()
        await super().node_bind(path, branch, parent)

    async def open(
        self,
        registry: Registry,
        operation: Operation | str,
        content: Content | Mapping[str, Any],
        view_path: PathLike | None = None,
    ) -> Controller:
        """Elect the controller for the intent and bind it (with its
        cursors and actions); ``view_path`` (default: this node's path +
        ``view``) is where the client view is, or will be, bound.

        Raises :class:`~raccoon.context.InvalidIntent` for a malformed
        intent and :class:`~raccoon.context.ElectionError` when no single
        controller can realize it; the context is then left ``NEW``.
        """
        async with self._context_lock:
            if self._context_state is not ContextState.NEW:
                raise ContextStateError(
                    f"cannot open {self!r}: it is {self._context_state.value}; "
                    "a context opens once — make a new one"
                )
            path = self.node_path
            ctx = self.node_context
            if not self.node_bound or path is None or ctx is None:
                raise ContextStateError(f"cannot open {self!r}: bind it first")
            op = Operation.parse(operation)
            intent = Content.from_wire(content)
            controller_cls = registry.elect(op, intent)
            spec = registry._spec(controller_cls)
            view = path + "view" if view_path is None else path.resolve(view_path, ctx)
            self._set_state(ContextState.OPENING)
            try:
                controller = controller_cls()
                controller.operation = op
                controller.content = intent
                # In the context before binding, so that the controller's
                # remote handlers ('#view.on_x') resolve when they subscribe.
                ctx.view = Proxy(view, ctx)
                ctx.controller = controller
                ctx.context = self
                object.__setattr__(self, "_view_path", view)
                await self.node_add("controller", controller)
                await _bind_cursors(controller, spec, intent)
                await _bind_actions(controller, spec)
            except BaseException:
                await self._teardown()
                object.__setattr__(self, "_view_path", None)
                self._set_state(ContextState.NEW)
                raise
            self._set_state(ContextState.OPEN)
            return controller

    async def close(self) -> None:
        """Unbind the controller, its cursors and actions; idempotent."""
        async with self._context_lock:
            if self._context_state in (ContextState.NEW, ContextState.CLOSED):
                self._set_state(ContextState.CLOSED)
                return
            self._set_state(ContextState.CLOSING)
            try:
                await self._teardown()
            finally:
                self._set_state(ContextState.CLOSED)

    async def node_unbind(self) -> None:
        """Close the context, then unbind this node."""
        await self.close()
        await super().node_unbind()

    def describe(self, language: str | None = None) -> dict[str, Any]:
        """What the client needs to build the view::

            {'id': 'ctx1', 'path': ..., 'operation': 'view', 'content': {...},
             'controller': <path>, 'view': <path>, 'view_spec': {'type': 'Desktop'},
             'actions': [{'id', 'categories', 'label', 'hint', 'icon', 'path'}, ...],
             'cursors': {name: <path>}}

        Labels are translated to ``language`` (default: the node context's
        ``language``) through the node context's ``catalog``, if any.
        """
        if self._context_state is not ContextState.OPEN:
            raise ContextStateError(f"cannot describe {self!r}: it is {self._context_state.value}")
        ctx = self.node_context
        assert ctx is not None  # an open context is bound
        language = language or ctx.get("language")
        catalog = ctx.get("catalog")
        controller = self.controller
        actions = []
        holder = controller.node_children.get("actions")
        bound = holder.node_children.values() if holder is not None else ()
        for action in bound:
            assert isinstance(action, Action)
            described = action.describe(language, catalog)
            described["path"] = str(action.node_path)
            actions.append(described)
        cls = type(controller)
        return {
            "id": self.id,
            "path": str(self.node_path),
            "operation": controller.operation.value,
            "content": controller.content.to_wire(),
            "controller": str(controller.node_path),
            "view": str(self._view_path),
            "view_spec": translate_json(cls.VIEW, language, catalog),
            "actions": actions,
            "cursors": {
                name: str(child.node_path)
                for name, child in controller.node_children.items()
                if name in cls.CURSORS
            },
        }

    # -- internals ---------------------------------------------------------------
    def _set_state(self, state: ContextState) -> None:
        object.__setattr__(self, "_context_state", state)

    async def _teardown(self) -> None:
        controller = self.node_children.get("controller")
        try:
            if controller is not None:
                await controller.node_unbind()
        finally:
            ctx = self.node_context
            if ctx is not None:
                for key in _KEYS:
                    try:
                        delattr(ctx, key)
                    except AttributeError:  # never set: the open failed early
                        pass


async def _bind_cursors(controller: Controller, spec: ControllerSpec, content: Content) -> None:
    for name, source in spec.cursors.items():
        cursor = await controller.make_cursor(name, source, content)
        if cursor is None:
            continue
        if not isinstance(cursor, Node):
            raise ContextError(
                f"{spec.name}.make_cursor({name!r}, {source!r}, ...) returned "
                f"{type(cursor).__name__}: return an unbound Node or None"
            )
        await controller.node_add(name, cursor)


async def _bind_actions(controller: Controller, spec: ControllerSpec) -> None:
    holder = await controller.node_add("actions", ActionSet())
    for action_cls in spec.actions:
        assert action_cls.ID is not None  # checked at registration
        action = await holder.node_add(action_cls.ID, action_cls())
        assert isinstance(action, WAMPNode) and action.node_path is not None
        # A `run` override without @call silently hides the endpoint; the
        # client would only see "no such procedure", so say it here.
        if action.node_connection.registered(str(action.node_path + "run")) is None:
            raise ContextError(
                f"{action_cls.__module__}.{action_cls.__qualname__}.run is not an endpoint: "
                "decorate it with @call (under its own name)"
            )
