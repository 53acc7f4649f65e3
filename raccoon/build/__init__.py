"""The client build: Python for the browser, checked, transpiled, bundled.

Client code (the framework's ``js/raccoon`` and an application's client
packages) is Python transpiled to JavaScript by JavaScripthon. This package

- checks it for what JavaScripthon refuses or silently mistranslates
  (:func:`check_tree`, ``file:line: what is wrong → the fix``);
- transpiles each package to ES modules with source maps (:func:`transpile`);
- bundles a package for the browser with webpack and Babel (:func:`bundle`);
- runs single-source client modules under CPython (:func:`load_client_package`).

From the command line: ``raccoon build [SOURCE ...] --out DIR [--bundle]``.
See ``docs/client-python.md``.
"""

from raccoon.build._bundle import BundleResult, bundle, find_node, toolchain_root
from raccoon.build._checker import RULES, Violation, check_file, check_source, check_tree
from raccoon.build._cpython import install_globals_shim, load_client_package
from raccoon.build._errors import BuildError, CheckFailed
from raccoon.build._transpile import TranspileResult, default_client_source, transpile

__all__ = [
    "RULES",
    "BuildError",
    "BundleResult",
    "CheckFailed",
    "TranspileResult",
    "Violation",
    "bundle",
    "check_file",
    "check_source",
    "check_tree",
    "default_client_source",
    "find_node",
    "install_globals_shim",
    "load_client_package",
    "toolchain_root",
    "transpile",
]
