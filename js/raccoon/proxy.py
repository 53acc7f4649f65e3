"""Proxies: a local handle on a remote path (JavaScript only).

``node.remote('@orders')`` returns a proxy. As on the server, attribute
access goes down the path and calling it calls the endpoint there::

    total = await node.remote('@orders').total(7)       # calls app.orders.total
    await node.remote('@orders.on_saved').connect(refresh)
    await node.remote('@orders.on_saved').notify(42)

JavaScript has no ``__getattr__``: a proxy is an ES6 ``Proxy`` around a
function, whose ``get`` trap returns the proxy's own members (``node_path``,
``call``, ``call_kw``, ``connect``, ``disconnect``, ``notify``, ``observe``,
``child``, ``remote``, ``toString``) and a child proxy for any other name.
Its ``has`` trap answers for the same members, so ``hasattr(proxy,
'node_path')`` (``'node_path' in proxy`` once transpiled) is true, as for a
node: that is how ``'#controller'`` resolves through the view's context.
``proxy.child('connect')`` reaches an endpoint named like a member. A proxy
is not *thenable* (``then`` is undefined), so ``await`` treats it as a value.

Keyword arguments: ``proxy.total(7, currency='EUR')`` would pass
``{currency: 'EUR'}`` as a second positional argument (JavaScripthon's
convention); use ``proxy.total.call_kw([7], {'currency': 'EUR'})`` to send
WAMP keyword arguments.
"""

from __globals__ import globalThis

from .errors import NodeError
from .path import Path

PROXY_MARK = "__raccoon_proxy__"

_MEMBERS = {
    "node_path": True,
    "node_context": True,
    "call": True,
    "call_kw": True,
    "connect": True,
    "disconnect": True,
    "notify": True,
    "notify_kw": True,
    "observe": True,
    "child": True,
    "remote": True,
    "toString": True,
    "equals": True,
}


class ProxyCore:
    """What a proxy knows: its path and the context it connects through."""

    def __init__(self, path, context):
        self.node_path = path if isinstance(path, Path) else Path(path)
        self.node_context = context

    def _connection(self):
        conn = self.node_context.get("wamp")
        if conn is None:
            raise NodeError(f"the proxy for {self.node_path} has no WAMP connection in its context")
        return conn

    def call(self, *args):
        """Call the endpoint at this path with positional arguments."""
        return self._connection().call(f"{self.node_path}", args, {}, None, self.node_context)

    def call_kw(self, args, kwargs):
        """Call the endpoint with positional and keyword arguments."""
        return self._connection().call(f"{self.node_path}", args, kwargs, None, self.node_context)

    def child(self, name):
        """The proxy of ``name`` below this path."""
        return make_proxy(self.node_path.add(name), self.node_context)

    def remote(self, path):
        """A proxy for ``path`` resolved against this proxy's path."""
        return make_proxy(self.node_path.resolve(path, self.node_context), self.node_context)

    async def connect(self, callback):
        """Deliver the signal at this path to ``callback``."""
        return await self._connection().subscribe(f"{self.node_path}", callback)

    async def disconnect(self, callback):
        """Stop delivering this signal to ``callback``."""
        await self._connection().unsubscribe_callback(f"{self.node_path}", callback)

    async def notify(self, *args):
        """Publish the signal at this path."""
        await self._connection().publish(f"{self.node_path}", args, {})

    async def notify_kw(self, args, kwargs):
        """Publish the signal with positional and keyword arguments."""
        await self._connection().publish(f"{self.node_path}", args, kwargs)

    async def observe(self):
        """A live replica of the reactive state of the node at this path."""
        factory = self.node_context.get("remote_state")
        if factory is None:
            raise NodeError("no RemoteState factory in the context (import raccoon.state)")
        state = factory(self.node_path, self.node_context)
        return await state.start()

    def equals(self, other):
        """Whether ``other`` is a proxy (or node) of the same path."""
        return (
            other is not None
            and other.node_path is not None
            and self.node_path.equals(other.node_path)
        )

    def toString(self):
        return f"<Proxy {self.node_path}>"


def make_proxy(path, context):
    """A callable, attribute-chaining proxy for ``path``."""
    core = ProxyCore(path, context)

    def invoke(*args):
        return core.call(*args)

    def get(target, prop, receiver):
        if typeof(prop) == "symbol" or prop == "then":
            return None if prop == "then" else target[prop]
        if prop == PROXY_MARK:
            return True
        if prop in _MEMBERS:
            member = core[prop]
            return member.bind(core) if typeof(member) == "function" else member
        return core.child(prop)

    def answers(target, prop):
        # Without this trap `in` looks at the bare function `invoke`, and
        # hasattr(proxy, 'node_path') is false: Path.resolve('#controller')
        # then refuses the view's controller proxy. Child names are not
        # listed: any name reads as a child, none is a member.
        if typeof(prop) == "symbol":
            return prop in target
        return prop == PROXY_MARK or prop in _MEMBERS or prop in target

    return globalThis.Proxy(invoke, {"get": get, "has": answers})


def is_proxy(value):
    """Whether ``value`` is a proxy made by :func:`make_proxy`."""
    return value is not None and typeof(value) == "function" and value[PROXY_MARK] is True


__all__ = ["PROXY_MARK", "ProxyCore", "is_proxy", "make_proxy"]
