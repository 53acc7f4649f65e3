"""The node tree: binding to paths, children, lifecycle."""

from __future__ import annotations

import asyncio
import enum
import logging
from typing import Any

from raccoon.reactive import Dependency, ReactiveDict

from ._context import NodeContext
from ._errors import NodeError, PathError
from ._path import Path, PathLike
from ._signal import Signal

__all__ = ["Node", "NodeState"]

log = logging.getLogger("raccoon.node")


class NodeState(enum.Enum):
    """The lifecycle of a node; only the transitions drawn here happen::

    UNBOUND ──node_bind──▶ BINDING ──▶ BOUND ──node_unbind──▶ UNBINDING ──▶ UNBOUND
                              └──(failure)──▶ UNBOUND
    """

    UNBOUND = "unbound"
    BINDING = "binding"
    BOUND = "bound"
    UNBINDING = "unbinding"


class Node:
    """A member of the node tree, bound to a dotted path.

    The basic API is four coroutines — :meth:`node_bind`, :meth:`node_add`,
    :meth:`node_remove`, :meth:`node_unbind` — and their signals
    ``on_node_bind``, ``on_node_add``, ``on_node_unbind`` (local to the
    process: they are not published on the realm). Children are
    attributes of their parent, but only ``node_add``/``node_remove`` may
    change them: assigning or deleting such an attribute raises
    :class:`NodeError`.

    A plain ``Node`` lives in this process only; :class:`WAMPNode` also
    registers its endpoints and signals on the realm.
    """

    on_node_bind = Signal(local=True, doc="The node was bound: ``(node, path, parent)``.")
    on_node_add = Signal(local=True, doc="A child was added: ``(name, node, path)``.")
    on_node_unbind = Signal(local=True, doc="The node is being unbound: ``(node, path, parent)``.")

    node_path: Path | None
    node_context: NodeContext | None
    node_parent: Node | None
    node_name: str | None
    # Internal state, set in __new__ (declared here for the type checker).
    _node_state: NodeState
    _node_children: dict[str, Node]
    _node_reserved: set[str]
    _node_unbinding: asyncio.Future[None] | None
    _node_data: ReactiveDict | None
    _node_children_dep: Dependency

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # Set up in __new__ so that subclasses need not call super().__init__().
        self = super().__new__(cls)
        init = object.__setattr__
        init(self, "node_path", None)
        init(self, "node_context", None)
        init(self, "node_parent", None)
        init(self, "node_name", None)
        init(self, "_node_state", NodeState.UNBOUND)
        init(self, "_node_children", {})
        init(self, "_node_reserved", set())
        init(self, "_node_unbinding", None)
        init(self, "_node_data", None)
        init(self, "_node_children_dep", Dependency())
        return self

    # -- attribute protection ---------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._node_children:
            raise NodeError(
                f"cannot assign {name!r} on {self!r}: it is a child node; "
                f"use `await node.node_remove({name!r})` first"
            )
        if isinstance(value, Node) and value._node_state is NodeState.UNBOUND:
            raise NodeError(
                f"cannot assign an unbound {type(value).__name__} to {name!r} on {self!r}: "
                f"use `await node.node_add({name!r}, child)` to bind it as a child"
            )
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in self._node_children:
            raise NodeError(
                f"cannot delete {name!r} on {self!r}: it is a child node; "
                f"use `await node.node_remove({name!r})`"
            )
        object.__delattr__(self, name)

    # -- state -------------------------------------------------------------
    @property
    def node_state(self) -> NodeState:
        """Where the node is in its lifecycle."""
        return self._node_state

    @property
    def node_bound(self) -> bool:
        """True while the node is bound (and not being unbound)."""
        return self._node_state is NodeState.BOUND

    @property
    def node_children(self) -> dict[str, Node]:
        """The children by name (a copy; reading it is tracked, so a
        computation re-runs when children are added or removed)."""
        self._node_children_dep.depend()
        return dict(self._node_children)

    # -- reactive state ------------------------------------------------------
    @property
    def node_data(self) -> ReactiveDict:
        """The node's reactive state: a :class:`~raccoon.reactive.ReactiveDict`.

        ``node['key']`` reads it (tracked) and ``node['key'] = value`` writes
        it; a :class:`WAMPNode`'s state can be observed from other sessions
        (``await other.remote(path).observe()``).
        """
        data = self._node_data
        if data is None:
            data = ReactiveDict()
            object.__setattr__(self, "_node_data", data)
        return data

    def __getitem__(self, key: str) -> Any:
        return self.node_data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.node_data[key] = value

    def __delitem__(self, key: str) -> None:
        del self.node_data[key]

    def __contains__(self, key: object) -> bool:
        return key in self.node_data

    def node_resolve(self, path: PathLike) -> Path:
        """Resolve ``path`` (``'@x'``, ``'#name'`` or absolute) from this node."""
        if self.node_path is None:
            raise NodeError(f"{self!r} is not bound: cannot resolve {path!r}")
        return self.node_path.resolve(path, self.node_context)

    def _require_bound(self, action: str) -> Path:
        if self._node_state is not NodeState.BOUND or self.node_path is None:
            raise NodeError(f"cannot {action}: {self!r} is {self._node_state.value}, not bound")
        return self.node_path

    # -- lifecycle ---------------------------------------------------------
    async def node_bind(
        self,
        path: PathLike,
        context: NodeContext | None = None,
        parent: Node | None = None,
    ) -> None:
        """Bind this node at ``path``.

        ``context`` defaults to the parent's (children share their parent's
        context branch) or to a new empty one.
        """
        if self._node_state is not NodeState.UNBOUND:
            raise NodeError(f"cannot bind {self!r}: it is {self._node_state.value}")
        path = path if isinstance(path, Path) else Path(path)
        if context is None:
            context = parent.node_context if parent is not None else NodeContext()
        if not isinstance(context, NodeContext):
            raise TypeError(f"context must be a NodeContext, got {type(context).__name__}")
        init = object.__setattr__
        init(self, "_node_state", NodeState.BINDING)
        init(self, "node_path", path)
        init(self, "node_context", context)
        init(self, "node_parent", parent)
        init(self, "node_name", path.name)
        try:
            await self._node_bind_hook()
        except BaseException:
            self._node_reset()
            raise
        init(self, "_node_state", NodeState.BOUND)
        await self.on_node_bind.notify(node=self, path=path, parent=parent)

    async def node_add(self, name: str, child: Node) -> Node:
        """Bind ``child`` at ``self.node_path + name`` and make it the
        attribute ``name``; returns the child."""
        path = self._require_bound(f"add {name!r}")
        if not isinstance(child, Node):
            raise TypeError(f"node_add needs a Node, got {type(child).__name__}")
        child_path = path + name  # validates the fragment
        if "." in name:
            raise PathError(f"child name {name!r} must be a single fragment")
        if name in self._node_reserved or hasattr(self, name):
            raise NodeError(f"cannot add {name!r} to {self!r}: that attribute already exists")
        if child._node_state is not NodeState.UNBOUND:
            raise NodeError(f"cannot add {child!r}: it is already {child._node_state.value}")
        self._node_reserved.add(name)
        try:
            await child.node_bind(child_path, self.node_context, parent=self)
            self._node_children[name] = child
            object.__setattr__(self, name, child)
        finally:
            self._node_reserved.discard(name)
        self._node_children_dep.changed()
        self._node_child_added(name)
        await self.on_node_add.notify(name=name, node=child, path=child_path)
        return child

    async def node_remove(self, name: str) -> None:
        """Unbind the child ``name`` (and its descendants) and drop it."""
        child = self._node_children.get(name)
        if child is None:
            raise NodeError(f"{self!r} has no child {name!r}")
        await child.node_unbind()

    async def node_unbind(self) -> None:
        """Unbind this node and, first, all its descendants.

        Idempotent: concurrent calls share one teardown, and unbinding an
        unbound node does nothing.
        """
        state = self._node_state
        if state is NodeState.UNBOUND:
            return
        if state is NodeState.UNBINDING:
            assert self._node_unbinding is not None
            await asyncio.shield(self._node_unbinding)
            return
        if state is NodeState.BINDING:
            raise NodeError(f"cannot unbind {self!r} while it is being bound")
        done = asyncio.get_running_loop().create_future()
        object.__setattr__(self, "_node_unbinding", done)
        object.__setattr__(self, "_node_state", NodeState.UNBINDING)
        try:
            children = list(self._node_children.values())
            results = await asyncio.gather(
                *(c.node_unbind() for c in children), return_exceptions=True
            )
            for child, result in zip(children, results, strict=True):
                if isinstance(result, BaseException):
                    log.error("unbinding %r failed: %r", child, result)
            try:
                await self.on_node_unbind.notify(
                    node=self, path=self.node_path, parent=self.node_parent
                )
            except Exception:
                log.exception("an on_node_unbind handler of %r failed", self)
            await self._node_unbind_hook()
        finally:
            parent = self.node_parent
            name = self.node_name
            if parent is not None and name is not None and parent._node_children.get(name) is self:
                del parent._node_children[name]
                object.__delattr__(parent, name)
                parent._node_children_dep.changed()
                parent._node_child_removed(name)
            self._node_reset()
            done.set_result(None)

    def _node_reset(self) -> None:
        init = object.__setattr__
        init(self, "_node_state", NodeState.UNBOUND)
        init(self, "node_path", None)
        init(self, "node_context", None)
        init(self, "node_parent", None)
        init(self, "node_name", None)

    # -- hooks for subclasses ---------------------------------------------
    async def _node_bind_hook(self) -> None:
        """Called while binding, after path and context are set."""

    async def _node_unbind_hook(self) -> None:
        """Called while unbinding, after the children are gone."""

    def _node_child_added(self, name: str) -> None:
        """Called after a child was added."""

    def _node_child_removed(self, name: str) -> None:
        """Called after a child was removed."""

    def __repr__(self) -> str:
        where = f" at {self.node_path}" if self.node_path is not None else ""
        return f"<{type(self).__qualname__}{where}>"
