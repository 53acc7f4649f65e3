"""Several users at once, in real browsers: live changes, tenant isolation, router restarts.

- two browser contexts logged in as two users of the same tenant: a change
  made in one shows in the other's grid within a second;
- a user of the other tenant never gets those rows: not in the grid, not by
  filtering for them, and not a byte of them over the WebSocket;
- the router is killed mid-session (the service starts it again): the page reconnects
  and resumes the same session tree without a reload, keeping the unsaved
  form the user was typing in (which then saves), and receives live changes.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import PASSWORD
from playwright.async_api import Browser, BrowserContext, Page, expect

from raccoon.service import Service
from raccoon.testing import eventually

# Slow: a real browser against a started service.
pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

#: The session trees must outlive a router restart (a few seconds here).
GRACE_PERIOD = 60.0
#: The promise of the issue: another user's change shows within this.
LIVE_WITHIN = 1.0

# The companies context's cursor proxy, as the page holds it.
_COMPANIES_CURSOR = """() => {
  const session = window.raccoon_session;
  for (const id of Object.keys(session.views_by_context)) {
    const view = session.views_by_context[id];
    if (view._cursors && view._cursors.companies) return view._cursors.companies;
  }
  throw new Error('no companies view is open');
}"""


class Browsers:
    """Opens browser contexts (other users) and closes them all at the end."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []

    async def page(self) -> Page:
        context = await self.browser.new_context()
        self.contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(20_000)
        name = f"page{len(self.contexts)}"
        page.on("console", lambda m: print(f"[{name} {m.type}] {m.text}"))
        page.on("pageerror", lambda e: print(f"[{name} error] {e}"))
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browsers(browser: Browser) -> AsyncIterator[Browsers]:
    opened = Browsers(browser)
    try:
        yield opened
    finally:
        await opened.close()


async def logged_in(browsers: Browsers, service: Service, username: str) -> Page:
    """A new browser context logged in as *username*, with the companies open."""
    page = await browsers.page()
    await page.goto(service.url + "/")
    await page.fill("#raccoon-username", username)
    await page.fill("#raccoon-password", PASSWORD)
    await page.click("#raccoon-login")
    await expect(page.locator("#raccoon")).to_have_attribute("data-state", "ready")
    await page.click("button.raccoon-action[data-action=companies]")
    await expect(companies_grid(page).locator(".tabulator-row").first).to_be_visible()
    return page


def companies_grid(page: Page) -> Any:
    return page.locator("div.safety-grid[data-grid=companies]")


async def update_company(page: Page, pk: int, values: dict[str, Any]) -> dict[str, Any]:
    """Write *values* to company *pk* from this page, through its cursor proxy."""
    return await page.evaluate(
        f"""async ([pk, values]) => {{
            const cursor = ({_COMPANIES_CURSOR})();
            const record = await cursor.get_record(pk);
            return await cursor.update(pk, values, record.version);
        }}""",
        [pk, values],
    )


async def company_id(service: Service, tenant: str, name: str) -> int:
    pk = await service.db.fetchval(
        "SELECT id FROM safety_companies WHERE tenant = $1 AND name = $2", tenant, name
    )
    assert pk is not None, f"no company {name!r} of {tenant}"
    return int(pk)


async def text_appears(page: Page, selector: str, text: str) -> None:
    """Wait (checking every animation frame) until *selector* holds *text*."""
    await page.wait_for_function(
        "([selector, text]) => { const e = document.querySelector(selector);"
        " return e !== null && e.textContent.includes(text); }",
        arg=[selector, text],
        polling="raf",
    )


