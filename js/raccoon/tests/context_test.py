"""NodeContext: prototype-like inheritance (single-source)."""

from ..context import NodeContext


def test_child_inherits_and_shadows():
    root = NodeContext(user="ann", language="en")
    child = root.new_child(language="it")
    assert child.get("user") == "ann"
    assert child.get("language") == "it"
    assert root.get("language") == "en"
    assert child.user == "ann"  # attribute access, in both languages
    assert child.language == "it"


def test_parent_and_missing_keys():
    root = NodeContext()
    child = root.new_child()
    assert child.parent is root
    assert root.parent is None
    assert child.get("nothing") is None
    assert child.get("nothing", 5) == 5
    assert not child.has("nothing")


def test_set_on_a_child_does_not_reach_the_parent():
    root = NodeContext(a=1)
    child = root.new_child()
    child.set("b", 2)
    root.set("c", 3)
    assert child.get("b") == 2
    assert root.get("b") is None
    assert child.get("c") == 3  # later changes of the parent are seen
    keys = child.all_keys()
    assert len(keys) == 3 and keys[0] == "a" and keys[1] == "b" and keys[2] == "c"
    assert len(child.own_keys()) == 1
