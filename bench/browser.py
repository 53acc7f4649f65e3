"""Browser benchmark: the example application (``examples/safety``) in headless chromium,
against a bare autobahn-js page on the same router, in the same run.

One service as ``raccoon run`` starts it (its own Crossbar router, an embedded
PostgreSQL with the 100,000 seeded assessments of tenant acme, the client
bundle built in **production** mode, which is what a deployment serves),
driven by Playwright over Debian's chromium. Measured:

1. **login → first grid rows**: from ``page.goto`` of the login page, filling
   and submitting the form, to the desktop (``#raccoon[data-state=ready]``)
   and, the page clicking the desktop's companies action the moment it shows
   it, to the first ``.tabulator-row`` of the companies grid on screen (the
   frame after it entered the DOM). Each repetition in a new browser context
   (cold cache, a new login), the two sides alternating, one warm-up round
   not counted. **Baseline**: a bare page (served by a small aiohttp server
   of this script) that loads ``node_modules/autobahn-browser/autobahn.min.js``,
   shows a login form, posts it to the same ``/api/login`` (through a
   one-hop proxy, as Crossbar's proxy is one for the real page), joins the
   same router with the token (WAMP ticket) and makes one RPC round trip to
   the service's process (a plain echo on the service's backend connection).
   Target: login → first rows ≤ 1 s. Times are taken by the page on its own
   clock (from the start of the navigation ``page.goto`` begins; a
   MutationObserver notes each step as it happens: Playwright's waits poll
   at up to 500 ms intervals), so they include Playwright filling and
   clicking, alike on both sides; ``submit_to_*`` start at the click on
   Login. Logins use the default (production) Argon2 parameters on both
   sides; ``login_ms`` (the ``/api/login`` request alone) shows their share.
2. **bytes to scroll through the rows**: the grid's scroller is moved from top
   to bottom in ``--steps`` programmatic steps, each waiting for its window to
   arrive (the first row changes), while CDP counts the WebSocket payload
   bytes both ways (uncompressed payloads). Compared with the JSON of every
   row (from SQL, ``row_to_json`` of the tenant's rows of the table): what
   "send everything" would cost. ``SCROLL_GRID`` picks the grid:
   ``assessments`` (all 100,000 of acme's, the desktop's "assessments"
   action) falls back to the companies grid (200 rows) when the desktop has
   no such action.
3. **frames during a fast scroll**: ``requestAnimationFrame`` callbacks during
   ``--wheel-seconds`` of continuous ``mouse.wheel`` over the grid (fps,
   frames > 50 ms, dropped 60 Hz frames), and — where the grid says its
   window's offset — how many frames showed other rows than those at the
   scroll position, and how long after the last wheel event the right ones
   were on screen. **Baseline**: the same page, the same wheel loop over an
   empty div of the scroller's size and scroll height laid over the grid (a
   scroll with no grid work).
4. **bundle size**: the production bundle (minified, and gzip -9) against
   its budget (``tests/build/test_bundle_budget.py``), the development one,
   autobahn-js and Tabulator alone as reference; how the page receives it
   (``Content-Encoding``, bytes transferred).

    .venv/bin/python bench/browser.py [--repeat 10] [--steps 200] [--wheel-seconds 2]

About 2 minutes on the 2-core machine, plus the builds (30 to 50 s) when the
client sources changed: both bundles are kept in ``tmp/bench-browser`` and
rebuilt only when a source changes (``--rebuild`` forces it; ``--bundle``
serves a given production bundle instead). Every process it starts
(chromium, Crossbar, PostgreSQL) is stopped by pid at the end, also on
failure, and checked for.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gzip
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path as FsPath
from typing import Any

import psutil
from aiohttp import ClientSession, web

BENCH = FsPath(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "examples"))

from _common import emit, machine, pct  # noqa: E402
from playwright.async_api import Browser, Page, async_playwright  # noqa: E402
from safety import application  # noqa: E402
from safety.seed import seed_accounts, seed_register  # noqa: E402

from raccoon.data import EmbeddedPostgres  # noqa: E402
from raccoon.node import Path, WAMPNode, call  # noqa: E402
from raccoon.service import Service  # noqa: E402
from raccoon.service._client import build_client  # noqa: E402
from raccoon.testing.browser import launch_chromium  # noqa: E402

#: The grid part 2 scrolls: "assessments" (100,000 rows) or "companies" (200).
SCROLL_GRID = "assessments"
#: grid name -> (the desktop action that opens it, its table)
GRIDS = {
    "assessments": ("assessments", "safety_assessments"),
    "companies": ("companies", "safety_companies"),
}
#: The grid's DOM (js/raccoon/widgets/grid.py; the example's own grid before it).
GRID = ":is(div.raccoon-grid, div.safety-grid)"
SCROLLER = ":is(.raccoon-scroller, .safety-scroller)"
#: The grid's row height in pixels (both grids).
ROW_HEIGHT = 30
TENANT = "acme"
USER = "ann"
PASSWORD = "correct horse battery"
TARGET_LOGIN_TO_ROWS_MS = 1000.0
#: The budget of tests/build/test_bundle_budget.py (min+gzip of the production bundle).
BUNDLE_BUDGET_GZIP = 184 * 1024
CACHE = ROOT / "tmp" / "bench-browser"
AUTOBAHN_JS = ROOT / "node_modules" / "autobahn-browser" / "autobahn.min.js"
TABULATOR_JS = ROOT / "node_modules" / "tabulator-tables" / "dist" / "js" / "tabulator.min.js"
ECHO = "raccoon.public.bench.echo"


class _Echo(WAMPNode):
    """What the baseline page calls: a plain answer from the service's process."""

    @call
    async def echo(self, n: int) -> int:
        return n


