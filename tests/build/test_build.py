"""Transpiling and bundling client packages: the framework's and an
application's, from Python and from the ``raccoon build`` command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from raccoon.build import (
    BuildError,
    CheckFailed,
    bundle,
    default_client_source,
    toolchain_root,
    transpile,
)
from raccoon.testing.plugin import in_ci

RACCOON = [sys.executable, "-m", "raccoon.service.cli"]


def _app(tmp_path: Path, body: str) -> Path:
    app = tmp_path / "src" / "shop"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text(
        "from .catalog import describe\n\n__all__ = ['describe']\n", encoding="utf-8"
    )
    (app / "catalog.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return app


APP = '''
from raccoon.path import Path


def describe(name):
    """Where a product lives."""
    return f"{Path('shop.products').add(name)}"


__all__ = ["describe"]
'''


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (toolchain_root() / "node_modules" / "webpack").is_dir():
        if in_ci():
            pytest.fail("node and the npm toolchain are required (CI=true)", pytrace=False)
        pytest.skip("node or the npm toolchain (make setup) is missing")
    return node


def test_transpile_writes_es_modules_with_python_source_maps(tmp_path: Path) -> None:
    result = transpile([default_client_source()], tmp_path / "out")
    pkg = tmp_path / "out" / "raccoon"
    assert result.packages == [pkg]
    assert json.loads((pkg / "package.json").read_text()) == {"type": "module"}
    assert (pkg / "index.js").is_file() and not (pkg / "__init__.js").exists()
    path_js = (pkg / "path.js").read_text()
    assert "class Path" in path_js and path_js.rstrip().endswith("//# sourceMappingURL=path.js.map")
    source_map = json.loads((pkg / "path.js.map").read_text())
    assert source_map["sources"][0].endswith("raccoon/path.py")
    assert "class Path:" in source_map["sourcesContent"][0]  # the Python text, embedded
    runners = sorted(p.name for p in result.node_tests)
    assert "path_test.node-test.mjs" in runners and "seed_test.node-test.mjs" in runners
    # test_* functions are exported even without __all__ in the test module
    assert "export {test_root_path_is_its_own_base" in (pkg / "tests" / "path_test.js").read_text()


def test_a_checker_failure_writes_nothing(tmp_path: Path) -> None:
    app = _app(tmp_path, "def f(xs):\n    return map(str, xs)\n")
    with pytest.raises(CheckFailed) as failed:
        transpile([app], tmp_path / "out")
    assert [v.code for v in failed.value.violations] == ["PJ209"]
    assert "shop/catalog.py:2:12: PJ209 map() does not exist" in str(failed.value)
    assert not (tmp_path / "out").exists()


def test_javascripthon_refusals_name_the_module(tmp_path: Path) -> None:
    app = _app(tmp_path, "x = xs[i + 1]\n")
    with pytest.raises(BuildError, match=r"catalog\.py: JavaScripthon refused the module"):
        transpile([app], tmp_path / "out", check=False)


def test_packages_need_an_init_and_distinct_names(tmp_path: Path) -> None:
    (tmp_path / "loose").mkdir()
    with pytest.raises(BuildError, match=r"has no __init__\.py"):
        transpile([tmp_path / "loose"], tmp_path / "out")
    with pytest.raises(BuildError, match="same name: raccoon"):
        transpile([default_client_source(), default_client_source()], tmp_path / "out")


def test_raccoon_build_check_reports_file_line_and_fix(tmp_path: Path) -> None:
    app = _app(tmp_path, "def f(d):\n    return d.popitem()\n")
    proc = subprocess.run(
        [*RACCOON, "build", "--check", str(app)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1
    assert "src/shop/catalog.py:2:12: PJ203 .popitem() is a Python container method" in proc.stdout
    assert "→ pick a key with `for key in obj`, then obj.pop(key)" in proc.stdout


def test_an_application_builds_and_runs_with_the_framework(tmp_path: Path) -> None:
    node = _node()
    app = _app(tmp_path, APP)
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            *RACCOON,
            "build",
            str(app),
            "--out",
            str(out),
            "--bundle",
            "shop",
            "--mode",
            "development",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "raccoon" / "index.js").is_file() and (out / "shop" / "catalog.js").is_file()
    assert "bundled shop" in proc.stdout
    # The transpiled application runs under node, importing the framework by name...
    script = "import {describe} from 'shop'; console.log(describe('chair'));"
    run = subprocess.run(
        [node, "--import", str(toolchain_root() / "js/tools/register.mjs"), "--input-type=module",
         "-e", script],
        capture_output=True,
        text=True,
        env={"RACCOON_JS_ROOTS": str(out), "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=60,
    )  # fmt: skip
    assert run.stdout.strip() == "shop.products.chair", run.stderr
    # ... and its browser bundle exposes it as a global, mapped to the Python source.
    made = bundle(out, "shop", mode="development")
    assert made.path.read_text().count("shop.products") >= 1
    sources = json.loads(made.source_map.read_text())["sources"]
    assert any(s.endswith("src/shop/catalog.py") for s in sources), sources
