"""Views: the client half of a context (JavaScript only).

The server elects a controller for an intent and describes the context
(``docs/intents.md``); the client makes the :class:`View` registered for
its ``view_spec.type`` and binds it at the context's view path, so that on
both sides ``'#controller'`` and ``'#view'`` address the pair::

    @register_signals
    class CompaniesView(View):
        async def render(self, element):
            self.companies = await self.cursor('companies')
            ...

    views = {'Companies': CompaniesView}

``self.description`` is the server's description (``id``, ``actions``,
``cursors``...), ``self.session`` the :class:`~.session.ClientSession`,
``self.element`` the DOM element the view draws into.
"""

from __globals__ import document

from .cursor import CursorProxy
from .errors import NodeError
from .proxy import make_proxy
from .wamp import WAMPNode

__all__ = ["View", "actions_of", "element"]


class View(WAMPNode):
    """The base class of client views, paired with a server controller."""

    def __init__(self, session, description):
        super().__init__()
        self.session = session
        self.description = description
        self.element = None
        self._cursors = {}

    @property
    def id(self):
        """The context's id in the session (``'ctx1'``)."""
        return self.description.id

    @property
    def controller(self):
        """A proxy for the server controller (``'#controller'``)."""
        return self.remote("#controller")

    async def attach(self, connection, element):
        """Bind at the context's view path and render into ``element``."""
        ctx = connection.new_context(session=self.session)
        ctx.set("controller", make_proxy(self.description.controller, ctx))
        ctx.set("view", self)
        self.element = element
        await self.node_bind(self.description.view, ctx)
        await self.render(element)

    async def render(self, element):
        """Draw the view; subclasses override it."""
        element.textContent = f"{self.description.view_spec.type} ({self.id})"

    async def cursor(self, name):
        """A started :class:`CursorProxy` for the controller's cursor ``name``."""
        if self._cursors.get(name, None) is not None:
            return self._cursors[name]
        paths = self.description.cursors
        path = paths.get(name, None)
        if path is None:
            raise NodeError(f"the context {self.id} has no cursor '{name}': it has {list(paths)}")
        proxy = CursorProxy(self.remote(path))
        self._cursors[name] = proxy
        await proxy.start()
        return proxy

    async def run_action(self, action_id):
        """Run the controller's action ``action_id``; returns what it returns."""
        for action in self.description.actions:
            if action.id == action_id:
                return await self.remote(action.path).run()
        raise NodeError(f"the context {self.id} has no action '{action_id}'")

    async def close(self):
        """Stop observing, unbind, remove the element."""
        for name in self._cursors:
            await self._cursors[name].close()
        self._cursors = {}
        if self.node_bound:
            await self.node_unbind()
        if self.element is not None and self.element.parentNode is not None:
            self.element.parentNode.removeChild(self.element)


def element(tag, attributes=None, children=None):
    """A DOM element: ``element('button', {'class': 'x'}, ['text'])``."""
    node = document.createElement(tag)
    if attributes is not None:
        for name in attributes:
            node.setAttribute(name, attributes[name])
    if children is not None:
        for child in children:
            if isinstance(child, str):
                node.appendChild(document.createTextNode(child))
            else:
                node.appendChild(child)
    return node


def actions_of(description, category=None):
    """The actions of a context description, optionally of one category."""
    found = []
    for action in description.actions:
        if category is None or action.categories.indexOf(category) >= 0:
            found.append(action)
    return found