# -- the baseline page ---------------------------------------------------------------------

BARE_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>bare autobahn-js</title>
<script src="/bare/autobahn.min.js" defer></script>
<script src="/bare/bare.js" defer></script>
</head><body data-state="loading"></body></html>
"""

# Like the real page: the form appears once the script is loaded; the click
# posts the login, joins with the token (ticket), makes one call.
BARE_JS = """
"use strict";
document.body.innerHTML =
  '<input id="bare-username"><input id="bare-password" type="password">' +
  '<button id="bare-login" type="button">Login</button>';
document.getElementById("bare-login").addEventListener("click", async () => {
  const t0 = performance.now();
  const response = await fetch("/api/login", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({
      username: document.getElementById("bare-username").value,
      password: document.getElementById("bare-password").value,
    }),
    credentials: "same-origin",
  });
  const grant = await response.json();
  const t1 = performance.now();
  const connection = new autobahn.Connection({
    url: grant.url, realm: grant.realm, authmethods: ["ticket"],
    authid: grant.user.username, onchallenge: () => grant.token, max_retries: 0,
  });
  connection.onopen = async (session) => {
    const t2 = performance.now();
    await session.call("%(echo)s", [1]);
    document.body.dataset.timing = JSON.stringify(
      {login_ms: t1 - t0, join_ms: t2 - t1, call_ms: performance.now() - t2});
    document.body.dataset.state = "answered";
  };
  connection.open();
});
document.body.dataset.state = "login";
""".replace("%(echo)s", ECHO)


@asynccontextmanager
async def bare_site(port: int, service_http: str) -> AsyncIterator[str]:
    """The baseline page, autobahn.min.js, and ``POST /api/login`` proxied to the service."""
    autobahn = AUTOBAHN_JS.read_bytes()
    client = ClientSession()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=BARE_HTML, content_type="text/html")

    async def script(request: web.Request) -> web.Response:
        return web.Response(text=BARE_JS, content_type="application/javascript")

    async def library(request: web.Request) -> web.Response:
        return web.Response(body=autobahn, content_type="application/javascript")

    async def login(request: web.Request) -> web.Response:
        # One proxy hop, as Crossbar's web proxy is one for the real page.
        async with client.post(
            service_http + "/api/login",
            data=await request.read(),
            headers={"Content-Type": request.content_type},
        ) as answer:
            return web.Response(
                body=await answer.read(),
                status=answer.status,
                content_type="application/json",
            )

    app = web.Application()
    app.router.add_get("/bare/", page)
    app.router.add_get("/bare/bare.js", script)
    app.router.add_get("/bare/autobahn.min.js", library)
    app.router.add_post("/api/login", login)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await client.close()


# -- the service -----------------------------------------------------------------------------


def grid_selector(name: str) -> str:
    return f"{GRID}[data-grid={name}]"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bundle_figures(path: FsPath) -> dict[str, int]:
    data = path.read_bytes()
    return {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, 9))}


def build_bundles(rebuild: bool, given: str | None = None) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    if given is not None:
        bundle = FsPath(given).resolve()
        figures["production"] = {"path": str(bundle), **bundle_figures(bundle), "given": True}
        figures["development"] = None
    app = dataclasses.replace(application, root=ROOT / "examples" / "safety")
    package = app.path(app.client)
    assert package is not None
    for mode in ("production", "development") if given is None else ():
        started = time.perf_counter()
        made = build_client(package, CACHE / mode, mode=mode, force=rebuild)
        figures[mode] = {
            "path": str(made.bundle),
            **bundle_figures(made.bundle),
            "built_now": made.built,
            "build_s": round(time.perf_counter() - started, 1),
        }
    figures["autobahn_js_alone"] = bundle_figures(AUTOBAHN_JS)
    if TABULATOR_JS.is_file():
        figures["tabulator_js_alone"] = bundle_figures(TABULATOR_JS)
    return figures


@asynccontextmanager
async def safety_service(bundle: FsPath, bare_origin: str) -> AsyncIterator[Service]:
    """The example on a real service, router and seeded embedded PostgreSQL."""
    tmp = FsPath(tempfile.mkdtemp(prefix="raccoon-bench-browser-"))
    # Its own mkdtemp(): as root the server runs as another account, which is
    # given that directory (it could not enter ``tmp``).
    datadir = FsPath(tempfile.mkdtemp(prefix="raccoon-bench-browser-pg-"))
    postgres = EmbeddedPostgres(datadir, options={"fsync": "off"})
    service: Service | None = None
    try:
        await postgres.start()
        dsn = await postgres.create_database("safety")
        port = free_port()
        settings = application.load_settings(
            env={},
            secret=secrets.token_urlsafe(48),
            port=port,
            # The baseline page's websocket comes from its own origin.
            allowed_origins=(f"http://127.0.0.1:{port}", bare_origin),
            database_url=dsn,
            grace_period=5.0,
            workdir=str(tmp / "service"),
            bundle_path=str(bundle),
        )
        service = application.service(settings)
        await service.start()
        await seed_accounts(service.accounts, PASSWORD)
        await seed_register(service.db)
        await service.db.execute("ANALYZE")
        echo = _Echo()
        await echo.node_bind(Path("raccoon.public.bench"), service.backend.new_context())
        try:
            yield service
        finally:
            await echo.node_unbind()
    finally:
        try:
            if service is not None:
                await service.stop()
        finally:
            await postgres.stop()
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(datadir, ignore_errors=True)


def our_processes() -> dict[int, str]:
    """Chromium, Crossbar and PostgreSQL processes below this one."""
    found = {}
    for child in psutil.Process().children(recursive=True):
        try:
            name = child.name()
            cmdline = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if any(word in name or word in cmdline for word in ("chrom", "crossbar", "postgres")):
            found[child.pid] = name
    return found


async def left_behind(before: dict[int, str]) -> dict[int, str]:
    """What is still running of ours after everything was stopped (after a grace time)."""
    left: dict[int, str] = {}
    for _ in range(50):
        left = {pid: n for pid, n in our_processes().items() if pid not in before}
        if not left:
            break
        await asyncio.sleep(0.1)
    return left


# -- 1. login to first rows --------------------------------------------------------------------


# Every page records, on its own clock (milliseconds since its navigation
# started, i.e. since page.goto), when the login form appeared, when the
# desktop was ready, when the first grid row was painted (the frame after it
# entered the DOM) and when the baseline's call was answered: a
# MutationObserver sees each change as it happens. (Playwright's own waits
# poll at up to 500 ms intervals and cannot time this.)
MARKS_JS = """
(() => {
  const marks = window.__bench_marks = {};
  const now = () => performance.now();
  const check = () => {
    if (!marks.form && document.querySelector('#raccoon-username, #bare-username'))
      marks.form = now();
    const root = document.getElementById('raccoon');
    if (!marks.ready && root && root.dataset.state === 'ready') marks.ready = now();
    if (!marks.rows && document.querySelector('__ROWS__ .tabulator-row')) {
      marks.rows = now();
      requestAnimationFrame(() => { marks.rows_painted = now(); });
    }
    if (!marks.answered && document.body && document.body.dataset.state === 'answered')
      marks.answered = now();
    // The "user" clicks the action the moment the desktop shows it.
    const action = '__ACTION__' && marks.ready && !marks.action &&
      document.querySelector('button.raccoon-action[data-action="__ACTION__"]');
    if (action) { marks.action = now(); action.click(); }
  };
  new MutationObserver(check).observe(document,
    {subtree: true, childList: true, attributes: true, attributeFilter: ['data-state']});
  document.addEventListener('click', (event) => {
    if (event.target.closest && event.target.closest('#raccoon-login, #bare-login'))
      marks.submit = now();
  }, true);
})();
"""

RESOURCES_JS = """
() => {
  const r = (p) => performance.getEntriesByType('resource').find(e => e.name.endsWith(p));
  const b = r('/static/bundle.js') || r('/autobahn.min.js'), l = r('/api/login');
  return {marks: window.__bench_marks, script_ms: b ? b.duration : null,
          login_ms: l ? l.duration : null, script_transfer: b ? b.transferSize : null};
}
"""


async def new_page(browser: Browser, action: str = "", grid: str = "companies") -> Page:
    """A page in a new context; its marks click *action* as soon as the desktop shows it."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_init_script(
        MARKS_JS.replace("__ROWS__", grid_selector(grid)).replace("__ACTION__", action)
    )
    page = await context.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: print(f"[browser error] {error}", file=sys.stderr))
    return page


