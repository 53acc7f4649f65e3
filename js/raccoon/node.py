"""The node tree in the browser: binding to paths, children, lifecycle.

The same four coroutines as the server's ``raccoon.node.Node`` —
:meth:`Node.node_bind`, :meth:`Node.node_add`, :meth:`Node.node_remove`,
:meth:`Node.node_unbind` — and their local signals ``on_node_bind``,
``on_node_add``, ``on_node_unbind``. A child is an attribute of its parent.

Differences forced by JavaScript: a subclass ``__init__`` must start with
``super().__init__()``; assigning a child attribute directly is not
prevented (there is no ``__setattr__``); the reactive state is read and
written with ``node.node_data.get(key)`` / ``node.node_data.set(key, v)``.
"""

from __globals__ import Error, Promise

from .context import NodeContext
from .errors import NodeError, PathError
from .path import Path
from .reactive import ReactiveDict
from .signal import Signal, class_meta, log_error
from .tracker import Dependency

UNBOUND = "unbound"
BINDING = "binding"
BOUND = "bound"
UNBINDING = "unbinding"


class Node:
    """A member of the node tree, bound to a dotted path."""

    on_node_bind = Signal(local=True)
    on_node_add = Signal(local=True)
    on_node_unbind = Signal(local=True)

    def __init__(self):
        class_meta(self.constructor)
        self.node_path = None
        self.node_context = None
        self.node_parent = None
        self.node_name = None
        self._node_state = UNBOUND
        self._node_children = {}
        self._node_unbinding = None
        self._node_data = None
        self._node_children_dep = Dependency()

    # -- state -----------------------------------------------------------------------
    @property
    def node_state(self):
        """``'unbound'``, ``'binding'``, ``'bound'`` or ``'unbinding'``."""
        return self._node_state

    @property
    def node_bound(self):
        """True while the node is bound."""
        return self._node_state == BOUND

    @property
    def node_children(self):
        """The children by name (a copy; tracked)."""
        self._node_children_dep.depend()
        result = {}
        for name in self._node_children:
            result[name] = self._node_children[name]
        return result

    @property
    def node_data(self):
        """The node's reactive state (a :class:`ReactiveDict`)."""
        if self._node_data is None:
            self._node_data = ReactiveDict()
        return self._node_data

    def node_resolve(self, path):
        """Resolve ``path`` (``'@x'``, ``'#name'`` or absolute) from this node."""
        if self.node_path is None:
            raise NodeError(f"{self} is not bound: cannot resolve '{path}'")
        return self.node_path.resolve(path, self.node_context)

    def _require_bound(self, action):
        if self._node_state != BOUND:
            raise NodeError(f"cannot {action}: {self} is {self._node_state}, not bound")
        return self.node_path

    # -- lifecycle -------------------------------------------------------------------
    async def node_bind(self, path, context=None, parent=None):
        """Bind this node at ``path`` (a Path, a dotted string, or the string
        ``base + 'x'`` makes in JavaScript)."""
        if self._node_state != UNBOUND:
            raise NodeError(f"cannot bind {self}: it is {self._node_state}")
        path = path if isinstance(path, Path) else Path(path)
        if context is None:
            context = parent.node_context if parent is not None else NodeContext()
        self._node_state = BINDING
        self.node_path = path
        self.node_context = context
        self.node_parent = None if parent is None else parent
        self.node_name = path.name
        try:
            await self._node_bind_hook()
        except Error as error:
            self._node_reset()
            raise error
        self._node_state = BOUND
        await self.on_node_bind.notify(self, path, parent)

    async def node_add(self, name, child):
        """Bind ``child`` at ``self.node_path + name`` and make it the
        attribute ``name``; returns the child."""
        path = self._require_bound(f"add '{name}'")
        if not isinstance(child, Node):
            raise TypeError("node_add needs a Node")
        child_path = path.add(name)
        if name.indexOf(".") >= 0:
            raise PathError(f"child name '{name}' must be a single fragment")
        if name in self._node_children or self[name] is not None:
            raise NodeError(f"cannot add '{name}' to {self}: that attribute already exists")
        if child._node_state != UNBOUND:
            raise NodeError(f"cannot add {child}: it is already {child._node_state}")
        self._node_children[name] = child
        try:
            await child.node_bind(child_path, self.node_context, self)
        except Error as error:
            del self._node_children[name]
            raise error
        self[name] = child
        self._node_children_dep.changed()
        self._node_child_added(name)
        await self.on_node_add.notify(name, child, child_path)
        return child

    async def node_remove(self, name):
        """Unbind the child ``name`` (and its descendants) and drop it."""
        if name not in self._node_children:
            raise NodeError(f"{self} has no child '{name}'")
        await self._node_children[name].node_unbind()

    async def node_unbind(self):
        """Unbind this node and, first, all its descendants (idempotent)."""
        state = self._node_state
        if state == UNBOUND:
            return
        if state == UNBINDING:
            await self._node_unbinding
            return
        if state == BINDING:
            raise NodeError(f"cannot unbind {self} while it is being bound")
        self._node_state = UNBINDING
        self._node_unbinding = self._node_do_unbind()
        await self._node_unbinding

    async def _node_do_unbind(self):
        try:
            children = [self._node_children[name] for name in list(self._node_children)]
            outcomes = await Promise.allSettled([c.node_unbind() for c in children])
            for outcome in outcomes:
                if outcome.status == "rejected":
                    log_error(f"unbinding a child of {self} failed", outcome.reason)
            try:
                await self.on_node_unbind.notify(self, self.node_path, self.node_parent)
            except Error as error:
                log_error(f"an on_node_unbind handler of {self} failed", error)
            await self._node_unbind_hook()
        finally:
            parent = self.node_parent
            name = self.node_name
            if parent is not None and name in parent._node_children:
                if parent._node_children[name] is self:
                    del parent._node_children[name]
                    del parent[name]
                    parent._node_children_dep.changed()
                    parent._node_child_removed(name)
            self._node_reset()

    def _node_reset(self):
        self._node_state = UNBOUND
        self.node_path = None
        self.node_context = None
        self.node_parent = None
        self.node_name = None

    # -- hooks for subclasses ----------------------------------------------------------
    async def _node_bind_hook(self):
        """Called while binding, after path and context are set."""

    async def _node_unbind_hook(self):
        """Called while unbinding, after the children are gone."""

    def _node_child_added(self, name):
        """Called after a child was added."""

    def _node_child_removed(self, name):
        """Called after a child was removed."""

    def __str__(self):
        where = "" if self.node_path is None else f" at {self.node_path}"
        return "<" + self.constructor.name + where + ">"


__all__ = ["BINDING", "BOUND", "UNBINDING", "UNBOUND", "Node"]
