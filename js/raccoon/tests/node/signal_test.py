"""Signals, handlers and endpoint marks (node only: they rely on JavaScript
prototypes)."""

from ...errors import NodeError
from ...node import Node
from ...path import Path
from ...signal import Signal, call, class_meta, handler, register_signals
from ...testing import assert_equal


@register_signals
class Emitter(Node):
    on_saved = Signal()
    changed = Signal(".")

    def __init__(self):
        super().__init__()
        self.log = []

    @handler("on_saved")
    def remember(self, *args):
        self.log.append(args)

    @call
    async def total(self, a, b):
        return a + b

    @call(".")
    async def describe(self):
        return "emitter"


def test_signals_are_per_instance_and_named():
    one = Emitter()
    two = Emitter()
    assert one.on_saved is one.on_saved
    assert one.on_saved is not two.on_saved
    assert one.on_saved.name == "on_saved"
    assert one.changed.name == "."


async def test_notify_runs_class_handlers_and_subscribers():
    node = Emitter()
    seen = []

    def subscriber(*args):
        seen.append(args)

    node.on_saved.connect(subscriber)
    await node.on_saved.notify(1, "x")
    assert_equal(node.log, [[1, "x"]])
    assert_equal(seen, [[1, "x"]])


async def test_a_failing_handler_does_not_stop_the_others():
    node = Emitter()
    seen = []

    def broken(*args):
        raise NodeError("broken handler")

    def counter(*args):
        seen.append(1)

    node.on_saved.connect(broken)
    node.on_saved.connect(counter)
    try:
        await node.on_saved.notify()
    except NodeError as error:
        assert error.message == "broken handler"
        assert len(seen) == 1
        return
    raise NodeError("notify did not raise")


def test_endpoints_are_collected():
    meta = class_meta(Emitter)
    assert_equal(meta.endpoints, [["total", "total"], ["describe", "."]])


def test_handler_of_a_missing_signal_is_an_error():
    class Broken(Node):
        @handler("on_nothing")
        def h(self):
            pass

    try:
        register_signals(Broken)
    except NodeError as error:
        assert "has no signal of that name" in error.message
        return
    raise NodeError("no error")


async def test_node_lifecycle_signals_and_children():
    parent = Node()
    child = Node()
    added = []
    parent.on_node_add.connect(lambda name, node, path: added.append(name))
    await parent.node_bind(Path("app"))
    await parent.node_add("child", child)
    assert parent.child is child
    assert child.node_path.equals("app.child")
    assert child.node_parent is parent
    assert_equal(added, ["child"])
    await parent.node_unbind()
    assert child.node_state == "unbound"
    assert parent.node_state == "unbound"
    assert typeof(parent.child) == "undefined"
