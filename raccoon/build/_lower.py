"""Lowering: ordinary Python rewritten, before JavaScripthon, into Python
JavaScripthon translates with Python's meaning.

Client code is written as Python (``x is None``, ``xs.append(v)``,
``k in d``, ``d.get(k, 0)``, ``len(d)``, ``str(x)``, ``f"{x:.2f}"``,
``for k, v in d.items()``); JavaScripthon alone would translate several of
these into JavaScript that means something else (``=== null`` misses
``undefined``, ``len(obj)`` is ``obj.length``, ``.append`` does not exist,
``str(x)`` is ``x.toString()``, a for loop over an object iterates nothing).
:func:`lower` rewrites the module's AST so that each such construct calls the
runtime module ``raccoon/pyrt.js`` (imported as ``_py``), which dispatches on
the JavaScript type of its operand. Every new node keeps the line and column
of the node it replaces, so the source map still leads to the Python line.

Under CPython the same modules run unlowered: the runtime is written once,
in JavaScript.

Why a transform of the Python AST, before JavaScripthon, rather than a pass
over the JavaScript after it: only the Python says what was meant. Once
translated, ``len(x)`` is ``x.length``, ``x is None`` is ``x === null`` and
``for k in d`` an index loop — the same JavaScript as code that meant
exactly that; and JavaScripthon refuses some constructs (f-string format
specs) before a later pass could see them. Rewriting the Python keeps one
parser (:mod:`ast`), keeps each construct's line and column (JavaScripthon's
source map is computed from the lowered tree, whose new nodes carry the
positions of the ones they replace), and leaves the checker and CPython
reading the text the author wrote.

Receivers are not typed: a method call is lowered by name (``x.append(v)``,
``d.get(k)``, ``s.strip()``...), and the runtime helper keeps the
receiver's own method when it is not a list, a dict, a Map or a string (a
class of ours with a ``get``, a JavaScript array's ``join``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TypeVar

from raccoon.build._analysis import _own_nodes

__all__ = ["RUNTIME", "RUNTIME_NAME", "lower", "lower_source"]

#: The runtime module's import path and the name lowered code calls it by.
RUNTIME = "raccoon.pyrt"
RUNTIME_NAME = "_py"

# Loops over these calls are left to JavaScripthon (range() is its counted
# loop, iterable() its for...of).
_LOOP_KEEP = frozenset({"range", "iterable"})
_DICT_VIEWS = frozenset({"items", "keys", "values"})
# List and dict methods lowered, with the argument counts lowered.
_CONTAINER_METHODS = {
    "pop": (0, 1, 2),
    "clear": (0,),
    "setdefault": (1, 2),
    "remove": (1,),
    "index": (1,),
    "count": (1,),
    "extend": (1,),
}
# Built-in functions lowered (min and max with several arguments too).
_BUILTINS = {
    "bool": (1,),
    "chr": (1,),
    "ord": (1,),
    "hex": (1,),
    "oct": (1,),
    "bin": (1,),
    "sorted": (1,),
    "min": (1,),
    "max": (1,),
    "sum": (1, 2),
    "any": (1,),
    "all": (1,),
    "enumerate": (1, 2),
    "zip": (1, 2, 3, 4),
    "reversed": (1,),
    "abs": (1,),
    "round": (1, 2),
}
# Built-ins that can be passed as values, and their runtime names.
_VALUES = {
    "len": "len",
    "str": "str",
    "repr": "repr",
    "int": "to_int",
    "float": "to_float",
    "abs": "abs",
    "sorted": "sorted",
    "sum": "sum",
    "any": "any",
    "all": "all",
}
# Runtime helpers that return a new array.
_ARRAYS = _DICT_VIEWS | {"list", "sorted", "enumerate", "zip", "reversed"}
_TYPE_NAMES = frozenset(
    {"list", "tuple", "dict", "set", "frozenset", "str", "bool", "int", "float"}
)
# String methods lowered, with the argument counts lowered.
_STRING_METHODS = {
    "split": (0, 2),
    "splitlines": (0,),
    "find": (1,),
    "rfind": (1,),
    "removeprefix": (1,),
    "removesuffix": (1,),
    "capitalize": (0,),
    "ljust": (1, 2),
    "rjust": (1, 2),
    "center": (1, 2),
    "zfill": (1,),
    "isdigit": (0,),
    "isalpha": (0,),
    "isalnum": (0,),
    "isspace": (0,),
    "isupper": (0,),
    "islower": (0,),
    "startswith": (1,),
    "endswith": (1,),
    "strip": (0, 1),
    "lstrip": (0, 1),
    "rstrip": (0, 1),
    "lower": (0,),
    "upper": (0,),
    "join": (1,),
    "replace": (2,),
}

_N = TypeVar("_N", bound=ast.AST)


def _at(new: _N, old: ast.AST) -> _N:
    """``new`` (and every node under it) at ``old``'s position."""
    for node in ast.walk(new):
        ast.copy_location(node, old)
    return new