async def raccoon_login(page: Page, service: Service) -> dict[str, float]:
    await page.goto(service.url + "/")
    await page.fill("#raccoon-username", USER)
    await page.fill("#raccoon-password", PASSWORD)
    await page.click("#raccoon-login")
    # The page clicks the action itself (MARKS_JS) as soon as it is there.
    await page.wait_for_function("() => window.__bench_marks.rows_painted !== undefined")
    found = await page.evaluate(RESOURCES_JS)
    marks = found["marks"]
    return {
        "to_form_ms": marks["form"],
        "to_desktop_ms": marks["ready"],
        "to_first_rows_ms": marks["rows_painted"],
        "submit_to_desktop_ms": marks["ready"] - marks["submit"],
        "submit_to_first_rows_ms": marks["rows_painted"] - marks["submit"],
        "action_to_rows_ms": marks["rows_painted"] - marks["action"],
        "bundle_ms": found["script_ms"],
        "login_ms": found["login_ms"],
        "bundle_transfer": found["script_transfer"],
    }


async def bare_login(page: Page, bare_url: str) -> dict[str, float]:
    await page.goto(bare_url + "/bare/")
    await page.fill("#bare-username", USER)
    await page.fill("#bare-password", PASSWORD)
    await page.click("#bare-login")
    await page.wait_for_selector("body[data-state=answered]", state="attached")
    timing = json.loads(await page.get_attribute("body", "data-timing") or "{}")
    found = await page.evaluate(RESOURCES_JS)
    marks = found["marks"]
    return {
        "to_form_ms": marks["form"],
        "to_answer_ms": marks["answered"],
        "submit_to_answer_ms": marks["answered"] - marks["submit"],
        "join_ms": timing["join_ms"],
        "call_ms": timing["call_ms"],
        "autobahn_ms": found["script_ms"],
        "login_ms": found["login_ms"],
    }


