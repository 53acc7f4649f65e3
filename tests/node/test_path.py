import pickle

import pytest

from raccoon.node import Node, NodeContext, Path, PathError


def test_root_path_is_its_own_base():
    base = Path("test")
    assert base.base == base
    assert base == "test" and str(base) == "test"


def test_addition_and_attribute_keep_the_base():
    base = Path("test")
    first = base + "first"
    assert first == "test.first"
    assert first.base == "test"
    assert base.first == first
    assert (first + "a.b").parts == ("test", "first", "a", "b")
    assert (first + "a.b").base == "test"


def test_relative_resolution_against_base():
    second = Path("test") + "first" + "second"
    assert second.resolve("@third") == "test.third"
    assert second.resolve("@third.rpc") == "test.third.rpc"
    assert second.resolve("@") == "test"
    assert second.resolve("other.place") == "other.place"
    assert second.resolve("other.place").base == "other.place"


def test_context_resolution_through_nodes():
    node = Node()
    object.__setattr__(node, "node_path", Path("app.session1.controller"))
    root = Node()
    object.__setattr__(root, "node_path", Path("app.session1"))
    ctx = NodeContext(controller=node, root=root)
    here = Path("app")
    assert here.resolve("#controller", ctx) == "app.session1.controller"
    assert here.resolve("#controller.save", ctx) == "app.session1.controller.save"
    assert here.resolve("#", ctx) == "app.session1"


@pytest.mark.parametrize(
    "fragment, message",
    [
        ("#missing.x", "nothing under 'missing'"),
        ("#value", "not a bound node or proxy"),
    ],
)
def test_context_resolution_errors(fragment, message):
    ctx = NodeContext(value=42)
    with pytest.raises(PathError, match=message):
        Path("app").resolve(fragment, ctx)


def test_context_resolution_needs_a_context():
    with pytest.raises(PathError, match="no node context"):
        Path("app").resolve("#controller")


@pytest.mark.parametrize("bad", ["", "a..b", ".a", "a.", "a b", "a-b", "a.#b", "è"])
def test_invalid_paths_raise_path_error(bad):
    with pytest.raises(PathError):
        Path(bad)
    with pytest.raises(PathError):
        Path("ok") + bad


def test_non_string_path_is_rejected():
    with pytest.raises(PathError, match="must be a str"):
        Path(42)  # type: ignore[arg-type]


def test_equality_and_hash_match_strings():
    p = Path("a.b")
    assert p == "a.b" and p != "a.c" and p == Path("a.b")
    assert {p: 1}["a.b"] == 1
    assert hash(p) == hash("a.b")


def test_structure_helpers():
    p = Path("a.b.c", base="a")
    assert p.base == "a" and p.name == "c" and p.parent == "a.b"
    assert Path("a").parent is None
    assert Path("a.b").is_prefix_of("a.b.c") and not Path("a.b").is_prefix_of("a.bc")
    assert p.relative_to("a") == ("b", "c")
    with pytest.raises(PathError):
        p.relative_to("x")
    with pytest.raises(PathError, match="not a prefix"):
        Path("a.b", base="c")
    assert pickle.loads(pickle.dumps(p)) == p
    assert repr(p) == "Path('a.b.c', base='a')"


def test_private_attributes_are_not_fragments():
    with pytest.raises(AttributeError):
        Path("a")._hidden  # noqa: B018
