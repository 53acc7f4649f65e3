"""Path: the same semantics as the server's raccoon.node.Path (single-source:
run by pytest under CPython and by node once transpiled)."""

from ..context import NodeContext
from ..errors import PathError
from ..path import Path


def _raises_path_error(func):
    try:
        func()
    except PathError as error:
        return error.message
    raise PathError("no PathError was raised")


def test_root_path_is_its_own_base():
    base = Path("test")
    assert f"{base}" == "test"
    assert base.base.equals("test")
    assert len(base) == 1


def test_adding_keeps_the_base():
    base = Path("test")
    first = Path(base + "first")  # a Path under CPython, 'test:first' in JavaScript
    assert f"{first}" == "test.first"
    assert f"{first.base}" == "test"
    second = Path(first + "second")
    assert f"{second}" == "test.first.second"
    assert f"{second.base}" == "test"
    assert f"{first.add('x.y')}" == "test.first.x.y"


def test_resolve_relative_absolute():
    second = Path("test").add("first").add("second")
    assert f"{second.resolve('@third.rpc')}" == "test.third.rpc"
    assert f"{second.resolve('@')}" == "test"
    assert f"{second.resolve('other.place')}" == "other.place"
    assert second.resolve(second) is second


def test_resolve_through_the_context():
    class_path = Path("app").add("controller")
    holder = NodeContext(root=NodeContext(), controller=None)
    holder.set("controller", BoundThing(class_path))
    holder.set("root", BoundThing(Path("app")))
    assert f"{Path('x').resolve('#controller.save', holder)}" == "app.controller.save"
    assert f"{Path('x').resolve('#', holder)}" == "app"
    message = _raises_path_error(lambda: Path("x").resolve("#missing", holder))
    assert message == "cannot resolve '#missing': the node context has nothing under 'missing'"
    message = _raises_path_error(lambda: Path("x").resolve("#controller"))
    assert message == "cannot resolve '#controller': no node context to look 'controller' up in"


class BoundThing:
    def __init__(self, path):
        self.node_path = path


def test_invalid_paths_raise():
    assert _raises_path_error(lambda: Path("")) == "a path cannot be empty"
    message = _raises_path_error(lambda: Path("a..b"))
    assert message == (
        "invalid path 'a..b': fragment '' must be letters, digits or underscores, "
        "separated by single dots"
    )
    _raises_path_error(lambda: Path("a.b-c"))
    _raises_path_error(lambda: Path(42))
    _raises_path_error(lambda: Path("a.b", "c"))


def test_structure():
    path = Path("a.b.c", "a")
    assert path.name == "c"
    assert f"{path.parent}" == "a.b"
    assert Path("a").parent is None
    assert Path("a").is_prefix_of("a.b")
    assert not Path("a.b").is_prefix_of("a.bc")
    assert Path("a.b.c").relative_to("a")[1] == "c"
    assert Path(["x", "y"]).equals("x.y")
    assert not Path("x.y").equals("x.y.z")


def test_string_form_of_addition_parses_back():
    assert f"{Path('test:first.second')}" == "test.first.second"
    assert f"{Path('test:first.second').base}" == "test"
    assert f"{Path('test:').base}" == "test"
