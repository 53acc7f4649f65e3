"""Rate-limited warnings for what a peer can make us log.

A message a browser sends that we refuse (it cannot be decoded, an event over
a limit) is worth a warning — once in a while. Logged for every message, a
peer sending them in a loop would fill the server's log: the log is a
resource one user must not be able to exhaust for the others. So each kind
of such warning passes at most :data:`BURST` times per :data:`WINDOW`
seconds; what was held back is counted and said in the next one that passes.
"""

from __future__ import annotations

import logging
import time
from typing import Any

__all__ = ["BURST", "WINDOW", "PeerWarnings"]

#: Warnings of one kind let through per window.
BURST = 10
#: The window, in seconds.
WINDOW = 60.0


class PeerWarnings:
    """``warning(kind, msg, *args)``: like ``logger.warning``, but at most
    *burst* records of each *kind* per *window* seconds."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = BURST,
        window: float = WINDOW,
        clock: Any = time.monotonic,
    ) -> None:
        self.logger = logger
        self.burst = burst
        self.window = window
        self._clock = clock
        # kind -> [window start, passed in this window, held back since the last one passed]
        self._kinds: dict[str, list[float]] = {}

    def warning(self, kind: str, msg: str, *args: Any) -> None:
        now = self._clock()
        state = self._kinds.get(kind)
        if state is None or now - state[0] >= self.window:
            held = int(state[2]) if state is not None else 0
            state = self._kinds[kind] = [now, 0, held]
        if state[1] >= self.burst:
            state[2] += 1
            return
        state[1] += 1
        held = int(state[2])
        state[2] = 0
        if held:
            msg = f"{msg} (and {held} more like it held back)"
        self.logger.warning(msg, *args)
