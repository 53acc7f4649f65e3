"""Replication benchmark: a server node changes a key of its reactive state;
N observers in other WAMP sessions see the change. Baseline in the same run:
bare autobahn pub/sub of the same payload to N subscriber sessions on the
same router.

Reports p50/p99 of the time from the write until *every* observer has it,
the ratio to the baseline (target: p50 ratio <= 1.5, issue 3), and the
server's memory per observed node (tracemalloc, with the observers in a
separate process so that only the server side is counted).

    .venv/bin/python bench/replication.py [--observers 100] [--changes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path as FsPath
from typing import Any

sys.path.insert(0, str(FsPath(__file__).parent))

from _common import bare_session, emit, machine, running_router, summary_us

from raccoon.node import Connection, Path, RemoteState, WAMPNode

TOPIC = "bench.bare.changes"


def payload(i: int) -> dict[str, Any]:
    return {"i": i, "name": "Workplace 12", "severity": 3, "tags": ["noise", "dust"]}


async def node_round(source: WAMPNode, states: list[RemoteState], i: int) -> float:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    remaining = len(states)

    def seen(key: str, old: Any, new: Any) -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0 and not done.done():
            done.set_result(time.perf_counter())

    removers = [s.on_change(seen) for s in states]
    start = time.perf_counter()
    source["value"] = payload(i)
    end = await asyncio.wait_for(done, 10)
    for remove in removers:
        remove()
    return end - start


async def bare_round(publisher: Any, counter: dict[str, Any], i: int) -> float:
    loop = asyncio.get_running_loop()
    counter["remaining"] = counter["n"]
    counter["done"] = loop.create_future()
    start = time.perf_counter()
    publisher.publish(TOPIC, payload(i))
    end = await asyncio.wait_for(counter["done"], 10)
    return end - start


OBSERVER_SCRIPT = r"""
import asyncio, sys
from raccoon.node import Connection, Path, RemoteState
async def main(url, realm, n):
    conn = Connection(url, realm, name="mem-observer")
    await conn.connect()
    states = [await RemoteState(Path("mem.node%d" % i), conn.new_context()).start()
              for i in range(n)]
    print("observing", len(states), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await conn.close()
asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def memory_per_node(router: Any, n: int) -> dict[str, float]:
    conn = Connection(router.url, router.realm, name="mem-server")
    await conn.connect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    nodes = []
    for i in range(n):
        node = WAMPNode()
        await node.node_bind(Path("mem") + f"node{i}", conn.new_context())
        node["current_id"] = i
        node["label"] = f"node {i}"
        nodes.append(node)
    bound = tracemalloc.take_snapshot()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        OBSERVER_SCRIPT,
        router.url,
        router.realm,
        str(n),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdin is not None
    line = (await child.stdout.readline()).decode()
    assert line.startswith("observing"), line
    for node in nodes:  # one change each, delivered to the observer
        node["current_id"] = -1
    await asyncio.sleep(0.5)
    observed = tracemalloc.take_snapshot()
    tracemalloc.stop()
    child.stdin.close()
    await asyncio.wait_for(child.wait(), 30)
    for node in nodes:
        await node.node_unbind()
    await conn.close()

    def diff(a: Any, b: Any) -> float:
        return sum(s.size_diff for s in b.compare_to(a, "filename")) / n

    return {
        "bound_node_with_state_bytes": round(diff(before, bound)),
        "added_by_one_observer_bytes": round(diff(bound, observed)),
        "observed_node_total_bytes": round(diff(before, observed)),
        "nodes": n,
    }


async def main(n_observers: int, changes: int) -> dict[str, Any]:
    async with running_router() as router:
        # Raccoon: a source node, N observer connections each with a replica.
        server = Connection(router.url, router.realm, name="source")
        await server.connect()
        source = WAMPNode()
        await source.node_bind(Path("bench") + "source", server.new_context())
        observers = [
            Connection(router.url, router.realm, name=f"observer{i}") for i in range(n_observers)
        ]
        await asyncio.gather(*(c.connect() for c in observers))
        states = [
            await RemoteState(Path("bench.source"), c.new_context()).start() for c in observers
        ]

        # Bare autobahn: one publisher, N subscriber sessions, same payload.
        publisher = await bare_session(router.url, router.realm)
        subscribers = [await bare_session(router.url, router.realm) for _ in range(n_observers)]
        counter: dict[str, Any] = {"n": n_observers, "remaining": 0, "done": None}

        def on_event(value: Any) -> None:
            counter["remaining"] -= 1
            if counter["remaining"] == 0 and not counter["done"].done():
                counter["done"].set_result(time.perf_counter())

        for sub in subscribers:
            await sub.subscribe(on_event, TOPIC)

        for i in range(20):  # warm up
            await node_round(source, states, -i)
            await bare_round(publisher, counter, -i)
        node_samples, bare_samples = [], []
        for i in range(changes):
            if i % 2:
                bare_samples.append(await bare_round(publisher, counter, i))
                node_samples.append(await node_round(source, states, i))
            else:
                node_samples.append(await node_round(source, states, i))
                bare_samples.append(await bare_round(publisher, counter, i))
            await asyncio.sleep(0.002)

        assert all(s.data["value"]["i"] == changes - 1 for s in states)
        resyncs = sum(s.resyncs for s in states)
        for state in states:
            await state.close()
        await source.node_unbind()
        await asyncio.gather(server.close(), *(c.close() for c in observers))
        for session in (publisher, *subscribers):
            session.leave()
        memory = await memory_per_node(router, 500)

    node, bare = summary_us(node_samples), summary_us(bare_samples)
    ratio = node["p50_us"] / bare["p50_us"]
    return {
        "benchmark": "replication",
        "observers": n_observers,
        "changes": changes,
        "what": "write of one key until every observer has it",
        "bare_autobahn_pubsub": bare,
        "raccoon_replica": node,
        "ratio_p50": round(ratio, 3),
        "ratio_p99": round(node["p99_us"] / bare["p99_us"], 3),
        "target_ratio_p50_max": 1.5,
        "meets_target": ratio <= 1.5,
        "resyncs_beyond_first_snapshot": resyncs - n_observers,
        "server_memory_per_node": memory,
        "machine": machine(),
        "pid": os.getpid(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observers", type=int, default=100)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    result = asyncio.run(main(args.observers, args.changes))
    print("bare autobahn  ", result["bare_autobahn_pubsub"])
    print("raccoon replica", result["raccoon_replica"])
    print("server memory  ", result["server_memory_per_node"])
    emit(result)
