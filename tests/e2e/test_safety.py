"""The example application in a real browser: login, desktop, companies
master-detail-detail, keyboard navigation, the register of every assessment,
an Italian user.

One service (router, database with 100,000 seeded assessments, web app)
per module; each test uses its own browser context (its own login).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import PASSWORD
from playwright.async_api import Browser, Page, expect

from raccoon.service import Service

# Slow: a real browser against a started service.
pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, safety_service: Service) -> AsyncIterator[Page]:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda message: print(f"[browser {message.type}] {message.text}"))
        page.on("pageerror", lambda error: print(f"[browser error] {error}"))
        yield page
    finally:
        await context.close()


async def login(page: Page, service: Service, username: str = "ann") -> None:
    await page.goto(service.url + "/")
    await page.fill("#raccoon-username", username)
    await page.fill("#raccoon-password", PASSWORD)
    await page.click("#raccoon-login")
    await expect(page.locator("#raccoon")).to_have_attribute("data-state", "ready")


async def open_companies(page: Page) -> None:
    await page.click("button.raccoon-action[data-action=companies]")
    await expect(page.locator("[data-grid=companies] .tabulator-row").first).to_be_visible()


def grid(page: Page, name: str) -> str:
    return f"div.safety-grid[data-grid={name}]"


async def test_login_shows_the_desktop_actions(
    page: Page, safety_service: Service, artifacts: Path
) -> None:
    await login(page, safety_service)
    actions = page.locator("button.raccoon-action")
    await expect(actions).to_have_count(3)
    await expect(page.locator("button[data-action=companies]")).to_have_text("Companies")
    await expect(page.locator("button[data-action=assessments]")).to_have_text("Assessments")
    await expect(page.locator("button[data-action=logout]")).to_have_text("Logout")
    await page.screenshot(path=artifacts / "desktop.png")


async def test_wrong_password_is_refused(
    page: Page, safety_service: Service, artifacts: Path
) -> None:
    await page.goto(safety_service.url + "/")
    await page.fill("#raccoon-username", "ann")
    await page.fill("#raccoon-password", "nope")
    await page.click("#raccoon-login")
    await expect(page.locator("#raccoon-login-error")).to_contain_text("wrong username")
    await page.screenshot(path=artifacts / "refused.png")


async def test_companies_grid_shows_the_window(
    page: Page, safety_service: Service, artifacts: Path
) -> None:
    started = time.perf_counter()
    await login(page, safety_service)
    await open_companies(page)
    elapsed = time.perf_counter() - started
    companies = page.locator(grid(page, "companies"))
    await expect(companies).to_have_attribute("data-total", "200")  # acme's, not globex's
    first = companies.locator(".tabulator-row").first
    await expect(first).to_contain_text("Company 0001")
    # Only the window the grid asks for is shown: 12 rows of 200 (the cursor
    # opens with the controller's limit, then the grid sets its own window).
    await expect(companies.locator(".tabulator-row")).to_have_count(12)
    await expect(companies).to_have_attribute("data-rows", "12")
    await page.screenshot(path=artifacts / "companies.png")
    print(f"login -> first grid rows: {elapsed:.2f} s")


async def test_sort_and_filter(page: Page, safety_service: Service, artifacts: Path) -> None:
    await login(page, safety_service)
    await open_companies(page)
    companies = page.locator(grid(page, "companies"))
    await companies.locator(".tabulator-col[tabulator-field=name]").click()
    await expect(companies).to_have_attribute("data-sort", "name desc")
    await expect(companies.locator(".tabulator-row").first).to_contain_text("Company 0200")
    await companies.locator("input.safety-filter").fill("Company 001")
    await expect(companies).to_have_attribute("data-total", "10")
    await expect(companies.locator(".tabulator-row").first).to_contain_text("Company 0019")
    await page.screenshot(path=artifacts / "sorted-filtered.png")


async def test_selecting_a_company_loads_its_workplaces(
    page: Page, safety_service: Service, artifacts: Path
) -> None:
    await login(page, safety_service)
    await open_companies(page)
    companies = page.locator(grid(page, "companies"))
    workplaces = page.locator(grid(page, "workplaces"))
    await expect(workplaces).to_have_attribute("data-total", "0")
    await companies.locator(".tabulator-row").nth(2).click()
    await expect(workplaces).to_have_attribute("data-total", "5")
    await expect(workplaces.locator(".tabulator-row").first).to_contain_text("Company 0003")
    # The middle of a two-column row: where Tabulator's column resize handle
    # used to swallow the click (the assessments never loaded).
    first = workplaces.locator(".tabulator-row").first
    workplace = await first.get_attribute("data-id")
    await first.click()
    await expect(workplaces).to_have_attribute("data-current", workplace or "?")
    assessments = page.locator(grid(page, "assessments"))
    await expect(assessments).to_have_attribute("data-total", "100")
    await expect(assessments.locator(".tabulator-row")).to_have_count(12)
    ids = await assessments.locator(".tabulator-row").evaluate_all(
        "rows => rows.map(row => Number(row.dataset.id))"
    )
    expected = await safety_service.db.fetch(
        "SELECT id FROM safety_assessments WHERE workplace_id = $1 ORDER BY due_date, id LIMIT 12",
        int(workplace or 0),
    )
    assert ids == [row["id"] for row in expected]
    await page.screenshot(path=artifacts / "master-detail.png")


async def test_keyboard_moves_the_current_record(
    page: Page, safety_service: Service, artifacts: Path
) -> None:
    await login(page, safety_service)
    await open_companies(page)
    companies = page.locator(grid(page, "companies"))
    rows = companies.locator(".tabulator-row")
    await rows.nth(1).click()
    await expect(companies).to_have_attribute("data-current", "2")
    await expect(rows.nth(1)).to_have_attribute("data-current", "true")
    await page.keyboard.press("ArrowDown")
    await expect(companies).to_have_attribute("data-current", "3")
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("ArrowUp")
    await expect(companies).to_have_attribute("data-current", "1")
    # A page down from the first row leaves the window: the grid scrolls, then
    # the row becomes current when the cursor has sent it.
    await page.keyboard.press("PageDown")
    await expect(companies).to_have_attribute("data-current", "11")
    await page.keyboard.press("PageDown")
    await expect(companies).to_have_attribute("data-current", "21")
    await expect(companies).to_have_attribute("data-offset", "11")
    await expect(companies.locator(".tabulator-row[data-current=true]")).to_contain_text(
        "Company 0021"
    )
    # The workplaces follow the keyboard too.
    await expect(
        page.locator(grid(page, "workplaces")).locator(".tabulator-row").first
    ).to_contain_text("Company 0021")
    await page.keyboard.press("Home")
    await expect(companies).to_have_attribute("data-current", "1")
    await expect(companies).to_have_attribute("data-offset", "0")
    await page.screenshot(path=artifacts / "keyboard.png")


def register(page: Page) -> str:
    return "section[data-view=Assessments] [data-grid=assessments]"


async def test_the_register_scrolls_deep_into_100000_assessments(
    page: Page, safety_service: Service, artifacts: Path
) -> None:
    await login(page, safety_service)
    await page.click("button.raccoon-action[data-action=assessments]")
    assessments = page.locator(register(page))
    await expect(assessments).to_have_attribute("data-total", "100000")  # acme's only
    await expect(page.locator("section[data-view=Assessments] .safety-count")).to_have_text(
        "100000 assessments"
    )
    await expect(assessments.locator(".tabulator-row")).to_have_count(17)

    async def shown_ids() -> list[int]:
        ids: list[int] = await assessments.locator(".tabulator-row").evaluate_all(
            "rows => rows.map(row => Number(row.dataset.id))"
        )
        return ids

    async def expected_ids(offset: int, where: str = "") -> list[int]:
        rows = await safety_service.db.fetch(
            f"SELECT id FROM safety_assessments WHERE tenant = 'acme' {where} "
            "ORDER BY due_date, id OFFSET $1 LIMIT 17",
            offset,
        )
        return [row["id"] for row in rows]

    assert await shown_ids() == await expected_ids(0)
    await assessments.locator(".raccoon-scroller").evaluate("s => { s.scrollTop = 50000 * 30; }")
    await expect(assessments).to_have_attribute("data-offset", "50000")
    await expect(assessments.locator(".tabulator-row").first).to_have_attribute(
        "data-id", str((await expected_ids(50000))[0])
    )
    assert await shown_ids() == await expected_ids(50000)
    await page.screenshot(path=artifacts / "row-50000.png")

    # Filter on the hazard: back to the top, the total as SQL counts it.
    await assessments.locator("input.raccoon-filter").fill("noise")
    noise = await safety_service.db.fetchval(
        "SELECT count(*) FROM safety_assessments WHERE tenant = 'acme' AND hazard ILIKE '%noise%'"
    )
    await expect(assessments).to_have_attribute("data-total", str(noise))
    await expect(assessments).to_have_attribute("data-offset", "0")
    await expect(assessments.locator(".tabulator-row").first).to_have_attribute(
        "data-id", str((await expected_ids(0, "AND hazard ILIKE '%noise%'"))[0])
    )
    # Sort by severity, descending on the second click.
    header = assessments.locator(".tabulator-col[tabulator-field=severity]")
    await header.click()
    await expect(assessments).to_have_attribute("data-sort", "severity asc")
    await header.click()
    await expect(assessments).to_have_attribute("data-sort", "severity desc")
    await expect(header).to_have_attribute("data-sort-dir", "desc")
    top = await safety_service.db.fetchval(
        "SELECT id FROM safety_assessments WHERE tenant = 'acme' AND hazard ILIKE '%noise%' "
        "ORDER BY severity DESC, id LIMIT 1"
    )
    await expect(assessments.locator(".tabulator-row").first).to_have_attribute("data-id", str(top))
    await page.screenshot(path=artifacts / "filtered-sorted.png")


async def test_an_italian_user_sees_italian(
    page: Page, safety_service: Service, artifacts: Path
) -> None:
    await login(page, safety_service, "lucia")
    await expect(page.locator("h1.safety-title")).to_have_text("Sicurezza sul lavoro")
    await expect(page.locator("button[data-action=companies]")).to_have_text("Aziende")
    await expect(page.locator("button[data-action=assessments]")).to_have_text("Valutazioni")
    await expect(page.locator("button[data-action=logout]")).to_have_text("Esci")
    await open_companies(page)
    view = page.locator("section[data-view=Companies]")
    await expect(view.locator("h2[data-title=workplaces]")).to_have_text("Luoghi di lavoro")
    companies = page.locator(grid(page, "companies"))
    await expect(companies.locator(".tabulator-col[tabulator-field=name]")).to_contain_text(
        "Azienda"
    )
    await expect(companies.locator("input.raccoon-filter")).to_have_attribute(
        "placeholder", "filtra"
    )
    await companies.locator(".tabulator-row").nth(3).click()
    workplaces = page.locator(grid(page, "workplaces"))
    await expect(workplaces).to_have_attribute("data-total", "5")
    await workplaces.locator(".tabulator-row").first.click()
    assessments = page.locator(grid(page, "assessments"))
    await expect(assessments.locator(".tabulator-col[tabulator-field=hazard]")).to_contain_text(
        "Pericolo"
    )
    await assessments.locator(".tabulator-row").first.click()
    form = page.locator("form[data-form=assessments]")
    await expect(form).to_have_attribute("data-state", "ready")
    await expect(form.locator("[data-label=severity]")).to_contain_text("Gravità")
    await expect(form.locator("[data-form-action=save]")).to_have_text("Salva")
    await expect(form.locator("[data-form-action=cancel]")).to_have_text("Annulla")
    await expect(page.locator("[data-history] h3")).to_have_text("Cronologia")
    # The server's validation message, in Italian too.
    await form.locator("[data-field=severity]").fill("9")
    await expect(form.locator(".raccoon-dirty")).to_have_text("Modifiche non salvate")
    await form.locator("[data-form-action=save]").click()
    await expect(form.locator("[data-error=severity]")).to_have_text("deve essere tra 1 e 4")
    await expect(form.locator('[data-error=""]')).to_have_text(
        "Alcuni valori non sono validi: non è stato salvato nulla."
    )
    await page.screenshot(path=artifacts / "italian.png")


async def test_the_grid_follows_a_continuous_scroll(
    page: Page, safety_service: Service, artifacts: Path
) -> None:
    """While the wheel keeps turning, windows keep arriving (the grid asks at
    most every 30 ms, not only once the scrolling stops)."""
    await login(page, safety_service)
    await page.click("button.raccoon-action[data-action=assessments]")
    assessments = page.locator(register(page))
    await expect(assessments).to_have_attribute("data-total", "100000")
    await assessments.evaluate(
        """grid => {
            window.__offsets = [];
            new MutationObserver(() => window.__offsets.push(grid.dataset.offset))
                .observe(grid, {attributes: true, attributeFilter: ['data-offset']});
        }"""
    )
    # One scroll step per animation frame (~17 ms apart) for a second, in the
    # page, so that no step waits for Playwright: the windows counted are
    # those that arrived before the last step.
    during = await assessments.locator(".raccoon-scroller").evaluate(
        """scroller => new Promise(done => {
            let frames = 0;
            const step = () => {
                scroller.scrollTop += 100;
                if (++frames < 60) requestAnimationFrame(step);
                else done(window.__offsets.length);
            };
            requestAnimationFrame(step);
        })"""
    )
    await page.screenshot(path=artifacts / "continuous-scroll.png")
    # A debounced grid would have asked once, after the last event.
    assert during >= 3, f"only {during} windows arrived while scrolling"
