"""Counting failed logins per key (username, client address) in a sliding window.

:class:`SharedRateLimiter` counts in the database, shared by every service
process (what the service uses); :class:`RateLimiter` is the same rule in
one process's memory.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from raccoon.data import Database

__all__ = ["RateLimiter", "SharedRateLimiter"]


class RateLimiter:
    """At most *limit* hits per key within *window* seconds.

    A login records a hit for its username and its client address *before*
    the password is checked (so concurrent guesses count too) and takes it
    back when the password was right::

        limiter.check(keys)          # LoginThrottled-worthy? -> seconds to wait, or 0
        limiter.hit(keys)
        ... verify ...
        limiter.forgive(keys)        # on success

    Memory is bounded: keys whose hits all left the window are dropped, and
    past *max_keys* the oldest keys go first.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._hits: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def _live(self, key: str, now: float) -> collections.deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, keys: Iterable[str]) -> float:
        """Seconds until every key is below its limit again (0: allowed now)."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            hits = self._live(key, now)
            if hits is not None and len(hits) >= self.limit:
                # The oldest hit that must expire for one more attempt.
                wait = max(wait, hits[len(hits) - self.limit] + self.window - now)
        return wait

    def hit(self, keys: Iterable[str]) -> None:
        """Record one attempt for each key."""
        now = self._clock()
        for key in keys:
            hits = self._live(key, now)
            if hits is None:
                hits = self._hits[key] = collections.deque()
            hits.append(now)
            self._hits.move_to_end(key)
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)

    def forgive(self, keys: Iterable[str]) -> None:
        """Take back the latest attempt of each key (it succeeded)."""
        for key in keys:
            hits = self._hits.get(key)
            if hits:
                hits.pop()
                if not hits:
                    del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)


class SharedRateLimiter:
    """:class:`RateLimiter`'s rule, counted in the database (``raccoon_login_attempts``).

    Every service process of a deployment shares the database, so they share
    the count: two replicas do not give a guesser twice the attempts. The
    database's clock is the only clock, so replicas need not agree on time.
    The same three steps, awaited::

        wait = await limiter.retry_after(keys)
        attempt = await limiter.hit(keys)       # the rows it wrote
        ... verify ...
        await limiter.forgive(attempt)          # on success

    Rows older than the window are deleted now and then (at most once per
    window per process), so the table stays small.
    """

    def __init__(
        self,
        db: Database,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.db = db
        self.limit = limit
        self.window = window
        self._clock = clock
        self._purged_at: float | None = None

    async def retry_after(self, keys: Iterable[str]) -> float:
        """Seconds until every key is below its limit again (0: allowed now)."""
        keys = list(keys)
        if not keys:
            return 0.0
        # Per key over its limit: when the limit-th most recent attempt leaves the window.
        wait = await self.db.fetchval(
            """
            SELECT coalesce(max(extract(epoch FROM recent[$3] - clock_timestamp())), 0)
            FROM (
                SELECT array_agg(attempted_at + make_interval(secs => $2)
                                 ORDER BY attempted_at DESC) AS recent
                FROM raccoon_login_attempts
                WHERE key = ANY($1::text[])
                  AND attempted_at > clock_timestamp() - make_interval(secs => $2)
                GROUP BY key
                HAVING count(*) >= $3
            ) AS over_limit
            """,
            keys,
            self.window,
            self.limit,
        )
        return max(0.0, float(wait))

    async def hit(self, keys: Iterable[str]) -> list[int]:
        """Record one attempt for each key; the ids to :meth:`forgive` it by."""
        keys = list(keys)
        if not keys:
            return []
        await self._purge()
        rows = await self.db.fetch(
            "INSERT INTO raccoon_login_attempts (key) SELECT unnest($1::text[]) RETURNING id",
            keys,
        )
        return [row["id"] for row in rows]

    async def forgive(self, attempt: list[int]) -> None:
        """Take back an attempt :meth:`hit` recorded (it succeeded)."""
        if attempt:
            await self.db.execute(
                "DELETE FROM raccoon_login_attempts WHERE id = ANY($1::bigint[])", attempt
            )

    async def count(self, key: str) -> int:
        """Attempts of *key* in the window (for tests and diagnostics)."""
        return int(
            await self.db.fetchval(
                "SELECT count(*) FROM raccoon_login_attempts WHERE key = $1 "
                "AND attempted_at > clock_timestamp() - make_interval(secs => $2)",
                key,
                self.window,
            )
        )

    async def _purge(self) -> None:
        now = self._clock()
        if self._purged_at is not None and now - self._purged_at < self.window:
            return
        self._purged_at = now
        await self.db.execute(
            "DELETE FROM raccoon_login_attempts "
            "WHERE attempted_at < clock_timestamp() - make_interval(secs => $1)",
            self.window,
        )
