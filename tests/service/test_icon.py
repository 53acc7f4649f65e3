"""The page's icon: linked from the page, and ``/favicon.ico`` answers (no 404 on every
page load), through the one public port."""

from __future__ import annotations

import pytest
from service_support import Browser

from raccoon.service import Service

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_page_links_an_icon_and_favicon_ico_answers(
    service: Service, browser: Browser
) -> None:
    async with browser.http.get(service.url + "/") as response:
        page = await response.text()
    assert '<link rel="icon" type="image/svg+xml" href="/favicon.svg">' in page
    for path in ("/favicon.svg", "/favicon.ico"):
        async with browser.http.get(service.url + path) as response:
            assert response.status == 200, path
            assert response.content_type == "image/svg+xml"
            body = await response.read()
        assert body.startswith(b"<svg") and b"</svg>" in body
        assert len(body) < 2048  # small: asked for on every page load
