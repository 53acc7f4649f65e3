"""``raccoon dev``: ``raccoon run``, plus rebuild-on-change and page reloads.

Two watchers poll file fingerprints (path, size, modification time) every
half second — no new dependency, and a few dozen ``stat`` calls are nothing:

- :class:`ClientWatcher` follows the application's client package and the
  framework's (``js/raccoon``). On a change (once the files stop changing for
  one poll: editors save in steps) it rebuilds the bundle in a worker thread,
  in development mode. A checker failure or a webpack error is printed with
  file:line, and the previous bundle keeps being served: the build replaces
  it only when it succeeds. Open pages follow the bundle (``_devweb.py``) and
  reload after a successful rebuild.
- :class:`ServerWatcher` follows the application's own Python files (not its
  client package, its tests or its state directory). On a change ``raccoon dev``
  stops everything it started and starts again in the same process
  (``os.execv``): the pid stays the same, the data stays, and the pages reload
  because the service they poll is a new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from raccoon.build import BuildError

from ._client import build_client, client_sources, fingerprint

__all__ = ["POLL_INTERVAL", "ClientWatcher", "ServerWatcher", "server_sources"]

#: Seconds between two looks at the files.
POLL_INTERVAL = 0.5

Say = Callable[[str], None]
# Directories whose Python files are not the running server's code.
_SKIPPED = frozenset({"__pycache__", "tests", "node_modules"})


async def _take(take: Callable[[], str]) -> str | None:
    try:
        return await asyncio.to_thread(take)
    except OSError:  # a file vanished between listing and stat (an editor's temporary)
        return None


async def _changed(take: Callable[[], str], seen: str | None, interval: float) -> str | None:
    """Wait until ``take()`` differs from *seen* and then holds still for one poll."""
    while True:
        await asyncio.sleep(interval)
        now = await _take(take)
        if now == seen or now is None:
            continue
        while True:  # let a save in several steps finish
            await asyncio.sleep(interval)
            settled = await _take(take)
            if settled == now:
                return now
            now = settled


class ClientWatcher:
    """Rebuild the client bundle of *package* (in *workdir*) whenever its sources change."""

    def __init__(
        self,
        package: Path,
        workdir: Path,
        say: Say,
        *,
        mode: str = "development",
        interval: float = POLL_INTERVAL,
    ) -> None:
        self.package = package.resolve()
        self.workdir = workdir
        self.mode = mode
        self.interval = interval
        self.builds = 0
        self.failures = 0
        self._say = say
        self._sources = client_sources(self.package)

    def _fingerprint(self) -> str:
        return fingerprint(self._sources, self.mode)

    async def run(self) -> None:
        """Watch and rebuild until cancelled."""
        seen = await _take(self._fingerprint)
        while True:
            seen = await _changed(self._fingerprint, seen, self.interval)
            await self.rebuild()

    async def rebuild(self) -> bool:
        """Build now; False (and the error printed) when the build failed."""
        try:
            made = await asyncio.to_thread(build_client, self.package, self.workdir, mode=self.mode)
        except BuildError as exc:
            self.failures += 1
            self._say(
                f"  client    does not build; still serving the previous bundle:\n{exc}".rstrip()
            )
            return False
        except OSError as exc:  # a file vanished mid-build (a save in progress)
            self.failures += 1
            self._say(f"  client    build interrupted ({exc}); trying again at the next change")
            return False
        self.builds += 1
        if made.built:
            self._say(f"  client    rebuilt in {made.seconds:.1f} s; open pages reload")
        else:
            self._say("  client    back to the last built version; open pages keep it")
        return True


def server_sources(root: Path, exclude: Iterable[Path]) -> Iterator[Path]:
    """The Python files of the application in *root*, but those under *exclude* and
    its tests (editing a test need not restart the service)."""
    root = root.resolve()
    skipped = [path.resolve() for path in exclude]
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if _SKIPPED.intersection(parts) or any(p.startswith(".") for p in parts):
            continue
        if any(path.is_relative_to(other) for other in skipped):
            continue
        yield path


class ServerWatcher:
    """Call *changed* once when a server-side Python file of the application changes."""

    def __init__(
        self,
        root: Path,
        exclude: Iterable[Path],
        changed: Callable[[list[str]], None],
        *,
        interval: float = POLL_INTERVAL,
    ) -> None:
        self.root = root
        self.exclude = list(exclude)
        self.interval = interval
        self._changed = changed
        self._files: dict[str, tuple[int, int]] = {}

    def _snapshot(self) -> dict[str, tuple[int, int]]:
        files = {}
        for path in server_sources(self.root, self.exclude):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            files[str(path)] = (stat.st_size, stat.st_mtime_ns)
        return files

    def _state(self) -> str:
        self._files = self._snapshot()
        return repr(sorted(self._files.items()))

    async def run(self) -> None:
        """Watch until the first change (then call *changed* and return) or cancellation."""
        seen = await _take(self._state)
        before = dict(self._files)
        await _changed(self._state, seen, self.interval)
        after = self._files
        paths = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        self._changed(paths)
