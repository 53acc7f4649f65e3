"""webpack's errors name a line of the transpiled tree; the source maps lead back to the
Python line, and the build's message says it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from raccoon.build import BuildError, bundle, default_client_source, transpile
from raccoon.build._sourcemap import annotate_webpack_output, python_location


def _package(tmp_path: Path) -> Path:
    app = tmp_path / "src" / "shop"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("from .views import hello\n\n__all__ = ['hello']\n")
    (app / "views.py").write_text(
        textwrap.dedent(
            '''\
            """A module whose import cannot be resolved."""

            from raccoon.view import element

            from .missing import thing

            __all__ = ["hello"]


            def hello():
                return thing(element)
            '''
        )
    )
    return app


def test_a_transpiled_line_maps_back_to_its_python_line(tmp_path: Path) -> None:
    app = _package(tmp_path)
    out = transpile([app], tmp_path / "build", tests=False).out
    js = (out / "shop" / "views.js").read_text().splitlines()
    line = next(n for n, text in enumerate(js, 1) if "./missing" in text)
    assert python_location(out / "shop" / "views.js", line) == (app / "views.py", 5)
    assert python_location(out / "shop" / "nothing.js", 1) is None


def test_annotation_adds_the_python_location_under_each_error(tmp_path: Path) -> None:
    app = _package(tmp_path)
    out = transpile([app], tmp_path / "build", tests=False).out
    js = (out / "shop" / "views.js").read_text().splitlines()
    line = next(n for n, text in enumerate(js, 1) if "./missing" in text)
    text = f"ERROR in ./shop/views.js {line}:0-30\nModule not found\n"
    annotated = annotate_webpack_output(text, out)
    assert annotated.splitlines()[1].endswith(f"{app / 'views.py'}:5")
    assert annotate_webpack_output("ERROR in ./elsewhere.js 1:0\n", out).count("→") == 0


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_webpack_failure_names_the_python_line(tmp_path: Path) -> None:
    app = _package(tmp_path)
    out = transpile([default_client_source(), app], tmp_path / "build", tests=False).out
    with pytest.raises(BuildError) as failed:
        bundle(out, "shop", mode="development")
    message = str(failed.value)
    assert "Can't resolve './missing'" in message
    assert f"→ {app / 'views.py'}:5" in message