def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(samples)}
    for key in samples[0]:
        values = [s[key] for s in samples if isinstance(s.get(key), int | float)]
        if not values:
            continue
        if key.endswith("_ms"):
            out[key] = {"p50": round(pct(values, 50), 1), "p90": round(pct(values, 90), 1)}
        else:
            out[key] = round(statistics.median(values))
    return out


async def measure_logins(
    browser: Browser, service: Service, bare_url: str, repeat: int
) -> dict[str, Any]:
    raccoon: list[dict[str, Any]] = []
    bare: list[dict[str, Any]] = []
    for i in range(repeat + 1):  # the first round warms both up and is not counted
        order: list[tuple[str, Callable[[Page], Any]]] = [
            ("raccoon", lambda p: raccoon_login(p, service)),
            ("bare", lambda p: bare_login(p, bare_url)),
        ]
        if i % 2:
            order.reverse()
        for side, run in order:
            page = await new_page(browser, action="companies", grid="companies")
            try:
                sample = await run(page)
            finally:
                await page.context.close()
            if i:
                (raccoon if side == "raccoon" else bare).append(sample)
    r, b = summarize(raccoon), summarize(bare)
    rows_p50 = r["to_first_rows_ms"]["p50"]
    bare_p50 = b["to_answer_ms"]["p50"]
    return {
        "raccoon": r,
        "bare_autobahn_js": b,
        "ratio_first_rows_p50": round(rows_p50 / bare_p50, 2),
        "ratio_desktop_p50": round(r["to_desktop_ms"]["p50"] / bare_p50, 2),
        # From the click on "Login": what the system does, without the page load.
        "ratio_submit_to_first_rows_p50": round(
            r["submit_to_first_rows_ms"]["p50"] / b["submit_to_answer_ms"]["p50"], 2
        ),
        "target_first_rows_ms_max": TARGET_LOGIN_TO_ROWS_MS,
        "met": rows_p50 <= TARGET_LOGIN_TO_ROWS_MS,
        "met_p90": r["to_first_rows_ms"]["p90"] <= TARGET_LOGIN_TO_ROWS_MS,
    }


# -- 2. bytes to scroll through the rows -------------------------------------------------------


