"""Proxies: a local handle on a remote path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ._context import NodeContext
from ._errors import NodeError
from ._path import Path, PathLike

if TYPE_CHECKING:
    from ._connection import Connection, Subscription
    from ._state import RemoteState

__all__ = ["Proxy"]


class Proxy:
    """Stands for whatever lives at a path of the realm, in another session
    or this one.

    Attribute access goes down the path; calling the proxy calls the
    procedure at its path; ``connect``/``disconnect``/``notify`` treat it as a
    signal::

        orders = node.remote('@orders')
        total = await orders.total(customer=7)      # calls app.orders.total
        await orders.on_saved.connect(refresh)       # subscribes
        await orders.on_saved.notify(42)             # publishes

    An endpoint whose name collides with those methods is reached with
    item access: ``orders['connect']()``.
    """

    __slots__ = ("_context", "node_path")

    def __init__(self, path: PathLike, context: NodeContext) -> None:
        self.node_path = path if isinstance(path, Path) else Path(path)
        self._context = context

    @property
    def node_context(self) -> NodeContext:
        """The context the proxy resolves and connects through."""
        return self._context

    @property
    def _connection(self) -> Connection:
        conn = self._context.get("wamp")
        if conn is None:
            raise NodeError(f"proxy for {self.node_path} has no WAMP connection in its context")
        return conn

    def __getattr__(self, name: str) -> Proxy:
        if name.startswith("_"):
            raise AttributeError(name)
        return Proxy(self.node_path + name, self._context)

    def __getitem__(self, name: str) -> Proxy:
        return Proxy(self.node_path + name, self._context)

    def remote(self, path: PathLike) -> Proxy:
        """A proxy for ``path`` resolved against this proxy's path."""
        return Proxy(self.node_path.resolve(path, self._context), self._context)

    def __call__(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        # Not a coroutine function: the connection returns a future, and many
        # concurrent calls then cost no task each.
        return self._connection.call(str(self.node_path), args, kwargs, context=self._context)

    async def connect(self, callback: Callable[..., Any]) -> Subscription:
        """Deliver the signal at this path to ``callback`` (held weakly if a
        bound method)."""
        return await self._connection.subscribe(str(self.node_path), callback)

    async def disconnect(self, callback: Callable[..., Any]) -> None:
        """Stop delivering this signal to ``callback``."""
        await self._connection.unsubscribe_callback(str(self.node_path), callback)

    async def notify(self, *args: Any, **kwargs: Any) -> None:
        """Publish the signal at this path."""
        await self._connection.publish(str(self.node_path), args, kwargs)

    async def observe(self) -> RemoteState:
        """A live replica of the reactive state of the node at this path::

        master = await node.remote('@master').observe()
        autorun(lambda: print(master.data.get('current_id')))
        """
        from ._state import RemoteState  # the state module builds on proxies' context

        return await RemoteState(self.node_path, self._context).start()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Proxy):
            return self.node_path == other.node_path
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("proxy", str(self.node_path)))

    def __repr__(self) -> str:
        return f"<Proxy {self.node_path}>"