async def test_a_change_in_one_browser_shows_in_the_others_within_a_second(
    browsers: Browsers, safety_service: Service, artifacts: Path
) -> None:
    ann = await logged_in(browsers, safety_service, "ann")
    carl = await logged_in(browsers, safety_service, "carl")
    first = companies_grid(carl).locator(".tabulator-row").first
    await expect(first).to_contain_text("Company 0001")
    pk = await company_id(safety_service, "acme", "Company 0001")
    timings = []
    for round_ in range(3):
        city = f"Live-{round_}-{secrets.token_hex(3)}"
        started = time.perf_counter()
        seen = asyncio.ensure_future(
            text_appears(carl, "div.safety-grid[data-grid=companies] .tabulator-row", city)
        )
        saved = await update_company(ann, pk, {"city": city})
        assert saved["city"] == city
        await asyncio.wait_for(seen, 10)
        timings.append(time.perf_counter() - started)
    await carl.screenshot(path=artifacts / "carl-sees-anns-change.png")
    print("ann's change in carl's grid after (s):", [f"{t:.3f}" for t in timings])
    assert max(timings) < LIVE_WITHIN, f"slowest {max(timings):.3f} s"
    row = await safety_service.db.fetchrow("SELECT city FROM safety_companies WHERE id = $1", pk)
    assert row["city"] == city


async def websocket_payloads(page: Page) -> list[str]:
    """Every WebSocket frame *page* receives from now on (appended as they come)."""
    received: list[str] = []
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    cdp.on(
        "Network.webSocketFrameReceived",
        lambda event: received.append(event["response"]["payloadData"]),
    )
    return received


async def test_the_other_tenant_never_sees_those_rows(
    browsers: Browsers, safety_service: Service, artifacts: Path
) -> None:
    bob = await browsers.page()
    frames = await websocket_payloads(bob)
    await bob.goto(safety_service.url + "/")
    await bob.fill("#raccoon-username", "bob")
    await bob.fill("#raccoon-password", PASSWORD)
    await bob.click("#raccoon-login")
    await expect(bob.locator("#raccoon")).to_have_attribute("data-state", "ready")
    await bob.click("button.raccoon-action[data-action=companies]")
    grid = companies_grid(bob)
    await expect(grid).to_have_attribute("data-total", "20")  # globex's own, not acme's 200

    ann = await logged_in(browsers, safety_service, "ann")
    marker = f"Acme-only-{secrets.token_hex(4)}"
    pk = await company_id(safety_service, "acme", "Company 0002")
    await update_company(ann, pk, {"name": marker})
    await text_appears(ann, "div.safety-grid[data-grid=companies]", marker)

    # Bob filters for it: nothing, and his window still holds only globex rows.
    await grid.locator("input.safety-filter").fill(marker[:12])
    await expect(grid).to_have_attribute("data-total", "0")
    await grid.locator("input.safety-filter").fill("")
    await expect(grid).to_have_attribute("data-total", "20")
    globex = {
        row["id"]
        for row in await safety_service.db.fetch(
            "SELECT id FROM safety_companies WHERE tenant = 'globex'"
        )
    }
    ids = await bob.evaluate(f"() => ({_COMPANIES_CURSOR})().ids")
    assert ids and set(ids) <= globex
    await bob.screenshot(path=artifacts / "bob-sees-globex-only.png")
    # Not a byte of acme's record reached bob's browser.
    assert frames, "no WebSocket frame was captured"
    assert not any(marker in frame for frame in frames)


async def kill_router(service: Service) -> float:
    """Kill the router from outside (SIGKILL to its whole process group), as a crash
    would; the service starts it again on the same port. Seconds it was down."""
    watch = service.router_watch
    assert watch is not None
    restarts, pid = watch.restarts, service.router.pid
    assert pid is not None
    started = time.perf_counter()
    os.killpg(pid, signal.SIGKILL)
    await eventually(lambda: watch.restarts > restarts, 60, "the service restarts the router")
    return time.perf_counter() - started


