"""Reactive node state, observed from other WAMP sessions over a real router."""

import asyncio

import pytest

from raccoon.node import Connection, NodeError, Path, RemoteState, StateView, WAMPNode, follow
from raccoon.reactive import autorun, flush
from raccoon.testing import eventually


async def follow_settled(detail, key, value):
    """A fence for "and nothing else ran": once the @follow's replica of the
    master shows ``key == value``, flush the computations (a change applied up
    to there has re-run whatever depends on it) and wait out the runs it
    submitted. The replica and runner are private: this is the node package's
    own test."""
    (state, _computation, runner) = detail._node_follows[0]
    await eventually(lambda: state.data.get(key) == value, what=f"{key} = {value!r} replicated")
    flush()
    await runner.idle()


@pytest.fixture
def base():
    return Path("state")


async def bound(node, path, connection):
    await node.node_bind(path, connection.new_context())
    return node


@pytest.mark.asyncio
async def test_node_is_a_reactive_dictionary():
    node = WAMPNode()
    seen = []
    comp = autorun(lambda: seen.append(node.node_data.get("current_id")))
    node["current_id"] = 3
    await asyncio.sleep(0)
    assert node["current_id"] == 3 and "current_id" in node
    assert seen == [None, 3]
    del node["current_id"]
    await asyncio.sleep(0)
    assert seen == [None, 3, None]
    comp.stop()


@pytest.mark.asyncio
async def test_observer_converges_on_1000_rapid_changes_in_order(connection1, connection2, base):
    source = await bound(WAMPNode(), base + "source", connection1)
    observer = await bound(WAMPNode(), base + "observer", connection2)
    state = await observer.remote("@source").observe()
    applied = []
    state.on_change(lambda key, old, new: applied.append(new))
    try:
        for i in range(1000):
            source["n"] = i
            source["even" if i % 2 == 0 else "odd"] = i
            if i % 100 == 99:
                await asyncio.sleep(0)  # several batches, not just one
        await eventually(lambda: state.data.get("n") == 999)
        assert dict(state.data) == {"n": 999, "even": 998, "odd": 999}
        values_of_n = [v for v in applied if isinstance(v, int)]
        assert values_of_n == sorted(values_of_n)  # never applied out of order
        assert state.resyncs == 1  # the first snapshot only: nothing was lost
        assert isinstance(state.data, StateView)
        with pytest.raises(TypeError):
            state.data["n"] = 1  # type: ignore[index]
    finally:
        await state.close()
        await observer.node_unbind()
        await source.node_unbind()


@pytest.mark.asyncio
async def test_computations_depend_on_remote_state(connection1, connection2, base):
    source = await bound(WAMPNode(), base + "source", connection1)
    observer = await bound(WAMPNode(), base + "observer", connection2)
    source["greeting"] = "hello"
    async with await observer.remote("@source").observe() as state:
        seen = []
        comp = autorun(lambda: seen.append(state.data.get("greeting")))
        source["greeting"] = "ciao"
        await eventually(lambda: seen[-1] == "ciao")
        # In a batch of its own: together with the greeting it would be one re-run.
        source["unrelated"] = 1
        # The fence: the unrelated key is applied, and a flush now would re-run
        # the computation if it depended on it.
        await eventually(lambda: state.data.get("unrelated") == 1)
        flush()
        assert seen == ["hello", "ciao"]  # the unrelated key did not re-run it
        comp.stop()
    await observer.node_unbind()
    await source.node_unbind()


@pytest.mark.asyncio
async def test_a_gap_makes_the_observer_resync(connection1, connection2, base):
    source = await bound(WAMPNode(), base + "source", connection1)
    observer = await bound(WAMPNode(), base + "observer", connection2)
    state = await observer.remote("@source").observe()
    try:
        source["a"] = 1
        await eventually(lambda: state.data.get("a") == 1)
        # A change message the observer never got: a later sequence number
        # arrives first (sent by a third session, as a router would deliver it).
        intruder = Connection(connection1.url, connection1.realm, name="intruder")
        await intruder.connect()
        snapshot = await intruder.call(str(base + "source.__state__"))
        await intruder.publish(
            str(base + "source.__changes__"),
            (snapshot["epoch"], snapshot["seq"] + 5, [["s", "a", "bogus"]]),
        )
        await eventually(lambda: state.resyncs == 2)
        source["a"] = 2
        await eventually(lambda: state.data.get("a") == 2)
        assert dict(state.data) == {"a": 2}
        await intruder.close()
    finally:
        await state.close()
        await observer.node_unbind()
        await source.node_unbind()


