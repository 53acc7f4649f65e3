"""The page's icon: a small SVG raccoon face, at ``/favicon.svg`` and ``/favicon.ico``.

Browsers ask every page's origin for ``/favicon.ico``; without an answer each
page load logs a 404 in the browser console and in the access logs. The page
links the SVG (``<link rel="icon">``); ``/favicon.ico`` answers with the same
image for whatever asks by the conventional name.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["FAVICON_LINK", "FAVICON_SVG", "add_icon_routes"]

#: A grey face with the dark mask around the eyes and a black nose.
FAVICON_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<path d="M8 6 L24 18 L40 18 L56 6 L58 34 Q58 58 32 60 Q6 58 6 34 Z" fill="#8a8d91"/>
<path d="M10 34 Q18 22 32 32 Q46 22 54 34 Q46 44 32 38 Q18 44 10 34 Z" fill="#2b2d30"/>
<circle cx="21" cy="33" r="4" fill="#fff"/><circle cx="43" cy="33" r="4" fill="#fff"/>
<path d="M22 48 Q32 40 42 48 Q32 58 22 48 Z" fill="#e8e8e8"/>
<circle cx="32" cy="47" r="3.5" fill="#111"/>
</svg>
"""

#: The ``<head>`` line that links it.
FAVICON_LINK = '<link rel="icon" type="image/svg+xml" href="/favicon.svg">\n'

_HEADERS = {"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"}


async def _icon(request: web.Request) -> web.Response:
    return web.Response(body=FAVICON_SVG, headers=_HEADERS)


def add_icon_routes(app: web.Application) -> None:
    """Answer ``/favicon.svg`` and ``/favicon.ico`` in *app*."""
    app.router.add_get("/favicon.svg", _icon)
    app.router.add_get("/favicon.ico", _icon)
