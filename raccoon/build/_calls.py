"""The call checks of the client checker: built-ins, methods, keyword
arguments, methods passed without their ``self`` (a mixin of
:class:`._checker._Checker`)."""

from __future__ import annotations

import ast

from raccoon.build._analysis import (
    _Signature,
)
from raccoon.build._rules import (
    _CAPITALIZED_CALLS,
    _ISINSTANCE_TYPES,
    _NO_JS_BUILTINS,
    _PY_CONTAINER_METHODS,
    _PY_STRING_METHODS,
    _RESERVED_CALLS,
)

__all__ = ["CallChecks"]


class CallChecks(ast.NodeVisitor):
    """Checks of calls; the state is the checker's."""

    functions: dict[str, _Signature]
    methods: dict[str, _Signature]
    classes: dict[str, set[str]]
    for_iters: set[int]
    allowed_reserved: set[int]
    class_methods: set[str]

    def report(self, node: ast.AST, code: str, message: str, fix: str) -> None:
        raise NotImplementedError

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            if (
                isinstance(arg, ast.Attribute)
                and isinstance(arg.value, ast.Name)
                and arg.value.id == "self"
                and arg.attr in self.class_methods
            ):
                self.report(
                    arg,
                    "PJ231",
                    f"self.{arg.attr} passed as a value loses `self` in JavaScript "
                    "(methods are not bound)",
                    f"pass a lambda calling it (lambda x: self.{arg.attr}(x)), or "
                    f"self.{arg.attr}.bind(self) in JavaScript-only code",
                )
        if isinstance(func, ast.Name):
            if func.id in _RESERVED_CALLS:
                self.allowed_reserved.add(id(func))
            if func.id == "isinstance" and len(node.args) == 2:
                kinds = node.args[1]
                for kind in kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]:
                    self.allowed_reserved.add(id(kind))
        for kw in node.keywords:
            if kw.arg is None:
                self.report(
                    node,
                    "PJ115",
                    "f(**kwargs) is refused",
                    "pass the keywords explicitly, or an options object",
                )
        if isinstance(func, ast.Name):
            self._check_builtin_call(node, func.id)
            if func.id in self.classes and not func.id[0].isupper():
                self.report(
                    node,
                    "PJ222",
                    f"{func.id}() is called without `new`: JavaScripthon instantiates only "
                    "names that start with a capital letter",
                    "capitalize the class name (drop the leading underscore)",
                )
            self._check_keywords(node, func.id, self.functions.get(func.id))
        elif isinstance(func, ast.Attribute):
            self._check_method_call(node, func)
            if isinstance(func.value, ast.Name) and func.value.id == "self":
                self._check_keywords(node, func.attr, self.methods.get(func.attr))
        self.generic_visit(node)

    def _check_builtin_call(self, node: ast.Call, name: str) -> None:
        if name == "range" and id(node) not in self.for_iters:
            self.report(
                node,
                "PJ210",
                "range() exists only as a for loop header in JavaScript",
                "loop with `for i in range(n)` and push the values",
            )
        elif name in ("list", "dict") and (node.keywords or len(node.args) > 1):
            self.report(
                node,
                "PJ209",
                f"{name}() with keywords or several arguments is not lowered",
                _NO_JS_BUILTINS[name],
            )
        elif name in _NO_JS_BUILTINS and name not in ("list", "dict"):
            self.report(
                node, "PJ209", f"{name}() does not exist in JavaScript", _NO_JS_BUILTINS[name]
            )
        elif name == "isinstance" and len(node.args) == 2:
            kinds = node.args[1]
            for t in kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]:
                if isinstance(t, ast.Name) and t.id in _ISINSTANCE_TYPES:
                    self.report(
                        node,
                        "PJ205",
                        f"isinstance(x, {t.id}) refers to an undefined {t.id} in JavaScript",
                        f"use {_ISINSTANCE_TYPES[t.id]}",
                    )
        elif name == "getattr" and len(node.args) == 3:
            self.report(
                node,
                "PJ224",
                "getattr(obj, name, default) becomes obj[name] || default: false, 0 and '' "
                "are replaced by the default",
                "use obj.get(name, default) on a dict, or read the attribute and test `is None`",
            )
        elif name == "type" and len(node.args) == 1:
            self.report(
                node,
                "PJ225",
                "type(x) becomes Object.getPrototypeOf(x), not the class",
                "use isinstance(), or x.constructor in JavaScript-only code",
            )
        elif name in _CAPITALIZED_CALLS:
            self.report(
                node,
                "PJ222",
                f"{name}(x) becomes `new {name}(x)`, a wrapper object",
                _CAPITALIZED_CALLS[name],
            )

    def _check_method_call(self, node: ast.Call, func: ast.Attribute) -> None:
        method = func.attr
        nargs = len(node.args) + len(node.keywords)
        if method in _PY_STRING_METHODS:
            self.report(
                node,
                "PJ204",
                f".{method}() is a Python string method JavaScript strings lack",
                _PY_STRING_METHODS[method],
            )
        elif method == "split" and node.keywords:
            self.report(
                node,
                "PJ204",
                ".split() with keyword arguments is not lowered",
                "pass them positionally: s.split(sep, maxsplit), or s.split() for whitespace",
            )
        elif method in _PY_CONTAINER_METHODS and _PY_CONTAINER_METHODS[method][0] in (-1, nargs):
            self.report(
                node,
                "PJ203",
                f".{method}() is a Python container method the build does not lower",
                _PY_CONTAINER_METHODS[method][1],
            )

    def _check_keywords(self, node: ast.Call, name: str, sig: _Signature | None) -> None:
        if sig is None:
            return
        if not sig.varkw:
            for kw in node.keywords:
                if kw.arg is not None and kw.arg in sig.positional:
                    self.report(
                        node,
                        "PJ212",
                        f"keyword argument '{kw.arg}' to the positional parameter of {name}(): "
                        "JavaScripthon passes keywords as one trailing object",
                        f"pass it positionally, or make it keyword-only (def {name}(..., *, "
                        f"{kw.arg}=...))",
                    )
                    return
        named = any(kw.arg is not None for kw in node.keywords)
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        if named and not starred and len(node.args) < len(sig.positional):
            omitted = sig.positional[len(node.args)]
            if omitted not in sig.options_params:
                self.report(
                    node,
                    "PJ212",
                    f"keyword arguments while the positional parameter '{omitted}' of "
                    f"{name}() is omitted: JavaScripthon passes the keywords as one object, "
                    f"which lands in '{omitted}'",
                    f"pass '{omitted}' explicitly (and every positional parameter before the "
                    "keywords)",
                )
