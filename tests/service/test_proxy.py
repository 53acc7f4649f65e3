"""The public port's HTTP side: request bodies through the router's proxy to the service.

Against the real router: body limits act before the body is read (and cost
no memory anywhere), chunked bodies reach the API, and every error the
proxy path produces is the API's JSON error, never an echo of the body.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest
from service_support import PASSWORD, Browser

from raccoon._process import pick_free_port
from raccoon.service import Router, RouterSettings, Service

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIMIT = 16 * 1024
SERVICE_SETTINGS = {"max_request_size": LIMIT}
MB = 1024 * 1024


# -- a raw HTTP/1.1 client: exact bytes, bounded memory --------------------------------------


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Answer {self.status} {self.headers} {self.body[:300]!r}>"


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.read()
    return Answer(status, headers, body)


async def exchange(
    service: Service,
    head: bytes,
    body: AsyncIterator[bytes] | bytes = b"",
    within: float = 30.0,
) -> Answer:
    """Send *head* and then *body* (while already listening for the answer)."""
    parts = urlsplit(service.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        answer = asyncio.ensure_future(asyncio.wait_for(read_answer(reader), within))

        async def send() -> None:
            writer.write(head)
            if isinstance(body, bytes):
                writer.write(body)
            else:
                async for piece in body:
                    if answer.done():
                        return  # answered early: stop sending
                    writer.write(piece)
                    await writer.drain()
            await writer.drain()

        sender = asyncio.ensure_future(send())
        try:
            return await answer
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
    finally:
        writer.close()


def request_head(
    service: Service, path: str, headers: dict[str, str], method: str = "POST"
) -> bytes:
    host = urlsplit(service.url).netloc
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


async def filler(total: int, *, chunk_encoding: bool = False) -> AsyncIterator[bytes]:
    """*total* bytes of body, 64 KiB at a time (one buffer reused: no client-side growth)."""
    piece = b"x" * (64 * 1024)
    framed = b"%x\r\n%s\r\n" % (len(piece), piece)
    sent = 0
    while sent < total:
        yield framed if chunk_encoding else piece
        sent += len(piece)
    if chunk_encoding:
        yield b"0\r\n\r\n"


def assert_json_error(answer: Answer, status: int, code: str | None = None) -> dict[str, Any]:
    assert answer.status == status, answer
    assert answer.headers.get("content-type", "").startswith("application/json"), answer
    error = answer.json()
    assert isinstance(error["error"], str) and isinstance(error["message"], str), error
    if code is not None:
        assert error["error"] == code, error
    assert PASSWORD not in answer.body.decode("utf-8", "replace"), answer
    return error


# -- memory ----------------------------------------------------------------------------------


def router_processes(service: Service) -> list[psutil.Process]:
    """The Crossbar controller and its workers (the router worker holds the web transport)."""
    assert service.router.pid is not None
    controller = psutil.Process(service.router.pid)
    return [controller, *controller.children(recursive=True)]


def rss(processes: list[psutil.Process]) -> dict[int, int]:
    return {p.pid: p.memory_info().rss for p in processes}


def growth(before: dict[int, int], after: dict[int, int]) -> dict[int, float]:
    return {pid: (after[pid] - before[pid]) / MB for pid in before}


@pytest.mark.parametrize("encoding", ["content-length", "chunked"])
async def test_a_huge_body_is_refused_without_costing_memory(
    service: Service, encoding: str
) -> None:
    processes = [*router_processes(service), psutil.Process(os.getpid())]
    before = rss(processes)
    size = 50 * MB
    if encoding == "content-length":
        headers = {"Content-Type": "application/json", "Content-Length": str(size)}
        body = filler(size)
    else:
        headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        body = filler(size, chunk_encoding=True)
    answer = await exchange(service, request_head(service, "/api/login", headers), body)
    error = assert_json_error(answer, 413, "payload_too_large")
    assert str(LIMIT) in error["message"]
    grown = growth(before, rss(processes))
    print(f"RSS growth (MiB) by pid, {encoding}: {grown}")
    # Each process: the router's controller and worker(s), and this one (the service).
    assert all(mib < 5 for mib in grown.values()), grown


async def test_an_oversized_content_length_is_refused_before_the_body(service: Service) -> None:
    # Only the head is sent: the answer must come without waiting for a body.
    headers = {"Content-Type": "application/json", "Content-Length": str(50 * MB)}
    answer = await exchange(service, request_head(service, "/api/login", headers), within=5)
    assert_json_error(answer, 413, "payload_too_large")
    assert answer.headers.get("connection", "").lower() == "close"


async def test_a_chunked_login_logs_in(service: Service, browser: Browser) -> None:
    body = json.dumps({"username": "ann", "password": PASSWORD}).encode()
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    answer = await exchange(
        service,
        request_head(service, "/api/login", headers),
        chunked(body[:7], body[7:20], body[20:]),
    )
    assert answer.status == 200, answer
    granted = answer.json()
    assert granted["user"]["username"] == "ann" and granted["token"].startswith("r1.")
    assert "raccoon_browser=" in answer.headers.get("set-cookie", "")


async def test_a_body_just_under_the_limit_passes_and_just_over_is_refused(
    service: Service,
) -> None:
    for size, status in ((LIMIT, 400), (LIMIT + 1, 413)):
        payload = b'{"username": "' + b"a" * (size - 16) + b'"}'
        payload = payload[:size] if len(payload) > size else payload
        payload += b" " * (size - len(payload))
        assert len(payload) == size
        for encoding in ("content-length", "chunked"):
            if encoding == "content-length":
                headers = {"Content-Type": "application/json", "Content-Length": str(size)}
                body = payload
            else:
                headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
                body = chunked(payload[:1000], payload[1000:])
            answer = await exchange(service, request_head(service, "/api/login", headers), body)
            assert_json_error(answer, status)


BROKEN: list[tuple[str, bytes]] = [
    # A chunk size that is not hex: the body must not come back in the answer.
    (
        "bad chunk size",
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + b'{"username": "ann", "password": "'
        + PASSWORD.encode()
        + b'"}\r\n0\r\n\r\n',
    ),
    (
        "both lengths",
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ),
    (
        "bad content length",
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    ),
    (
        "unknown transfer encoding",
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    ),
    ("bad header line", b"POST /api/login HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"),
    ("bad request line", b"POST /api/login\r\nHost: x\r\n\r\n"),
    (
        "huge header",
        b"GET /api/login HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"j" * 20_000 + b"\r\n\r\n",
    ),
]


@pytest.mark.parametrize(("name", "raw"), BROKEN, ids=[name for name, _ in BROKEN])
async def test_a_broken_request_gets_a_json_error_without_its_body(
    service: Service, name: str, raw: bytes
) -> None:
    answer = await exchange(service, raw, within=10)
    assert_json_error(answer, 400)
    assert b"username" not in answer.body


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"j" * 9_000 + b"\r\n\r\n", 431),
    ],
    ids=["long target", "long header"],
)
async def test_what_the_service_would_refuse_is_refused_by_the_proxy(
    service: Service, caplog: pytest.LogCaptureFixture, raw: bytes, status: int
) -> None:
    """Within Twisted's limits but over aiohttp's, these used to reach the
    service, whose parser logged each as an error with a traceback."""
    with caplog.at_level("WARNING"):
        answer = await exchange(service, raw, within=10)
        assert_json_error(answer, status)
        # A normal request afterwards: anything the service logged is in by then.
        ok = await exchange(service, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", within=10)
    assert ok.status == 200, ok
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not errors, caplog.text


async def test_the_client_address_is_forwarded_and_overwritten(service: Service) -> None:
    # A client cannot choose the address the service sees (docs/security.md, "One origin").
    seen: list[str | None] = []
    original = service.auth.login

    async def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("client"))
        return await original(*args, **kwargs)

    service.auth.login = spy  # type: ignore[method-assign]
    try:
        body = json.dumps({"username": "ann", "password": PASSWORD}).encode()
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "X-Real-IP": "10.9.8.7",
            "X-Forwarded-For": "10.9.8.7",
        }
        answer = await exchange(service, request_head(service, "/api/login", headers), body)
    finally:
        del service.auth.login
    assert answer.status == 200, answer
    assert seen == ["127.0.0.1"]


async def test_many_requests_on_one_connection(service: Service) -> None:
    # Keep-alive through the proxy: several answers in a row on one connection.
    parts = urlsplit(service.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        for _ in range(3):
            writer.write(request_head(service, "/health", {}, method="GET"))
            answer = await asyncio.wait_for(read_answer(reader), 10)
            assert answer.status == 200 and answer.json()["status"] == "ok"
    finally:
        writer.close()


# -- the service unreachable or silent: still the API's JSON -----------------------------------


class _ProxyRouter(Router):
    """A bare router whose public port proxies to *upstream* with a short answer timeout."""

    def __init__(self, upstream: str, workdir: Path) -> None:
        super().__init__(RouterSettings(web_proxy=upstream), workdir)

    async def _prepare(self) -> None:
        await super()._prepare()
        config = json.loads(self.config_path.read_text())
        (transport,) = config["workers"][0]["transports"]
        transport["paths"]["/"]["extra"]["response_timeout"] = 1.0
        self.config_path.write_text(json.dumps(config))


async def proxy_answer(router: Router, path: str = "/api/login") -> Answer:
    parts = urlsplit(router.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        body = b'{"username": "ann", "password": "' + PASSWORD.encode() + b'"}'
        writer.write(
            b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body)
        )
        return await asyncio.wait_for(read_answer(reader), 15)
    finally:
        writer.close()


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_an_unreachable_or_silent_service_answers_json(tmp_path: Path) -> None:
    silent_connections: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent_connections.append(writer)  # accept, read nothing, answer nothing

    silent = await asyncio.start_server(hold, "127.0.0.1", 0)
    silent_port = silent.sockets[0].getsockname()[1]
    closed_port = pick_free_port("127.0.0.1")
    routers = [
        _ProxyRouter(f"http://127.0.0.1:{closed_port}", tmp_path / "down"),
        _ProxyRouter(f"http://127.0.0.1:{silent_port}", tmp_path / "silent"),
    ]
    try:
        for router in routers:
            await router.start()
        assert_json_error(await proxy_answer(routers[0]), 502, "upstream_unavailable")
        assert_json_error(await proxy_answer(routers[1]), 504, "upstream_timeout")
    finally:
        for router in routers:
            await router.stop()
        for writer in silent_connections:
            writer.close()
        silent.close()
