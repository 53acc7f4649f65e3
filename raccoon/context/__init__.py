"""Intents instead of routing: operations, contents, controllers, contexts.

The client does not navigate to URLs: it asks for an **operation** on some
**content** (an *intent*, as on Android), and the server elects the
**controller** that can realize it. The controller is paired with a client
view in a **context**, where ``'#controller'`` and ``'#view'`` address the
pair. See ``docs/intents.md``.

Example::

    from raccoon.context import (OPERATIONS, Action, Content, Contexts, Controller,
                                 Registry, translatable as _)
    from raccoon.node import call

    class Logout(Action):
        ID = 'logout'
        CATEGORIES = ('session',)
        LABEL = _('Logout')
        HINT = _('Leave this session.')
        ICON = 'sign-out'

        @call
        async def run(self):
            await self.remote('#view').logout()

    class Desktop(Controller):
        OPERATION = OPERATIONS.VIEW
        CONTENT = {(Content.source == 'auth.users') & (Content.len == 1)}
        CURSORS = {'user': 'auth.users'}
        VIEW = {'type': 'Desktop'}
        ACTIONS = [Logout]

    registry = Registry([Desktop])
    contexts = Contexts(registry)
    await contexts.node_bind(session_path, connection.new_context())
    await contexts.open_context('view', Content('auth.users', ids=[user_id]))
"""

from ._action import Action, ActionSet, OpenAction
from ._condition import Condition, Term
from ._content import Content
from ._context import ContextNode, ContextState
from ._contexts import Contexts
from ._controller import Controller
from ._errors import (
    AmbiguousIntent,
    ContextError,
    ContextStateError,
    ElectionError,
    InvalidIntent,
    NoController,
    RegistrationError,
)
from ._operation import OPERATIONS, Operation
from ._registry import Candidate, Registry
from ._translation import DEFAULT_LANGUAGE, Catalog, Translatable, translatable, translate_json

__all__ = [
    "DEFAULT_LANGUAGE",
    "OPERATIONS",
    "Action",
    "ActionSet",
    "AmbiguousIntent",
    "Candidate",
    "Catalog",
    "Condition",
    "Content",
    "ContextError",
    "ContextNode",
    "ContextState",
    "ContextStateError",
    "Contexts",
    "Controller",
    "ElectionError",
    "InvalidIntent",
    "NoController",
    "OpenAction",
    "Operation",
    "RegistrationError",
    "Registry",
    "Term",
    "Translatable",
    "translatable",
    "translate_json",
]
