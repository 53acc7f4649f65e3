"""The HTTP side through the one public port: page, bundle, health, metrics, headers."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_support import PASSWORD, Browser

from raccoon.service import Service

pytestmark = pytest.mark.asyncio(loop_scope="module")

BUNDLE_DIR = Path(tempfile.gettempdir()) / f"raccoon-test-bundle-{os.getpid()}"
SERVICE_SETTINGS = {"bundle_path": str(BUNDLE_DIR / "bundle.js"), "title": "Acme <Orders>"}


@pytest.fixture
def bundle() -> Iterator[Path]:
    BUNDLE_DIR.mkdir(exist_ok=True)
    path = BUNDLE_DIR / "bundle.js"
    path.write_text("console.log('raccoon');\n")
    try:
        yield path
    finally:
        shutil.rmtree(BUNDLE_DIR, ignore_errors=True)


async def test_the_page_loads_the_bundle_with_its_configuration(
    service: Service, browser: Browser
) -> None:
    async with browser.http.get(service.url + "/") as response:
        assert response.status == 200 and response.content_type == "text/html"
        page = await response.text()
        headers = response.headers
    assert '<script src="/static/bundle.js" defer></script>' in page
    assert "<title>Acme &lt;Orders&gt;</title>" in page
    match = re.search(r'id="raccoon-config">(.*?)</script>', page)
    assert match is not None
    config = json.loads(match.group(1))
    assert config == {
        "realm": service.settings.realm,
        "url": service.websocket_url,
        "login": "/api/login",
        "token": "/api/token",
        "logout": "/api/logout",
    }
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert service.websocket_url in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


async def test_the_bundle_is_served_when_it_exists(
    service: Service, browser: Browser, bundle: Path
) -> None:
    async with browser.http.get(service.url + "/static/bundle.js") as response:
        assert response.status == 200
        assert response.content_type == "application/javascript"
        assert await response.text() == "console.log('raccoon');\n"
    async with browser.http.get(service.url + "/static/bundle.js.map") as response:
        assert response.status == 404
        answer = await response.json()
        assert (
            answer["error"] == "no_bundle" and "bundle.js.map does not exist" in answer["message"]
        )
    bundle.unlink()  # noqa: ASYNC240 - a tiny local file
    async with browser.http.get(service.url + "/static/bundle.js") as response:
        assert response.status == 404
        assert "build it first" in (await response.json())["message"]
    for path in ("/static/../settings.toml", "/static/other.js", "/static/%2e%2e/etc/passwd"):
        async with browser.http.get(service.url + path) as response:
            assert response.status == 404, path


async def test_health_reports_router_database_and_sessions(
    service: Service, browser: Browser
) -> None:
    async with browser.http.get(service.url + "/health") as response:
        assert response.status == 200
        report = await response.json()
        assert response.headers["Cache-Control"] == "no-store"
    assert report["status"] == "ok"
    assert report["router"] == {"running": True, "backend_connected": True}
    assert report["database"]["ok"] is True and report["database"]["latency_ms"] >= 0
    assert "sessions" in report["sessions"] and "nodes" in report["sessions"]


async def test_metrics_on_the_private_port_only(service: Service, browser: Browser) -> None:
    await browser.login("ann", PASSWORD)
    async with browser.http.get(service.http_url + "/metrics") as response:
        assert response.status == 200
        text = await response.text()
    assert 'raccoon_logins_total{result="ok"}' in text
    assert 'raccoon_tokens_issued_total{occasion="login"}' in text
    assert "raccoon_session_trees" in text and "raccoon_http_request_seconds_bucket" in text
    async with browser.http.get(service.url + "/metrics") as response:
        assert response.status == 404  # not through the public port


async def test_unknown_paths_and_methods_answer_json(service: Service, browser: Browser) -> None:
    async with browser.http.get(service.url + "/nothing/here") as response:
        assert response.status == 404
        assert (await response.json())["error"] == "not_found"
    async with browser.http.get(service.url + "/api/login") as response:
        assert response.status == 405
        answer = await response.json()
        assert answer["error"] == "method_not_allowed" and "GET" in answer["message"]


async def test_the_bundle_goes_gzipped_through_the_router_when_built_so(
    service: Service, browser: Browser, bundle: Path
) -> None:
    text = "console.log('raccoon');\n" * 200
    compressed = bundle.with_name("bundle.js.gz")
    _write(bundle, text.encode())
    _write(compressed, gzip.compress(text.encode()))
    headers = {"Accept-Encoding": "gzip"}
    url = service.url + "/static/bundle.js"  # the public port: Crossbar's web proxy
    async with browser.http.get(url, headers=headers, auto_decompress=False) as response:
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.content_type == "application/javascript"
        body = await response.read()
    assert len(body) < len(text) / 5 and gzip.decompress(body).decode() == text
    # Without gzip in Accept-Encoding: the plain file.
    async with browser.http.get(url, headers={"Accept-Encoding": "identity"}) as response:
        assert "Content-Encoding" not in response.headers
        assert await response.text() == text
    # A .gz older than the bundle (an earlier build) is never served.
    _write(bundle, b"console.log('rebuilt');\n")
    _make_older(compressed, than=bundle)
    async with browser.http.get(url, headers=headers, auto_decompress=False) as response:
        assert "Content-Encoding" not in response.headers
        assert await response.text() == "console.log('rebuilt');\n"


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _make_older(path: Path, *, than: Path) -> None:
    stale = than.stat().st_mtime_ns - 10**9
    os.utime(path, ns=(stale, stale))
