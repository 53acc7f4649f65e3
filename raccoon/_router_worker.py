"""Hardening of Crossbar's router worker, applied from inside that worker.

Crossbar loads :class:`GuardResource` into its router worker when the worker
starts its transports (the router configuration names it on a web path, see
``raccoon/service/router.py``); making it calls :func:`harden`. Importing the
module changes nothing: it patches process-wide decoding, which only the
router worker wants. Like ``raccoon._authenticator`` it runs under Twisted and
imports only the standard library, Twisted and autobahn: nothing that would
select asyncio for txaio.

What it fixes, both reachable by anyone who can open the websocket:

- **The recursion limit.** ``crossbar.worker.router`` imports ``py_ecc``,
  which raises the interpreter's recursion limit to 100,000. autobahn decodes
  JSON with the pure-Python scanner (recursive), so a ~60 KB message nested
  30,000 levels deep — a HELLO is enough, no login needed — overflows the C
  stack: the worker dies with SIGSEGV and the Crossbar node shuts down.
  Python's default limit turns that into a ``RecursionError``, which
  autobahn reports as a protocol error: only that connection is closed.
- **Unpaired surrogates.** A JSON ``"\\ud800"`` escape decodes to a Python
  string that no serializer can encode again as UTF-8, so the router could
  never forward it: the call hung at the router, holding its pending-call
  entry, for as long as the caller liked — repeated, that is memory the
  attacker controls. The decoder now refuses such text (any string or key
  with a surrogate left after pairing): a protocol error, and the sender's
  connection is closed. Browsers never produce one from real text.
"""

from __future__ import annotations

import json.decoder
import re
import sys
from collections.abc import Callable
from typing import Any

from twisted.web.resource import NoResource

__all__ = ["RECURSION_LIMIT", "GuardResource", "harden"]

#: Python's own default: what Crossbar ran with before py_ecc raised it.
RECURSION_LIMIT = 1000

#: After JSON has paired ``\\ud83d\\ude00`` into one character, any surrogate
#: code point left is unpaired.
_SURROGATE = re.compile("[\ud800-\udfff]")

_hardened = False


def _checked(scan: Callable[..., tuple[Any, int]]) -> Callable[..., tuple[Any, int]]:
    def scanstring(*args: Any, **kwargs: Any) -> tuple[Any, int]:
        value, end = scan(*args, **kwargs)
        if isinstance(value, str) and _SURROGATE.search(value):
            raise ValueError("a string holds an unpaired UTF-16 surrogate (not valid Unicode text)")
        return value, end

    return scanstring


def harden() -> None:
    """Apply both fixes to this process (idempotent)."""
    global _hardened
    if _hardened:
        return
    _hardened = True
    sys.setrecursionlimit(RECURSION_LIMIT)
    # Object keys go through json.decoder's own global; strings through the
    # copy autobahn's WAMP decoder imported.
    json.decoder.scanstring = _checked(json.decoder.scanstring)  # type: ignore[attr-defined]
    from autobahn.wamp import serializer

    if hasattr(serializer, "scanstring"):
        serializer.scanstring = _checked(serializer.scanstring)


class GuardResource(NoResource):
    """A web path whose only job is to be made: making it hardens the worker.
    It answers 404 like any unknown path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        harden()
        super().__init__("Not found")
