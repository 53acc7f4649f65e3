"""Sessions benchmark: many logged-in WAMP sessions on one service process.

One service process (this one: an in-process :class:`raccoon.service.Service`
running the application ``raccoon new`` writes — a desktop, and a
master-detail context over two tables with a live :class:`Cursor` and
:class:`DetailCursor`) behind one Crossbar router, configured exactly like
the service's own (function ticket authenticator, dynamic authorizer);
the service joins it as with ``router_url``, so the bench can add a static
ticket principal for the baseline. The browsers are bare autobahn sessions
(JSON, like a browser) in a **separate client process**, so the service's
memory is its own. Each session:

1. joins with a join token (the function authenticator checks it),
2. calls ``raccoon.public.session.ready`` (the service has built its tree:
   session node and desktop context),
3. runs the desktop's ``open_projects`` action, which opens the
   master-detail context (controller, two live cursors, their first reads).

Tokens are minted with the service's own token codec instead of
``POST /api/login``: a login costs one Argon2 verification (≈ 0.25 s of
CPU by design), which would measure Argon2, not sessions. All sessions
belong to one user (one tenant); each has its own session id and prefix.

Measured, in the same run:

- service memory per session: the service process's RSS growth from a
  warm baseline (``--warmup`` sessions open) to N more open, divided by N;
  target ≤ 100 KiB;
- session start latency p50/p99: join, ready, open, and the sum (with
  ``--concurrency`` sessions starting at a time, so mostly queueing), and
  of ``--sequential`` sessions started one at a time afterwards;
- the router's memory per session: the RSS growth of Crossbar's router
  worker (from /proc) over the same N sessions;
- joins per second with the token (function) authenticator against
  Crossbar's static ticket authentication on the same router worker (the
  backend transport, a static principal), alternating rounds. A token join
  also makes the service build a tree (as a real one would); the static
  joins are of the backend role, which the service ignores.

    .venv/bin/python bench/sessions.py [--sessions 1000] [--concurrency 20] [--joins 300]

With the defaults it takes about 85 s on the 2-core machine (most of
it opening the sessions); ``--sessions 200`` takes well under one.
``RACCOON_BENCH_DSN`` uses a PostgreSQL server instead of an embedded one.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path as FsPath
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(FsPath(__file__).parent))

from _common import emit, machine, pct

# -- the client process ------------------------------------------------------------------


async def _client_main() -> None:
    import resource

    import txaio

    txaio.use_asyncio()
    txaio.set_global_log_level("error")  # closing hundreds at once times some handshakes out
    from autobahn.asyncio.wamp import ApplicationSession
    from autobahn.asyncio.websocket import WampWebSocketClientFactory
    from autobahn.wamp.serializer import JsonSerializer
    from autobahn.wamp.types import ComponentConfig

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    loop = asyncio.get_running_loop()

    class Session(ApplicationSession):
        def __init__(self, realm: str, authid: str | None, ticket: str) -> None:
            super().__init__(ComponentConfig(realm=realm))
            self._bench_authid, self._bench_ticket = authid, ticket
            self.joined: asyncio.Future[None] = loop.create_future()
            self.closed: asyncio.Future[None] = loop.create_future()

        def onConnect(self) -> None:
            self.join(self.config.realm, authmethods=["ticket"], authid=self._bench_authid)

        def onChallenge(self, challenge: Any) -> str:
            return self._bench_ticket

        def onJoin(self, details: Any) -> None:
            self.joined.set_result(None)

        def onLeave(self, details: Any) -> None:
            if not self.joined.done():
                self.joined.set_exception(RuntimeError(f"refused: {details.reason}"))
            self.disconnect()

        def onDisconnect(self) -> None:
            if not self.joined.done():
                self.joined.set_exception(RuntimeError("disconnected before the join"))
            if not self.closed.done():
                self.closed.set_result(None)

    async def join(url: str, realm: str, ticket: str, authid: str | None = None) -> Session:
        session = Session(realm, authid, ticket)
        factory = WampWebSocketClientFactory(
            lambda: session, url=url, serializers=[JsonSerializer()]
        )
        parsed = urlparse(url)
        await loop.create_connection(factory, parsed.hostname, parsed.port)
        await asyncio.wait_for(session.joined, 60)
        return session

    async def leave(session: Session) -> None:
        if session.is_attached():
            session.leave()
        try:
            await asyncio.wait_for(asyncio.shield(session.closed), 10)
        except TimeoutError:
            pass

    def read() -> dict[str, Any]:
        return json.loads(sys.stdin.readline())

    def write(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    job = await loop.run_in_executor(None, read)
    url, realm = job["url"], job["realm"]
    open_sessions: list[Session] = []

    async def start(token: str, gate: asyncio.Semaphore) -> list[float]:
        async with gate:
            t0 = time.perf_counter()
            session = await join(url, realm, token)
            open_sessions.append(session)
            t1 = time.perf_counter()
            description = await session.call("raccoon.public.session.ready")
            t2 = time.perf_counter()
            actions = description["contexts"][0]["actions"]
            opener = next(a for a in actions if a["id"] == "open_projects")
            context = await session.call(opener["path"] + ".run")
            t3 = time.perf_counter()
            assert set(context["cursors"]) == {"projects", "tasks"}, context
            return [t1 - t0, t2 - t1, t3 - t2]

    while True:
        message = await loop.run_in_executor(None, read)
        if message["do"] == "open":
            gate = asyncio.Semaphore(message["concurrency"])
            started = time.perf_counter()
            outcomes = await asyncio.gather(
                *(start(token, gate) for token in message["tokens"]), return_exceptions=True
            )
            failures = [repr(o) for o in outcomes if isinstance(o, BaseException)]
            write(
                {
                    "latencies": [o for o in outcomes if not isinstance(o, BaseException)],
                    "failures": failures[:5],
                    "failed": len(failures),
                    "seconds": time.perf_counter() - started,
                }
            )
        elif message["do"] == "joins":
            gate = asyncio.Semaphore(message["concurrency"])

            async def one(target: dict[str, Any], gate: asyncio.Semaphore) -> None:
                async with gate:
                    session = await join(
                        target["url"], realm, target["ticket"], target.get("authid")
                    )
                    await leave(session)

            rates: dict[str, list[float]] = {"token": [], "static": []}
            for round_ in message["rounds"]:
                for kind in ("token", "static"):
                    targets = round_[kind]
                    started = time.perf_counter()
                    await asyncio.gather(*(one(t, gate) for t in targets))
                    rates[kind].append(len(targets) / (time.perf_counter() - started))
            write({"rates": rates})
        elif message["do"] == "close":
            await asyncio.gather(*(leave(s) for s in open_sessions))
            write({"closed": len(open_sessions)})
            return


# -- the service process -----------------------------------------------------------------


def _rss_kib(pid: int | str = "self") -> int:
    for line in FsPath(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def _children(pid: int) -> list[int]:
    found = []
    for entry in FsPath("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _profile(before: Any, after: Any, sessions: int) -> None:
    """Print where the service's memory per session went (``--profile``)."""
    stats = after.compare_to(before, "lineno")
    total = sum(stat.size_diff for stat in stats)
    print(f"traced growth: {total / sessions / 1024:.1f} KiB per session", file=sys.stderr)
    for stat in stats[:30]:
        frames = [f"{f.filename.split('site-packages/')[-1]}:{f.lineno}" for f in stat.traceback]
        print(
            f"{stat.size_diff / sessions:9.0f} B/session  {' < '.join(frames[:4])}",
            file=sys.stderr,
        )


