"""The seed's JavaScript example (EuroPython 2017, "..AND IN JAVASCRIPT"):
client nodes in two WAMP sessions talk to each other — and to a Python
server node — through a real router.

Run by tests/js/test_client_router.py, which starts the router, binds the
Python node ``seed.py`` (class PyServer there) and passes the router in
RACCOON_TEST_ROUTER_URL / RACCOON_TEST_ROUTER_REALM. Differences from the
slide: node:test instead of jest (``it`` → exported ``test_*`` functions,
``expect`` → assert / assert_equal), ``gen_ctx()`` → a context of a real
connection, ``super().__init__()`` first in ``__init__`` (JavaScript
requires it; the checker says so), and names imported from the modules
that define them (JavaScripthon turns ``from .. import X`` into an import
of a module named X).
"""

from ...errors import RPCError
from ...path import Path
from ...promise import reversed_promise
from ...signal import Signal, call, handler, register_signals
from ...testing import assert_equal, close_connections, connect_from_env, until
from ...wamp import WAMPNode as Node


async def test_node_communication():
    conn1 = await connect_from_env("js-seed-1")
    conn2 = await connect_from_env("js-seed-2")
    ctx1, ctx2 = conn1.new_context(), conn2.new_context()
    ev = reversed_promise()
    first = Node()

    @register_signals
    class Second(Node):
        on_foo = Signal()

        async def call_third(self):
            await self.remote("@third").rpc("hello")

    @register_signals
    class Third(Node):
        def __init__(self):
            super().__init__()
            self.handler_args = None
            self.something = None

        @handler("@first.second")
        def do_on_second_foo(self, *args):
            self.handler_args = args
            ev.resolve()

        @call
        async def rpc(self, something):
            self.something = something

    base = Path("seed")
    second = Second()
    third = Third()

    await first.node_bind(base + "first", ctx1)
    await third.node_bind(base + "third", ctx2)
    await first.node_add("second", second)

    await second.call_third()
    await second.on_foo.notify("hello handler")
    await ev

    assert third.something == "hello"
    assert_equal(third.handler_args, ["hello handler"])

    # ... and with the Python server node seed.py, in a third WAMP session.
    py = first.remote("@py")
    assert await py.add(2, 3) == 5
    seen = await py.seen_args()  # its @handler('@first.second.on_foo') got ours
    assert_equal(seen, [["hello handler"]])
    assert await py.ping_back("seed.third") == "called seed.third"
    assert third.something == "from python"  # Python called our endpoint

    pings = []
    pinged = reversed_promise()

    @register_signals
    class Listener(Node):
        @handler("@py.on_ping")
        def got(self, value):
            pings.append(value)
            pinged.resolve()

    listener = Listener()
    await first.node_add("listener", listener)
    await py.emit("from python")  # a Python signal, handled here
    await pinged
    assert_equal(pings, ["from python"])

    refused = None
    try:
        await py.refuse()
    except RPCError as error:
        refused = error
    assert refused is not None
    assert refused.uri == "seed.error.refused"
    assert refused.message == "refused on purpose"

    state = await py.observe()  # the Python node's reactive state
    assert state.data.get("count") == 0
    await py.bump()
    await py.bump()
    assert await until(lambda: state.data.get("count") == 2)
    assert_equal(state.children, [])
    await state.close()

    await first.node_unbind()
    await third.node_unbind()


async def teardown():
    await close_connections()