class WebSocketCounter:
    """WebSocket payload bytes and messages of one page, both ways, through CDP."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.received = self.sent = self.received_messages = self.sent_messages = 0

    async def attach(self, page: Page) -> None:
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived", lambda e: self._count(e, received=True))
        cdp.on("Network.webSocketFrameSent", lambda e: self._count(e, received=False))

    def _count(self, event: dict[str, Any], *, received: bool) -> None:
        frame = event["response"]
        data = frame.get("payloadData", "")
        if frame.get("opcode") == 2:  # binary: CDP gives it in base64
            size = len(data) * 3 // 4 - data[-2:].count("=")
        else:
            size = len(data.encode())
        if received:
            self.received += size
            self.received_messages += 1
        else:
            self.sent += size
            self.sent_messages += 1

    def figures(self) -> dict[str, int]:
        return {
            "received_bytes": self.received,
            "sent_bytes": self.sent,
            "received_messages": self.received_messages,
            "sent_messages": self.sent_messages,
        }


SCROLL_STEPS_JS = """
async ({selector, steps, timeout}) => {
  const holders = document.querySelectorAll(selector);
  const holder = holders[holders.length - 1];  // the grid the action opened
  const scroller = holder.querySelector('__SCROLLER__');
  const first = () => { const r = holder.querySelector('.tabulator-row');
                        return r ? r.textContent : null; };
  const pause = () => new Promise(resolve => setTimeout(resolve, 2));
  const max = scroller.scrollHeight - scroller.clientHeight;
  const latencies = []; let missed = 0, seen = 0;
  for (let i = 1; i <= steps; i++) {
    const before = first(), started = performance.now();
    scroller.scrollTop = Math.round(max * i / steps);
    while (first() === before) {
      if (performance.now() - started > timeout) { missed++; break; }
      await pause();
    }
    latencies.push(performance.now() - started);
    seen += Number(holder.dataset.rows);
  }
  return {latencies, missed, seen, scroll_height: scroller.scrollHeight, last_first_row: first(),
          rows: Number(holder.dataset.rows), total: Number(holder.dataset.total)};
}
""".replace("__SCROLLER__", SCROLLER)


async def open_scroll_grid(page: Page, service: Service) -> str:
    """Log in and open the grid of ``SCROLL_GRID`` (or the companies one); its name."""
    await page.goto(service.url + "/")
    await page.fill("#raccoon-username", USER)
    await page.fill("#raccoon-password", PASSWORD)
    await page.click("#raccoon-login")
    await page.wait_for_selector("#raccoon[data-state=ready]", state="attached")
    await page.wait_for_selector("button.raccoon-action")
    name = SCROLL_GRID
    action, _table = GRIDS[name]
    if await page.locator(f"button.raccoon-action[data-action={action}]").count() == 0:
        name = "companies"
        action, _table = GRIDS[name]
    await page.click(f"button.raccoon-action[data-action={action}]")
    # The last grid of that name: the one the action opened.
    await page.wait_for_selector(f"{grid_selector(name)} .tabulator-row")
    return name


async def all_rows_json_bytes(service: Service, table: str) -> tuple[int, int]:
    """(rows, bytes of a JSON array of every row of the tenant), from PostgreSQL."""
    row = await service.db.fetchrow(
        f"SELECT count(*) AS n, coalesce(sum(octet_length(row_to_json(t)::text)), 0) AS b "
        f"FROM {table} t WHERE tenant = $1",
        TENANT,
    )
    assert row is not None
    rows, size = int(row["n"]), int(row["b"])
    return rows, size + max(rows - 1, 0) + 2  # commas and brackets


async def measure_scroll(
    page: Page, service: Service, counter: WebSocketCounter, name: str, steps: int
) -> dict[str, Any]:
    selector = f"{grid_selector(name)} >> nth=-1"
    holder = page.locator(selector)
    window = int(await holder.get_attribute("data-rows") or 0)
    total = int(await holder.get_attribute("data-total") or 0)
    steps = max(1, min(steps, total // max(window, 1)))
    await asyncio.sleep(0.3)  # let the first window's traffic end
    counter.reset()
    started = time.perf_counter()
    result = await page.evaluate(
        SCROLL_STEPS_JS,
        {"selector": grid_selector(name), "steps": steps, "timeout": 5000},
    )
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.5)  # the last window's frames
    traffic = counter.figures()
    _, table = GRIDS[name]
    rows, everything = await all_rows_json_bytes(service, table)
    rows_seen = int(result["seen"])  # the rows of each window that arrived
    window = round(rows_seen / steps)
    received = traffic["received_bytes"]
    per_row = received / rows_seen if rows_seen else 0.0
    return {
        "grid": name,
        "fell_back_to_companies": name != SCROLL_GRID,
        "total_rows": total,
        "window_rows": window,
        "steps": steps,
        "rows_seen": rows_seen,
        "seconds": round(elapsed, 1),
        "window_latency_ms": {
            "p50": round(pct(result["latencies"], 50), 1),
            "p90": round(pct(result["latencies"], 90), 1),
        },
        "windows_missed": result["missed"],
        "last_first_row": result["last_first_row"],
        **traffic,
        "received_bytes_per_row_seen": round(per_row, 1),
        "received_bytes_per_window": round(received / steps, 1),
        "all_rows": rows,
        "all_rows_json_bytes": everything,
        "all_rows_json_bytes_per_row": round(everything / rows, 1) if rows else 0,
        "ratio_scroll_received_to_all_rows": round(received / everything, 4) if everything else 0,
        # Paging window by window over every row would move about this much:
        "every_row_windowed_bytes_estimate": round(per_row * rows),
        # What travels is proportional to the rows seen, not to all rows:
        "only_windows_travel": rows_seen < rows and received < everything * rows_seen / rows * 3,
    }


# -- 3. frames during a fast scroll ------------------------------------------------------------

# Frame stamps; for a grid whose holder says its window's ``data-offset``
# (js/raccoon/widgets/grid.py), also whether each frame's window is the one at
# the scroll position (the table is sticky: it shows the window from its
# offset, so the rows are right only when offset == floor(scrollTop / row
# height)). The offset arrives just before its rows, so this count of frames
# showing other rows is a lower bound. The first row's text is followed too:
# once the scroll is over and the grid quiet, the time of its last change
# tells when the right rows came.
FRAMES_JS = """
(selector) => {
  const state = window.__bench_frames = {stamps: [], stale: 0, checked: 0, behind: 0, on: true,
                                         last_wheel: null, last_change: null, text: null,
                                         right_since: null};
  let holder = null, scroller = null;
  if (selector) {
    const holders = document.querySelectorAll(selector);
    holder = holders[holders.length - 1];
    scroller = holder.querySelector('__SCROLLER__');
    scroller.addEventListener('wheel', () => { state.last_wheel = performance.now(); },
                              {passive: true});
  }
  state.lag = () => {
    if (!holder || holder.dataset.offset === undefined) return null;
    const first = Math.floor(scroller.scrollTop / __ROW_HEIGHT__);
    return Math.abs(first - Number(holder.dataset.offset));
  };
  state.follow = () => {
    const row = holder && holder.querySelector('.tabulator-row');
    const text = row ? row.textContent : null;
    if (text !== state.text) { state.text = text; state.last_change = performance.now(); }
    const lag = state.lag();
    if (lag !== 0) state.right_since = null;
    else if (state.right_since === null) state.right_since = performance.now();
    return lag;
  };
  const tick = (stamp) => {
    if (!state.on) return;
    state.stamps.push(stamp);
    const lag = state.follow();
    if (lag !== null) {
      state.checked++;
      if (lag > 0) state.stale++;
      state.behind = Math.max(state.behind, lag);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
""".replace("__SCROLLER__", SCROLLER).replace("__ROW_HEIGHT__", str(ROW_HEIGHT))

# Stops the frame count; then follows the grid until its window is at the
# scroll position and nothing has changed for a second (at most 10 s; the
# rows come a little after their offset). settle_ms runs from the last wheel
# event to the last change of the rows shown (or, if they did not change, to
# when the window's offset was right).
STOP_FRAMES_JS = """
async () => {
  const state = window.__bench_frames;
  state.on = false;
  const stopped = performance.now();
  let settle_ms = null;
  if (state.lag() !== null) {
    const quiet = () => performance.now() - Math.max(state.last_change, state.right_since);
    while (performance.now() - stopped < 10000 && (state.follow() !== 0 || quiet() < 1000))
      await new Promise(resolve => requestAnimationFrame(resolve));
    if (state.follow() === 0 && state.last_wheel !== null) {
      const right = state.last_change > state.last_wheel ? state.last_change : state.right_since;
      settle_ms = Math.max(0, right - state.last_wheel);
    }
  }
  return {stamps: state.stamps, stale: state.stale, checked: state.checked,
          max_rows_behind: state.behind, settle_ms};
}
"""

EMPTY_TWIN_JS = """
(selector) => {
  const holders = document.querySelectorAll(selector);
  const scroller = holders[holders.length - 1].querySelector('__SCROLLER__');
  const box = scroller.getBoundingClientRect();
  const twin = document.createElement('div');
  twin.id = 'bench-empty-scroller';
  Object.assign(twin.style, {position: 'fixed', left: box.left + 'px', top: box.top + 'px',
    width: box.width + 'px', height: box.height + 'px', overflowY: 'auto',
    background: 'white', zIndex: 100000});
  const spacer = document.createElement('div');
  spacer.style.height = scroller.scrollHeight + 'px';
  twin.appendChild(spacer);
  document.body.appendChild(twin);
  return scroller.scrollHeight;
}
""".replace("__SCROLLER__", SCROLLER)


def frame_figures(stamps: list[float]) -> dict[str, Any]:
    deltas = [b - a for a, b in itertools.pairwise(stamps)]
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    period = 1000 / 60
    return {
        "frames": len(stamps),
        "fps": round((len(stamps) - 1) / span * 1000, 1) if span else 0.0,
        "long_frames_over_50ms": sum(1 for d in deltas if d > 50),
        "dropped_60hz_frames": sum(max(0, round(d / period) - 1) for d in deltas),
        "frame_ms_p50": round(pct(deltas, 50), 1) if deltas else 0.0,
        "frame_ms_p99": round(pct(deltas, 99), 1) if deltas else 0.0,
        "frame_ms_max": round(max(deltas), 1) if deltas else 0.0,
    }


async def wheel_for(
    page: Page, target: str, seconds: float, delta: int, grid: str | None = None
) -> dict[str, Any]:
    box = await page.locator(target).bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    top_before = await page.locator(target).evaluate("e => e.scrollTop")
    await page.evaluate(FRAMES_JS, grid)
    wheels = 0
    ends = time.perf_counter() + seconds
    while time.perf_counter() < ends:
        await page.mouse.wheel(0, delta)
        wheels += 1
    top_after = await page.locator(target).evaluate("e => e.scrollTop")
    frames = await page.evaluate(STOP_FRAMES_JS)
    figures = {
        **frame_figures(frames["stamps"]),
        "wheel_events": wheels,
        "scrolled_px": round(top_after - top_before),
    }
    if frames["checked"]:
        figures.update(
            frames_showing_other_rows=frames["stale"],
            frames_checked=frames["checked"],
            max_rows_behind=frames["max_rows_behind"],
            settle_after_scroll_ms=(
                None if frames["settle_ms"] is None else round(frames["settle_ms"], 1)
            ),
        )
    return figures


async def measure_frames(
    page: Page, counter: WebSocketCounter, name: str, seconds: float
) -> dict[str, Any]:
    grid = f"{grid_selector(name)} >> nth=-1"
    scroller = f"{grid} >> {SCROLLER}"
    # At its bottom the grid's wheel scroll chains to the page: start both at the top.
    await page.locator(scroller).evaluate("e => { e.scrollTop = 0; window.scrollTo(0, 0); }")
    await asyncio.sleep(1.0)
    # A wheel step scrolls 100 px a time in chromium; ~3 rows per event.
    counter.reset()
    grid_side = await wheel_for(page, scroller, seconds, 100, grid_selector(name))
    grid_side.update(
        ws_messages_received=counter.received_messages, received_bytes=counter.received
    )
    await page.locator(scroller).evaluate("e => { e.scrollTop = 0; window.scrollTo(0, 0); }")
    await asyncio.sleep(1.0)
    await page.evaluate(EMPTY_TWIN_JS, grid_selector(name))
    empty_side = await wheel_for(page, "#bench-empty-scroller", seconds, 100)
    return {
        "grid": name,
        "seconds": seconds,
        "raccoon_grid": grid_side,
        "empty_div_baseline": empty_side,
        "ratio_fps": round(grid_side["fps"] / empty_side["fps"], 2) if empty_side["fps"] else 0,
    }


# -- the run --------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> dict[str, Any]:
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    before = our_processes()
    bundles = build_bundles(args.rebuild, args.bundle)
    production = FsPath(bundles["production"]["path"])
    bundles["production"]["budget_gzip_bytes"] = BUNDLE_BUDGET_GZIP
    bundles["production"]["within_budget"] = (
        bundles["production"]["gzip_bytes"] <= BUNDLE_BUDGET_GZIP
    )
    result: dict[str, Any] = {"benchmark": "browser", "bundle": bundles}
    bare_port = free_port()
    bare_origin = f"http://127.0.0.1:{bare_port}"
    try:
        async with safety_service(production, bare_origin) as service:
            async with bare_site(bare_port, service.http_url) as bare_url:
                async with async_playwright() as pw:
                    browser = await launch_chromium(pw)
                    try:
                        result["chromium"] = browser.version
                        print("1. login -> first rows ...", file=sys.stderr)
                        result["login_to_first_rows"] = await measure_logins(
                            browser, service, bare_url, args.repeat
                        )
                        page = await new_page(browser)
                        counter = WebSocketCounter()
                        await counter.attach(page)
                        name = await open_scroll_grid(page, service)
                        print(f"2. scrolling the {name} grid ...", file=sys.stderr)
                        result["scroll_bytes"] = await measure_scroll(
                            page, service, counter, name, args.steps
                        )
                        print("3. frames during a fast scroll ...", file=sys.stderr)
                        result["fast_scroll_frames"] = await measure_frames(
                            page, counter, name, args.wheel_seconds
                        )
                        encoding = await page.evaluate(
                            """async () => (await fetch('/static/bundle.js',
                                {method: 'HEAD'})).headers.get('content-encoding')"""
                        )
                        bundles["production"]["served_content_encoding"] = encoding
                        login = result["login_to_first_rows"]["raccoon"]
                        bundles["production"]["served_transfer_bytes"] = login.get(
                            "bundle_transfer"
                        )
                        await page.context.close()
                    finally:
                        await browser.close()
    finally:
        left = await left_behind(before)
        for pid in left:
            try:
                psutil.Process(pid).kill()
            except psutil.Error:
                pass
        result["processes_left_behind"] = {str(pid): n for pid, n in left.items()}
    first_rows = result["login_to_first_rows"]
    result.update(
        meets_targets=bool(
            first_rows["met"]
            and bundles["production"]["within_budget"]
            and result["scroll_bytes"]["only_windows_travel"]
        ),
        load_average_at_start=load_at_start,
        load_average=[round(x, 2) for x in os.getloadavg()],
        machine=machine(),
    )
    return result


async def interruptible(work: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run *work*; SIGINT or SIGTERM cancels it, so that its cleanup runs (and says so)."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    stopped: list[str] = []

    def stop(name: str) -> None:
        print(f"{name}: stopping everything this benchmark started", file=sys.stderr)
        stopped.append(name)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig.name)
    try:
        return await task
    except asyncio.CancelledError:
        if stopped:
            raise SystemExit(f"interrupted ({stopped[0]})") from None
        raise


def report(result: dict[str, Any]) -> None:
    b = result["bundle"]
    first = result["login_to_first_rows"]
    r, bare = first["raccoon"], first["bare_autobahn_js"]
    s = result["scroll_bytes"]
    f = result["fast_scroll_frames"]
    kib = 1024
    lines = [
        f"chromium {result['chromium']}, load average {result['load_average_at_start']} at "
        f"the start, {result['load_average']} at the end (1, 5, 15 min)",
        "bundle (production): {:.1f} KiB min, {:.1f} KiB min+gzip (budget {:.0f} KiB); "
        "development {:.1f} KiB / {:.1f} KiB gzip; autobahn-js alone {:.1f} / {:.1f} KiB; "
        "served with Content-Encoding {}".format(
            b["production"]["bytes"] / kib,
            b["production"]["gzip_bytes"] / kib,
            BUNDLE_BUDGET_GZIP / kib,
            (b["development"] or {}).get("bytes", 0) / kib,
            (b["development"] or {}).get("gzip_bytes", 0) / kib,
            b["autobahn_js_alone"]["bytes"] / kib,
            b["autobahn_js_alone"]["gzip_bytes"] / kib,
            b["production"].get("served_content_encoding"),
        ),
        "login -> desktop ready   p50 {:.0f} ms  p90 {:.0f} ms".format(
            r["to_desktop_ms"]["p50"], r["to_desktop_ms"]["p90"]
        ),
        "login -> first grid rows p50 {:.0f} ms  p90 {:.0f} ms  (target <= {:.0f} ms: {})".format(
            r["to_first_rows_ms"]["p50"],
            r["to_first_rows_ms"]["p90"],
            TARGET_LOGIN_TO_ROWS_MS,
            "met" if first["met"] else "NOT met",
        ),
        "bare autobahn-js login+join+call p50 {:.0f} ms  p90 {:.0f} ms  -> ratio {}".format(
            bare["to_answer_ms"]["p50"], bare["to_answer_ms"]["p90"], first["ratio_first_rows_p50"]
        ),
        "  from the click on Login: first rows p50 {:.0f} ms, bare answer p50 {:.0f} ms "
        "-> ratio {}".format(
            r["submit_to_first_rows_ms"]["p50"],
            bare["submit_to_answer_ms"]["p50"],
            first["ratio_submit_to_first_rows_p50"],
        ),
        "  of which page loaded to login form: raccoon p50 {:.0f} ms, bare p50 {:.0f} ms; "
        "/api/login (Argon2): raccoon p50 {:.0f} ms, bare p50 {:.0f} ms".format(
            r["to_form_ms"]["p50"],
            bare["to_form_ms"]["p50"],
            r["login_ms"]["p50"],
            bare["login_ms"]["p50"],
        ),
        "scroll {} grid ({} rows) in {} steps of {} rows: received {:.1f} KiB "
        "({} messages), sent {:.1f} KiB; {:.0f} B per row seen; all rows as JSON "
        "{:.1f} KiB ({:.0f} B/row): ratio {}; window arrives p50 {:.0f} ms".format(
            s["grid"],
            s["total_rows"],
            s["steps"],
            s["window_rows"],
            s["received_bytes"] / kib,
            s["received_messages"],
            s["sent_bytes"] / kib,
            s["received_bytes_per_row_seen"],
            s["all_rows_json_bytes"] / kib,
            s["all_rows_json_bytes_per_row"],
            s["ratio_scroll_received_to_all_rows"],
            s["window_latency_ms"]["p50"],
        ),
        "fast scroll {:.0f} s: grid {:.1f} fps, {} long frames, {} dropped, max {:.0f} ms; "
        "empty div {:.1f} fps, {} long, {} dropped, max {:.0f} ms".format(
            f["seconds"],
            f["raccoon_grid"]["fps"],
            f["raccoon_grid"]["long_frames_over_50ms"],
            f["raccoon_grid"]["dropped_60hz_frames"],
            f["raccoon_grid"]["frame_ms_max"],
            f["empty_div_baseline"]["fps"],
            f["empty_div_baseline"]["long_frames_over_50ms"],
            f["empty_div_baseline"]["dropped_60hz_frames"],
            f["empty_div_baseline"]["frame_ms_max"],
        ),
        "  the grid showed other rows than those at the scroll position in {} of {} frames "
        "(at most {} rows behind); {} WebSocket messages arrived; right rows {} ms after the last "
        "wheel event".format(
            f["raccoon_grid"].get("frames_showing_other_rows", "?"),
            f["raccoon_grid"].get("frames_checked", "?"),
            f["raccoon_grid"].get("max_rows_behind", "?"),
            f["raccoon_grid"]["ws_messages_received"],
            f["raccoon_grid"].get("settle_after_scroll_ms", "?"),
        ),
        f"processes left behind: {result['processes_left_behind'] or 'none'}",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="logins per side")
    parser.add_argument("--steps", type=int, default=200, help="scroll steps, top to bottom")
    parser.add_argument("--wheel-seconds", type=float, default=2.0)
    parser.add_argument("--rebuild", action="store_true", help="build the bundles again")
    parser.add_argument(
        "--bundle", help="serve this production bundle instead of building one (no dev build)"
    )
    args = parser.parse_args()
    outcome = asyncio.run(interruptible(main(args)))
    report(outcome)
    emit(outcome)
