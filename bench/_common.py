"""Shared pieces of the benchmarks: a router, bare autobahn sessions, stats.

Every benchmark runs its baseline in the same run, on the same router, and
prints one JSON object as its last line.
"""

from __future__ import annotations

import asyncio
import json
import platform
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp.serializer import CBORSerializer, JsonSerializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402

from raccoon.service import Router, RouterSettings  # noqa: E402

SERIALIZERS = ("cbor", "json")  # what raccoon.node.Connection offers by default


@asynccontextmanager
async def running_router() -> AsyncIterator[Router]:
    with tempfile.TemporaryDirectory(prefix="raccoon-bench-") as tmp:
        router = Router(RouterSettings(realm="bench", loglevel="warn"), tmp)
        await router.start()
        try:
            yield router
        finally:
            await router.stop()


class _BareSession(ApplicationSession):
    def __init__(self, realm: str, joined: asyncio.Future[ApplicationSession]) -> None:
        super().__init__(ComponentConfig(realm=realm))
        self._joined = joined

    async def onJoin(self, details: Any) -> None:
        self._joined.set_result(self)


async def bare_session(url: str, realm: str) -> ApplicationSession:
    """A plain autobahn session, offering the same serializers as raccoon."""
    loop = asyncio.get_running_loop()
    joined: asyncio.Future[ApplicationSession] = loop.create_future()
    factory = WampWebSocketClientFactory(
        lambda: _BareSession(realm, joined),
        url=url,
        serializers=[CBORSerializer(), JsonSerializer()],
    )
    parsed = urlparse(url)
    await loop.create_connection(factory, parsed.hostname, parsed.port)
    return await asyncio.wait_for(joined, 10)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_us(samples: list[float]) -> dict[str, float]:
    return {
        "p50_us": round(pct(samples, 50) * 1e6, 1),
        "p99_us": round(pct(samples, 99) * 1e6, 1),
        "mean_us": round(statistics.fmean(samples) * 1e6, 1),
        "n": len(samples),
    }


def machine() -> dict[str, Any]:
    import os

    return {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def emit(result: dict[str, Any]) -> None:
    """Print the result as the last line, one JSON object."""
    print(json.dumps(result, sort_keys=True), flush=True)
