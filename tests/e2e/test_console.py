"""A full walk through the example with the browser's console open: not one
warning, error, uncaught exception or failed request.

A user never reads the console, but every line there is a defect someone will
hit: a Tabulator option passed to a build without its module (one warning per
column of every grid), a favicon answered 404, a promise rejected and dropped.
The walk: log in, the desktop, companies → a company → its workplace → an
assessment, an edit saved, the register of every assessment (scrolled), the
companies again, logout.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import PASSWORD
from playwright.async_api import Browser, ConsoleMessage, Page, Response, expect

from raccoon.service import Service

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


class Console:
    """What the page said that a careful user would call a defect."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.lines = 0

    def message(self, message: ConsoleMessage) -> None:
        self.lines += 1
        if message.type in ("warning", "error", "assert"):
            self.problems.append(f"console {message.type}: {message.text}")

    def page_error(self, error: Exception) -> None:
        self.problems.append(f"uncaught: {error}")

    def response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} for {response.request.method} {response.url}")

    def request_failed(self, request: object) -> None:
        self.problems.append(f"request failed: {request}")


@pytest_asyncio.fixture(loop_scope="session")
async def page_and_console(
    browser: Browser, safety_service: Service
) -> AsyncIterator[tuple[Page, Console]]:
    context = await browser.new_context()
    console = Console()
    try:
        page = await context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", console.message)
        page.on("pageerror", console.page_error)
        page.on("response", console.response)
        page.on("requestfailed", console.request_failed)
        yield page, console
    finally:
        await context.close()


async def test_a_full_walk_leaves_the_console_clean(
    page_and_console: tuple[Page, Console], safety_service: Service, artifacts: Path
) -> None:
    page, console = page_and_console
    await page.goto(safety_service.url + "/")
    await page.fill("#raccoon-username", "ann")
    await page.fill("#raccoon-password", PASSWORD)
    await page.click("#raccoon-login")
    await expect(page.locator("#raccoon")).to_have_attribute("data-state", "ready")

    # Companies → a company → its first workplace → an assessment, edited and saved.
    await page.click("button.raccoon-action[data-action=companies]")
    view = page.locator("section[data-view=Companies]")
    companies = view.locator("[data-grid=companies]")
    await expect(companies.locator(".tabulator-row").first).to_be_visible()
    await companies.locator("input.raccoon-filter").fill("Company 0042")
    await expect(companies).to_have_attribute("data-total", "1")
    await companies.locator(".tabulator-row").first.click()
    workplaces = view.locator("[data-grid=workplaces]")
    await expect(workplaces).to_have_attribute("data-total", "5")
    await workplaces.locator(".tabulator-row").first.click()
    assessments = view.locator("[data-grid=assessments]")
    await expect(assessments).to_have_attribute("data-total", "100")
    row = assessments.locator(".tabulator-row").first
    await expect(row).to_have_attribute("data-id", re.compile(r"\d+"))
    await row.click()
    form = page.locator("form[data-form=assessments]")
    await expect(form).to_have_attribute("data-dirty", "false")
    await form.locator("[data-field=measures]").fill("Checked during the console walk")
    await form.locator("[data-form-action=save]").click()
    await expect(form).to_have_attribute("data-state", "saved")
    await page.screenshot(path=artifacts / "walk-companies.png")

    # The register of every assessment, scrolled deep.
    await page.click("button.raccoon-action[data-action=assessments]")
    register = page.locator("section[data-view=Assessments] [data-grid=assessments]")
    await expect(register.locator(".tabulator-row").first).to_be_visible()
    await register.locator(".raccoon-scroller").evaluate("s => { s.scrollTop = 300000; }")
    await expect(register).not_to_have_attribute("data-offset", "0")
    await page.screenshot(path=artifacts / "walk-register.png")

    # Logout: the login form again.
    await page.click("button.raccoon-action[data-action=logout]")
    await expect(page.locator("#raccoon-login-form")).to_be_visible()
    await page.screenshot(path=artifacts / "walk-logout.png")

    assert console.problems == [], "\n".join(console.problems)
