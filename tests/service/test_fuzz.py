"""Fuzz every WAMP procedure a browser may call and every HTTP endpoint, as an attacker.

The example application (``examples/safety``) runs on a real service, router
and seeded database. An attacker logged in as ``ann`` (bare autobahn, no
Raccoon code between the test and the router) opens the screens, then sends
hostile arguments (``fuzz_support``: wrong types, deep nesting, huge strings
and collections, odd unicode, many arguments) to every procedure registered
under its session's prefix and to the public ones. Meanwhile a victim
(``carl``, another browser) keeps calling. Every case must:

- answer within a few seconds with a bounded, clear error (or a bounded
  result) and no traceback;
- write nothing (the change log does not grow);
- log no error and no traceback, in the service or in the router;
- leave the service's backend session joined (the same WAMP session) and the
  victim's calls all successful.

``RACCOON_FUZZ_SEED`` replays a run; the seed is in every failure message.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import random
import secrets
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from autobahn.asyncio.websocket import WampWebSocketClientFactory
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.serializer import CBORSerializer
from fuzz_support import Case, cases_for, cbor_values, has_surrogate, hostile_values, nested
from service_support import FAST_HASHING, Browser, RawSession, _Session

from raccoon.data import create_database, drop_database
from raccoon.data._schema import change_log
from raccoon.service import Service

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))

from safety import application  # noqa: E402
from safety.seed import seed_accounts, seed_register  # noqa: E402

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(900), pytest.mark.slow]

SEED = int(os.environ.get("RACCOON_FUZZ_SEED") or secrets.randbelow(2**32))
PASSWORD = "correct horse battery"
#: What a client may get back for one hostile call: a clear error, never an essay.
MAX_MESSAGE = 2_000
#: The whole error (URI, arguments, details), serialized.
MAX_ERROR_BYTES = 16 * 1024
#: A successful answer to a hostile call (e.g. ``list(None)``) is bounded too.
MAX_RESULT_BYTES = 1024 * 1024
#: Each call answers within this (the router's own timeout is longer).
ANSWER_WITHIN = 10.0
#: Refusals that are the router's, not the service's (a URI the attacker may
#: not call is not a fault of the fuzzed procedure).
ROUTER_REFUSALS = {"wamp.error.no_such_procedure", "wamp.error.not_authorized"}


class _Recorder(logging.Handler):
    """Every record at ERROR or above, or carrying a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@pytest.fixture(scope="module")
