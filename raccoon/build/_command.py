"""``raccoon build``: check, transpile and bundle client packages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from raccoon.build._bundle import bundle
from raccoon.build._checker import check_tree
from raccoon.build._errors import BuildError, CheckFailed
from raccoon.build._transpile import default_client_source, transpile

__all__ = ["add_build_parser", "run_build"]


def add_build_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``build`` subcommand to the ``raccoon`` command line."""
    build = sub.add_parser(
        "build",
        help="check, transpile (and bundle) client code written in Python",
        description=(
            "Check client packages for what JavaScripthon refuses or mistranslates, "
            "transpile them to ES modules with source maps, and optionally bundle one "
            "with webpack. The framework's own client package (raccoon) is always included."
        ),
    )
    build.add_argument(
        "sources", nargs="*", type=Path, help="client package directories (with __init__.py)"
    )
    build.add_argument("--out", type=Path, default=Path("js/build"), help="output directory")
    build.add_argument("--check", action="store_true", help="only run the checker")
    build.add_argument(
        "--bundle",
        metavar="PACKAGE",
        help="bundle this package (its index.js) with webpack into OUT/dist",
    )
    build.add_argument(
        "--mode", choices=("production", "development"), default="production", help="webpack mode"
    )
    build.add_argument("--no-tests", action="store_true", help="skip node:test runners")


def run_build(args: argparse.Namespace) -> int:
    """Run ``raccoon build``; returns the exit status."""
    framework = default_client_source()
    sources = [framework] + [s for s in args.sources if s.resolve() != framework]
    try:
        if args.check:
            violations = check_tree(sources, Path.cwd())
            for violation in violations:
                print(violation)
            print(
                f"checked {len(sources)} package(s): {len(violations)} problem(s)",
                file=sys.stderr,
            )
            return 1 if violations else 0
        result = transpile(sources, args.out, tests=not args.no_tests)
        print(
            f"transpiled {len(result.modules)} modules of {len(result.packages)} package(s) "
            f"to {result.out} in {result.seconds:.2f} s"
        )
        if args.bundle:
            made = bundle(result.out, args.bundle, mode=args.mode)
            print(
                f"bundled {args.bundle} into {made.path} in {made.seconds:.2f} s: "
                f"{made.size / 1024:.1f} KiB, {made.gzip_size / 1024:.1f} KiB gzipped"
            )
    except CheckFailed as exc:
        for violation in exc.violations:
            print(violation, file=sys.stderr)
        print(f"raccoon build: {len(exc.violations)} problem(s), nothing written", file=sys.stderr)
        return 1
    except BuildError as exc:
        print(f"raccoon build: {exc}", file=sys.stderr)
        return 1
    return 0
