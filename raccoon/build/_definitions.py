"""The definition checks of the client checker: imports, classes, functions
and the names they define (a mixin of :class:`._checker._Checker`)."""

from __future__ import annotations

import ast
from pathlib import Path

from raccoon.build._analysis import _call_name, _is_docstring
from raccoon.build._rules import _JS_RESERVED, _PYTHON_ONLY_MODULES, _unicode_prefix

__all__ = ["DefinitionChecks"]


class DefinitionChecks(ast.NodeVisitor):
    """Checks of imports and definitions; the state is the checker's."""

    file: Path | None
    generators: set[str]
    class_depth: int
    func_depth: int
    reported_names: set[int]
    class_methods: set[str]

    def report(self, node: ast.AST, code: str, message: str, fix: str) -> None:
        raise NotImplementedError

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level and not node.module and self.file is not None:
            package = self.file.parent
            for _ in range(node.level - 1):
                package = package.parent
            for alias in node.names:
                if (
                    not (package / f"{alias.name}.py").is_file()
                    and not (package / alias.name / "__init__.py").is_file()
                ):
                    self.report(
                        node,
                        "PJ230",
                        f"`from {'.' * node.level} import {alias.name}` imports a module named "
                        f"{alias.name} in JavaScript, and there is none",
                        f"import it from the module that defines it "
                        f"(from {'.' * node.level}module import {alias.name})",
                    )
        if any(alias.name == "*" for alias in node.names):
            self.report(node, "PJ123", "star imports are refused", "import the names explicitly")
        if node.level == 0 and module.split(".")[0] in _PYTHON_ONLY_MODULES:
            self.report(
                node,
                "PJ219",
                f"'{module}' is a Python module: it would be imported from JavaScript",
                "drop it (annotations are not needed) or use compat / a JS global",
            )
        if module != "__globals__":
            self._check_module_name(node, module)
        for alias in node.names:
            self._check_name(node, alias.asname or alias.name)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in _PYTHON_ONLY_MODULES:
                self.report(
                    node,
                    "PJ219",
                    f"'{alias.name}' is a Python module: it would be imported from JavaScript",
                    "drop it or use compat / a JS global",
                )
            self._check_module_name(node, alias.name)

    def _check_module_name(self, node: ast.AST, dotted: str) -> None:
        for fragment in dotted.split("."):
            char = _unicode_prefix(fragment)
            if char is not None:
                self.report(
                    node,
                    "PJ220",
                    f"module name '{fragment}' starts with a Unicode character name: "
                    f"JavaScripthon imports it as '{char}{fragment[fragment.index('_') + 1 :]}'",
                    "rename the module (e.g. keystore, pageview)",
                )

    # -- definitions -----------------------------------------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if node.name.startswith("_Py") and not self.class_depth and not self.func_depth:
            return  # the CPython half of a single-source class: never runs in JavaScript
        if self.class_depth:
            self.report(node, "PJ109", "nested classes are refused", "define it at module level")
        if len(node.bases) > 1:
            self.report(
                node, "PJ110", "multiple inheritance is refused", "use one base and composition"
            )
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in ("Exception", "BaseException"):
                self.report(
                    node,
                    "PJ226",
                    f"an exception class deriving from {base.id} fails to load in JavaScript",
                    "derive from Error (from __globals__ import Error) or a raccoon error",
                )
                self.reported_names.add(id(base))
        self._check_name(node, node.name)
        self._check_super_init(node)
        self.class_depth += 1
        outer_methods = self.class_methods
        self.class_methods = {
            item.name
            for item in node.body
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not any(
                isinstance(d, ast.Name) and d.id in ("property", "classmethod")
                for d in item.decorator_list
            )
        }
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._check_method_decorators(item)
        self.generic_visit(node)
        self.class_methods = outer_methods
        self.class_depth -= 1

    def _check_super_init(self, cls: ast.ClassDef) -> None:
        if not cls.bases:
            return
        for item in cls.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                body = [s for s in item.body if not _is_docstring(s)]
                first = body[0] if body else None
                if not (
                    isinstance(first, ast.Expr)
                    and isinstance(first.value, ast.Call)
                    and isinstance(first.value.func, ast.Attribute)
                    and first.value.func.attr == "__init__"
                    and isinstance(first.value.func.value, ast.Call)
                    and _call_name(first.value.func.value) == "super"
                ):
                    self.report(
                        item,
                        "PJ228",
                        f"{cls.name}.__init__ must call super().__init__() before anything "
                        "else: a JavaScript subclass constructor cannot touch `this` first",
                        "make super().__init__(...) its first statement",
                    )

    def _check_method_decorators(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        names = [d.id for d in func.decorator_list if isinstance(d, ast.Name)]
        if "staticmethod" in names:
            self.report(func, "PJ111", "staticmethod is refused", "use a module-level function")
        if "classmethod" in names:
            params = func.args.args
            if not params or params[0].arg != "self":
                self.report(
                    func,
                    "PJ111",
                    "a classmethod whose first parameter is not 'self' is refused",
                    "name it self (it is the class, as `this` in a static method)",
                )
        setters = [
            d
            for d in func.decorator_list
            if isinstance(d, ast.Attribute) and d.attr in ("setter", "getter", "deleter")
        ]
        if len(func.decorator_list) > 1 and not setters:
            self.report(
                func,
                "PJ217",
                "stacked decorators are applied in reverse order in JavaScript",
                "combine them into one decorator",
            )

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.name.startswith("_py_") and not self.class_depth and not self.func_depth:
            return  # the CPython half of a single-source helper: never runs in JavaScript
        if not self.class_depth and not self.func_depth and node.decorator_list:
            self.report(
                node,
                "PJ119",
                "decorators on module-level functions are refused",
                "call the decorator explicitly: f = deco(_f)",
            )
        args = node.args
        if args.kwarg is not None and (args.vararg is not None or args.kwonlyargs):
            self.report(
                node,
                "PJ116",
                "**kwargs together with *args or keyword-only parameters is refused",
                "take an explicit options object",
            )
        elif args.vararg is not None and args.kwonlyargs:
            self.report(
                node,
                "PJ116",
                "*args together with keyword-only parameters is refused",
                "take the options as a positional parameter before *args",
            )
        if isinstance(node, ast.AsyncFunctionDef) and node.name in self.generators:
            self.report(
                node,
                "PJ201",
                "async generators transpile, then make the module fail to load",
                "return a list, or use a callback / signal",
            )
        self._check_name(node, node.name)
        self._check_arg_names(args)
        self.func_depth += 1
        self.generic_visit(node)
        self.func_depth -= 1

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def _check_arg_names(self, args: ast.arguments) -> None:
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            self._check_name(arg, arg.arg)
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                self._check_name(extra, extra.arg)

    def _check_name(self, node: ast.AST, name: str) -> None:
        if name in _JS_RESERVED:
            self.report(node, "PJ120", f"'{name}' is a reserved word in JavaScript", "rename it")
        elif (
            name.startswith(("d_", "dd_")) or (name.endswith("_") and not name.endswith("__"))
        ) and name != "_":
            self.report(
                node,
                "PJ223",
                f"JavaScripthon renames '{name}' (d_ → $, trailing _ dropped) but not its "
                "declaration",
                "rename it",
            )
