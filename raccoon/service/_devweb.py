"""The page's side of ``raccoon dev``: reload open pages when the bundle changes.

With the ``dev_reload`` setting on, the page loads ``/static/dev.js`` (a
separate file, because the Content-Security-Policy allows no inline script)
tagged with the id of the bundle it was served with (and of the process, so
that a restarted service reloads the pages too). The script asks
``GET /dev/build?known=ID``, which answers as soon as the bundle's id differs
from *ID* (or after :data:`POLL_SECONDS`, with the same id), and reloads the
page when it does.

Why a long poll and not server-sent events or a WAMP topic: it works before
login (a WAMP topic needs a joined session, and the authorizer lets a
browser subscribe only under its own prefix), it needs no state shared with
the watcher (the id is the bundle file's size and modification time, and the
watcher replaces the bundle only after a successful build), and it does not
depend on Crossbar's reverse proxy streaming a response as it comes. When
the service is down (a restart) the script retries every second, and a
restarted service with another bundle answers with another id.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

from aiohttp import web

from .settings import Settings

__all__ = ["DEV_SCRIPT", "POLL_SECONDS", "add_dev_routes", "build_id", "dev_script_tag"]

#: How long ``/dev/build`` holds a request when nothing changes.
POLL_SECONDS = 20.0
#: How often it looks at the bundle file meanwhile.
_CHECK_SECONDS = 0.25

#: Served as ``/static/dev.js``: follow the bundle, reload the page when it changes.
DEV_SCRIPT = """\
// raccoon dev: reload this page when the client bundle is rebuilt.
(function () {
  var known = document.currentScript.getAttribute('data-build') || '';
  function poll(delay) {
    setTimeout(function () {
      fetch('/dev/build?known=' + encodeURIComponent(known), { cache: 'no-store' })
        .then(function (response) {
          if (!response.ok) throw new Error('status ' + response.status);
          return response.json();
        })
        .then(function (answer) {
          if (answer.build !== known) {
            console.info('raccoon dev: the client was rebuilt; reloading');
            window.location.reload();
            return;
          }
          poll(0);
        }, function () { poll(1000); });  // the service is restarting: try again
    }, delay);
  }
  poll(0);
})();
"""

# Part of every build id: a restarted process (raccoon dev restarts itself
# when the server code changes) has new session state, so pages reload.
_PROCESS = secrets.token_hex(4)

_STOPPING: web.AppKey[asyncio.Event] = web.AppKey("raccoon_dev_stopping")


def build_id(settings: Settings) -> str:
    """The id of the bundle being served: its size and modification time, and this
    process ('' for the bundle when there is none)."""
    stat = None
    if settings.bundle_path is not None:
        try:
            stat = Path(settings.bundle_path).stat()
        except OSError:
            pass
    served = "" if stat is None else f"{stat.st_mtime_ns:x}-{stat.st_size:x}"
    return f"{_PROCESS}-{served}"


def dev_script_tag(settings: Settings) -> str:
    """The page's ``<script>`` of the reloader ('' unless ``dev_reload``)."""
    if not settings.dev_reload:
        return ""
    return f'<script src="/static/dev.js" data-build="{build_id(settings)}" defer></script>\n'


def add_dev_routes(app: web.Application, settings: Settings) -> None:
    """``/static/dev.js`` and ``/dev/build`` on *app* (only call with ``dev_reload`` on)."""
    stopping = asyncio.Event()
    app[_STOPPING] = stopping

    async def release(app: web.Application) -> None:
        # Held polls answer at once: the runner would wait for them at stop.
        stopping.set()

    async def script(request: web.Request) -> web.Response:
        return web.Response(
            text=DEV_SCRIPT,
            content_type="application/javascript",
            headers={"Cache-Control": "no-store"},
        )

    async def build(request: web.Request) -> web.Response:
        known = request.query.get("known")
        deadline = time.monotonic() + POLL_SECONDS
        current = build_id(settings)
        while current == known and time.monotonic() < deadline and not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), _CHECK_SECONDS)
            except TimeoutError:
                pass
            current = build_id(settings)
        return web.json_response({"build": current}, headers={"Cache-Control": "no-store"})

    app.on_shutdown.append(release)
    app.router.add_get("/static/dev.js", script)
    app.router.add_get("/dev/build", build)
