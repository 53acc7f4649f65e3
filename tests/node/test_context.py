import pytest

from raccoon.node import NodeContext


def test_child_inherits_and_shadows():
    root = NodeContext(user="ann", language="en")
    child = root.new(language="it")
    assert child.user == "ann" and child.language == "it"
    assert root.language == "en"
    child.extra = 1
    assert "extra" in child and "extra" not in root
    assert child.parent is root
    assert child.keys() == {"user", "language", "extra"}


def test_missing_key_errors_name_the_key():
    ctx = NodeContext()
    with pytest.raises(AttributeError, match="'missing'"):
        ctx.missing  # noqa: B018
    with pytest.raises(KeyError):
        ctx["missing"]
    assert ctx.get("missing", 5) == 5


def test_parent_changes_show_through():
    root = NodeContext()
    child = root.new()
    root["late"] = "x"
    assert child["late"] == "x"
    del root.late
    assert "late" not in child
    with pytest.raises(AttributeError):
        del child.late