@pytest.mark.asyncio
async def test_reconnect_resyncs_without_losing_changes(connection1, connection2, base):
    source = await bound(WAMPNode(), base + "source", connection1)
    observer = await bound(WAMPNode(), base + "observer", connection2)
    state = await observer.remote("@source").observe()
    try:
        source["v"] = 0
        await eventually(lambda: state.data.get("v") == 0)
        connection2.drop_transport()
        await eventually(lambda: not connection2.is_connected, within=2)
        for i in range(1, 50):  # changes made while the observer is away
            source["v"] = i
            await asyncio.sleep(0)
        source["while_away"] = True
        await eventually(lambda: state.data.get("v") == 49 and state.data.get("while_away"))
        assert state.resyncs >= 2
        assert state.synced
    finally:
        await state.close()
        await observer.node_unbind()
        await source.node_unbind()


@pytest.mark.asyncio
async def test_children_appear_in_the_replicated_structure(connection1, connection2, base):
    source = await bound(WAMPNode(), base + "source", connection1)
    observer = await bound(WAMPNode(), base + "observer", connection2)
    await source.node_add("first", WAMPNode())
    state = await observer.remote("@source").observe()
    try:
        assert state.children == ("first",)
        await source.node_add("second", WAMPNode())
        await eventually(lambda: state.children == ("first", "second"))
        await source.node_remove("first")
        await eventually(lambda: state.children == ("second",))
    finally:
        await state.close()
        await observer.node_unbind()
        await source.node_unbind()


@pytest.mark.asyncio
async def test_observing_nothing_fails_clearly(connection2, base):
    observer = await bound(WAMPNode(), base + "observer", connection2)
    try:
        with pytest.raises(NodeError, match=r"state\.nowhere\.__state__"):
            await observer.remote("@nowhere").observe()
    finally:
        await observer.node_unbind()
    with pytest.raises(NodeError, match="no WAMP connection"):
        from raccoon.node import NodeContext

        RemoteState(Path("x"), NodeContext())


class Master(WAMPNode):
    pass


class Detail(WAMPNode):
    def __init__(self, delay=0.0):
        self.delay = delay
        self.reloads = []
        self.running = 0
        self.max_running = 0

    @follow("@master", "current_id")
    async def reload(self, current_id):
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            await asyncio.sleep(self.delay)
            self.reloads.append(current_id)
        finally:
            self.running -= 1


@pytest.mark.asyncio
@pytest.mark.parametrize("same_session", [False, True])
async def test_detail_follows_master_current_id(connection1, connection2, base, same_session):
    master = await bound(Master(), base + "master", connection1)
    master["current_id"] = 1
    detail = await bound(Detail(), base + "detail", connection1 if same_session else connection2)
    try:
        await eventually(lambda: detail.reloads == [1])
        for value in (2, 3, 2):
            master["current_id"] = value
            await eventually(lambda v=value: detail.reloads[-1:] == [v])
        assert detail.reloads == [1, 2, 3, 2]  # one reload per distinct value
        master["other"] = "x"
        await follow_settled(detail, "other", "x")
        assert detail.reloads == [1, 2, 3, 2]  # another key did not reload
    finally:
        await detail.node_unbind()
        await master.node_unbind()


@pytest.mark.asyncio
async def test_fifty_quick_changes_one_reload_at_a_time_ending_on_the_last(
    connection1, connection2, base
):
    master = await bound(Master(), base + "master", connection1)
    master["current_id"] = 0
    detail = await bound(Detail(delay=0.02), base + "detail", connection2)
    try:
        await eventually(lambda: detail.reloads == [0])
        for value in range(1, 51):
            master["current_id"] = value
            await asyncio.sleep(0.002)
        await follow_settled(detail, "current_id", 50)
        assert detail.max_running == 1
        assert detail.reloads[-1] == 50
        assert len(detail.reloads) < 51  # intermediate values were skipped
        assert detail.reloads == sorted(detail.reloads)
    finally:
        await detail.node_unbind()
        await master.node_unbind()


@pytest.mark.asyncio
async def test_follow_needs_a_coroutine():
    with pytest.raises(TypeError, match="coroutine"):

        class Bad(WAMPNode):
            @follow("@master", "x")
            def reload(self, x):
                pass