def _stats(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(pct(samples, 50) * 1e3, 2),
        "p99_ms": round(pct(samples, 99) * 1e3, 2),
        "max_ms": round(max(samples) * 1e3, 2),
    }


class Client:
    """The client process, spoken to in JSON lines."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> Client:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--client",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024,
        )
        return cls(process)

    async def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()

    async def ask(self, message: dict[str, Any], within: float = 3600) -> dict[str, Any]:
        assert self.process.stdout is not None
        await self.send(message)
        line = await asyncio.wait_for(self.process.stdout.readline(), within)
        if not line:
            raise RuntimeError("the client process died (see its stderr above)")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def stop(self) -> None:
        if self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    from raccoon._process import pick_free_port
    from raccoon.service import (
        BACKEND_AUTHID,
        BackendTransport,
        JoinClaims,
        Router,
        SeedContext,
        TicketPrincipal,
        TokenCodec,
        create_application,
        load_application,
        router_settings,
    )
    from raccoon.service._topology import TOKEN_KEY_ENV

    began = time.perf_counter()
    # 0755: as root the embedded PostgreSQL runs as another account.
    tmp = FsPath(tempfile.mkdtemp(prefix="raccoon-bench-sessions-"))
    os.chmod(tmp, 0o755)
    try:
        create_application(tmp / "benchapp")
        app = load_application(tmp / "benchapp")
        backend_port, http_port = pick_free_port(), pick_free_port()
        backend_ticket, static_ticket = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        settings = app.load_settings(
            env={},
            secret=secrets.token_urlsafe(48),
            port=pick_free_port(),
            http_port=http_port,
            router_url=f"ws://127.0.0.1:{backend_port}/ws",
            backend_ticket=backend_ticket,
            workdir=str(tmp / "state"),
            database_url=os.environ.get("RACCOON_BENCH_DSN") or None,
            grace_period=0.0,
            log_level="warning",
        )
        router = Router(
            router_settings(
                settings,
                web_proxy=f"http://127.0.0.1:{http_port}",
                backend=BackendTransport(
                    port=backend_port,
                    principals=(
                        TicketPrincipal(BACKEND_AUTHID, backend_ticket, "backend"),
                        TicketPrincipal("static-bench", static_ticket, "backend"),
                    ),
                ),
                authenticator={"key_env": TOKEN_KEY_ENV},
                environment={TOKEN_KEY_ENV: settings.token_key().hex()},
            ),
            tmp / "crossbar",
        )
        await router.start()
        service = app.service(settings)
        client: Client | None = None
        try:
            await service.start()
            assert app.seed is not None
            await app.seed(SeedContext(service.db, service.accounts, service.settings))
            user = await service.accounts.get_user("benchapp")
            assert user is not None
            codec = TokenCodec(settings.token_key())

            def token() -> str:
                sid = "s" + secrets.token_hex(12)
                now = time.time()
                claims = JoinClaims(
                    user.id, user.username, user.tenant, user.roles, "en", settings.realm,
                    f"{settings.session_root}.{sid}", sid, now, now + 3600,
                )  # fmt: skip
                return codec.sign(claims)

            workers = _children(router.pid or 0)
            client = await Client.start()
            await client.send({"url": settings.websocket_url, "realm": settings.realm})
            # Warm up (statement caches, first imports), then the baseline.
            warm = await client.ask(
                {"do": "open", "tokens": [token() for _ in range(args.warmup)], "concurrency": 5}
            )
            assert not warm["failed"], warm
            await asyncio.sleep(1.0)
            gc.collect()
            if args.profile:
                tracemalloc.start(8)
                traced_before = tracemalloc.take_snapshot()
            service_before = _rss_kib()
            router_before = sum(_rss_kib(pid) for pid in workers)
            opened = await client.ask(
                {
                    "do": "open",
                    "tokens": [token() for _ in range(args.sessions)],
                    "concurrency": args.concurrency,
                }
            )
            await asyncio.sleep(1.0)  # let the last feed/cursor work settle
            gc.collect()
            service_after = _rss_kib()
            if args.profile:
                _profile(traced_before, tracemalloc.take_snapshot(), args.sessions)
                tracemalloc.stop()
            router_after = sum(_rss_kib(pid) for pid in workers)
            statistics = service.sessions.statistics()
            n_ok = len(opened["latencies"])
            # The latency of one session starting alone (nothing queued).
            alone = await client.ask(
                {
                    "do": "open",
                    "tokens": [token() for _ in range(args.sequential)],
                    "concurrency": 1,
                }
            )
            rounds = []
            per_round = max(1, args.joins // args.join_rounds)
            static = {"url": router.backend_url, "ticket": static_ticket, "authid": "static-bench"}
            for _ in range(args.join_rounds):
                rounds.append(
                    {
                        "token": [
                            {"url": settings.websocket_url, "ticket": token()}
                            for _ in range(per_round)
                        ],
                        "static": [static] * per_round,
                    }
                )
            joins = await client.ask(
                {"do": "joins", "rounds": rounds, "concurrency": args.join_concurrency}
            )
            await client.ask({"do": "close"})
        finally:
            if client is not None:
                await client.stop()
            await service.stop()
            await router.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    latencies = opened["latencies"]
    join_s = [x[0] for x in latencies]
    ready_s = [x[1] for x in latencies]
    open_s = [x[2] for x in latencies]
    total_s = [sum(x) for x in latencies]
    service_kib = (service_after - service_before) / max(1, n_ok)
    router_kib = (router_after - router_before) / max(1, n_ok)
    token_rate = sum(joins["rates"]["token"]) / len(joins["rates"]["token"])
    static_rate = sum(joins["rates"]["static"]) / len(joins["rates"]["static"])
    sessions_at_peak = statistics["sessions"]
    return {
        "bench": "sessions",
        "sessions": args.sessions,
        "opened": n_ok,
        "failed": opened["failed"],
        "failures": opened["failures"],
        "warmup_sessions": args.warmup,
        "concurrency": args.concurrency,
        "open_seconds": round(opened["seconds"], 2),
        "sessions_per_s": round(n_ok / opened["seconds"], 1),
        "service_rss_mib": {
            "before": round(service_before / 1024, 1),
            "after": round(service_after / 1024, 1),
        },
        "service_kib_per_session": round(service_kib, 1),
        "target_service_kib_per_session": 100,
        "service_within_target": service_kib <= 100,
        "router_worker_rss_mib": {
            "before": round(router_before / 1024, 1),
            "after": round(router_after / 1024, 1),
        },
        "router_kib_per_session": round(router_kib, 1),
        "nodes_per_session": round(statistics["nodes"] / max(1, sessions_at_peak), 1),
        "start_latency": {
            "join": _stats(join_s),
            "ready": _stats(ready_s),
            "open_master_detail": _stats(open_s),
            "total": _stats(total_s),
        },
        "start_latency_one_at_a_time": {
            "sessions": len(alone["latencies"]),
            "total": _stats([sum(x) for x in alone["latencies"]]),
            "ready": _stats([x[1] for x in alone["latencies"]]),
            "open_master_detail": _stats([x[2] for x in alone["latencies"]]),
        },
        "joins_per_s": {
            "token_function_authenticator": round(token_rate, 1),
            "static_ticket": round(static_rate, 1),
            "ratio_token_to_static": round(token_rate / static_rate, 2),
            "per_round": joins["rates"],
            "concurrency": args.join_concurrency,
        },
        "seconds": round(time.perf_counter() - began, 1),
        "machine": machine(),
    }


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000, help="sessions to open (N)")
    parser.add_argument("--warmup", type=int, default=20, help="sessions open before measuring")
    parser.add_argument("--concurrency", type=int, default=20, help="sessions starting at once")
    parser.add_argument(
        "--sequential", type=int, default=20, help="sessions started one at a time afterwards"
    )
    parser.add_argument("--joins", type=int, default=300, help="joins per kind for the rates")
    parser.add_argument("--join-rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--join-concurrency", type=int, default=10)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="trace the service's allocations (slower) and print where memory per session goes",
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _arguments()
    if arguments.client:
        asyncio.run(_client_main())
    else:
        outcome = asyncio.run(main(arguments))
        print(
            f"{outcome['opened']} sessions: service {outcome['service_kib_per_session']} KiB "
            f"per session (target <= 100), router {outcome['router_kib_per_session']} KiB; "
            f"start p50 {outcome['start_latency']['total']['p50_ms']} ms, "
            f"p99 {outcome['start_latency']['total']['p99_ms']} ms (alone: p50 "
            f"{outcome['start_latency_one_at_a_time']['total']['p50_ms']} ms); joins/s token "
            f"{outcome['joins_per_s']['token_function_authenticator']} vs static "
            f"{outcome['joins_per_s']['static_ticket']}",
            flush=True,
        )
        emit(outcome)
