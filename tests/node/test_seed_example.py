"""The seed's three-node example, as written in the EuroPython 2017 talk,
with only the imports changed to raccoon.node / raccoon.testing."""

import pytest

from raccoon.node import Signal, handler
from raccoon.testing import when_connected


@pytest.mark.asyncio
async def test_node_communication(connection1, connection2):
    import asyncio

    from raccoon.node import Path, call
    from raccoon.node import WAMPNode as Node

    await when_connected(connection1)
    await when_connected(connection2)

    ev = asyncio.Event()
    first = Node()

    class Second(Node):
        on_foo = Signal()

        async def call_third(self):
            await self.remote("@third").rpc("hello")

    class Third(Node):
        def __init__(self):
            self.handler_args = None
            self.something = None

        @handler("@first.second")
        def do_on_second_foo(self, *args):
            self.handler_args = args
            ev.set()

        @call
        async def rpc(self, something):
            self.something = something

    base = Path("test")
    second = Second()
    third = Third()

    await first.node_bind(base + "first", connection1.new_context())
    await third.node_bind(base + "third", connection2.new_context())
    await first.node_add("second", second)

    await second.call_third()
    await second.on_foo.notify("hello handler")
    await ev.wait()

    assert third.something == "hello" and third.handler_args == ("hello handler",)
    await first.node_unbind()
    await third.node_unbind()
