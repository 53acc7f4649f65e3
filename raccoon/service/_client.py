"""An application's client bundle, built when ``raccoon run`` starts (and by ``raccoon dev``).

An :class:`~raccoon.service.Application` with ``client="client/orders"``
names its browser package (Python, transpiled with JavaScripthon). Before
the service starts, :func:`build_client` checks and transpiles it together
with the framework's own client package, and bundles it with webpack into
``WORKDIR/client/dist/<package>.bundle.js``, which the service then serves as
``/static/bundle.js``.

The build takes seconds (webpack), so it is skipped when nothing changed:
the fingerprint of every source file (path, size, modification time) is
kept next to the bundle and compared first.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from raccoon.build import bundle, default_client_source, transpile

__all__ = [
    "CLIENT_DIR",
    "ClientBuild",
    "build_client",
    "bundle_location",
    "client_sources",
    "fingerprint",
    "last_attempt",
]

log = logging.getLogger("raccoon.build")

#: Below the service's workdir: the transpiled tree and the bundle.
CLIENT_DIR = "client"
_FINGERPRINT = "fingerprint"
_STAGING = "staging"
_SOURCE_SUFFIXES = (".py", ".js", ".mjs", ".css")


@dataclass(frozen=True)
class ClientBuild:
    """What :func:`build_client` made (or found up to date)."""

    bundle: Path
    built: bool
    seconds: float = 0.0
    size: int = 0
    gzip_size: int = 0


def client_sources(package: Path) -> list[Path]:
    """The client package directories a build of *package* reads (framework's first)."""
    framework = default_client_source()
    package = package.resolve()
    return [framework] if package == framework else [framework, package]


def _files(sources: Iterable[Path]) -> Iterator[Path]:
    for source in sources:
        for path in sorted(source.rglob("*")):
            if path.suffix in _SOURCE_SUFFIXES and "__pycache__" not in path.parts:
                yield path


def fingerprint(sources: Iterable[Path], mode: str) -> str:
    """A digest of every source file's path, size and modification time, and *mode*."""
    digest = hashlib.sha256(mode.encode())
    for path in _files(sources):
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


# The fingerprint each build of this process started from, by bundle and
# mode: what ``raccoon dev``'s watcher compares the files with, so that a save
# that lands while a build (or the start) is under way is built next.
_ATTEMPTS: dict[tuple[Path, str], str] = {}


def last_attempt(package: Path, workdir: Path, mode: str) -> str | None:
    """The fingerprint the last :func:`build_client` of *package* in this process
    started from (whether it built, found the bundle up to date or failed), else
    the one the bundle on disk was built from; ``None`` when neither is known."""
    bundle_path = bundle_location(package, workdir)
    attempted = _ATTEMPTS.get((bundle_path, mode))
    if attempted is not None:
        return attempted
    return _read(workdir / CLIENT_DIR / _FINGERPRINT) if bundle_path.is_file() else None


def bundle_location(package: Path, workdir: Path) -> Path:
    """Where :func:`build_client` puts the bundle of *package* (built or not yet)."""
    return workdir / CLIENT_DIR / "dist" / f"{package.resolve().name}.bundle.js"


def build_client(
    package: Path, workdir: Path, *, mode: str = "development", force: bool = False
) -> ClientBuild:
    """Check, transpile and bundle the client *package* into *workdir* (unless up to date).

    Raises :class:`raccoon.build.CheckFailed` (with file:line of each
    problem) or :class:`raccoon.build.BuildError`; the previous bundle is
    then left as it was.
    """
    package = package.resolve()
    if not (package / "__init__.py").is_file():
        from raccoon.build import BuildError

        raise BuildError(
            f"the client package {package} has no __init__.py: it is the browser's entry point"
        )
    sources = client_sources(package)
    out = workdir / CLIENT_DIR
    bundle_path = bundle_location(package, workdir)
    stamp = out / _FINGERPRINT
    current = fingerprint(sources, mode)
    _ATTEMPTS[(bundle_path, mode)] = current
    if not force and bundle_path.is_file() and _read(stamp) == current:
        return ClientBuild(bundle_path, built=False)
    log.info("building the client %s (%s)", package.name, mode)
    result = transpile(sources, out, tests=False)
    # webpack writes a bundle even when it fails (development mode emits on
    # errors): it writes to a staging directory, and the served bundle is
    # replaced only after a successful build (the map first, so that a new
    # bundle never pairs with an old map).
    staged = bundle(result.out, package.name, out=out / _STAGING, mode=mode)
    # Served gzipped to browsers that accept it (aiohttp's FileResponse picks
    # the .gz next to the file): a fifth of the bytes on the wire.
    staged_gz = staged.path.with_name(staged.path.name + ".gz")
    staged_gz.write_bytes(gzip.compress(staged.path.read_bytes(), 9))
    bundle_path.parent.mkdir(parents=True, exist_ok=True)
    map_path = bundle_path.with_name(bundle_path.name + ".map")
    os.replace(staged.source_map, map_path)
    os.replace(staged_gz, bundle_path.with_name(bundle_path.name + ".gz"))
    os.replace(staged.path, bundle_path)
    made = dataclasses.replace(staged, path=bundle_path, source_map=map_path)
    stamp.write_text(current, encoding="utf-8")
    log.info(
        "built %s in %.1f s: %.1f KiB (%.1f KiB gzipped)",
        made.path,
        result.seconds + made.seconds,
        made.size / 1024,
        made.gzip_size / 1024,
    )
    return ClientBuild(
        made.path,
        built=True,
        seconds=result.seconds + made.seconds,
        size=made.size,
        gzip_size=made.gzip_size,
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
