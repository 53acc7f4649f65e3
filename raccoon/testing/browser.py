"""A real browser for end-to-end tests: Playwright driving Debian's ``chromium``.

Playwright's own browser download does not work on our machines; the
Debian package does (``make setup`` installs it when it is missing and we
are root). Import this module only where Playwright is installed (the
``dev`` extra)::

    from playwright.async_api import async_playwright
    from raccoon.testing.browser import launch_chromium

    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        page = await browser.new_page()
        ...
        await browser.close()       # no chromium process is left behind

``RACCOON_CHROMIUM`` names another executable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

__all__ = ["CHROMIUM_ARGS", "BrowserUnavailable", "chromium_executable", "launch_chromium"]

#: The environment variable naming the chromium executable.
CHROMIUM_ENV = "RACCOON_CHROMIUM"
#: Where Debian's ``chromium`` package puts it.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: Headless, quiet (no background downloads, updates or sync), and no
#: sandbox: chromium refuses its sandbox when run as root.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class BrowserUnavailable(RuntimeError):
    """No chromium to run: says how to get one."""


def chromium_executable() -> Path:
    """The chromium to launch: ``$RACCOON_CHROMIUM``, else ``/usr/bin/chromium``.

    Raises :class:`BrowserUnavailable` when it is not an executable file.
    """
    path = Path(os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise BrowserUnavailable(
            f"no chromium at {path}: run `make setup` (as root it installs Debian's chromium), "
            f"`apt-get install chromium`, or set {CHROMIUM_ENV} to a chromium executable"
        )
    return path


async def launch_chromium(playwright: Playwright, *, slow_mo: float | None = None) -> Browser:
    """Launch a headless chromium under *playwright* (``async_playwright()``)."""
    return await playwright.chromium.launch(
        executable_path=str(chromium_executable()),
        args=list(CHROMIUM_ARGS),
        headless=True,
        slow_mo=slow_mo,
    )