async def test_a_router_restart_resumes_the_page_without_a_reload(
    browsers: Browsers, safety_service: Service, artifacts: Path
) -> None:
    ann = await logged_in(browsers, safety_service, "ann")
    grid = companies_grid(ann)
    await grid.locator(".tabulator-row").nth(2).click()
    workplaces = ann.locator("div.safety-grid[data-grid=workplaces]")
    await expect(workplaces).to_have_attribute("data-total", "5")
    await workplaces.locator(".tabulator-row").first.click()
    assessments = ann.locator("div.safety-grid[data-grid=assessments]")
    await expect(assessments).to_have_attribute("data-total", "100")
    first = assessments.locator(".tabulator-row").first
    assessment = int(await first.get_attribute("data-id") or 0)
    await first.click()
    form = ann.locator("form[data-form=assessments]")
    await expect(form).to_have_attribute("data-record", str(assessment))
    # What the user has on the page and has not sent anywhere: an unsaved form.
    await ann.evaluate("() => { window.__not_reloaded = true; }")
    unsent = f"Unsaved measures {secrets.token_hex(3)}"
    measures = form.locator("[data-field=measures]")
    await measures.fill(unsent)
    await expect(form).to_have_attribute("data-dirty", "true")
    context_before = await ann.locator("section.raccoon-view[data-view=Companies]").get_attribute(
        "data-context"
    )
    reconnections = await ann.evaluate("() => window.raccoon_session.connection.generation")

    down = await kill_router(safety_service)
    print(f"router killed and restarted in {down:.1f} s")

    async def rejoined() -> bool:
        joins = await ann.evaluate("() => window.raccoon_session.connection.generation")
        state = await ann.locator("#raccoon").get_attribute("data-state")
        return joins > reconnections and state == "ready"

    # Each attempt asks the page twice: poll it at a gentler pace.
    await eventually(rejoined, 60, "the page joins again and is ready", interval=0.1)
    assert await ann.evaluate("() => window.__not_reloaded === true"), "the page was reloaded"
    assert await measures.input_value() == unsent
    await expect(form).to_have_attribute("data-dirty", "true")
    same = ann.locator(f"section.raccoon-view[data-context={context_before}]")
    await expect(same).to_have_count(1)  # the same session tree, resumed
    await expect(workplaces).to_have_attribute("data-total", "5")
    # The form saves over the resumed session, with the version it was loaded at.
    await form.locator("[data-form-action=save]").click()
    await expect(form).to_have_attribute("data-dirty", "false")
    saved = await safety_service.db.fetchval(
        "SELECT measures FROM safety_assessments WHERE id = $1", assessment
    )
    assert saved == unsent

    # Live again: a change made elsewhere (by another user) reaches the resumed page.
    carl = await logged_in(browsers, safety_service, "carl")
    city = f"Resumed-{secrets.token_hex(3)}"
    pk = await company_id(safety_service, "acme", "Company 0001")
    await update_company(carl, pk, {"city": city})
    await text_appears(ann, "div.safety-grid[data-grid=companies]", city)
    await ann.screenshot(path=artifacts / "resumed.png")


async def test_a_reload_continues_the_login_with_the_open_views(
    browsers: Browsers, safety_service: Service, artifacts: Path
) -> None:
    ann = await logged_in(browsers, safety_service, "ann")
    view = ann.locator("section.raccoon-view[data-view=Companies]")
    context = await view.get_attribute("data-context")
    await ann.reload()
    await expect(ann.locator("#raccoon")).to_have_attribute("data-state", "ready")
    await expect(ann.locator("#raccoon-login-form")).to_have_count(0)
    await expect(ann.locator(f"section.raccoon-view[data-context={context}]")).to_have_count(1)
    await expect(companies_grid(ann)).to_have_attribute("data-total", "200")
    await ann.screenshot(path=artifacts / "reloaded.png")
    # After a logout a reload asks for the password again.
    await ann.click("button.raccoon-action[data-action=logout]")
    await expect(ann.locator("#raccoon-login-form")).to_be_visible()
    await ann.reload()
    await expect(ann.locator("#raccoon")).to_have_attribute("data-state", "login")
    await expect(ann.locator("#raccoon-login-form")).to_be_visible()
