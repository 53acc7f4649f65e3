import asyncio
import gc
import logging

import pytest

from raccoon.node import Node, NodeError, Signal, handler
from raccoon.node._signal import class_signals


class Emitter:
    on_foo = Signal()
    on_bar = Signal(concurrent=True)

    def __init__(self):
        self.seen = []

    @handler("on_foo")
    def first(self, a):
        self.seen.append(("first", a))

    @handler("on_foo")
    async def second(self, *args, **kwargs):
        await asyncio.sleep(0)
        self.seen.append(("second", args, kwargs))


@pytest.mark.asyncio
async def test_class_handlers_get_only_what_they_declare():
    e = Emitter()
    await e.on_foo.notify(1, 2, key="v")
    assert e.seen == [("first", 1), ("second", (1, 2), {"key": "v"})]


@pytest.mark.asyncio
async def test_each_instance_has_its_own_signal():
    a, b = Emitter(), Emitter()
    assert a.on_foo is a.on_foo and a.on_foo is not b.on_foo
    got = []
    a.on_foo.connect(lambda x: got.append(x))
    await b.on_foo.notify(1)
    await a.on_foo.notify(2)
    assert got == [2]


@pytest.mark.asyncio
async def test_connect_disconnect_and_weak_bound_methods():
    e = Emitter()

    class Listener:
        def __init__(self):
            self.got = []

        def on(self, x):
            self.got.append(x)

    listener = Listener()
    e.on_foo.connect(listener.on)
    e.on_foo.connect(listener.on)  # connecting twice delivers once
    await e.on_foo.notify(1)
    assert listener.got == [1]
    e.on_foo.disconnect(listener.on)
    await e.on_foo.notify(2)
    assert listener.got == [1]

    e.on_foo.connect(listener.on)
    del listener
    gc.collect()
    assert e.on_foo.subscribers == []


@pytest.mark.asyncio
async def test_sequential_versus_concurrent():
    e = Emitter()
    order = []

    async def slow(x):
        await asyncio.sleep(0.05)
        order.append("slow")

    async def fast(x):
        order.append("fast")

    e.on_bar.connect(slow)
    e.on_bar.connect(fast)
    await e.on_bar.notify(1)
    assert order == ["fast", "slow"]  # concurrent: fast did not wait

    order.clear()
    e.on_foo.connect(slow)
    e.on_foo.connect(fast)
    await e.on_foo.notify(1)
    assert order == ["slow", "fast"]  # sequential: in connection order


@pytest.mark.asyncio
async def test_all_handlers_run_even_when_one_fails():
    e = Emitter()
    ran = []

    def bad(x):
        raise ValueError("bad handler")

    e.on_foo.connect(bad)
    e.on_foo.connect(lambda x: ran.append(x))
    with pytest.raises(ValueError, match="bad handler"):
        await e.on_foo.notify(1)
    assert ran == [1]

    e.on_foo.connect(lambda x: 1 / 0)
    with pytest.raises(ExceptionGroup):
        await e.on_foo.notify(2)


def test_handler_of_unknown_local_signal_is_reported_at_first_use():
    class Broken:
        on_foo = Signal()

        @handler("on_fooo")
        def h(self):
            pass

    with pytest.raises(NodeError, match="no signal of that name"):
        Broken().on_foo  # noqa: B018 (collecting happens on first notify/lookup)
        from raccoon.node._signal import class_handlers

        class_handlers(Broken)


def test_signals_are_inherited_and_named():
    class Base(Node):
        on_a = Signal()
        here = Signal(".")

    class Sub(Base):
        on_b = Signal()

    assert set(class_signals(Sub)) >= {"on_a", "on_b", "here", "on_node_bind"}
    assert Sub.here.name == "." and Sub.on_b.name == "on_b"


def test_bad_signal_names():
    with pytest.raises(ValueError):
        Signal("a.b")
    with pytest.raises(TypeError):
        handler("")
    with pytest.raises(TypeError):
        Emitter().on_foo.connect(42)  # type: ignore[arg-type]


def test_logging_is_quiet_for_plain_use(caplog):
    caplog.set_level(logging.WARNING)
    asyncio.run(Emitter().on_foo.notify(1))
    assert caplog.records == []
