"""Nodes survive a router restart without any user code."""

import asyncio
import time

import pytest

from raccoon.node import Connection, NotConnected, Path, Signal, WAMPNode, call, handler
from raccoon.testing import open_connection


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


async def eventually(make_attempt, timeout):
    """Retry until the attempt succeeds; returns the seconds it took."""
    start = time.monotonic()
    async with asyncio.timeout(timeout):
        while True:
            try:
                if await make_attempt():
                    return time.monotonic() - start
            except Exception:
                pass
            await asyncio.sleep(0.05)


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
        await asyncio.sleep(0.2)
        assert not server_conn.is_connected and not client_conn.is_connected
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
            marker = len(watcher.ticks)
            await service.on_tick.notify(marker)
            await asyncio.sleep(0.05)
            return marker in watcher.ticks

        took_call = await eventually(call_works, timeout=5.0)
        took_events = await eventually(events_flow, timeout=5.0)
        assert server_conn.session_id != first_session
        assert took_call < 5.0 and took_events < 5.0
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
        await eventually(lambda: _ping(client), timeout=5.0)
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
