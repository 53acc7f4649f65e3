"""The change feed: every committed change of the tracked tables, delivered exactly once.

One :class:`ChangeFeed` per process holds one dedicated connection that
``LISTEN``\\ s on ``raccoon_changes`` and reads the change log. A
notification (or, failing that, a periodic poll) wakes it; it then reads
the rows that became visible since its last read and hands them to the
subscribers.

Exactly once, with transactions committing out of id order
----------------------------------------------------------

Ids come from a sequence when a row is *written*, but transactions commit
in any order, so "rows with ``id > last_id``" misses a row whose
transaction commits after a higher id was read. The feed therefore tracks
*transaction snapshots*, not ids (the rule PgQ uses). Each read takes a
snapshot ``T`` (``txid_current_snapshot()``): the rows visible in ``T`` are
exactly those whose writing transaction had committed when ``T`` was taken.
Given the previous read's snapshot ``S``, the new rows are those visible in
``T`` whose transaction was not visible in ``S``: the transactions still
running in ``S`` (its ``xip`` list) and those that started after it
(``txid >= xmax(S)``). Each committed transaction becomes visible in exactly
one such step, so each of its rows is delivered once; rolled-back ones never
become visible, and no timeout has to guess that a missing id was rolled
back. As a safety net for a server that crashed and reused transaction ids
it never made durable, rows with ``id`` above the highest id delivered are
always included too (they cannot have been delivered).

The state ``(last_id, S)`` lives in memory across reconnects, so a broken
connection (database restart, network cut) costs only a reconnect with
backoff and a catch-up read. :attr:`ChangeFeed.position` exports it for a
process that wants to resume exactly where another stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import replace

import asyncpg
import sqlalchemy as sa

from raccoon.data._admin import _redact
from raccoon.data._changes import Change
from raccoon.data._database import _init_connection
from raccoon.data._errors import ChangeFeedError
from raccoon.data._position import FeedPosition, _Progress, _progress_from, _Snapshot
from raccoon.data._schema import CHANGE_CHANNEL
from raccoon.data._subscriptions import (
    Callback,
    FeedState,
    FeedStatistics,
    Subscription,
    _Counters,
)

__all__ = ["ChangeFeed", "FeedState", "FeedStatistics", "Subscription"]

log = logging.getLogger("raccoon.data.feed")

# Anything that can go wrong while (re)connecting: the server may be down,
# starting up, in recovery or out of connection slots. Retried with backoff.
_CONNECT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)
# Failures of an open connection that mean "it is gone or unusable": reconnect.
# Any other error is a bug (ours or the schema's) and stops the feed loudly.
_LOST_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,  # a query got no answer: e.g. a network cut without a reset
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, crash, recovery
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.PostgresSystemError,
    asyncpg.exceptions.InternalClientError,  # protocol errors
)


def _connection_lost(exc: BaseException, connection: asyncpg.Connection) -> bool:
    if isinstance(exc, _LOST_ERRORS):
        return True
    # "connection is closed": asyncpg's InterfaceError for any use after the end.
    return isinstance(exc, asyncpg.InterfaceError) and connection.is_closed()


_SERVER_SETTINGS = {
    "application_name": "raccoon-change-feed",
    # The reads are prepared statements whose parameters decide everything: a
    # generic plan for `txid >= $1` assumes a third of the log matches and
    # scans it (measured: 16 ms instead of 0.2 ms per read on a 50k-row log).
    "plan_cache_mode": "force_custom_plan",
    # The reads always want a few new rows out of a large log, through the
    # indexes on txid and id. A log not analyzed yet (a new database, a burst
    # of writes before autovacuum's first ANALYZE) has no statistics, and the
    # default estimate of `txid >= $1` (a third of the rows) made the planner
    # scan the whole log on every notification: 0.43 ms at 6,300 rows and
    # growing with it, against 0.02 ms through the indexes.
    "enable_seqscan": "off",
}
_START_SQL = "SELECT txid_current_snapshot()::text, (SELECT max(id) FROM raccoon_changes)"
_COLUMNS = """id, table_name, pk, tenant, op, txid, at, who, before, after,
       extract(epoch FROM clock_timestamp() - at)::float8 AS lag"""
# The rows that are new since snapshot S: those of transactions running in S
# ($2, its xip list) or begun after it ($1, its xmax), and — the safety net —
# any id above $3, the highest id delivered before this step.
_NEW_SINCE = "(txid >= $1 OR txid = ANY($2::bigint[]) OR id > $3)"
# A step's first read takes its target snapshot T in the same statement: the
# rows it sees are exactly those visible in T (one round trip per step).
# Always one row: the snapshot, with NULLs for the change when there is none.
_FIRST_SQL = f"""
WITH target AS (SELECT txid_current_snapshot() AS snapshot)
SELECT target.snapshot::text AS target, change.*
FROM target LEFT JOIN LATERAL (
    SELECT {_COLUMNS} FROM raccoon_changes
    WHERE {_NEW_SINCE} AND txid_visible_in_snapshot(txid, target.snapshot)
    ORDER BY id
    LIMIT $4
) AS change ON true
ORDER BY change.id
"""
# The step's further batches: $4 its target T, $5 the last id it delivered.
_NEXT_SQL = f"""
SELECT {_COLUMNS} FROM raccoon_changes
WHERE {_NEW_SINCE} AND txid_visible_in_snapshot(txid, $4::text::txid_snapshot) AND id > $5
ORDER BY id
LIMIT $6
"""


class ChangeFeed:
    """Delivers every committed change of the tracked tables to subscribers, once each.

    ::

        feed = ChangeFeed(dsn)
        feed.subscribe("orders", on_order_change)   # or None: every table
        await feed.start()                          # changes committed from now on
        ...
        await feed.stop()

    Callbacks get a :class:`~raccoon.data.Change`. A plain function is called
    inline, in change order, and must be quick; a coroutine function gets its
    own queue and task and is awaited in change order, so a slow one delays
    only itself (its backlog grows; nothing is dropped). A callback's
    exception is logged and counted, and delivery goes on.

    Changes are delivered in the order their transactions became visible
    (commit order), and in id order within one read; per record that is the
    order of its changes (row locks serialize them). When the connection
    breaks the feed reconnects with backoff (*reconnect_delay* doubling up
    to *max_reconnect_delay* seconds) and catches up. Besides ``NOTIFY`` it
    reads every *poll_interval* seconds, so a lost notification delays
    delivery by at most that. Reads take at most *batch_size* rows at a time
    and give up after *query_timeout* seconds (a connection that stopped
    answering, e.g. a network cut without a reset, is then replaced).
    """

    def __init__(
        self,
        dsn: str,
        *,
        poll_interval: float = 2.0,
        batch_size: int = 1000,
        query_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        reconnect_delay: float = 0.1,
        max_reconnect_delay: float = 5.0,
    ) -> None:
        if poll_interval <= 0 or query_timeout <= 0 or connect_timeout <= 0:
            raise ValueError("poll_interval, query_timeout and connect_timeout must be positive")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if not 0 < reconnect_delay <= max_reconnect_delay:
            raise ValueError("need 0 < reconnect_delay <= max_reconnect_delay")
        self.dsn = dsn
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.query_timeout = query_timeout
        self.connect_timeout = connect_timeout
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self._state = FeedState.IDLE
        self._by_table: dict[str | None, list[Subscription]] = {}
        self._progress: _Progress | None = None
        self._counters = _Counters()
        self._wake = asyncio.Event()
        self._step_done = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        self._failure: BaseException | None = None

    def __repr__(self) -> str:
        return f"<ChangeFeed {_redact(self.dsn)} {self._state.value} last_id={self.last_id}>"

    # -- subscribers -------------------------------------------------------------------

    def subscribe(self, table: str | sa.Table | None, callback: Callback) -> Subscription:
        """Deliver the changes of *table* (a name as ``Table.fullname`` spells it, a
        :class:`~sqlalchemy.Table`, or ``None`` for every table) to *callback*.

        Works before or after :meth:`start`; returns the handle to unsubscribe.
        """
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {callback!r}")
        name = table.fullname if isinstance(table, sa.Table) else table
        if name is not None and not isinstance(name, str):
            raise TypeError(f"table must be a name, a sqlalchemy Table or None, got {table!r}")
        subscription = Subscription(self, name, callback)
        self._by_table.setdefault(name, []).append(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        subscriptions = self._by_table.get(subscription.table, [])
        with contextlib.suppress(ValueError):
            subscriptions.remove(subscription)

    def _subscriber_failed(self, subscription: Subscription, change: Change) -> None:
        self._counters.subscriber_errors += 1
        log.exception(
            "change-feed subscriber %r failed on change %d (%s %s of %s); delivery goes on",
            subscription.callback,
            change.id,
            change.op,
            change.pk,
            change.table,
        )

    def _dispatch(self, change: Change) -> None:
        # Copies: a callback may (un)subscribe.
        for subscription in [*self._by_table.get(change.table, ()), *self._by_table.get(None, ())]:
            if subscription.active:
                subscription._deliver(change)

    # -- state -------------------------------------------------------------------------

    @property
    def state(self) -> FeedState:
        """Where the feed is in its lifecycle."""
        return self._state

    @property
    def last_id(self) -> int | None:
        """The highest change id delivered, or ``None`` before :meth:`start`.

        Lower ids may still come: a transaction that wrote earlier may commit later.
        """
        return None if self._progress is None else self._progress.last_id

    @property
    def position(self) -> FeedPosition | None:
        """Where the feed stands, to resume exactly with ``start(position=...)`` later."""
        progress = self._progress
        if progress is None:
            return None
        return FeedPosition(
            progress.last_id,
            progress.snapshot.text,
            None if progress.target is None else progress.target.text,
            progress.cursor,
        )

    def statistics(self) -> FeedStatistics:
        """A snapshot of the feed's counters."""
        counters = self._counters
        return FeedStatistics(
            state=self._state,
            last_id=self.last_id,
            delivered=counters.delivered,
            polls=counters.polls,
            notifications=counters.notifications,
            reconnects=counters.reconnects,
            subscriber_errors=counters.subscriber_errors,
            backlog=sum(s.backlog for subs in self._by_table.values() for s in subs),
            lag=counters.lag,
            max_lag=counters.max_lag,
        )

    # -- lifecycle ---------------------------------------------------------------------

    async def start(
        self, from_id: int | None = None, *, position: FeedPosition | None = None
    ) -> None:
        """Connect, listen, and deliver changes from now on in a background task.

        With neither argument, every change committed after ``start`` returns
        is delivered (and those of transactions running at that moment).
        *from_id* also delivers the changes with greater ids already in the
        log; *position* (from :attr:`position` of an earlier feed) resumes
        exactly where that feed stood. Resuming from an id alone can miss a
        change whose transaction committed out of order while no feed ran.

        Raises :class:`~raccoon.data.ChangeFeedError` when the database cannot
        be reached or has no change log, :class:`RuntimeError` unless the feed
        is idle.
        """
        if self._state is not FeedState.IDLE:
            raise RuntimeError(
                f"cannot start the change feed: it is {self._state.value}; a feed starts "
                "once (make a new one, passing position=old_feed.position to resume)"
            )
        if from_id is not None and position is not None:
            raise ValueError("pass from_id or position, not both")
        self._state = FeedState.STARTING
        try:
            connection = await self._open()
            try:
                if position is not None:
                    self._progress = _progress_from(position)
                else:
                    snapshot, max_id = await connection.fetchrow(
                        _START_SQL, timeout=self.query_timeout
                    )
                    last_id = (max_id or 0) if from_id is None else from_id
                    self._progress = _Progress(_Snapshot.parse(snapshot), last_id)
            except BaseException:
                connection.terminate()
                raise
        except asyncpg.UndefinedTableError as exc:
            self._state = FeedState.IDLE
            raise ChangeFeedError(
                f"the database {_redact(self.dsn)} has no change log ({exc}); run the "
                "migrations first: `raccoon db upgrade` or raccoon.data.upgrade(dsn)"
            ) from exc
        except _CONNECT_ERRORS as exc:
            self._state = FeedState.IDLE
            raise ChangeFeedError(
                f"the change feed cannot connect to {_redact(self.dsn)}: "
                f"{type(exc).__name__}: {exc}. Check that the server runs and the DSN is right."
            ) from exc
        except BaseException:
            self._state = FeedState.IDLE
            raise
        self._connection = connection
        self._task = asyncio.create_task(self._run(connection), name=f"{self!r}")
        self._state = FeedState.RUNNING

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Stop reading, let async subscribers finish the changes already queued
        (up to *drain_timeout* seconds), then close. Idempotent.

        Re-raises the exception that killed the feed's task, if one did (a bug,
        never a connection failure: those are retried).
        """
        if self._state in (FeedState.IDLE, FeedState.STOPPED):
            self._state = FeedState.STOPPED
            return
        if self._state is FeedState.STOPPING:
            return
        self._state = FeedState.STOPPING
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close(timeout=2.0)
            except Exception:
                connection.terminate()
        await self._stop_subscribers(drain_timeout)
        self._state = FeedState.STOPPED
        async with self._step_done:
            self._step_done.notify_all()  # wake sync() callers: they raise
        if self._failure is not None:
            raise self._failure

    async def _stop_subscribers(self, drain_timeout: float) -> None:
        subscriptions = [s for subs in self._by_table.values() for s in subs]
        drains = [asyncio.ensure_future(s._drain()) for s in subscriptions]
        if drains:
            _done, pending = await asyncio.wait(drains, timeout=drain_timeout)
            if pending:
                log.warning(
                    "change-feed subscribers still busy after %.1f s at stop; cancelling them",
                    drain_timeout,
                )
            for future in pending:
                future.cancel()
        for subscription in subscriptions:
            worker, subscription._worker = subscription._worker, None
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    async def __aenter__(self) -> ChangeFeed:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def sync(self, timeout: float | None = None) -> None:
        """Return once every change committed before the call has been delivered,
        and handled by async subscribers too.

        Useful after a write that must be visible to subscribers before going
        on (and in tests). Waits through reconnects; raises
        :class:`TimeoutError` after *timeout* seconds, :class:`RuntimeError`
        if the feed is not running or stops meanwhile.
        """
        async with asyncio.timeout(timeout):
            needed = self._counters.steps_begun + 1  # a read that begins after now
            self._wake.set()
            async with self._step_done:
                await self._step_done.wait_for(
                    lambda: (
                        self._counters.steps_done >= needed or self._state is not FeedState.RUNNING
                    )
                )
            self._check_running("sync()")
            for subscriptions in list(self._by_table.values()):
                for subscription in list(subscriptions):
                    await subscription._drain()

    def _check_running(self, what: str) -> None:
        if self._state is not FeedState.RUNNING:
            raise RuntimeError(
                f"{what} needs a running change feed, and this one is {self._state.value}"
                + (f" (it failed: {self._failure!r})" if self._failure else "")
            )

    # -- the connection --------------------------------------------------------------

    async def _open(self) -> asyncpg.Connection:
        """A new connection, listening (before any read, so no notification slips by)."""
        connection = await asyncpg.connect(
            self.dsn, timeout=self.connect_timeout, server_settings=_SERVER_SETTINGS
        )
        try:
            await _init_connection(connection)
            await connection.add_listener(CHANGE_CHANNEL, self._notified)
            # A closed connection must not wait for the next poll to be noticed.
            connection.add_termination_listener(lambda _connection: self._wake.set())
        except BaseException:
            connection.terminate()
            raise
        return connection

    def _notified(self, _connection: object, _pid: int, _channel: str, _payload: str) -> None:
        self._counters.notifications += 1
        self._wake.set()

    async def _run(self, connection: asyncpg.Connection | None) -> None:
        delay = self.reconnect_delay
        try:
            while True:
                if connection is None:
                    try:
                        connection = await self._open()
                    except _CONNECT_ERRORS as exc:
                        log.info("change feed: reconnecting failed (%s)", exc)
                        delay = await self._back_off(delay)
                        continue
                    self._connection = connection
                    self._counters.reconnects += 1
                    log.info("change feed reconnected; catching up after id %s", self.last_id)
                steps_done = self._counters.steps_done
                try:
                    await self._serve(connection)
                except Exception as exc:
                    if not _connection_lost(exc, connection):
                        raise
                    log.warning(
                        "change feed lost its database connection (%s: %s); reconnecting",
                        type(exc).__name__,
                        exc,
                    )
                    connection.terminate()
                    connection = self._connection = None
                    if self._counters.steps_done > steps_done:
                        delay = self.reconnect_delay  # it worked for a while: retry soon
                    delay = await self._back_off(delay)
        except asyncio.CancelledError:
            raise  # stop(): it closes the connection
        except BaseException as exc:
            # A bug, not the network: fail loudly; stop() re-raises it.
            log.exception("the change feed stopped on an unexpected error")
            self._failure = exc
            self._state = FeedState.FAILED
            if connection is not None:
                connection.terminate()
                self._connection = None
            async with self._step_done:
                self._step_done.notify_all()

    async def _back_off(self, delay: float) -> float:
        """Sleep about *delay* seconds; return the next delay."""
        await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # spreads a crowd of clients
        return min(delay * 2, self.max_reconnect_delay)

    async def _serve(self, connection: asyncpg.Connection) -> None:
        while True:
            self._wake.clear()
            await self._read(connection)
            if connection.is_closed():
                raise ConnectionResetError("the connection was closed")
            if not self._wake.is_set():
                # asyncio.timeout, not wait_for: no task per wait, so a
                # notification resumes this loop one iteration sooner.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()

    async def _read(self, connection: asyncpg.Connection) -> None:
        """One step: deliver the rows that became visible since the last step."""
        progress = self._progress
        if progress is None:  # pragma: no cover - start() sets it
            raise RuntimeError("the change feed has no position")
        self._counters.polls += 1
        previous = progress.snapshot
        rows: list[asyncpg.Record] | None = None
        if progress.target is None:  # else: finish a step a broken connection interrupted
            self._counters.steps_begun += 1
            first = await connection.fetch(
                _FIRST_SQL,
                previous.xmax,
                previous.xip,
                progress.last_id,
                self.batch_size,
                timeout=self.query_timeout,
            )
            progress.target = _Snapshot.parse(first[0]["target"])
            progress.cursor = 0
            progress.step_last_id = progress.last_id
            rows = [row for row in first if row["id"] is not None]
        target = progress.target
        while True:
            if rows is None:
                rows = await connection.fetch(
                    _NEXT_SQL,
                    previous.xmax,
                    previous.xip,
                    progress.step_last_id,
                    target.text,
                    progress.cursor,
                    self.batch_size,
                    timeout=self.query_timeout,
                )
            for row in rows:
                change = Change.from_record(row)
                progress.cursor = change.id
                progress.last_id = max(progress.last_id, change.id)
                counters = self._counters
                counters.delivered += 1
                counters.lag = row["lag"]
                counters.max_lag = max(counters.max_lag or 0.0, row["lag"])
                self._dispatch(change)
            if len(rows) < self.batch_size:
                break
            rows = None
        self._progress = replace(progress, snapshot=target, target=None, cursor=0)
        self._counters.steps_done += 1
        async with self._step_done:
            self._step_done.notify_all()