def _rt(name: str, args: list[ast.expr], old: ast.AST) -> ast.Call:
    func = ast.Attribute(ast.Name(RUNTIME_NAME, ast.Load()), name, ast.Load())
    call = ast.Call(func, [], [])
    _at(call, old)
    call.args = args  # the arguments keep their own positions
    return call


def _not(expr: ast.expr, old: ast.AST) -> ast.UnaryOp:
    node = ast.UnaryOp(ast.Not(), expr)
    ast.copy_location(node, old)
    return node


def _is_none_const(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _called(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _is_list(node: ast.AST) -> bool:
    """An expression that is a JavaScript array once lowered."""
    if isinstance(node, (ast.List, ast.ListComp)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == RUNTIME_NAME
        and node.func.attr in _ARRAYS
    )


_SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _is_new_list(node: ast.AST) -> bool:
    return isinstance(node, (ast.List, ast.ListComp)) or (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("list", "sorted")
    )


@dataclass
class _Scope:
    """The names a scope binds, and those it binds only to new lists."""

    is_class: bool = False
    bound: set[str] = field(default_factory=set)
    lists: set[str] = field(default_factory=set)


def _scope_of(node: ast.AST) -> _Scope:
    scope = _Scope(is_class=isinstance(node, ast.ClassDef))
    other: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
        other.update(arg.arg for arg in params if arg is not None)
    list_targets: set[int] = set()
    for sub in _own_nodes(node):
        if isinstance(sub, ast.Assign) and _is_new_list(sub.value):
            list_targets.update(id(t) for t in sub.targets if isinstance(t, ast.Name))
    for sub in _own_nodes(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            (scope.lists if id(sub) in list_targets else other).add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            other.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            other.update((a.asname or a.name).split(".")[0] for a in sub.names)
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            other.update(sub.names)
    scope.bound = scope.lists | other
    scope.lists -= other
    return scope


class _Lowerer(ast.NodeTransformer):
    def __init__(self) -> None:
        self.used = False
        self.scopes: list[_Scope] = []

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if not isinstance(node, _SCOPES):
            return super().generic_visit(node)
        self.scopes.append(_scope_of(node))
        try:
            return super().generic_visit(node)
        finally:
            self.scopes.pop()

    def known_list(self, node: ast.AST) -> bool:
        """A name that, where it is read, can only hold a list (an array)."""
        if not isinstance(node, ast.Name):
            return False
        for depth, scope in enumerate(reversed(self.scopes)):
            if scope.is_class and depth > 0:
                continue  # a class body's names are not visible in its methods
            if node.id in scope.bound:
                return node.id in scope.lists
        return False

    def rt(self, name: str, args: list[ast.expr], old: ast.AST) -> ast.Call:
        self.used = True
        return _rt(name, args, old)

    # -- comparisons: `is None`, `in` --------------------------------------------------
    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) != 1:
            return node
        op, left, right = node.ops[0], node.left, node.comparators[0]
        if isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)) and (
            _is_none_const(right) or _is_none_const(left)
        ):
            value = left if _is_none_const(right) else right
            if _is_none_const(value):  # None is None
                return node
            test = self.rt("is_none", [value], node)
            return _not(test, node) if isinstance(op, (ast.IsNot, ast.NotEq)) else test
        if isinstance(op, (ast.In, ast.NotIn)):
            test = self.rt("contains", [right, left], node)
            return _not(test, node) if isinstance(op, ast.NotIn) else test
        return node

    # -- calls: methods and built-ins ----------------------------------------------------
    def visit_Name(self, node: ast.Name) -> ast.AST:
        # a built-in passed as a value: sorted(xs, key=len)
        if isinstance(node.ctx, ast.Load) and node.id in _VALUES:
            attr = ast.Attribute(ast.Name(RUNTIME_NAME, ast.Load()), _VALUES[node.id], ast.Load())
            self.used = True
            return _at(attr, node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if not isinstance(node.func, ast.Name):
            node.func = self.visit(node.func)
        is_type_test = isinstance(node.func, ast.Name) and node.func.id == "isinstance"
        # the types of isinstance(x, str) stay names
        node.args = [
            a if is_type_test and i == 1 else self.visit(a) for i, a in enumerate(node.args)
        ]
        for kw in node.keywords:
            kw.value = self.visit(kw.value)
        func = node.func
        if any(isinstance(a, ast.Starred) for a in node.args):
            return node
        if node.keywords:
            return self._with_keywords(node)
        nargs = len(node.args)
        if isinstance(func, ast.Attribute):
            name, receiver = func.attr, func.value
            if name == "append" and nargs == 1:
                if self.known_list(receiver):
                    func.attr = "push"  # a list: JavaScript's own method
                    return node
                return self.rt("append", [receiver, node.args[0]], node)
            if name in _STRING_METHODS and nargs in _STRING_METHODS[name]:
                return self.rt(name, [receiver, *node.args], node)
            if name in _CONTAINER_METHODS and nargs in _CONTAINER_METHODS[name]:
                return self.rt(name, [receiver, *node.args], node)
            if name == "sort" and nargs == 0:
                return self.rt("sort", [receiver], node)
            if name == "insert" and nargs == 2:
                return self.rt("insert", [receiver, *node.args], node)
            if name == "get" and nargs in (1, 2):
                return self.rt("get", [receiver, *node.args], node)
            if (name == "update" and nargs == 1) or (name == "copy" and nargs == 0):
                return self.rt(name, [receiver, *node.args], node)
            if name in _DICT_VIEWS and nargs == 0:
                return self.rt(name, [receiver], node)
            return node
        if isinstance(func, ast.Name):
            if func.id == "len" and nargs == 1:
                if self.known_list(node.args[0]):
                    return node  # JavaScripthon's .length
                return self.rt("len", node.args, node)
            if func.id in ("str", "repr") and nargs == 1:
                return self.rt(func.id, node.args, node)
            if func.id == "int" and nargs in (1, 2):
                return self.rt("to_int", node.args, node)
            if func.id in _BUILTINS and nargs in _BUILTINS[func.id]:
                return self.rt(func.id, node.args, node)
            if func.id in ("min", "max") and nargs > 1:
                return self.rt(func.id, [_at(ast.List(node.args, ast.Load()), node)], node)
            if func.id == "isinstance" and nargs == 2:
                return self._isinstance(node)
            if func.id in ("list", "dict") and nargs <= 1:
                return self.rt(func.id, node.args, node)
            if func.id == "float" and nargs == 1:
                return self.rt("to_float", node.args, node)
        return node

    def _with_keywords(self, node: ast.Call) -> ast.AST:
        """``xs.sort(key=f, reverse=True)``, ``sorted(xs, key=f)``,
        ``min(xs, key=f, default=d)``: keywords become positional arguments
        of the runtime helper; other keyword calls are left alone."""
        func = node.func
        words = {kw.arg: kw.value for kw in node.keywords}
        if None in words:
            return node
        none = _at(ast.Constant(None), node)
        if isinstance(func, ast.Attribute) and func.attr == "sort" and not node.args:
            if set(words) <= {"key", "reverse"}:
                rest = [words.get("key", none), words.get("reverse", none)]
                return self.rt("sort", [func.value, *rest], node)
        if isinstance(func, ast.Name) and func.id == "sorted" and len(node.args) == 1:
            if set(words) <= {"key", "reverse"}:
                rest = [words.get("key", none), words.get("reverse", none)]
                return self.rt("sorted", [node.args[0], *rest], node)
        if isinstance(func, ast.Name) and func.id in ("min", "max") and node.args:
            if set(words) <= {"key", "default"} and (len(node.args) == 1 or "default" not in words):
                items = (
                    node.args[0]
                    if len(node.args) == 1
                    else _at(ast.List(node.args, ast.Load()), node)
                )
                rest = [words.get("key", none)]
                if "default" in words:
                    rest.append(words["default"])
                return self.rt(func.id, [items, *rest], node)
        return node

    def _isinstance(self, node: ast.Call) -> ast.AST:
        kinds = node.args[1]
        names = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
        if not any(isinstance(k, ast.Name) and k.id in _TYPE_NAMES for k in names):
            return node  # JavaScripthon's own `instanceof`
        tests: list[ast.expr] = [
            _at(ast.Constant(k.id), k) if isinstance(k, ast.Name) and k.id in _TYPE_NAMES else k
            for k in names
        ]
        kind: ast.expr = tests[0] if len(tests) == 1 else _at(ast.List(tests, ast.Load()), kinds)
        return self.rt("isinstance", [node.args[0], kind], node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.FloorDiv):
            return self.rt("floordiv", [node.left, node.right], node)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.FloorDiv) and isinstance(node.target, ast.Name):
            value = ast.Name(node.target.id, ast.Load())
            _at(value, node.target)
            call = self.rt("floordiv", [value, node.value], node)
            target = ast.Name(node.target.id, ast.Store())
            return _at(ast.Assign([_at(target, node.target)], call), node)
        return node

    # -- f-strings -----------------------------------------------------------------------
    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        values: list[ast.expr] = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                values.append(self._formatted(part))
            else:
                values.append(part)
        node.values = values
        return node

    def _formatted(self, part: ast.FormattedValue) -> ast.FormattedValue:
        value = self.visit(part.value)
        if part.conversion in (ord("r"), ord("a")):
            value = self.rt("repr", [value], part.value)
        elif part.conversion == ord("s"):
            value = self.rt("str", [value], part.value)
        if part.format_spec is not None:
            spec = self.visit(part.format_spec)
            if (
                isinstance(spec, ast.JoinedStr)
                and len(spec.values) == 1
                and isinstance(spec.values[0], ast.Constant)
            ):
                spec = spec.values[0]
            value = self.rt("format", [value, spec], part.value)
        elif part.conversion == -1 and not (
            isinstance(value, ast.Constant) and isinstance(value.value, str)
        ):
            value = self.rt("str", [value], part.value)
        new = ast.FormattedValue(value, -1, None)
        return ast.copy_location(new, part)

    # -- iteration -----------------------------------------------------------------------
    def _iterated(self, it: ast.expr, helper: str = "iter") -> ast.expr:
        if _called(it) in _LOOP_KEEP or _is_list(it) or self.known_list(it):
            return it
        return self.rt(helper, [it], it)

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        if _called(node.iter) in _LOOP_KEEP:
            return node
        if (_is_list(node.iter) or self.known_list(node.iter)) and isinstance(
            node.target, ast.Name
        ):
            return node  # JavaScripthon's counted loop over an array
        # for x of _py.iter(it): a list's items, a dict's keys, a generator's
        # values; a tuple target destructures each item.
        wrapped = ast.Call(ast.Name("iterable", ast.Load()), [], [])
        _at(wrapped, node.iter)
        wrapped.args = [self._iterated(node.iter)]
        node.iter = wrapped
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        # a comprehension indexes its iterable: a generator becomes a list
        node.iter = self._iterated(node.iter, "seq")
        return node


def lower(tree: ast.Module) -> ast.Module:
    """Rewrite ``tree`` in place (see the module docstring); the runtime
    import is added when something uses it."""
    lowerer = _Lowerer()
    lowerer.visit(tree)
    if lowerer.used:
        first = tree.body[0] if tree.body else tree
        index = 0
        # after the docstring and `from __future__` imports
        while index < len(tree.body) and (
            (
                isinstance(tree.body[index], ast.Expr)
                and isinstance(getattr(tree.body[index], "value", None), ast.Constant)
                and index == 0
            )
            or (
                isinstance(tree.body[index], ast.ImportFrom)
                and getattr(tree.body[index], "module", None) == "__future__"
            )
        ):
            index += 1
        anchor = tree.body[index] if index < len(tree.body) else first
        imp = ast.Import([ast.alias(RUNTIME, RUNTIME_NAME)])
        tree.body.insert(index, _at(imp, anchor))
    return ast.fix_missing_locations(tree)


def lower_source(source: str, filename: str = "<source>") -> ast.Module:
    """Parse and lower a module's text."""
    return lower(ast.parse(source, filename=filename))
