"""Controllers: the server half of a context, elected by intent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from raccoon.node import Node, WAMPNode, call

from ._action import ActionSet, contexts_of
from ._condition import Condition
from ._content import Content
from ._errors import ContextStateError
from ._operation import Operation

if TYPE_CHECKING:
    from ._context import ContextNode

__all__ = ["Controller"]


class Controller(WAMPNode):
    """The server side of a context: realizes an operation on a content.

    A controller class declares when it can be elected and what it brings::

        class Desktop(Controller):
            OPERATION = OPERATIONS.VIEW
            CONTENT = {(Content.source == 'auth.users') & (Content.len == 1)}
            CURSORS = {'user': 'auth.users'}
            VIEW = {'type': 'Desktop'}
            ACTIONS = [Logout]

    - ``OPERATION``: an :class:`Operation` or a set of them (required);
    - ``CONTENT``: a condition, or a set of alternative conditions; leave it
      out to accept any content (the least specific choice);
    - ``CURSORS``: cursor name → source name; each is made by
      :meth:`make_cursor` and bound as a child when the context opens;
    - ``VIEW``: a JSON description of the client view to pair with it;
    - ``ACTIONS``: :class:`Action` classes it offers (nested lists are
      flattened; Action classes defined in the controller's body count too);
    - ``PRIORITY``: breaks a tie between equally specific controllers
      (higher wins; default 0).

    When its context is open, ``self.operation`` and ``self.content`` hold
    the intent it was elected for, and ``'#view'`` reaches the client view.
    """

    OPERATION: ClassVar[Operation | str | Iterable[Operation | str] | None] = None
    CONTENT: ClassVar[Condition | Iterable[Condition] | None] = None
    CURSORS: ClassVar[Mapping[str, str]] = {}
    VIEW: ClassVar[Mapping[str, Any]] = {}
    ACTIONS: ClassVar[Sequence[Any]] = ()
    PRIORITY: ClassVar[int] = 0

    # Set by the context before the controller is bound.
    operation: Operation
    """The operation the controller was elected for."""
    content: Content
    """The content the controller was elected for."""
    # A child node once the context is open (an annotation only: a class
    # attribute of that name would stop node_add from binding it).
    actions: ActionSet
    """The node holding the bound actions: ``controller.actions.logout``."""

    async def make_cursor(self, name: str, source_name: str, content: Content) -> Node | None:
        """Make the cursor ``name`` over ``source_name`` for ``content``.

        Called for each ``CURSORS`` entry when the context opens; return an
        *unbound* node (the context binds it as the child ``name``) or
        ``None`` for no cursor. The default makes none: the data layer (or
        the service) overrides this to bind real cursors.
        """
        return None

    @property
    def context(self) -> ContextNode:
        """The context this controller was elected for."""
        context = self.node_context.get("context") if self.node_context is not None else None
        if context is None:
            raise ContextStateError(f"{self!r} is not the controller of an open context")
        return context

    async def start_context(
        self, operation: Operation | str, content: Content | Mapping[str, Any]
    ) -> ContextNode:
        """Open a new context by intent, as a sibling of this one in the
        session; returns it (``.id``, ``.node_path``, ``.describe()``)."""
        return await contexts_of(self).open_context(operation, content)

    async def close_context(self) -> None:
        """Close this controller's own context (and so unbind this controller)."""
        context = self.context
        contexts = self.node_context.get("contexts") if self.node_context is not None else None
        if contexts is not None and context.id in contexts.contexts:
            await contexts.close_context(context.id)
        else:
            await context.close()

    @call
    async def describe(self, language: str | None = None) -> dict[str, Any]:
        """The context this controller belongs to, for the client (see
        :meth:`ContextNode.describe`)."""
        return self.context.describe(language)
