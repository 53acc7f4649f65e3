"""``raccoon new``: the application it writes has a client package that passes the
checker, transpiles and bundles (``raccoon build``), and its Application names it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from run_support import RACCOON, clean_env, workspace

from raccoon.service import load_application


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_the_scaffold_client_checks_transpiles_and_bundles(tmp_path: Path) -> None:
    new = subprocess.run(
        [*RACCOON, "new", "shop"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert new.returncode == 0, new.stderr
    app = load_application(str(tmp_path / "shop"))
    client = app.path(app.client)
    assert client == tmp_path / "shop" / "client" / "shop"
    assert {p.name for p in client.iterdir()} >= {"__init__.py", "views.py"}
    check = subprocess.run(
        [*RACCOON, "build", "--check", str(client)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    out = tmp_path / "build"
    build = subprocess.run(
        [
            *RACCOON,
            "build",
            str(client),
            "--out",
            str(out),
            "--bundle",
            "shop",
            "--mode",
            "development",
            "--no-tests",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=200,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    bundle = out / "dist" / "shop.bundle.js"
    text = bundle.read_text()
    # The views and the framework widgets they use are in the bundle.
    assert "MasterDetailView" in text and "RecordForm" in text
    assert (out / "dist" / "shop.bundle.js.map").is_file()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_the_scaffold_readme_links_nothing_fake_and_its_tests_warn_nothing() -> None:
    """Its README linked https://github.com/ (a placeholder); `pytest tests` printed
    pytest-asyncio's PytestDeprecationWarning (loop scope unset) on every run."""
    with workspace() as root:
        new = subprocess.run(
            [*RACCOON, "new", "shop"], cwd=root, capture_output=True, text=True, timeout=60
        )
        assert new.returncode == 0, new.stderr
        app = root / "shop"
        readme = (app / "README.md").read_text()
        for url in re.findall(r"\]\((https?://[^)]*)\)", readme):
            assert urlsplit(url).path.strip("/"), f"a placeholder link: {url}"
        assert "https://github.com/)" not in readme
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-W", "error", "-p", "no:cacheprovider", "tests"],
            cwd=app,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=200,
        )
        out = tests.stdout + tests.stderr
        assert tests.returncode == 0, out
        assert "2 passed" in out and "warning" not in out.lower(), out
