"""Proxies (node only: ES6 Proxy) and in-process dispatch of a connection
that never joined a router."""

from ...connection import Connection
from ...errors import NodeError
from ...path import Path
from ...proxy import is_proxy, make_proxy
from ...signal import Signal, call, handler, register_signals
from ...testing import assert_equal
from ...wamp import WAMPNode, default_serialization


def test_attribute_access_goes_down_the_path():
    conn = Connection("ws://127.0.0.1:9/ws", "realm")
    proxy = make_proxy(Path("app.orders"), conn.new_context())
    assert proxy.total.node_path.equals("app.orders.total")
    assert proxy.child("connect").node_path.equals("app.orders.connect")
    assert is_proxy(proxy.a.b)
    assert not is_proxy({})
    assert proxy.then is None  # not thenable: `await proxy` is the proxy


@register_signals
class Calculator(WAMPNode):
    on_added = Signal()

    @call
    async def add(self, a, b):
        await self.on_added.notify(a + b)
        return a + b


@register_signals
class Display(WAMPNode):
    def __init__(self):
        super().__init__()
        self.seen = []

    @handler("@calc.on_added")
    def show(self, total):
        self.seen.append(total)


async def test_same_connection_calls_and_events_are_in_process():
    # Never connected: only in-process dispatch can make this work.
    conn = Connection("ws://127.0.0.1:9/ws", "realm")
    calc = Calculator()
    display = Display()
    base = Path("app")
    await calc.node_bind(base.add("calc"), conn.new_context())
    await display.node_bind(base.add("display"), conn.new_context())
    assert await display.remote("@calc").add(2, 3) == 5
    assert_equal(display.seen, [5])
    await display.node_unbind()
    await calc.node_unbind()
    assert not conn.registered("app.calc.add")


async def test_registering_twice_names_both_owners():
    conn = Connection("ws://127.0.0.1:9/ws", "realm")
    await Calculator().node_bind("app.calc", conn.new_context())
    try:
        await Calculator().node_bind("app.calc", conn.new_context())
    except NodeError as error:
        assert "already registered it on this connection" in error.message
        return
    raise NodeError("no error")


def test_nodes_and_proxies_travel_as_proxies():
    conn = Connection("ws://127.0.0.1:9/ws", "realm")
    registry = default_serialization()
    proxy = make_proxy(Path("a.b"), conn.new_context())
    encoded = registry.encode([proxy, Path("c.d")])
    assert_equal(
        encoded,
        [
            {"__raccoon__": "proxy", "value": "a.b"},
            {"__raccoon__": "path", "value": "c.d"},
        ],
    )
    decoded = registry.decode({"__raccoon__": "node", "value": "x.y"}, conn.context)
    assert is_proxy(decoded) and decoded.node_path.equals("x.y")
