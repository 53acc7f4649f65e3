"""Actions: what a controller offers the user (menu entries, toolbar buttons)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from raccoon.node import Node, RPCError, WAMPNode, call

from ._errors import ContextStateError
from ._translation import Catalog, Translatable

if TYPE_CHECKING:
    from ._content import Content
    from ._context import ContextNode
    from ._contexts import Contexts
    from ._controller import Controller
    from ._operation import Operation

__all__ = ["Action", "ActionSet", "OpenAction", "contexts_of"]


class Action(WAMPNode):
    """Something a controller lets the user do, run by the client through
    its ``run`` endpoint.

    Class-level declarations describe it to the client's desktop and menus::

        class Logout(Action):
            ID = 'logout'                     # its path fragment and identity
            CATEGORIES = ('session',)         # where menus place it
            LABEL = _('Logout')               # str or translatable
            HINT = _('Leave this session.')
            ICON = 'sign-out'

            @call
            async def run(self):
                await self.remote('#view').logout()

    Actions are bound under their controller (``<controller>.actions.<ID>``)
    when a context opens and share its node context, so ``'#controller'``
    and ``'#view'`` reach the pair. ``run`` must stay an ``@call`` endpoint
    under its own name; a context refuses to open otherwise.
    """

    ID: ClassVar[str | None] = None
    CATEGORIES: ClassVar[tuple[str, ...]] = ()
    LABEL: ClassVar[str | Translatable | None] = None
    HINT: ClassVar[str | Translatable | None] = None
    ICON: ClassVar[str | None] = None

    @call
    async def run(self) -> Any:
        """Do the action; subclasses override it (keeping ``@call``)."""
        raise RPCError(
            f"{type(self).__qualname__} does not implement run(): override it with "
            "`@call async def run(self, ...)`",
            uri="raccoon.error.not_implemented",
        )

    @classmethod
    def describe(
        cls, language: str | None = None, catalog: Catalog | None = None
    ) -> dict[str, Any]:
        """``{id, categories, label, hint, icon}`` for the client, with the
        label and hint translated to ``language`` through ``catalog``."""
        return {
            "id": cls.ID,
            "categories": list(cls.CATEGORIES),
            "label": _text(cls.LABEL, language, catalog),
            "hint": _text(cls.HINT, language, catalog),
            "icon": cls.ICON,
        }

    @property
    def controller(self) -> Controller:
        """The controller of this action's context."""
        controller = self.node_context.get("controller") if self.node_context else None
        if controller is None:
            raise ContextStateError(
                f"{self!r} has no controller: actions are bound by an open context "
                "(ContextNode.open), not on their own"
            )
        return controller

    async def start_context(
        self, operation: Operation | str, content: Content | dict[str, Any]
    ) -> ContextNode:
        """Open a new context by intent, beside this one in the session."""
        return await contexts_of(self).open_context(operation, content)


class OpenAction(Action):
    """An action that opens a context by intent — declared, with no code::

        class OpenProjects(OpenAction):
            ID = "open_projects"
            LABEL = _("Projects")
            CONTENT = Content("orders.projects")
            OPERATION = OPERATIONS.VIEW       # the default

    ``run`` opens a new context beside this one in the session (the
    controller is elected for ``OPERATION`` on ``CONTENT`` as for any intent)
    and returns its description, from which the client makes the view. A
    subclass without ``CONTENT`` is refused when it is defined.
    """

    OPERATION: ClassVar[Operation | str] = "view"
    CONTENT: ClassVar[Content | dict[str, Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.CONTENT is None:
            raise TypeError(
                f"{cls.__qualname__} must set CONTENT, the content it opens: "
                'CONTENT = Content("orders.projects")'
            )

    @call
    async def run(self) -> dict[str, Any]:
        """Open the context; its description."""
        assert self.CONTENT is not None  # __init_subclass__ saw to it
        context = await self.start_context(self.OPERATION, self.CONTENT)
        return context.describe()


class ActionSet(WAMPNode):
    """The node that holds a controller's actions (``controller.actions``),
    so action IDs never collide with the controller's own attributes; each
    action is its child and attribute: ``controller.actions.logout``."""


def _text(
    value: str | Translatable | None, language: str | None, catalog: Catalog | None
) -> str | None:
    if value is None:
        return None
    if isinstance(value, Translatable):
        return value.translate(language, catalog)
    return catalog.translate(value, language) if catalog is not None else value


def contexts_of(node: Node) -> Contexts:
    """The session's :class:`Contexts` container that ``node`` lives in."""
    contexts = node.node_context.get("contexts") if node.node_context is not None else None
    if contexts is None:
        raise ContextStateError(
            f"{node!r} is not inside a session's Contexts container, so it cannot start "
            "or close contexts: open its context through Contexts.open_context()"
        )
    return contexts
