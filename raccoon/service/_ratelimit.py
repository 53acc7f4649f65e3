"""Counting failed logins per key (username, client address) in a sliding window."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterable

__all__ = ["RateLimiter"]


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
