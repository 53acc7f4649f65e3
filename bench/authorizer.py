"""Authorization benchmark: what the service's dynamic authorizer costs a browser.

One router configured like the service's (function ticket authenticator,
``browser`` role under the dynamic authorizer ``raccoon.service.authorize``
served by a backend on the private transport). Measured in the same run:

- baseline: a ``backend`` session (static permissions, decisions cached by
  the router) calling an echo procedure;
- ``own prefix``: a browser session calling an echo procedure under its own
  prefix — every call asks the authorizer (``cache: false``);
- ``public``: a browser calling a public procedure (a cached decision);
- joins per second with a join token (the function authenticator).

    .venv/bin/python bench/authorizer.py [--calls 1000] [--rounds 3] [--concurrent 500]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path as FsPath
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(FsPath(__file__).parent))

from _common import emit, machine, summary_us
from autobahn.asyncio.wamp import ApplicationSession
from autobahn.asyncio.websocket import WampWebSocketClientFactory
from autobahn.wamp.serializer import CBORSerializer, JsonSerializer
from autobahn.wamp.types import ComponentConfig

from raccoon.node import Connection, Path
from raccoon.service import (
    AuthorizerNode,
    BackendTransport,
    FunctionAuthenticator,
    JoinClaims,
    Metrics,
    Role,
    Router,
    RouterSettings,
    TicketPrincipal,
    TokenCodec,
    derive_key,
)

REALM = "bench"
PAYLOAD = {"id": 4242, "name": "ACME S.p.A.", "tags": ["a", "b", "c"], "score": 0.75}
Caller = Callable[[], Awaitable[Any]]


class _Session(ApplicationSession):
    def __init__(self, ticket: str | None, joined: asyncio.Future[ApplicationSession]) -> None:
        super().__init__(ComponentConfig(realm=REALM))
        self._ticket = ticket
        self._joined = joined

    def onConnect(self) -> None:
        if self._ticket is None:
            self.join(REALM)
        else:
            self.join(REALM, authmethods=["ticket"])

    def onChallenge(self, challenge: Any) -> str:
        assert self._ticket is not None
        return self._ticket

    def onJoin(self, details: Any) -> None:
        self._joined.set_result(self)

    def onLeave(self, details: Any) -> None:
        if not self._joined.done():
            self._joined.set_exception(RuntimeError(f"refused: {details.reason}"))
        self.disconnect()


async def session(url: str, ticket: str | None, authid: str | None = None) -> ApplicationSession:
    loop = asyncio.get_running_loop()
    joined: asyncio.Future[ApplicationSession] = loop.create_future()
    s = _Session(ticket, joined)
    if authid is not None:
        s.onConnect = lambda: s.join(REALM, authmethods=["ticket"], authid=authid)  # type: ignore[method-assign]
    factory = WampWebSocketClientFactory(
        lambda: s, url=url, serializers=[CBORSerializer(), JsonSerializer()]
    )
    parsed = urlparse(url)
    await loop.create_connection(factory, parsed.hostname, parsed.port)
    return await asyncio.wait_for(joined, 10)


async def sequential(do_call: Caller, calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await do_call()
        samples.append(time.perf_counter() - start)
    return samples


async def concurrent(do_call: Caller, calls: int) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(do_call() for _ in range(calls)))
    return calls / (time.perf_counter() - start)


async def main(calls: int, rounds: int, n_concurrent: int, joins: int) -> dict[str, Any]:
    key = derive_key(secrets.token_urlsafe(48))
    codec = TokenCodec(key)
    backend_ticket = secrets.token_urlsafe(24)
    settings = RouterSettings(
        realm=REALM,
        loglevel="warn",
        roles=(
            Role.full_access("backend"),
            Role("browser", authorizer="raccoon.service.authorize"),
        ),
        anonymous_role=None,
        ticket=FunctionAuthenticator(
            "raccoon._authenticator.create", {"key_env": "BENCH_KEY", "role": "browser"}
        ),
        backend=BackendTransport(
            principals=(TicketPrincipal("backend", "${BENCH_TICKET}", "backend"),)
        ),
        environment={"BENCH_KEY": key.hex(), "BENCH_TICKET": backend_ticket},
    )
    prefix = "raccoon.session.s" + "a" * 24

    def token() -> str:
        now = time.time()
        claims = JoinClaims(1, "ann", None, (), "en", REALM, prefix, prefix[-25:], now, now + 600)
        return codec.sign(claims)

    with tempfile.TemporaryDirectory(prefix="raccoon-bench-") as tmp:
        router = Router(settings, tmp)
        await router.start()
        try:
            assert router.backend_url is not None
            backend = Connection(
                router.backend_url, REALM, authid="backend", ticket=backend_ticket, name="backend"
            )
            await backend.connect()
            authorizer = AuthorizerNode(("raccoon.public.",), Metrics())
            await authorizer.node_bind(Path("raccoon.service"), backend.new_context())
            callee = await session(router.backend_url, backend_ticket, authid="backend")

            async def echo(n: int, record: dict[str, Any]) -> dict[str, Any]:
                return record

            await callee.register(echo, "bench.echo")
            await callee.register(echo, f"{prefix}.echo")
            await callee.register(echo, "raccoon.public.echo")
            trusted = await session(router.backend_url, backend_ticket, authid="backend")
            browser = await session(router.url, token())

            async def baseline() -> Any:
                return await trusted.call("bench.echo", 1, PAYLOAD)

            async def own() -> Any:
                return await browser.call(f"{prefix}.echo", 1, PAYLOAD)

            async def public() -> Any:
                return await browser.call("raccoon.public.echo", 1, PAYLOAD)

            sides = {
                "backend_static": baseline,
                "browser_own_prefix": own,
                "browser_public": public,
            }
            for fn in sides.values():
                assert await fn() == PAYLOAD
                await sequential(fn, 200)  # warm up
            seq: dict[str, list[float]] = {name: [] for name in sides}
            tp: dict[str, list[float]] = {name: [] for name in sides}
            for i in range(rounds):
                order = list(sides.items())
                if i % 2:
                    order.reverse()
                for name, fn in order:
                    seq[name].extend(await sequential(fn, calls))
                for name, fn in order:
                    tp[name].append(await concurrent(fn, n_concurrent))

            # Joins per second through the function authenticator.
            ticket = token()
            started = time.perf_counter()
            opened = []
            for _ in range(joins):
                opened.append(await session(router.url, ticket))
            join_rate = joins / (time.perf_counter() - started)
            for s in [*opened, browser, trusted, callee]:
                s.leave()
            await authorizer.node_unbind()
            await backend.close()
            await asyncio.sleep(0.2)
        finally:
            await router.stop()

    result: dict[str, Any] = {"benchmark": "authorizer", "transport": "websocket, cbor"}
    for name in sides:
        result[name] = {
            **summary_us(seq[name]),
            "sequential_calls_per_s": round(len(seq[name]) / sum(seq[name])),
            "concurrent_calls_per_s": round(statistics.median(tp[name])),
        }
    base = result["backend_static"]
    for name in ("browser_own_prefix", "browser_public"):
        result[f"ratio_{name}_p50"] = round(result[name]["p50_us"] / base["p50_us"], 3)
        result[f"ratio_{name}_concurrent"] = round(
            result[name]["concurrent_calls_per_s"] / base["concurrent_calls_per_s"], 3
        )
    result["token_joins_per_s"] = round(join_rate, 1)
    result["calls_per_side"] = calls * rounds
    result["machine"] = machine()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="sequential calls per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrent", type=int, default=500)
    parser.add_argument("--joins", type=int, default=200)
    args = parser.parse_args()
    outcome = asyncio.run(main(args.calls, args.rounds, args.concurrent, args.joins))
    for side in ("backend_static", "browser_own_prefix", "browser_public"):
        print(f"{side:20s} {outcome[side]}")
    emit(outcome)
