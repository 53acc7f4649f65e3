"""The change feed: every committed change delivered once, through out-of-order
commits, lost notifications, broken connections and database restarts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from changelog_support import (
    Proxy,
    connect,
    fresh_database,
    ids,
    items_database,
    log_ids,
    prepare_items,
    run_writers,
)

from raccoon.data import (
    Change,
    ChangeFeed,
    ChangeFeedError,
    FeedPosition,
    FeedState,
    upgrade,
)
from raccoon.testing import eventually

# Generous for a loaded 2-core machine; the tests wait for conditions, not for time.
SYNC = 30.0
# Transient failures a writer retries while the server restarts.
WRITE_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # e.g. a protocol state the shutdown left behind
)


@pytest_asyncio.fixture
async def dsn(database: str) -> AsyncIterator[str]:
    async with items_database(database) as dsn:
        yield dsn


@contextlib.asynccontextmanager
async def running(feed: ChangeFeed, **start: Any) -> AsyncIterator[ChangeFeed]:
    await feed.start(**start)
    try:
        yield feed
    finally:
        await feed.stop()


def assert_exactly_once(delivered: list[int], logged: list[int]) -> None:
    duplicates = sorted({i for i in delivered if delivered.count(i) > 1})
    assert duplicates == [], f"delivered more than once: {duplicates}"
    missing = sorted(set(logged) - set(delivered))
    assert missing == [], f"committed but never delivered: {missing}"
    extra = sorted(set(delivered) - set(logged))
    assert extra == [], f"delivered but not in the log: {extra}"


# -- delivery ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_delivers_changes_made_by_a_plain_connection_in_order(dsn: str) -> None:
    everything: list[Change] = []
    items: list[Change] = []
    others: list[Change] = []
    feed = ChangeFeed(dsn)
    feed.subscribe(None, everything.append)
    feed.subscribe("items", items.append)
    feed.subscribe("other", others.append)
    async with running(feed), connect(dsn) as connection:
        await connection.execute("INSERT INTO items (name, qty) VALUES ('a', 1), ('b', 2)")
        await connection.execute("UPDATE items SET qty = qty + 10")
        await connection.execute("DELETE FROM items WHERE name = 'a'")
        await eventually(lambda: len(items) == 5, SYNC, "5 changes")
    assert everything == items and others == []
    assert [(c.op, c.row["name"]) for c in items] == [
        ("insert", "a"),
        ("insert", "b"),
        ("update", "a"),
        ("update", "b"),
        ("delete", "a"),
    ]
    assert ids(items) == sorted(ids(items)) == await log_ids(dsn)
    update = items[2]
    assert update.table == "items" and update.pk == {"id": 1}
    assert update.before == {"id": 1, "name": "a", "qty": 1, "tenant": None}
    assert update.after == {"id": 1, "name": "a", "qty": 11, "tenant": None}
    assert update.txid == items[3].txid != items[0].txid
    stats = feed.statistics()
    assert stats.delivered == 5 and stats.notifications >= 5 and stats.last_id == items[-1].id
    assert stats.reconnects == 0 and stats.lag is not None and 0 <= stats.lag < SYNC
    assert stats.state is FeedState.STOPPED


@pytest.mark.asyncio
async def test_start_from_now_from_an_id_and_from_a_position(dsn: str) -> None:
    async with connect(dsn) as connection:
        for name in "abc":
            await connection.execute("INSERT INTO items (name) VALUES ($1)", name)
        first = (await log_ids(dsn))[0]

        now: list[Change] = []
        since: list[Change] = []
        feed_now, feed_since = ChangeFeed(dsn), ChangeFeed(dsn)
        feed_now.subscribe(None, now.append)
        feed_since.subscribe(None, since.append)
        async with running(feed_now), running(feed_since, from_id=first):
            assert feed_now.last_id == first + 2
            await connection.execute("INSERT INTO items (name) VALUES ('d')")
            await feed_now.sync(SYNC)
            await feed_since.sync(SYNC)
        assert [c.row["name"] for c in now] == ["d"]
        assert [c.row["name"] for c in since] == ["b", "c", "d"]

        # A transaction running across the hand-over: resuming from the
        # position delivers it; resuming from the id alone could not.
        position = feed_now.position
        assert position is not None and FeedPosition.parse(str(position)) == position
        late = await asyncpg.connect(dsn)
        try:
            late_tx = late.transaction()
            await late_tx.start()
            await late.execute("INSERT INTO items (name) VALUES ('late')")
            await connection.execute("INSERT INTO items (name) VALUES ('e')")
            await late_tx.commit()
        finally:
            await late.close()
        resumed: list[Change] = []
        feed = ChangeFeed(dsn)
        feed.subscribe(None, resumed.append)
        async with running(feed, position=FeedPosition.parse(str(position))):
            await feed.sync(SYNC)
        assert sorted(c.row["name"] for c in resumed) == ["e", "late"]


@pytest.mark.asyncio
async def test_out_of_order_commits_lose_nothing(dsn: str) -> None:
    got: list[Change] = []
    feed = ChangeFeed(dsn, poll_interval=0.2)
    feed.subscribe("items", got.append)
    first, second, third = [await asyncpg.connect(dsn) for _ in range(3)]
    try:
        async with running(feed):
            tx1, tx2, tx3 = first.transaction(), second.transaction(), third.transaction()
            for tx in (tx1, tx2, tx3):
                await tx.start()
            await first.execute("INSERT INTO items (name) VALUES ('first')")  # lower id
            await second.execute("INSERT INTO items (name) VALUES ('second')")
            await third.execute("INSERT INTO items (name) VALUES ('rolled back')")
            await tx2.commit()
            await feed.sync(SYNC)
            assert [c.row["name"] for c in got] == ["second"]
            # The feed has seen a higher id; the lower one is still to come,
            # and a rolled-back transaction must not hold anything up.
            await tx3.rollback()
            await second.execute("INSERT INTO items (name) VALUES ('after')")
            await feed.sync(SYNC)
            assert [c.row["name"] for c in got] == ["second", "after"]
            # Several reads while 'first' is still open: each sync is one read
            # that begins after the call, as a poll's would, but needs no sleep.
            for _ in range(3):
                await feed.sync(SYNC)
            await tx1.commit()
            await feed.sync(SYNC)
            # More reads after it arrived, any of which would deliver it twice.
            for _ in range(3):
                await feed.sync(SYNC)
    finally:
        for connection in (first, second, third):
            await connection.close()
    assert [c.row["name"] for c in got] == ["second", "after", "first"]
    assert got[2].id < got[0].id < got[1].id
    assert_exactly_once(ids(got), await log_ids(dsn))


@pytest.mark.asyncio
async def test_the_poll_finds_changes_without_a_notification(dsn: str) -> None:
    got: list[Change] = []
    feed = ChangeFeed(dsn, poll_interval=0.3)
    feed.subscribe(None, got.append)
    async with running(feed), connect(dsn) as connection:
        # Written straight into the log: no trigger, so no NOTIFY.
        await connection.execute(
            "INSERT INTO raccoon_changes (table_name, pk, op, after) "
            """VALUES ('items', '{"id": 1}', 'insert', '{"id": 1}')"""
        )
        started = time.monotonic()
        await eventually(lambda: len(got) == 1, SYNC, "the polled change")
        assert time.monotonic() - started < 0.3 + 5  # one poll interval, plus a loaded machine
    assert feed.statistics().notifications == 0 and got[0].pk == {"id": 1}


@pytest.mark.asyncio
async def test_twenty_concurrent_writers_each_change_delivered_once(dsn: str) -> None:
    got: list[int] = []
    feed = ChangeFeed(dsn, batch_size=7)  # small batches: reads span several queries
    feed.subscribe("items", lambda change: got.append(change.id))

    async def writer(index: int) -> None:
        rng = random.Random(index)
        async with connect(dsn) as connection:
            for round_ in range(10):
                async with connection.transaction():
                    await connection.execute(
                        "INSERT INTO items (name) VALUES ($1), ($2)",
                        f"{index}-{round_}-a",
                        f"{index}-{round_}-b",
                    )
                    await asyncio.sleep(rng.random() * 0.02)  # commit in a shuffled order
                    await connection.execute(
                        "UPDATE items SET qty = qty + 1 WHERE name = $1", f"{index}-{round_}-a"
                    )
                if rng.random() < 0.2:
                    with contextlib.suppress(ZeroDivisionError):
                        async with connection.transaction():
                            await connection.execute("INSERT INTO items (name) VALUES ('no')")
                            raise ZeroDivisionError  # rolled back

    async with running(feed):
        await run_writers(20, writer)
        await feed.sync(SYNC)
    logged = await log_ids(dsn)
    assert len(logged) == 20 * 10 * 3
    assert_exactly_once(got, logged)


# -- subscribers ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_failing_subscriber_is_logged_and_others_go_on(
    dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[int] = []

    def broken(change: Change) -> None:
        raise ValueError(f"cannot handle {change.id}")

    async def broken_async(change: Change) -> None:
        raise KeyError(change.id)

    feed = ChangeFeed(dsn)
    feed.subscribe(None, broken)
    feed.subscribe(None, broken_async)
    feed.subscribe(None, lambda change: got.append(change.id))
    with caplog.at_level(logging.ERROR, logger="raccoon.data.feed"):
        async with running(feed), connect(dsn) as connection:
            await connection.execute("INSERT INTO items (name) VALUES ('a'), ('b')")
            await feed.sync(SYNC)
            assert feed.state is FeedState.RUNNING
    assert got == await log_ids(dsn) and len(got) == 2
    assert feed.statistics().subscriber_errors == 4
    failures = [r for r in caplog.records if "subscriber" in r.getMessage()]
    assert len(failures) == 4 and all(r.exc_info for r in failures)


@pytest.mark.asyncio
async def test_a_slow_async_subscriber_delays_only_itself(dsn: str) -> None:
    fast: list[int] = []
    slow: list[int] = []
    release = asyncio.Event()

    async def slow_subscriber(change: Change) -> None:
        await release.wait()
        slow.append(change.id)

    feed = ChangeFeed(dsn)
    feed.subscribe(None, slow_subscriber)
    feed.subscribe(None, lambda change: fast.append(change.id))
    async with running(feed), connect(dsn) as connection:
        for name in "abcde":
            await connection.execute("INSERT INTO items (name) VALUES ($1)", name)
        await eventually(lambda: len(fast) == 5, SYNC, "the fast subscriber")
        assert slow == [] and feed.statistics().backlog >= 4
        release.set()
        await feed.sync(SYNC)  # also waits for async subscribers
        assert slow == fast == await log_ids(dsn)
        assert feed.statistics().backlog == 0


@pytest.mark.asyncio
async def test_unsubscribe(dsn: str) -> None:
    got: list[int] = []
    feed = ChangeFeed(dsn)
    subscription = feed.subscribe("items", lambda change: got.append(change.id))
    async with running(feed), connect(dsn) as connection:
        await connection.execute("INSERT INTO items (name) VALUES ('a')")
        await feed.sync(SYNC)
        subscription.unsubscribe()
        subscription.unsubscribe()  # idempotent
        await connection.execute("INSERT INTO items (name) VALUES ('b')")
        await feed.sync(SYNC)
    assert len(got) == 1 and not subscription.active


# -- adversity --------------------------------------------------------------------------


async def write_until(
    dsn: str, stop: asyncio.Event, committed: set[str], attempted: set[str], writer: int
) -> None:
    """Insert rows one by one until *stop*, reconnecting through failures.

    *committed*: the commits the server acknowledged. A failed commit may or
    may not have happened; it stays in *attempted* only.
    """
    connection: asyncpg.Connection | None = None
    serial = 0
    try:
        while not stop.is_set():
            try:
                if connection is None:
                    connection = await asyncpg.connect(dsn, timeout=5)
                serial += 1
                name = f"w{writer}-{serial}"
                attempted.add(name)
                await connection.execute("INSERT INTO items (name) VALUES ($1)", name, timeout=5)
                committed.add(name)
            except WRITE_ERRORS:
                if connection is not None:
                    connection.terminate()
                    connection = None
                await asyncio.sleep(0.05)
            else:
                await asyncio.sleep(0.002)
    finally:
        if connection is not None:
            await connection.close()


async def check_log_against_writes(
    dsn: str, delivered: list[int], committed: set[str], attempted: set[str]
) -> None:
    async with connect(dsn) as connection:
        rows = await connection.fetch(
            "SELECT id, after->>'name' AS name FROM raccoon_changes ORDER BY id"
        )
    logged = [row["id"] for row in rows]
    names = {row["name"] for row in rows}
    assert committed <= names, f"acknowledged but not logged: {sorted(committed - names)[:10]}"
    assert names <= attempted
    assert len(names) == len(rows)  # one insert, one log row
    assert_exactly_once(delivered, logged)


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(120)
@pytest.mark.parametrize("how", ["restart", "crash"])
async def test_restart_postgres_while_changes_are_written(postgres_factory: Any, how: str) -> None:
    server = postgres_factory.create()
    if how == "crash":
        # Durable commits, so that a crash loses no acknowledged one (the test
        # servers trade that away for speed).
        server.options.update(fsync="on", synchronous_commit="on")
    await server.start()
    dsn = await server.create_database("restart")
    await prepare_items(dsn)
    delivered: list[int] = []
    feed = ChangeFeed(dsn, poll_interval=0.5, reconnect_delay=0.05, max_reconnect_delay=0.5)
    feed.subscribe("items", lambda change: delivered.append(change.id))
    committed: set[str] = set()
    attempted: set[str] = set()
    stop = asyncio.Event()
    async with running(feed):
        writers = [
            asyncio.create_task(write_until(dsn, stop, committed, attempted, n)) for n in range(3)
        ]
        try:
            await eventually(lambda: len(committed) >= 100, SYNC, "writes before the restart")
            if how == "crash":
                server.kill()  # SIGKILL: no shutdown checkpoint, crash recovery at start
                await server.start()
            else:
                await server.restart()  # fast shutdown: clients are disconnected
            before = len(committed)
            await eventually(lambda: len(committed) >= before + 100, SYNC, "writes after it")
            # Changes written after the restart reach the subscriber too.
            await eventually(lambda: len(delivered) >= before + 50, SYNC, "deliveries after it")
        finally:
            stop.set()
            await asyncio.gather(*writers)
        await feed.sync(SYNC)
        assert feed.statistics().reconnects >= 1
    await check_log_against_writes(dsn, delivered, committed, attempted)


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_network_cuts_and_black_holes(dsn: str) -> None:
    proxy = Proxy(dsn)
    through_proxy = await proxy.start()
    delivered: list[int] = []
    feed = ChangeFeed(
        through_proxy,
        poll_interval=0.3,
        query_timeout=1.0,
        reconnect_delay=0.05,
        max_reconnect_delay=0.3,
    )
    feed.subscribe("items", lambda change: delivered.append(change.id))
    committed: set[str] = set()
    attempted: set[str] = set()
    stop = asyncio.Event()
    try:
        async with running(feed):
            writers = [
                asyncio.create_task(write_until(dsn, stop, committed, attempted, n))
                for n in range(2)
            ]
            try:
                # Three resets, then a black hole: the feed's connection stays
                # open but silent, and only the query timeout can tell.
                for break_ in (proxy.cut, proxy.cut, proxy.cut, proxy.freeze):
                    written = len(committed) + 30
                    await eventually(lambda w=written: len(committed) >= w, SYNC, "writes")
                    reconnects = feed.statistics().reconnects
                    break_()
                    await eventually(
                        lambda r=reconnects: feed.statistics().reconnects > r, SYNC, "a reconnect"
                    )
            finally:
                stop.set()
                await asyncio.gather(*writers)
            await feed.sync(SYNC)
            assert feed.statistics().reconnects >= 4
    finally:
        await proxy.close()
    await check_log_against_writes(dsn, delivered, committed, attempted)


# -- lifecycle and misuse ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_start_fails_clearly(database: str) -> None:
    async with fresh_database(database) as dsn:
        with pytest.raises(ChangeFeedError, match=r"no change log.*raccoon db upgrade"):
            await ChangeFeed(dsn).start()
        await upgrade(dsn)
        feed = ChangeFeed(dsn)
        await feed.start()
        with pytest.raises(RuntimeError, match="it is running"):
            await feed.start()
        await feed.stop()
        await feed.stop()
        assert feed.state is FeedState.STOPPED
        with pytest.raises(RuntimeError, match="needs a running change feed"):
            await feed.sync(1)
    closed = dsn.rsplit("@", 1)[0] + "@127.0.0.1:1/x"
    feed = ChangeFeed(closed, connect_timeout=2)
    with pytest.raises(ChangeFeedError, match="cannot connect"):
        await feed.start()
    assert feed.state is FeedState.IDLE


@pytest.mark.asyncio
async def test_an_unexpected_database_error_stops_the_feed_loudly(
    dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    feed = ChangeFeed(dsn, poll_interval=0.2)
    await feed.start()
    async with connect(dsn) as connection:
        # Not a connection failure: retrying would only hide it.
        await connection.execute("DROP TABLE raccoon_changes CASCADE")
    with caplog.at_level(logging.ERROR, logger="raccoon.data.feed"):
        await eventually(lambda: feed.state is FeedState.FAILED, SYNC, "the failure")
    assert any("unexpected error" in r.getMessage() for r in caplog.records)
    with pytest.raises(RuntimeError, match="it failed: UndefinedTableError"):
        await feed.sync(SYNC)
    with pytest.raises(asyncpg.UndefinedTableError):
        await feed.stop()
    assert feed.state is FeedState.STOPPED
    assert feed.statistics().reconnects == 0


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        ChangeFeed("postgresql://x/y", batch_size=0)
    with pytest.raises(ValueError, match="reconnect_delay"):
        ChangeFeed("postgresql://x/y", reconnect_delay=2, max_reconnect_delay=1)
    with pytest.raises(TypeError, match="callable"):
        ChangeFeed("postgresql://x/y").subscribe(None, "nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a change-feed position"):
        FeedPosition.parse("12")
    position = FeedPosition(12, "10:14:11,12", "10:16:", 13)
    assert FeedPosition.parse(str(position)) == position
