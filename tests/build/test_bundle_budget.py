"""The example application's production bundle stays within its size budget.

What a deployment serves is the production bundle of ``examples/safety``'s
client package built together with the framework's client (``raccoon run``
builds it with :func:`raccoon.service._client.build_client`): autobahn-js,
Tabulator, the transpiled framework and the application. Its min+gzip size
is what a first visit downloads; the budget and the measurement it was set
from are in ``docs/benchmarks.md`` ("Browser"). Raise it only on purpose,
saying there what the new bytes buy.

It needs node and the npm toolchain: without them it is skipped locally and
fails with ``CI=true`` (as the other build tests). The production build
(webpack with Terser) takes 25 to 50 s on the 2-core machine.
"""

from __future__ import annotations

import dataclasses
import gzip
import shutil
import sys
from pathlib import Path

import pytest

from raccoon.build import toolchain_root
from raccoon.service._client import build_client
from raccoon.testing.plugin import in_ci

ROOT = Path(__file__).resolve().parents[2]

KIB = 1024
#: min+gzip (gzip -9) of the production bundle: 159.9 KiB measured on
#: 2026-11-22 with Tabulator's core and the three modules the grid uses
#: (autobahn-js ≈ 106 KiB of it), plus 15 % headroom.
BUDGET_GZIP = 184 * KIB
#: The minified bundle (585.7 KiB measured), with the same headroom.
BUDGET_MIN = 680 * KIB


def _toolchain() -> None:
    if shutil.which("node") is None or not (toolchain_root() / "node_modules" / "webpack").is_dir():
        if in_ci():
            pytest.fail("node and the npm toolchain are required (CI=true)", pytrace=False)
        pytest.skip("node or the npm toolchain (make setup) is missing")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_example_production_bundle_is_within_budget(tmp_path: Path) -> None:
    _toolchain()
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from safety import application
    finally:
        sys.path.remove(str(ROOT / "examples"))
    app = dataclasses.replace(application, root=ROOT / "examples" / "safety")
    package = app.path(app.client)
    assert package is not None
    made = build_client(package, tmp_path, mode="production", force=True)
    data = made.bundle.read_bytes()
    size, gzipped = len(data), len(gzip.compress(data, 9))
    print(f"safety production bundle: {size / KIB:.1f} KiB min, {gzipped / KIB:.1f} KiB gzip")
    assert b"sourceMappingURL" in data[-200:]  # a production build, with its map beside it
    assert gzipped <= BUDGET_GZIP, (
        f"the production bundle is {gzipped / KIB:.1f} KiB min+gzip, over its budget of "
        f"{BUDGET_GZIP / KIB:.0f} KiB (docs/benchmarks.md, 'Browser'): find what grew "
        f"(source-map-explorer on {made.bundle}) or raise the budget there on purpose"
    )
    assert size <= BUDGET_MIN, (
        f"the production bundle is {size / KIB:.1f} KiB minified, over its budget of "
        f"{BUDGET_MIN / KIB:.0f} KiB (docs/benchmarks.md, 'Browser')"
    )
