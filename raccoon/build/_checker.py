"""The client checker: Python that JavaScripthon refuses or mistranslates.

JavaScripthon 0.13 transpiles a useful subset of Python; outside it, it
either refuses the module (often with a bare ``AssertionError``), or —
worse — emits JavaScript that loads and runs but means something else
(``f(1, c=10)`` passes ``{c: 10}`` as the second positional argument,
``xs[-1] = v`` does nothing). The build lowers the everyday constructs first
(``x is None``, ``append``, ``in``, ``get``, ``len``, ``str``, f-string
specs, dict iteration: see :mod:`._lower`); the checker reports what is
still unsupported after that, walking client modules with :mod:`ast`, as
``file:line:col: CODE what is wrong → the fix``, before anything runs.

A line can opt out with a trailing ``# pj: ignore[CODE,...]`` comment (or a
bare ``# pj: ignore`` for every rule), for code that is right in spite of the
heuristic — typically a JavaScript-only branch calling a JavaScript method
whose name looks like a Python one. Module-level functions named ``_py_*``
and classes named ``_Py*`` are the CPython halves of single-source modules
(chosen with ``if IS_JS:``): they are transpiled but never run in
JavaScript, so their bodies are not checked.
See ``docs/client-python.md``.

Heuristics (the checker has no types):

- container and string methods are judged by name (and argument count), not
  by the receiver's type: ``.index(x)`` is always reported, ``.update(d)``
  only on a receiver known to be a plain object;
- keyword arguments are checked against the functions, classes and methods
  of the same module, and against the functions and classes imported from
  the other modules of the checked tree (``check_tree``): a keyword passed to
  a positional parameter, or keywords passed while an optional positional
  parameter is omitted (the keywords object would land in it), are
  reported — unless the function tests that parameter with ``isinstance(p, dict)``,
  i.e. it expects the object there; calls to anything else are not checked;
- ``Cls.attr`` is reported when ``Cls`` is a class of the same module and
  ``attr`` is assigned in its body.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from raccoon.build._analysis import (
    ModuleIndex,
    _is_none,
    _is_str_node,
    _own_nodes,
    _resolve_imports,
    _Signature,
    _signature,
    client_modules,
    dotted_name,
    index_tree,
)
from raccoon.build._calls import CallChecks
from raccoon.build._definitions import DefinitionChecks
from raccoon.build._lower import RUNTIME_NAME
from raccoon.build._rules import (
    _ALLOWED_SUBSCRIPTS,
    _BUILTIN_EXCEPTIONS,
    _FORMAT_SPEC,
    _IGNORE,
    _JS_RESERVED,
    RULES,
    Violation,
    _unicode_prefix,
)

__all__ = [
    "RULES",
    "Violation",
    "check_file",
    "check_source",
    "check_tree",
    "client_modules",
    "dotted_name",
    "index_tree",
]


class _Checker(CallChecks, DefinitionChecks):
    def __init__(self, path: str, source: str, file: Path | None = None) -> None:
        self.path = path
        self.file = file
        self.lines = source.splitlines()
        self.found: list[Violation] = []
        self.functions: dict[str, _Signature] = {}
        self.methods: dict[str, _Signature] = {}
        self.classes: dict[str, set[str]] = {}
        self.generators: set[str] = set()
        self.for_iters: set[int] = set()
        self.for_targets: set[int] = set()
        self.class_depth = 0
        self.func_depth = 0
        self.reported_names: set[int] = set()
        self.allowed_reserved: set[int] = set()
        self.class_methods: set[str] = set()

    # -- reporting -----------------------------------------------------------------
    def report(self, node: ast.AST, code: str, message: str, fix: str) -> None:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + 1
        if 0 < line <= len(self.lines):
            match = _IGNORE.search(self.lines[line - 1])
            if match:
                codes = match.group(1)
                if codes is None or code in {c.strip() for c in codes.split(",")}:
                    return
        self.found.append(Violation(self.path, line, col, code, message, fix))

    # -- first pass: what the module defines -----------------------------------------
    def collect(self, tree: ast.Module) -> None:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = _signature(node, method=False)
            elif isinstance(node, ast.ClassDef):
                attrs: set[str] = set()
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        # Unknown receivers: a method name shared by two classes
                        # with different signatures is not checked.
                        sig = _signature(item, method=True)
                        if item.name in self.methods and self.methods[item.name] != sig:
                            self.methods[item.name] = _Signature([], set(), True)
                        else:
                            self.methods[item.name] = sig
                        if item.name == "__init__":
                            self.functions[node.name] = sig
                    elif isinstance(item, ast.Assign):
                        attrs.update(t.id for t in item.targets if isinstance(t, ast.Name))
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        attrs.add(item.target.id)
                self.classes[node.name] = attrs
        for sub in ast.walk(tree):
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(sub)
            ):
                self.generators.add(sub.name)

    # -- refused constructs ------------------------------------------------------------
    def visit_DictComp(self, node: ast.DictComp) -> None:
        self.report(node, "PJ101", "dict comprehensions are refused", "build the object in a loop")
        self.generic_visit(node)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self.report(
            node,
            "PJ101",
            "set comprehensions are refused",
            "build it in a loop: s = Set() (from __globals__ import Set), s.add(x)",
        )
        self.generic_visit(node)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self.report(node, "PJ102", "generator expressions are refused", "use a list comprehension")
        self.generic_visit(node)

    def visit_Set(self, node: ast.Set) -> None:
        self.report(
            node,
            "PJ103",
            "set literals are refused",
            "use Set() (from __globals__ import Set) and .add()",
        )
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mod) and _is_str_node(node.left):
            self.report(
                node, "PJ208", "'...' % x formatting becomes a numeric remainder", "use an f-string"
            )
        elif isinstance(node.op, ast.Add) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)
        ):
            self.report(
                node,
                "PJ227",
                "list + list becomes string concatenation in JavaScript",
                "use compat.concat(a, b)",
            )
        elif isinstance(node.op, ast.Mult) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)
        ):
            self.report(node, "PJ227", "[x] * n is NaN in JavaScript", "build the list in a loop")
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.report(
            node, "PJ105", "assignment expressions (:=) are refused", "assign on its own line"
        )
        self.generic_visit(node)

    def visit_Match(self, node: ast.Match) -> None:
        self.report(node, "PJ106", "match statements are refused", "use if/elif")
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        self.report(node, "PJ107", "with statements are refused", "use try/finally")
        self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        self.report(node, "PJ107", "async with statements are refused", "use try/finally")
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.report(node, "PJ108", "global is refused", "keep the state on an object")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.report(node, "PJ108", "nonlocal is refused", "keep the state on an object")

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self.report(node, "PJ113", "async for is refused", "await in a while loop (or over a list)")
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        if node.orelse:
            self.report(
                node, "PJ114", "try ... else is refused", "move the else body to the end of the try"
            )
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        index = node.slice
        if isinstance(index, ast.Slice):
            if index.step is not None:
                self.report(
                    node, "PJ122", "slices with a step are refused", "loop over the indexes"
                )
        elif not isinstance(index, _ALLOWED_SUBSCRIPTS) or (
            isinstance(index, ast.UnaryOp) and not isinstance(index.operand, ast.Constant)
        ):
            self.report(
                node,
                "PJ112",
                f"computed subscripts such as [{ast.unparse(index)}] are refused",
                "assign the index to a name first (j = i + 1; xs[j])",
            )
        if (
            isinstance(node.ctx, (ast.Store, ast.Del))
            and isinstance(index, ast.UnaryOp)
            and isinstance(index.op, ast.USub)
        ):
            self.report(
                node,
                "PJ215",
                "assigning or deleting a negative index does nothing in JavaScript",
                "use xs[len(xs) - 1] through a name: last = len(xs) - 1; xs[last] = v",
            )
        self.generic_visit(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        args = node.args
        if args.defaults or args.kw_defaults or args.vararg or args.kwarg or args.kwonlyargs:
            self.report(
                node,
                "PJ117",
                "lambdas with default values, *args, keyword-only or **kwargs are refused",
                "use a nested def",
            )
        self._check_arg_names(node.args)
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        for value in node.values:
            if isinstance(value, ast.Constant) and (
                "`" in str(value.value) or "${" in str(value.value)
            ):
                self.report(
                    node,
                    "PJ229",
                    "a backtick or ${ in an f-string ends or opens the JavaScript template "
                    "literal it becomes",
                    "use quotes instead, or concatenate a plain string",
                )
                break
        for value in node.values:
            spec = value.format_spec if isinstance(value, ast.FormattedValue) else None
            if (
                isinstance(spec, ast.JoinedStr)
                and all(isinstance(v, ast.Constant) for v in spec.values)
                and not _FORMAT_SPEC.match("".join(str(v.value) for v in spec.values))  # type: ignore[attr-defined]
            ):
                self.report(
                    node,
                    "PJ118",
                    f"the format spec '{ast.unparse(spec)[2:-1]}' is not one the browser "
                    "runtime formats (raccoon/pyrt.js format())",
                    "use [[fill]align][sign][#][0][width][,][.precision][type] with a type "
                    "of b c d e f g n o s x %, or format the value explicitly",
                )
                break
        self.generic_visit(node)

    # -- statements ----------------------------------------------------------------
    def visit_For(self, node: ast.For) -> None:
        self.for_iters.add(id(node.iter))
        if node.orelse:
            self.report(
                node, "PJ211", "for ... else loses its else in JavaScript", "use a flag variable"
            )
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if not isinstance(node.target, ast.Name):
            self.report(
                node.target,
                "PJ121",
                "JavaScripthon refuses a comprehension that unpacks its items",
                "take one name and index it ([kv[0] for kv in pairs]), or append in a "
                "for loop, which unpacks",
            )
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        if node.orelse:
            self.report(
                node, "PJ211", "while ... else loses its else in JavaScript", "use a flag variable"
            )
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, (ast.Tuple, ast.List)) and any(
                isinstance(e, ast.Starred) for e in target.elts
            ):
                self.report(
                    node,
                    "PJ214",
                    "starred assignment (a, *b = c) is mistranslated",
                    "slice explicitly: a = c[0]; b = c[1:]",
                )
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and test.left.id == "__name__"
        ):
            self.report(
                node, "PJ218", "`if __name__ == ...` fails in JavaScript", "remove the block"
            )
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in _JS_RESERVED and id(node) not in self.allowed_reserved:
            self.report(node, "PJ120", f"'{node.id}' is a reserved word in JavaScript", "rename it")
        elif node.id == RUNTIME_NAME:
            self.report(
                node, "PJ120", f"'{node.id}' is the build's runtime (raccoon/pyrt.js)", "rename it"
            )
        elif isinstance(node.ctx, ast.Store):
            self._check_name(node, node.id)
        elif node.id in ("__name__", "__file__") and isinstance(node.ctx, ast.Load):
            self.report(
                node, "PJ218", f"{node.id} does not exist in JavaScript", "use a string constant"
            )
        elif (
            isinstance(node.ctx, ast.Load)
            and node.id in _BUILTIN_EXCEPTIONS
            and id(node) not in self.reported_names
        ):
            self.report(
                node,
                "PJ207",
                f"{node.id} does not exist in JavaScript",
                "raise a raccoon error (raccoon.errors) or a JS one "
                "(from __globals__ import Error, TypeError, RangeError)",
            )
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        # `x is None` alone is lowered (raccoon.build._lower); in a chain it is not.
        operands = [node.left, *node.comparators]
        if len(node.ops) > 1 and any(_is_none(o) for o in operands):
            self.report(
                node,
                "PJ216",
                "a chained comparison with None becomes `=== null`: undefined (a missing "
                "value) is not None in JavaScript",
                "split the chain: `a is None and b is None`",
            )
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        if any(key is None for key in node.keys):
            self.report(
                node,
                "PJ213",
                "{**mapping} is mistranslated",
                "copy, then update: c = a.copy(); c.update(b)",
            )
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        value = node.value
        if (
            isinstance(node.ctx, ast.Load)
            and isinstance(value, ast.Name)
            and value.id in self.classes
            and node.attr in self.classes[value.id]
        ):
            self.report(
                node,
                "PJ221",
                f"{value.id}.{node.attr} is undefined in JavaScript: class attributes live on "
                "the prototype",
                f"read self.{node.attr} on an instance, or make it a module constant",
            )
        if node.attr in _JS_RESERVED:
            self.report(node, "PJ120", f"'.{node.attr}' is refused by JavaScripthon", "rename it")
        self.generic_visit(node)

    # -- calls -----------------------------------------------------------------------


def check_source(
    source: str,
    path: str = "<source>",
    module_name: str | None = None,
    *,
    index: ModuleIndex | None = None,
    dotted: str | None = None,
    file: Path | None = None,
) -> list[Violation]:
    """Check the text of one client module; ``module_name`` (the file's stem)
    is checked too when given. With ``index`` (the signatures of a whole
    client tree) and the module's ``dotted`` name, calls to functions
    imported from the tree are checked like local ones."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return [
            Violation(
                path,
                exc.lineno or 1,
                exc.offset or 1,
                "PJ000",
                f"syntax error: {exc.msg}",
                "fix the Python syntax",
            )
        ]
    checker = _Checker(path, source, file)
    if index is not None and dotted is not None:
        checker.functions.update(_resolve_imports(tree, dotted, index))
    checker.collect(tree)
    # for-loop iterables are known before their calls are visited
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)):
            checker.for_iters.add(id(node.iter))
    checker.visit(tree)
    if module_name is not None and module_name != "__init__":
        char = _unicode_prefix(module_name)
        if char is not None:
            checker.found.append(
                Violation(
                    path,
                    1,
                    1,
                    "PJ220",
                    f"module name '{module_name}' starts with a Unicode character name: "
                    f"importers would get '{char}{module_name[module_name.index('_') + 1 :]}'",
                    "rename the module (e.g. keystore, pageview)",
                )
            )
    return sorted(checker.found, key=lambda v: (v.line, v.col, v.code))


def check_file(
    path: Path,
    display: str | None = None,
    *,
    index: ModuleIndex | None = None,
    dotted: str | None = None,
) -> list[Violation]:
    """Check one client module file."""
    return check_source(
        path.read_text(encoding="utf-8"),
        display or str(path),
        path.stem,
        index=index,
        dotted=dotted,
        file=path,
    )


def check_tree(roots: Iterable[Path], base: Path | None = None) -> list[Violation]:
    """Check every module under each root; paths are shown relative to ``base``."""
    roots = [Path(r) for r in roots]
    index = index_tree(roots)
    found: list[Violation] = []
    for root in roots:
        for path in client_modules(root):
            shown = path
            if base is not None:
                try:
                    shown = path.resolve().relative_to(base.resolve())
                except ValueError:
                    shown = path
            found.extend(check_file(path, str(shown), index=index, dotted=dotted_name(root, path)))
    return found
