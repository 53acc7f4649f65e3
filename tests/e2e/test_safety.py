"""The example application in a real browser: login, desktop, companies master-detail.

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

pytestmark = pytest.mark.asyncio(loop_scope="session")


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
    await expect(actions).to_have_count(2)
    await expect(page.locator("button[data-action=companies]")).to_have_text("Companies")
    await expect(page.locator("button[data-action=logout]")).to_have_text("Logout")
    await page.screenshot(path=artifacts / "desktop.png")


async def test_wrong_password_is_refused(page: Page, safety_service: Service) -> None:
    await page.goto(safety_service.url + "/")
    await page.fill("#raccoon-username", "ann")
    await page.fill("#raccoon-password", "nope")
    await page.click("#raccoon-login")
    await expect(page.locator("#raccoon-login-error")).to_contain_text("wrong username")


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
    # Only the window travelled: 12 rows of 200.
    assert await companies.locator(".tabulator-row").count() == 12
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
    await workplaces.locator(".tabulator-row").first.click()
    await page.screenshot(path=artifacts / "master-detail.png")