def recorder() -> Iterator[_Recorder]:
    handler = _Recorder()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def safety(database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    """The example application on a real service, router and a small seeded register."""
    name = f"raccoon_fuzz_{os.getpid()}_{secrets.token_hex(3)}"
    dsn = await create_database(database, name)
    try:
        settings = application.load_settings(
            env={},
            secret=secrets.token_urlsafe(48),
            port=0,
            database_url=dsn,
            grace_period=30.0,
            workdir=str(tmp_path_factory.mktemp("fuzz-service")),
            **FAST_HASHING,
        )
        service = application.service(settings)
        await service.start()
        try:
            await seed_accounts(service.accounts, PASSWORD)
            await seed_register(service.db, scale=0.02)
            yield service
        finally:
            await service.stop()
    finally:
        await drop_database(database, name)


async def _changes(service: Service) -> int:
    return int(await service.db.fetchval(sa.select(sa.func.count()).select_from(change_log)))


def _router_log_size(service: Service) -> int:
    path = service.router.log_path
    return path.stat().st_size if path.exists() else 0


def _router_log_since(service: Service, offset: int) -> str:
    with service.router.log_path.open("rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


async def _open_screens(wamp: Any, prefix: str) -> None:
    for source in ("safety.companies", "safety.assessments"):
        await wamp.call(f"{prefix}.open", "view", {"source": source})


async def _procedures(service: Service, prefix: str) -> list[str]:
    """Every procedure registered under *prefix*, asked of the router itself."""
    listing = await service.backend.call("wamp.registration.list")
    uris = []
    for registration in listing["exact"]:
        info = await service.backend.call("wamp.registration.get", [registration])
        uri = info["uri"]
        if uri == prefix or uri.startswith(prefix + "."):
            uris.append(uri)
    return sorted(uris)


class Victim:
    """Another user's browser, calling all the time; every failure is kept."""

    def __init__(self, session: RawSession, prefix: str, cursor: str) -> None:
        self.wamp = session.session
        self.prefix = prefix
        self.cursor = cursor
        self.calls = 0
        self.failures: list[str] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(5):
                    await self.wamp.call("raccoon.public.session.ready")
                    rows = await self.wamp.call(f"{self.cursor}.rows", 0, 3)
                assert len(rows) == 3
                self.calls += 1
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                self.failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def _cursor_of(wamp: Any, prefix: str, name: str) -> str:
    for context in await wamp.call(f"{prefix}.list"):
        path = (context.get("cursors") or {}).get(name)
        if path:
            return str(path)
    raise AssertionError(f"no cursor {name!r} is open under {prefix}")


def _check_error(case: Case, error: ApplicationError, seed: int) -> None:
    where = f"{case.uri} with {case.label} (seed {seed})"
    assert error.error.startswith("raccoon.error.") or error.error in ROUTER_REFUSALS, (
        f"{where}: unexpected error URI {error.error}"
    )
    assert error.error != "raccoon.error.internal", f"{where}: answered as an internal error"
    message = str(error.args[0]) if error.args else ""
    assert len(message) <= MAX_MESSAGE, f"{where}: a {len(message)}-character message"
    assert "Traceback" not in message and 'File "' not in message, f"{where}: {message[:300]}"
    size = len(json.dumps([error.error, list(error.args), error.kwargs], default=repr))
    assert size <= MAX_ERROR_BYTES, f"{where}: a {size}-byte error"


async def _fuzz(wamp: Any, cases: list[Case], seed: int) -> dict[str, int]:
    outcomes = {"errors": 0, "results": 0}
    for case in cases:
        try:
            async with asyncio.timeout(ANSWER_WITHIN):
                result = await wamp.call(case.uri, *case.args, **case.kwargs)
        except ApplicationError as error:
            _check_error(case, error, seed)
            outcomes["errors"] += 1
        except TimeoutError:
            raise AssertionError(f"{case.uri} with {case.label} (seed {seed}): no answer") from None
        else:
            size = len(json.dumps(result, default=repr))
            assert size <= MAX_RESULT_BYTES, f"{case.uri} with {case.label}: {size}-byte result"
            outcomes["results"] += 1
    return outcomes


async def test_every_procedure_survives_hostile_arguments(
    safety: Service, recorder: _Recorder
) -> None:
    rng = random.Random(SEED)
    attacker, victim_browser = Browser(safety), Browser(safety)
    try:
        await attacker.login("ann", PASSWORD)
        session = await attacker.raw()
        prefix = attacker.prefix
        await session.session.call("raccoon.public.session.ready")
        await _open_screens(session.session, prefix)

        await victim_browser.login("carl", PASSWORD)
        victim_session = await victim_browser.raw()
        await victim_session.session.call("raccoon.public.session.ready")
        await _open_screens(victim_session.session, victim_browser.prefix)
        victim_cursor = await _cursor_of(victim_session.session, victim_browser.prefix, "companies")
        victim = Victim(victim_session, victim_browser.prefix, victim_cursor)

        procedures = await _procedures(safety, prefix)
        # The session's own, the controllers', the cursors' (three screens' worth).
        assert len(procedures) >= 30, procedures
        procedures.append("raccoon.public.session.ready")
        backend_session = safety.backend.session_id
        changes_before = await _changes(safety)
        log_offset = _router_log_size(safety)
        recorder.records.clear()

        # A lone surrogate cannot even be sent as WAMP text by autobahn; sent raw,
        # the router closes the sender's connection (test_inputs and
        # test_router_worker show it): not a case for a long-lived attacker.
        values = [(label, v) for label, v in hostile_values(rng) if not has_surrogate(v)]
        cases = [case for uri in procedures for case in cases_for(uri, values, rng)]
        rng.shuffle(cases)
        victim.start()
        started = time.monotonic()
        outcomes = await _fuzz(session.session, cases, SEED)
        elapsed = time.monotonic() - started
        await victim.stop()

        assert safety.backend.session_id == backend_session, "the backend's session was dropped"
        assert victim.failures == [], victim.failures[:5]
        assert victim.calls > 10, "the victim hardly ran"
        assert await _changes(safety) == changes_before, "a hostile call wrote something"
        logged = [f"{r.name}: {r.getMessage()[:200]}" for r in recorder.records]
        assert logged == [], logged[:5]
        router_log = _router_log_since(safety, log_offset)
        assert "Traceback" not in router_log, router_log[-3000:]
        # The attacker's own session still works: nothing it sent broke it.
        await session.session.call("raccoon.public.session.ready")
        print(
            f"fuzz seed {SEED}: {len(cases)} calls to {len(procedures)} procedures in "
            f"{elapsed:.1f} s, {outcomes}, victim made {victim.calls} calls"
        )
    finally:
        await attacker.close()
        await victim_browser.close()


async def _cbor_session(service: Service, token: str) -> _Session:
    loop = asyncio.get_running_loop()
    joined: asyncio.Future[Any] = loop.create_future()
    session = _Session(service.settings.realm, token, None, joined)
    factory = WampWebSocketClientFactory(
        lambda: session, url=service.websocket_url, serializers=[CBORSerializer()]
    )
    host, port = service.websocket_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    await loop.create_connection(factory, host, int(port))
    await asyncio.wait_for(asyncio.shield(joined), 10)
    return session


async def test_binary_only_values_over_cbor(safety: Service, recorder: _Recorder) -> None:
    """CBOR carries what JSON cannot (bytes, tagged dates, decimals, sets, NaN):
    the same rules hold for them."""
    rng = random.Random(SEED + 1)
    attacker = Browser(safety)
    try:
        await attacker.login("ann", PASSWORD)
        wamp = await _cbor_session(safety, attacker.token)
        prefix = attacker.prefix
        await wamp.call("raccoon.public.session.ready")
        await _open_screens(wamp, prefix)
        procedures = await _procedures(safety, prefix)
        backend_session = safety.backend.session_id
        changes_before = await _changes(safety)
        recorder.records.clear()
        cases = [case for uri in procedures for case in cases_for(uri, cbor_values(), rng)]
        await _fuzz(wamp, cases, SEED + 1)
        assert safety.backend.session_id == backend_session
        assert await _changes(safety) == changes_before
        logged = [f"{r.name}: {r.getMessage()[:200]}" for r in recorder.records]
        assert logged == [], logged[:5]
        await wamp.call("raccoon.public.session.ready")
        wamp.leave()
    finally:
        await attacker.close()


# -- HTTP -----------------------------------------------------------------------------------

_SECRET = "s3cret-password-never-echoed"


def _http_bodies(rng: random.Random) -> list[tuple[str, bytes, dict[str, str]]]:
    """``(label, body, headers)``: hostile bodies for every JSON endpoint."""
    json_headers = {"Content-Type": "application/json"}
    bodies: list[tuple[str, Any]] = [
        ("NUL username", {"username": "a\x00", "password": _SECRET}),
        ("surrogate username", {"username": "\ud800", "password": _SECRET}),
        ("surrogate password", {"username": "ann", "password": "\udfff" + _SECRET}),
        ("NUL session", {"session": "\x00"}),
        ("surrogate session", {"session": "\ud800"}),
        ("number username", {"username": 1, "password": _SECRET}),
        ("list password", {"username": "ann", "password": [_SECRET]}),
        ("deep", nested(300, "dict")),
        ("many keys", {f"k{i}": i for i in range(5_000)}),
        ("huge string", {"username": "x" * 2_000_000, "password": _SECRET}),
        ("language NUL", {"username": "ann", "password": _SECRET, "language": "\x00"}),
        ("language long", {"username": "ann", "password": _SECRET, "language": "i" * 10_000}),
    ]
    out = [(label, json.dumps(body).encode(), json_headers) for label, body in bodies]
    out += [
        (
            "invalid UTF-8",
            b'{"username": "\xff", "password": "' + _SECRET.encode() + b'"}',
            json_headers,
        ),
        ("raw NUL byte", b'{"username": "a\x00", "password": "x"}', json_headers),
        ("truncated", b'{"username": "ann", "password": "' + _SECRET.encode(), json_headers),
        ("empty", b"", json_headers),
        (
            "text/plain",
            json.dumps({"username": "ann", "password": _SECRET}).encode(),
            {"Content-Type": "text/plain"},
        ),
    ]
    for i in range(6):
        value = {
            rng.choice(["username", "password", "session", "language", "x"]): rng.choice(
                [None, 1, [], {}, "\x00", "\ud800", "x" * rng.randrange(2000)]
            )
            for _ in range(3)
        }
        out.append((f"random {i}", json.dumps(value).encode(), json_headers))
    return out


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 4096):
        yield body[start : start + 4096]


async def test_every_http_endpoint_survives_hostile_bodies(
    safety: Service, recorder: _Recorder
) -> None:
    """Each answer is a JSON error of at most a few KiB that never echoes the body;
    nothing logs an error or a traceback; the service still logs people in."""
    rng = random.Random(SEED + 2)
    recorder.records.clear()
    log_offset = _router_log_size(safety)
    base = safety.url
    async with aiohttp.ClientSession() as http:
        for path in ("/api/login", "/api/token", "/api/logout"):
            for label, body, headers in _http_bodies(rng):
                for chunked in (False, True):
                    data: Any = _chunks(body) if chunked else io.BytesIO(body)
                    where = f"POST {path} {label}{' chunked' if chunked else ''} (seed {SEED})"
                    async with http.post(base + path, data=data, headers=headers) as response:
                        text = await response.text(errors="replace")
                        assert 400 <= response.status < 500, (
                            f"{where}: {response.status} {text[:300]}"
                        )
                        assert len(text) <= 4096, f"{where}: a {len(text)}-character answer"
                        assert _SECRET not in text, f"{where}: the body was echoed"
                        answer = json.loads(text)
                        assert isinstance(answer.get("error"), str), f"{where}: {text[:300]}"
                        assert "Traceback" not in text
        for path in (
            "/",
            "/health",
            "/metrics",
            "/static/bundle.js",
            "/static/nothing",
            "/api/login",
            "/%00",
            "/" + "a" * 10_000,
        ):
            async with http.get(base + path) as response:
                text = await response.text(errors="replace")
                assert response.status < 500, f"GET {path[:40]}: {response.status} {text[:300]}"
    logged = [f"{r.name}: {r.getMessage()[:200]}" for r in recorder.records]
    assert logged == [], logged[:5]
    assert "Traceback" not in _router_log_since(safety, log_offset)
    # And the door still opens for the right key.
    browser = Browser(safety)
    try:
        await browser.login("vera", PASSWORD)
    finally:
        await browser.close()
