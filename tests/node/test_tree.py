"""The node tree and its lifecycle, on plain (in-process) nodes."""

import asyncio

import pytest

from raccoon.node import Node, NodeError, NodeState, Path, PathError


class Leaf(Node):
    def __init__(self):
        self.unbinds = 0

    async def _node_unbind_hook(self):
        await asyncio.sleep(0.01)
        self.unbinds += 1


async def build_tree():
    root = Leaf()
    await root.node_bind(Path("tree"))
    nodes = [root]
    for name in ("a", "b", "c"):
        child = await root.node_add(name, Leaf())
        nodes.append(child)
        for sub in ("x", "y"):
            nodes.append(await child.node_add(sub, Leaf()))
    return root, nodes


@pytest.mark.asyncio
async def test_unbinding_a_root_unbinds_all_descendants():
    root, nodes = await build_tree()
    assert len(nodes) == 10  # the root and 9 descendants
    assert root.b.y.node_path == "tree.b.y"
    assert root.b.y.node_path.base == "tree"
    await root.node_unbind()
    assert all(n.node_state is NodeState.UNBOUND for n in nodes)
    assert all(n.unbinds == 1 for n in nodes)
    assert all(n.node_children == {} for n in nodes)
    assert not hasattr(root, "a")


@pytest.mark.asyncio
async def test_concurrent_unbinds_tear_down_once():
    root, nodes = await build_tree()
    await asyncio.gather(root.node_unbind(), root.node_unbind(), root.a.node_unbind())
    assert [n.unbinds for n in nodes] == [1] * 10
    await root.node_unbind()  # unbinding an unbound node does nothing
    assert root.unbinds == 1


@pytest.mark.asyncio
async def test_lifecycle_signals():
    events = []
    root = Node()
    root.on_node_bind.connect(lambda path: events.append(("bind", str(path))))
    root.on_node_add.connect(lambda name, node: events.append(("add", name)))
    root.on_node_unbind.connect(lambda path: events.append(("unbind", str(path))))
    await root.node_bind("x")
    await root.node_add("child", Node())
    await root.node_remove("child")
    await root.node_unbind()
    assert events == [("bind", "x"), ("add", "child"), ("unbind", "x")]


@pytest.mark.asyncio
async def test_children_cannot_be_assigned_or_deleted_directly():
    root = Node()
    await root.node_bind("r")
    await root.node_add("child", Node())
    with pytest.raises(NodeError, match="node_remove"):
        root.child = 1
    with pytest.raises(NodeError, match="node_remove"):
        del root.child
    with pytest.raises(NodeError, match="node_add"):
        root.other = Node()
    root.plain = 3  # plain attributes are fine
    del root.plain
    await root.node_unbind()


@pytest.mark.asyncio
async def test_misuse_errors():
    root = Node()
    with pytest.raises(NodeError, match="not bound"):
        await root.node_add("a", Node())
    await root.node_bind("r")
    with pytest.raises(NodeError, match=r"is bound"):
        await root.node_bind("r2")
    with pytest.raises(PathError):
        await root.node_add("bad name", Node())
    with pytest.raises(NodeError, match="already exists"):
        await root.node_add("node_bind", Node())
    child = await root.node_add("a", Node())
    with pytest.raises(NodeError, match="already"):
        await root.node_add("b", child)
    with pytest.raises(NodeError, match="no child"):
        await root.node_remove("zzz")
    with pytest.raises(TypeError):
        await root.node_add("c", object())  # type: ignore[arg-type]
    await root.node_unbind()
    # an unbound node can be bound again
    await root.node_bind("again")
    assert root.node_path == "again"
    await root.node_unbind()


@pytest.mark.asyncio
async def test_failed_bind_leaves_the_node_unbound():
    class Failing(Node):
        async def _node_bind_hook(self):
            raise RuntimeError("no")

    root = Node()
    await root.node_bind("r")
    with pytest.raises(RuntimeError):
        await root.node_add("f", Failing())
    assert "f" not in root.node_children and not hasattr(root, "f")
    await root.node_unbind()
