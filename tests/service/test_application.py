"""The application model, loading one from disk, and the log format."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from raccoon.context import Registry
from raccoon.service import (
    Application,
    ApplicationNotFound,
    Desktop,
    LogFormatter,
    configure_logging,
    create_application,
    load_application,
)


@pytest.fixture
def clean_imports() -> Iterator[None]:
    """Forget the modules and sys.path entries a test's loading added."""
    modules, path = set(sys.modules), list(sys.path)
    try:
        yield
    finally:
        for name in set(sys.modules) - modules:
            del sys.modules[name]
        sys.path[:] = path


def test_an_application_normalizes_what_it_is_given() -> None:
    app = Application("orders", controllers=[Desktop], settings={"title": "Orders"})
    assert isinstance(app.controllers, Registry) and app.registry is app.controllers
    assert app.source_catalog is None
    assert app.load_settings(env={}).title == "Orders"
    assert app.load_settings(env={"RACCOON_TITLE": "Env"}).title == "Env"
    assert app.load_settings(env={}, title="Code").title == "Code"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "9lives"}, "must start with a letter"),
        ({"name": "x", "settings": {"prot": 1}}, "unknown default setting 'prot'"),
        ({"name": "x", "settings": {"port": "80"}}, "'port' must be int"),
        ({"name": "x", "seed": "not callable"}, "seed must be an async function"),
    ],
)
def test_bad_applications_say_what_is_wrong(kwargs: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        Application(**kwargs)


def test_load_a_scaffolded_package_by_directory(tmp_path: Path, clean_imports: None) -> None:
    create_application(tmp_path / "shop")
    app = load_application(tmp_path / "shop")
    assert app.name == "shop" and app.root == (tmp_path / "shop").resolve()
    assert app.settings_file == app.root / "raccoon.toml"
    assert app.path(app.migrations) == app.root / "migrations"
    assert sorted(app.source_catalog.names()) == ["shop.projects", "shop.tasks"]
    settings = app.load_settings(env={"RACCOON_PORT": "9001"})
    assert settings.title == "shop" and settings.port == 9001


def test_load_an_app_py_and_a_module_attribute(tmp_path: Path, clean_imports: None) -> None:
    (tmp_path / "app.py").write_text(
        "from raccoon.service import Application\n"
        "application = Application('one')\n"
        "other = Application('two')\n"
    )
    assert load_application(tmp_path).name == "one"
    assert load_application(tmp_path / "app.py").root == tmp_path.resolve()
    assert load_application(f"{tmp_path / 'app.py'}:other").name == "two"


@pytest.mark.parametrize(
    ("setup", "target", "message"),
    [
        (lambda p: None, "{p}", "holds no application"),
        (lambda p: (p / "app.py").write_text("application = 3\n"), "{p}", "has int 3"),
        (lambda p: None, "no_such_module_here", "not a directory here, nor an importable"),
        (lambda p: None, "not a/path", "neither a file or directory nor a module"),
    ],
)
def test_loading_failures_say_what_was_looked_for(
    tmp_path: Path, clean_imports: None, setup, target: str, message: str
) -> None:
    setup(tmp_path)
    with pytest.raises(ApplicationNotFound, match=message):
        load_application(target.format(p=tmp_path))


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("raccoon.x", logging.INFO, __file__, 1, "hello %s", ("ann",), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_text_logs_are_readable_lines_with_key_values() -> None:
    line = LogFormatter("text").format(_record(pid=12, path="/a b", ok=True))
    assert line.endswith(' info    raccoon.x: hello ann pid=12 path="/a b" ok=true')
    assert line[:4].isdigit() and line[23] == "Z"


def test_json_logs_are_one_object_per_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = _record(pid=12)
        record.exc_info = sys.exc_info()
    body = json.loads(LogFormatter("json").format(record))
    assert body["level"] == "info" and body["logger"] == "raccoon.x"
    assert body["message"] == "hello ann" and body["pid"] == 12
    assert "ValueError: boom" in body["exception"]


def test_configure_logging_replaces_its_own_handler_only() -> None:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    stream = io.StringIO()
    try:
        configure_logging("info", "text")
        handler = configure_logging("warning", "json", stream=stream)
        ours = [h for h in root.handlers if h.get_name() == "raccoon"]
        assert ours == [handler]
        logging.getLogger("raccoon.test").warning("careful", extra={"n": 1})
        assert json.loads(stream.getvalue())["n"] == 1
        with pytest.raises(ValueError, match="unknown log level"):
            configure_logging("loud")
    finally:
        for h in [h for h in root.handlers if h not in before]:
            root.removeHandler(h)
        root.setLevel(level)
