"""What the client checker learns about modules before judging them:
signatures (also across the modules of a tree), generators, plain-object
names, and small AST helpers."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ModuleIndex", "client_modules", "dotted_name", "index_tree"]


@dataclass
class _Signature:
    positional: list[str]
    with_default: set[str]
    varkw: bool
    # Positional parameters the function tests with isinstance(p, dict): it takes the
    # keywords object in their place when they are omitted (see Signal).
    options_params: frozenset[str] = frozenset()


def _signature(func: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> _Signature:
    args = func.args
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    if method and positional:
        positional = positional[1:]
    n_defaults = len(args.defaults)
    with_default = set(positional[len(positional) - n_defaults :]) if n_defaults else set()
    tested = frozenset(
        node.args[0].id
        for node in _own_nodes(func)
        if isinstance(node, ast.Call)
        and _call_name(node) == "isinstance"
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Name)
        and node.args[1].id == "dict"
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id in positional
    )
    return _Signature(positional, with_default, args.kwarg is not None, tested)


#: Signatures of the module-level functions and classes of each module of a
#: client tree, by dotted module name (``raccoon.signal``).
ModuleIndex = dict[str, dict[str, _Signature]]


def _module_signatures(tree: ast.Module) -> dict[str, _Signature]:
    found: dict[str, _Signature] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = _signature(node, method=False)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    found[node.name] = _signature(item, method=True)
    return found


def _resolve_imports(tree: ast.Module, module: str, index: ModuleIndex) -> dict[str, _Signature]:
    """Signatures of the names a module imports from others of the tree."""
    package = module.split(".")
    found: dict[str, _Signature] = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or node.module == "__globals__":
            continue
        if node.level:
            base = package[: len(package) - node.level]
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
        else:
            target = node.module or ""
        signatures = index.get(target, {})
        for alias in node.names:
            if alias.name in signatures:
                found[alias.asname or alias.name] = signatures[alias.name]
    return found


def _own_nodes(func: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a function body, not descending into nested functions/classes."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_str_node(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def client_modules(root: Path) -> Iterator[Path]:
    """The Python modules of a client source tree, in a stable order."""
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


def dotted_name(root: Path, module: Path) -> str:
    """``raccoon.tests.path_test`` for ``<root>/tests/path_test.py`` of the
    package ``root`` (``raccoon``); a package's ``__init__`` is the package."""
    parts = [root.name, *module.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def index_tree(roots: Iterable[Path]) -> ModuleIndex:
    """The signatures of every module of the client packages ``roots``."""
    index: ModuleIndex = {}
    for root in roots:
        for module in client_modules(root):
            try:
                tree = ast.parse(module.read_text(encoding="utf-8"))
            except SyntaxError:
                continue
            index[dotted_name(root, module)] = _module_signatures(tree)
    return index
