"""Bundling a transpiled client tree with webpack + Babel.

The toolchain (webpack, babel, autobahn-browser) is installed by ``npm ci``
at the root of the Raccoon checkout (``make setup``); ``webpack.config.js``
there takes the transpiled tree, the entry package and the output directory.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from raccoon.build._errors import BuildError
from raccoon.build._sourcemap import annotate_webpack_output

__all__ = ["BundleResult", "bundle", "find_node", "toolchain_root"]


@dataclass(frozen=True)
class BundleResult:
    """The bundle webpack wrote, its source map and sizes."""

    path: Path
    source_map: Path
    size: int
    gzip_size: int
    seconds: float


def toolchain_root() -> Path:
    """The directory holding ``webpack.config.js`` and ``node_modules``
    (the root of the Raccoon checkout, or ``RACCOON_TOOLCHAIN``)."""
    override = os.environ.get("RACCOON_TOOLCHAIN")
    return Path(override) if override else Path(__file__).resolve().parents[2]


def find_node() -> str:
    """The ``node`` executable, or a :class:`BuildError` saying how to get one."""
    node = shutil.which("node")
    if node is None:
        raise BuildError(
            "node is not installed: the client build and its tests need node >= 20.6 "
            "(Debian: apt-get install nodejs npm), then `make setup`"
        )
    return node


def bundle(
    build_dir: Path,
    entry: str,
    out: Path | None = None,
    *,
    mode: str = "production",
    library: str | None = None,
) -> BundleResult:
    """Bundle the package ``entry`` of the transpiled tree ``build_dir``."""
    root = toolchain_root()
    cli = root / "node_modules" / "webpack-cli" / "bin" / "cli.js"
    config = root / "webpack.config.js"
    if not config.is_file():
        raise BuildError(f"{config} is missing: the toolchain root is wrong (RACCOON_TOOLCHAIN)")
    if not cli.is_file():
        raise BuildError(f"webpack is not installed in {root}: run `make setup` (npm ci)")
    build_dir = Path(build_dir).resolve()
    if not (build_dir / entry / "index.js").is_file():
        raise BuildError(f"{build_dir / entry} has no index.js: transpile the package first")
    out = (Path(out) if out is not None else build_dir / "dist").resolve()
    command = [
        find_node(),
        str(cli),
        "--config",
        str(config),
        "--mode",
        mode,
        "--env",
        f"build={build_dir}",
        "--env",
        f"entry={entry}",
        "--env",
        f"out={out}",
    ]
    if library:
        command += ["--env", f"library={library}"]
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        output = annotate_webpack_output(proc.stdout + proc.stderr, build_dir)
        raise BuildError(f"webpack failed (exit {proc.returncode}):\n{output}")
    path = out / f"{entry}.bundle.js"
    data = path.read_bytes()
    return BundleResult(
        path=path,
        source_map=path.with_name(path.name + ".map"),
        size=len(data),
        gzip_size=len(gzip.compress(data, 9)),
        seconds=seconds,
    )
