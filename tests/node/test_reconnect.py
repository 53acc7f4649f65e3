"""Nodes survive a router restart without any user code."""

import time

import pytest

from raccoon.node import Connection, NotConnected, Path, Signal, WAMPNode, call, handler
from raccoon.testing import eventually, open_connection


class Service(WAMPNode):
    on_tick = Signal()

    @call
    async def ping(self, n: int) -> int:
        return n + 1


class Watcher(WAMPNode):
    def __init__(self):
        self.ticks = []

    @handler("@service.on_tick")
    def on_tick(self, n):
        self.ticks.append(n)


# While the router is away, calls fail with whatever the transport says
# (NotConnected, a closed session, a missing registration): all mean "not yet".
WHILE_RECONNECTING = (Exception,)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_endpoints_and_subscriptions_come_back_after_router_restart(router_factory):
    router = await router_factory.start()
    server_conn = await open_connection(router, "server")
    client_conn = await open_connection(router, "client")
    base = Path("app")
    service, watcher, client = Service(), Watcher(), WAMPNode()
    await service.node_bind(base + "service", server_conn.new_context())
    await watcher.node_bind(base + "watcher", client_conn.new_context())
    await client.node_bind(base + "client", client_conn.new_context())
    try:
        assert await client.call("@service.ping", 1) == 2
        first_session = server_conn.session_id

        await router.stop()
        await eventually(
            lambda: not server_conn.is_connected and not client_conn.is_connected,
            what="both sessions notice the router is gone",
        )
        await router.start()

        async def call_works():
            return (
                await client.call(
                    "@service.ping",
                    41,
                )
                == 42
            )

        async def events_flow():
            # An event published before the subscription is back is lost:
            # publish again on each attempt, giving each a moment to arrive.
            marker = len(watcher.ticks)
            await service.on_tick.notify(marker)
            await eventually(lambda: marker in watcher.ticks, within=0.5, what="the tick")
            return True

        await eventually(call_works, 5.0, "calls work again", retry_on=WHILE_RECONNECTING)
        await eventually(events_flow, 5.0, "events flow again", retry_on=WHILE_RECONNECTING)
        assert server_conn.session_id != first_session
    finally:
        for node in (service, watcher, client):
            await node.node_unbind()
        await server_conn.close()
        await client_conn.close()


@pytest.mark.asyncio
async def test_connect_to_nothing_fails_clearly():
    conn = Connection("ws://127.0.0.1:9/ws", "nowhere", name="lonely")
    with pytest.raises(NotConnected, match="is the router running"):
        await conn.connect(timeout=0.5)
    await conn.close()


@pytest.mark.asyncio
async def test_wrong_realm_is_refused_at_once(crossbar):
    conn = Connection(crossbar.url, "no_such_realm", name="lost")
    start = time.monotonic()
    with pytest.raises(NotConnected, match=r"no_such_realm|refused"):
        await conn.connect(timeout=10)
    assert time.monotonic() - start < 5
    await conn.close()


@pytest.mark.asyncio
async def test_dropped_transport_reconnects(crossbar):
    conn = await open_connection(crossbar, "flaky")
    other = await open_connection(crossbar, "other")
    service, client = Service(), WAMPNode()
    await service.node_bind(Path("drop.service"), conn.new_context())
    await client.node_bind(Path("drop.client", base="drop"), other.new_context())
    try:
        conn.drop_transport()
        await eventually(
            lambda: _ping(client), 5.0, "calls work again", retry_on=WHILE_RECONNECTING
        )
    finally:
        await service.node_unbind()
        await client.node_unbind()
        await conn.close()
        await other.close()


async def _ping(client):
    return (
        await client.call(
            "@service.ping",
            1,
        )
        == 2
    )
