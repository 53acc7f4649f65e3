"""The router worker survives what any websocket client can send before or after
logging in (``raccoon/_router_worker.py``).

- a JSON message nested 30,000 levels deep (about 60 KB, a HELLO: no login
  needed) used to overflow the worker's C stack — SIGSEGV, and the Crossbar
  node shut down — because py_ecc raises the recursion limit to 100,000;
- a JSON ``"\\ud800"`` escape decodes to text no serializer can encode again:
  the call hung at the router for good.

Both now close only the sender's connection, at once; the router and every
other session go on.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from raccoon.node import Connection, Endpoint
from raccoon.testing.plugin import RouterFactory

pytestmark = pytest.mark.asyncio

#: Deep enough to crash the worker before the fix (measured: 30,000 crashes it).
DEPTH = 30_000


async def _echo_backend(url: str, realm: str) -> Connection:
    backend = Connection(url, realm, name="echo-backend")
    await backend.connect(timeout=20)

    async def echo(*args: object) -> object:
        return list(args)

    await backend.register(Endpoint("app.echo", echo, "test"))
    return backend


async def _closed_within(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> bool:
    """Whether the router closes *ws* within *seconds* (reading what it sends)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            message = await asyncio.wait_for(ws.receive(), deadline - time.monotonic())
        except TimeoutError:
            return False
        if message.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.ERROR,
        ):
            return True
    return False


async def _hello(ws: aiohttp.ClientWebSocketResponse, realm: str) -> int:
    await ws.send_str(json.dumps([1, realm, {"roles": {"caller": {}}}]))
    welcome = json.loads((await ws.receive()).data)
    assert welcome[0] == 2, welcome  # WELCOME
    return int(welcome[1])


@pytest.mark.slow
async def test_a_deeply_nested_hello_closes_only_that_connection(
    router_factory: RouterFactory,
) -> None:
    router = await router_factory.start()
    backend = await _echo_backend(router.url, router.realm)
    try:
        before = backend.session_id
        pid = router.pid
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(router.url, protocols=["wamp.2.json"]) as ws:
                deep = "[" * DEPTH + "]" * DEPTH
                await ws.send_str(f'[1,"{router.realm}",{{"roles":{{"caller":{{}}}},"x":{deep}}}]')
                assert await _closed_within(ws, 10), "the router kept the connection"
        # The worker is alive: a new client is served through the backend session,
        # and afterwards it is still the same router process and the same backend
        # session. The call is the sentinel: the worker handles it after the
        # attack, and a crash would have dropped the backend (a new session or
        # no answer) rather than waited.
        other = Connection(router.url, router.realm, name="after-the-attack")
        await other.connect(timeout=10)
        try:
            assert await other.call("app.echo", ["still here"], timeout=5) == ["still here"]
        finally:
            await other.close()
        assert router.pid == pid is not None
        assert backend.session_id == before
    finally:
        await backend.close()


@pytest.mark.slow
async def test_an_unpaired_surrogate_closes_the_connection_instead_of_hanging(
    router_factory: RouterFactory,
) -> None:
    router = await router_factory.start()
    backend = await _echo_backend(router.url, router.realm)
    try:
        before = backend.session_id
        async with aiohttp.ClientSession() as http:
            for text in ('"\\ud800"', '"a\\udfffb"', '{"\\ud800": 1}'):
                async with http.ws_connect(router.url, protocols=["wamp.2.json"]) as ws:
                    await _hello(ws, router.realm)
                    await ws.send_str(f'[48,1,{{}},"app.echo",[{text}]]')
                    assert await _closed_within(ws, 5), f"a call with {text} hung"
            # A surrogate pair is one character, and passes.
            async with http.ws_connect(router.url, protocols=["wamp.2.json"]) as ws:
                await _hello(ws, router.realm)
                await ws.send_str('[48,2,{},"app.echo",["\\ud83d\\ude00"]]')
                result = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
                assert result[0] == 50 and result[3] == [["\U0001f600"]], result
        assert backend.session_id == before
    finally:
        await backend.close()
