"""RPC between nodes over a real Crossbar router."""

import asyncio
import logging

import pytest

from raccoon.node import (
    InvalidArguments,
    NodeError,
    NoSuchEndpoint,
    Path,
    Proxy,
    RemoteInternalError,
    RPCError,
    WAMPNode,
    call,
)


class Adder(WAMPNode):
    def __init__(self):
        self.calls = 0

    @call
    async def foo(self, a, b, c):
        self.calls += 1
        return a + b + c

    @call(".")
    async def here(self):
        return f"at {self.node_path}"

    @call
    async def typed(self, count: int, label: str = "x", ratio: float | None = None) -> str:
        return f"{label}{count}"

    @call
    async def fails(self):
        raise KeyError("secret internal detail")

    @call
    async def refuses(self, amount: int):
        raise RPCError("credit limit exceeded", uri="app.error.credit", limit=100)

    @call
    def sync_endpoint(self, x):
        return x * 2

    @call
    async def whoami(self, details):
        return {"caller": details.caller, "procedure": details.procedure}

    @call
    async def myself(self):
        return self


async def bind(node, path, connection):
    await node.node_bind(Path(path, base="test"), connection.new_context())
    return node


@pytest.mark.asyncio
async def test_call_and_remote_return_6_same_and_other_session(connection1, connection2):
    base = Path("app")
    adder = Adder()
    await adder.node_bind(base + "test", connection1.new_context())
    same, other = WAMPNode(), WAMPNode()
    await same.node_bind(base + "client1", connection1.new_context())
    await other.node_bind(base + "client2", connection2.new_context())
    try:
        for client in (same, other):
            assert await client.call("@test.foo", 1, 2, 3) == 6
            assert await client.remote("@test").foo(1, 2, 3) == 6
            assert await client.remote("app.test.foo")(1, b=2, c=3) == 6
        assert adder.calls == 6
    finally:
        for node in (adder, same, other):
            await node.node_unbind()


@pytest.mark.asyncio
async def test_call_dot_lives_at_the_node_path(connection1, connection2):
    adder = await bind(Adder(), "test.adder", connection1)
    client = await bind(WAMPNode(), "test.client", connection2)
    try:
        assert await client.remote("@adder")() == "at test.adder"
        assert await client.call("test.adder") == "at test.adder"
    finally:
        await adder.node_unbind()
        await client.node_unbind()


@pytest.mark.asyncio
async def test_returning_a_node(connection1, connection2):
    adder = await bind(Adder(), "test.adder", connection1)
    same = await bind(WAMPNode(), "test.same", connection1)
    other = await bind(WAMPNode(), "test.other", connection2)
    try:
        assert await same.call("@adder.myself") is adder
        got = await other.call("@adder.myself")
        assert isinstance(got, Proxy) and got.node_path == "test.adder"
        assert await got.foo(1, 1, 1) == 3  # the proxy is usable
    finally:
        for node in (adder, same, other):
            await node.node_unbind()


@pytest.mark.asyncio
@pytest.mark.parametrize("same_session", [True, False])
async def test_bad_input_gives_a_clear_error_and_the_endpoint_keeps_working(
    connection1, connection2, same_session, caplog
):
    adder = await bind(Adder(), "test.adder", connection1)
    client = await bind(WAMPNode(), "test.client", connection1 if same_session else connection2)
    try:
        with pytest.raises(InvalidArguments) as err:
            await client.call("@adder.foo", 1, 2)
        assert "test.adder.foo" in str(err.value) and "'c'" in str(err.value)
        assert "Traceback" not in str(err.value)

        with pytest.raises(InvalidArguments, match="too many positional"):
            await client.call("@adder.foo", 1, 2, 3, 4)
        with pytest.raises(InvalidArguments, match="unexpected keyword argument 'd'"):
            await client.call("@adder.foo", 1, 2, 3, d=4)
        with pytest.raises(InvalidArguments, match="'count' must be int, got str"):
            await client.call("@adder.typed", "7")
        with pytest.raises(InvalidArguments, match="'count' must be int, got bool"):
            await client.call("@adder.typed", True)
        with pytest.raises(InvalidArguments, match="'ratio' must be float or int or None"):
            await client.call("@adder.typed", 1, ratio="x")
        assert await client.call("@adder.typed", 7, ratio=0.5) == "x7"

        caplog.set_level(logging.ERROR, logger="raccoon.node")
        with pytest.raises(RemoteInternalError) as err:
            await client.call("@adder.fails")
        assert "secret internal detail" not in str(err.value)
        assert "Traceback" not in str(err.value)
        assert "incident" in str(err.value)
        assert "secret internal detail" in caplog.text  # the server log has it

        with pytest.raises(RPCError) as err:
            await client.call("@adder.refuses", 5)
        assert err.value.uri == "app.error.credit"
        assert err.value.data == {"limit": 100}
        assert str(err.value) == "credit limit exceeded"

        assert await client.call("@adder.foo", 1, 2, 3) == 6
        assert await client.call("@adder.sync_endpoint", 21) == 42
    finally:
        await adder.node_unbind()
        await client.node_unbind()


@pytest.mark.asyncio
async def test_details_only_when_declared(connection1, connection2):
    adder = await bind(Adder(), "test.adder", connection1)
    client = await bind(WAMPNode(), "test.client", connection2)
    try:
        got = await client.call("@adder.whoami")
        assert got == {"caller": connection2.session_id, "procedure": "test.adder.whoami"}
        with pytest.raises(InvalidArguments):
            await client.call("@adder.foo", 1, 2, 3, details=1)
    finally:
        await adder.node_unbind()
        await client.node_unbind()


@pytest.mark.asyncio
async def test_call_to_a_removed_node_fails_clearly(connection1, connection2):
    root = await bind(WAMPNode(), "test.root", connection1)
    await root.node_add("adder", Adder())
    client = await bind(WAMPNode(), "test.client", connection2)
    local = await bind(WAMPNode(), "test.local", connection1)
    try:
        assert await client.call("@root.adder.foo", 1, 2, 3) == 6
        await root.node_remove("adder")
        for caller in (client, local):
            with pytest.raises(NoSuchEndpoint) as err:
                await caller.call("@root.adder.foo", 1, 2, 3)
            assert "test.root.adder.foo" in str(err.value)
    finally:
        for node in (root, client, local):
            await node.node_unbind()


@pytest.mark.asyncio
async def test_registering_the_same_path_twice_names_both(connection1, connection2):
    first = await bind(Adder(), "test.dup", connection1)
    try:
        with pytest.raises(NodeError, match=r"Adder at test\.dup"):
            await bind(Adder(), "test.dup", connection1)
        with pytest.raises(NodeError, match="another WAMP session"):
            await bind(Adder(), "test.dup", connection2)
        # the failed binds left nothing behind: the first still answers
        client = await bind(WAMPNode(), "test.client", connection2)
        assert await client.call("@dup.foo", 1, 1, 1) == 3
        await client.node_unbind()
    finally:
        await first.node_unbind()
    # and once the first is gone the path is free again
    again = await bind(Adder(), "test.dup", connection2)
    await again.node_unbind()


@pytest.mark.asyncio
async def test_many_concurrent_calls(connection1, connection2):
    adder = await bind(Adder(), "test.adder", connection1)
    client = await bind(WAMPNode(), "test.client", connection2)
    try:
        results = await asyncio.gather(*(client.call("@adder.foo", i, i, i) for i in range(300)))
        assert results == [3 * i for i in range(300)]
    finally:
        await adder.node_unbind()
        await client.node_unbind()
