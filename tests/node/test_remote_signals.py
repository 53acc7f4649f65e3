"""Signals across the realm over a real Crossbar router."""

import asyncio

import pytest

from raccoon.node import Path, Signal, WAMPNode, handler
from raccoon.testing import eventually


class Source(WAMPNode):
    on_foo = Signal()
    changed = Signal(".")

    def __init__(self):
        self.local = []

    @handler("on_foo")
    def local_handler(self, value):
        self.local.append(value)


class Listener(WAMPNode):
    def __init__(self):
        self.remote = []
        self.all = []
        self.details = []
        self.event = asyncio.Event()

    @handler("@source.on_foo")
    def remote_handler(self, value):
        self.remote.append(value)
        self.event.set()

    @handler("@source")
    def every_signal(self, *args, details):
        self.all.append((details.topic, args))
        self.event.set()

    @handler("@source.changed_elsewhere")
    def with_details(self, value, details):
        self.details.append((value, details.topic))


class Sentinel:
    """A fence for "that event did not arrive": WAMP delivers one publisher's
    events to a subscriber in the order they were published, across topics.
    So once a sentinel published after the unwanted event has arrived, the
    unwanted one would have arrived before it."""

    TOPIC = "test.sentinel"

    def __init__(self):
        self.seen = []

    def on_sentinel(self, marker):
        self.seen.append(marker)

    async def listen(self, subscriber: WAMPNode) -> None:
        await subscriber.remote(self.TOPIC).connect(self.on_sentinel)

    async def fence(self, publisher: WAMPNode) -> None:
        marker = len(self.seen)
        await publisher.remote(self.TOPIC).notify(marker)
        await eventually(lambda: marker in self.seen, what="the sentinel")


@pytest.mark.asyncio
@pytest.mark.parametrize("same_session", [True, False])
async def test_local_and_remote_handlers_fire_once(connection1, connection2, same_session):
    source = Source()
    listener = Listener()
    await source.node_bind(Path("test.source"), connection1.new_context())
    await listener.node_bind(
        Path("test.listener", base="test"),
        (connection1 if same_session else connection2).new_context(),
    )
    try:
        await source.on_foo.notify(1)
        await source.on_foo.notify(2)
        await source.changed.notify("whole")
        # The sentinel: a duplicate delivered through the router (on top of
        # the local call) would arrive before this later event does.
        await source.on_foo.notify("end")
        await eventually(lambda: listener.remote[-1:] == ["end"], what="the last event")
        assert source.local == [1, 2, "end"]
        assert listener.remote == [1, 2, "end"]
        assert listener.all == [
            ("test.source.on_foo", (1,)),
            ("test.source.on_foo", (2,)),
            ("test.source", ("whole",)),
            ("test.source.on_foo", ("end",)),
        ]
    finally:
        await source.node_unbind()
        await listener.node_unbind()


@pytest.mark.asyncio
async def test_prefix_lookalikes_and_descendants_are_filtered(connection1, connection2):
    listener = Listener()
    await listener.node_bind(Path("test.listener", base="test"), connection2.new_context())
    lookalike = Source()
    await lookalike.node_bind(Path("test.sourcex"), connection1.new_context())
    parent = WAMPNode()
    await parent.node_bind(Path("test.source"), connection1.new_context())
    deep = await parent.node_add("deep", Source())
    try:
        await lookalike.on_foo.notify("no")
        await deep.on_foo.notify("no either")
        await parent.remote("test.source.on_bar").notify("yes")
        # "yes" is the sentinel: the same session published the others first,
        # so had they been delivered they would have arrived before it.
        await eventually(lambda: listener.all, what="the event")
        assert listener.all == [("test.source.on_bar", ("yes",))]
    finally:
        for node in (listener, lookalike, parent):
            await node.node_unbind()


@pytest.mark.asyncio
async def test_dynamic_connect_and_disconnect(connection1, connection2):
    source = Source()
    await source.node_bind(Path("test.source"), connection1.new_context())
    watcher = WAMPNode()
    await watcher.node_bind(Path("test.watcher", base="test"), connection2.new_context())
    got = []
    sentinel = Sentinel()

    def on_foo(value, details):
        got.append((value, details.publisher))

    try:
        await sentinel.listen(watcher)
        signal = watcher.remote("@source.on_foo")
        await signal.connect(on_foo)
        await source.on_foo.notify("a")
        await eventually(lambda: got, what="the first event")
        assert got == [("a", None) if got[0][1] is None else ("a", connection1.session_id)]

        await signal.disconnect(on_foo)
        await source.on_foo.notify("b")
        await sentinel.fence(source)
        assert [v for v, _ in got] == ["a"]

        # notify through a proxy reaches the node's local... and remote handlers
        await signal.connect(on_foo)
        await watcher.remote("@source.on_foo").notify("c")
        await eventually(lambda: len(got) == 2, what="the event through the proxy")
        assert got[-1][0] == "c"
    finally:
        await source.node_unbind()
        await watcher.node_unbind()


@pytest.mark.asyncio
async def test_unbind_unsubscribes(connection1, connection2):
    source = Source()
    await source.node_bind(Path("test.source"), connection1.new_context())
    listener = Listener()
    await listener.node_bind(Path("test.listener", base="test"), connection2.new_context())
    witness = WAMPNode()  # the sentinel's subscriber, on the listener's session
    await witness.node_bind(Path("test.witness", base="test"), connection2.new_context())
    sentinel = Sentinel()
    await sentinel.listen(witness)
    await source.on_foo.notify(1)
    await eventually(lambda: listener.remote == [1], what="the first event")
    await listener.node_unbind()
    await source.on_foo.notify(2)
    await sentinel.fence(source)
    assert listener.remote == [1]
    await witness.node_unbind()
    await source.node_unbind()
