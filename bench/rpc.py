"""RPC benchmark: a node ``@call`` round trip between two WAMP sessions,
against bare autobahn on the same router with the same payload.

Both callees are ``async def`` functions returning the record they got.
Measures sequential latency (p50/p99) and the throughput of 1,000
concurrent calls, alternating rounds of both sides so that drift on the
machine hits both alike. Targets (issue 2): node p50 ≤ 1.15 x bare, node
concurrent throughput ≥ 0.85 x bare.

    .venv/bin/python bench/rpc.py [--calls 2000] [--rounds 5] [--concurrent 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path as FsPath
from typing import Any

sys.path.insert(0, str(FsPath(__file__).parent))

from _common import bare_session, emit, machine, running_router, summary_us

from raccoon.node import Connection, Path, WAMPNode, call

PAYLOAD = {"id": 4242, "name": "ACME S.p.A.", "tags": ["a", "b", "c"], "score": 0.75}

Caller = Callable[[], Awaitable[Any]]


class Echo(WAMPNode):
    @call
    async def echo(self, n: int, record: dict) -> dict:
        return record


async def sequential(do_call: Caller, calls: int) -> list[float]:
    samples = []
    clock = time.perf_counter
    for _ in range(calls):
        start = clock()
        await do_call()
        samples.append(clock() - start)
    return samples


async def concurrent(do_call: Caller, calls: int) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(do_call() for _ in range(calls)))
    return calls / (time.perf_counter() - start)


async def main(calls: int, rounds: int, n_concurrent: int) -> dict[str, Any]:
    async with running_router() as router:
        # Bare autobahn: one callee session, one caller session.
        callee = await bare_session(router.url, router.realm)
        caller = await bare_session(router.url, router.realm)

        # A coroutine, like the node's endpoint: autobahn then runs each
        # invocation as a task on both sides alike.
        async def bare_echo(n: int, record: dict) -> dict:
            return record

        await callee.register(bare_echo, "bench.bare.echo")

        async def bare_call() -> Any:
            return await caller.call("bench.bare.echo", 1, PAYLOAD)

        # Raccoon: a node in one connection, a node calling it from another.
        server = Connection(router.url, router.realm, name="server")
        client = Connection(router.url, router.realm, name="client")
        await server.connect()
        await client.connect()
        echo, user = Echo(), WAMPNode()
        await echo.node_bind(Path("bench") + "echo", server.new_context())
        await user.node_bind(Path("bench") + "user", client.new_context())
        proxy = user.remote("@echo.echo")

        async def node_call() -> Any:
            return await proxy(1, PAYLOAD)

        assert await bare_call() == PAYLOAD and await node_call() == PAYLOAD
        # Warm up both paths.
        await sequential(bare_call, 300)
        await sequential(node_call, 300)

        bare_seq: list[float] = []
        node_seq: list[float] = []
        bare_tp: list[float] = []
        node_tp: list[float] = []
        gc.collect()
        for i in range(rounds):
            # Alternate which side goes first.
            order = [("bare", bare_call), ("node", node_call)]
            if i % 2:
                order.reverse()
            for name, fn in order:
                samples = await sequential(fn, calls)
                (bare_seq if name == "bare" else node_seq).extend(samples)
            for name, fn in order:
                tp = await concurrent(fn, n_concurrent)
                (bare_tp if name == "bare" else node_tp).append(tp)

        await user.node_unbind()
        await echo.node_unbind()
        await server.close()
        await client.close()
        caller.leave()
        callee.leave()
        await asyncio.sleep(0.1)

    bare = {**summary_us(bare_seq), "concurrent_calls_per_s": round(statistics.median(bare_tp))}
    node = {**summary_us(node_seq), "concurrent_calls_per_s": round(statistics.median(node_tp))}
    p50_ratio = node["p50_us"] / bare["p50_us"]
    tp_ratio = node["concurrent_calls_per_s"] / bare["concurrent_calls_per_s"]
    return {
        "benchmark": "rpc",
        "transport": "websocket, cbor",
        "sequential_calls_per_side": calls * rounds,
        "concurrent_calls": n_concurrent,
        "rounds": rounds,
        "bare_autobahn": bare,
        "raccoon_node": node,
        "ratio_p50": round(p50_ratio, 3),
        "ratio_p99": round(node["p99_us"] / bare["p99_us"], 3),
        "ratio_concurrent_throughput": round(tp_ratio, 3),
        "target_ratio_p50_max": 1.15,
        "target_ratio_concurrent_throughput_min": 0.85,
        "meets_targets": p50_ratio <= 1.15 and tp_ratio >= 0.85,
        "machine": machine(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="sequential calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=1000)
    args = parser.parse_args()
    result = asyncio.run(main(args.calls, args.rounds, args.concurrent))
    for side in ("bare_autobahn", "raccoon_node"):
        print(f"{side:14s} {result[side]}")
    emit(result)
