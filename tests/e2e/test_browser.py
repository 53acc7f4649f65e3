"""The browser infrastructure itself: chromium launches, renders and runs scripts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

# Slow: a real browser against a started service.
pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


async def test_chromium_renders_and_runs_scripts(browser: Browser, artifacts: Path) -> None:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.set_content(
            "<button id=b onclick=\"this.textContent='clicked'\">click me</button>"
        )
        await page.click("#b")
        assert await page.text_content("#b") == "clicked"
        assert await page.evaluate("() => 6 * 7") == 42
        await page.screenshot(path=artifacts / "page.png")
        assert (artifacts / "page.png").stat().st_size > 0
    finally:
        await context.close()
