"""Change-feed benchmark, on an embedded PostgreSQL (fsync off, as in the tests).

Latency: one autocommit insert into a tracked table at a time; the time from
the commit's acknowledgement to the subscriber's callback. Baseline in the
same run: a bare ``pg_notify`` to a bare asyncpg listener (the floor any
NOTIFY-driven feed sits on).

Throughput: W concurrent writers insert rows in transactions of 10, into a
tracked table (the feed delivering everything) and, as the baseline, into
the same table untracked; reports rows/s of each and the delivery rate.

    .venv/bin/python bench/change_feed.py [--samples 300] [--writers 20] [--rows 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path as FsPath
from typing import Any

import asyncpg

sys.path.insert(0, str(FsPath(__file__).parent))

from _common import emit, machine, summary_us

from raccoon.data import Change, ChangeFeed, EmbeddedPostgres, track_table, untrack_table, upgrade

OPTIONS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


async def feed_latency(dsn: str, samples: int) -> list[float]:
    arrived: asyncio.Future[float] | None = None

    def on_change(change: Change) -> None:
        if arrived is not None and not arrived.done():
            arrived.set_result(time.perf_counter())

    feed = ChangeFeed(dsn)
    feed.subscribe("items", on_change)
    await feed.start()
    writer = await asyncpg.connect(dsn)
    loop = asyncio.get_running_loop()
    latencies = []
    try:
        for i in range(samples):
            arrived = loop.create_future()
            await writer.execute("INSERT INTO items (name) VALUES ($1)", f"l{i}")
            committed = time.perf_counter()
            latencies.append(await asyncio.wait_for(arrived, 10) - committed)
    finally:
        await writer.close()
        await feed.stop()
    return latencies


async def notify_latency(dsn: str, samples: int) -> list[float]:
    arrived: asyncio.Future[float] | None = None

    def on_notify(*_args: Any) -> None:
        if arrived is not None and not arrived.done():
            arrived.set_result(time.perf_counter())

    listener = await asyncpg.connect(dsn)
    await listener.add_listener("bench", on_notify)
    writer = await asyncpg.connect(dsn)
    loop = asyncio.get_running_loop()
    latencies = []
    try:
        for _ in range(samples):
            arrived = loop.create_future()
            await writer.execute("SELECT pg_notify('bench', '1')")
            committed = time.perf_counter()
            latencies.append(await asyncio.wait_for(arrived, 10) - committed)
    finally:
        await writer.close()
        await listener.close()
    return latencies


async def write(dsn: str, writers: int, rows: int) -> float:
    """Seconds for *writers* connections to insert *rows* rows in all."""
    per_writer = rows // writers

    async def one(index: int) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            for start in range(0, per_writer, 10):
                async with connection.transaction():
                    await connection.executemany(
                        "INSERT INTO items (name) VALUES ($1)",
                        [(f"{index}-{n}",) for n in range(start, min(start + 10, per_writer))],
                    )
        finally:
            await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(writers)))
    return time.perf_counter() - began


async def throughput(dsn: str, writers: int, rows: int) -> dict[str, Any]:
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(untrack_table("items"))
        untracked = await write(dsn, writers, rows)
        await admin.execute(track_table("items", primary_key=["id"]))
        delivered = 0
        done = asyncio.Event()

        def on_change(change: Change) -> None:
            nonlocal delivered
            delivered += 1
            if delivered == rows:
                done.set()

        feed = ChangeFeed(dsn)
        feed.subscribe("items", on_change)
        await feed.start()
        try:
            began = time.perf_counter()
            tracked = await write(dsn, writers, rows)
            await asyncio.wait_for(done.wait(), 120)
            all_delivered = time.perf_counter() - began
            stats = feed.statistics()
        finally:
            await feed.stop()
    finally:
        await admin.close()
    return {
        "rows": rows,
        "writers": writers,
        "untracked_rows_per_s": round(rows / untracked),
        "tracked_rows_per_s": round(rows / tracked),
        "write_cost_ratio": round(tracked / untracked, 2),
        "delivered_per_s": round(rows / all_delivered),
        "feed_reads": stats.polls,
        "notifications": stats.notifications,
        "max_lag_ms": round((stats.max_lag or 0) * 1000, 1),
    }


async def main(samples: int, writers: int, rows: int) -> None:
    datadir = tempfile.mkdtemp(prefix="raccoon-bench-pg-")
    server = EmbeddedPostgres(datadir, options=OPTIONS)
    try:
        await server.start()
        dsn = await server.create_database("bench")
        await upgrade(dsn)
        connection = await asyncpg.connect(dsn)
        await connection.execute("CREATE TABLE items (id bigserial PRIMARY KEY, name text)")
        await connection.execute(track_table("items", primary_key=["id"]))
        await connection.close()
        await feed_latency(dsn, 20)  # warm-up
        feed = await feed_latency(dsn, samples)
        bare = await notify_latency(dsn, samples)
        result = {
            "bench": "change_feed",
            "machine": machine(),
            "latency_feed": summary_us(feed),
            "latency_bare_notify": summary_us(bare),
            "latency_p50_ratio": round(summary_us(feed)["p50_us"] / summary_us(bare)["p50_us"], 2),
            "throughput": await throughput(dsn, writers, rows),
        }
    finally:
        await server.stop()
        shutil.rmtree(datadir, ignore_errors=True)
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(main(args.samples, args.writers, args.rows))
