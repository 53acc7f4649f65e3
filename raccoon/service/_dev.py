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

Nothing saved while a build or a restart is under way is lost: each watcher
compares the files with what the running bundle or process was made from,
not with what they were when the watcher started. The client watcher starts
from the fingerprint the last build started from (the start's own build,
seconds before), and after each build compares again with the fingerprint
that build started from. The server watcher treats a file modified after
this process began loading code (:data:`LOADED_AT_NS`, taken when this
module is imported, before the application's modules) as changed, so a save
that lands during a restart restarts again once it holds still.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from raccoon.build import BuildError

from ._client import build_client, client_sources, fingerprint, last_attempt

__all__ = ["LOADED_AT_NS", "POLL_INTERVAL", "ClientWatcher", "ServerWatcher", "server_sources"]

#: Seconds between two looks at the files.
POLL_INTERVAL = 0.5

#: When this process began loading code (ns since the epoch). ``raccoon dev``
#: imports this module (cli → _commands → _run → _dev) before it loads the
#: application, so a server file modified at or after this moment may not be
#: in the code that runs. (``os.execv`` keeps the pid and the process's start
#: time in /proc, so the time is taken here, per execution.)
LOADED_AT_NS = time.time_ns()
# File modification times come from the kernel's coarse clock, which lags the
# real time by up to a tick (1-10 ms): a file saved just after LOADED_AT_NS
# may carry a slightly earlier time. The cost of the margin is at most one
# extra restart for a save in the 50 ms before the start.
_CLOCK_SLACK_NS = 50_000_000
# A modification time this far in the future (a skewed clock on a mounted
# file system) says nothing about when the file was saved: ignored, else each
# restart would find it "modified after the start" and restart again.
_FUTURE_NS = 2_000_000_000

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
        #: Whether a build runs now (the tests time saves to land inside one).
        self.building = False
        self._say = say
        self._sources = client_sources(self.package)

    def _fingerprint(self) -> str:
        return fingerprint(self._sources, self.mode)

    def _built_from(self) -> str | None:
        return last_attempt(self.package, self.workdir, self.mode)

    async def run(self) -> None:
        """Watch and rebuild until cancelled.

        What counts as a change is a difference from the fingerprint the last
        build started from — the build when the service started, or the
        watcher's previous one — not from the files as they were when the
        watcher (or the last build) ended: a save that landed meanwhile is
        built next, once the files hold still.
        """
        while True:
            await _changed(self._fingerprint, self._built_from(), self.interval)
            await self.rebuild()

    async def rebuild(self) -> bool:
        """Build now; False (and the error printed) when the build failed."""
        self.building = True
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
        finally:
            self.building = False
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
        loaded_at_ns: int | None = None,
    ) -> None:
        self.root = root
        self.exclude = list(exclude)
        self.interval = interval
        #: When the running code was loaded (default: :data:`LOADED_AT_NS`).
        self.loaded_at_ns = LOADED_AT_NS if loaded_at_ns is None else loaded_at_ns
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

    def _saved_since_load(self, files: dict[str, tuple[int, int]]) -> list[str]:
        """The files of *files* modified after this process began loading code."""
        since = self.loaded_at_ns - _CLOCK_SLACK_NS
        future = time.time_ns() + _FUTURE_NS
        return [path for path, (_, mtime) in files.items() if since <= mtime <= future]

    async def run(self) -> None:
        """Watch until the first change (then call *changed* and return) or cancellation.

        A file already modified after the code was loaded (a save during the
        restart that started this process) is a change: *changed* is called
        for it as soon as the files hold still for one poll.
        """
        seen = await _take(self._state)
        before = dict(self._files)
        late = self._saved_since_load(before)
        await _changed(self._state, None if late else seen, self.interval)
        after = self._files
        paths = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        self._changed(sorted(paths.union(late)))
