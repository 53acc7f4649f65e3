"""The client checker: Python that JavaScripthon refuses or mistranslates.

JavaScripthon 0.13 transpiles a useful subset of Python; outside it, it
either refuses the module (often with a bare ``AssertionError``), or —
worse — emits JavaScript that loads and runs but means something else
(``f(1, c=10)`` passes ``{c: 10}`` as the second positional argument,
``for x in gen()`` iterates nothing, ``xs[-1] = v`` does nothing). The
checker walks client modules with :mod:`ast` and reports each such construct
as ``file:line:col: CODE what is wrong → the fix``, before anything runs.

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
  by the receiver's type: ``.items()`` is always reported, ``.get(k)`` with
  one argument never (it is ``Map.get`` or our own API), ``.get(k, d)``
  always;
- keyword arguments are checked against the functions, classes and methods
  of the same module, and against the functions and classes imported from
  the other modules of the checked tree (``check_tree``): a keyword passed to
  a positional parameter, or keywords passed while an optional positional
  parameter is omitted (the keywords object would land in it), are
  reported — unless the function tests that parameter with ``is_object()``,
  i.e. it expects the object there; calls to anything else are not checked;
- ``Cls.attr`` is reported when ``Cls`` is a class of the same module and
  ``attr`` is assigned in its body.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Violation:
    """One construct the checker rejects."""

    path: str
    line: int
    col: int
    code: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message} → {self.fix}"


#: code → short name, for the docs and ``# pj: ignore[...]``.
RULES: dict[str, str] = {
    "PJ101": "dict or set comprehension",
    "PJ102": "generator expression",
    "PJ103": "set literal",
    "PJ104": "floor division //",
    "PJ105": "assignment expression :=",
    "PJ106": "match statement",
    "PJ107": "with / async with",
    "PJ108": "global / nonlocal",
    "PJ109": "nested class",
    "PJ110": "multiple inheritance",
    "PJ111": "staticmethod, or classmethod without self",
    "PJ112": "computed subscript",
    "PJ113": "async for",
    "PJ114": "try ... else",
    "PJ115": "f(**kwargs) at a call site",
    "PJ116": "unsupported parameter combination",
    "PJ117": "lambda with defaults, *args or keywords",
    "PJ118": "f-string conversion or format spec",
    "PJ119": "decorated module-level function",
    "PJ120": "JavaScript reserved word as a name",
    "PJ121": "for loop target that is not a name",
    "PJ122": "slice with a step",
    "PJ123": "star import",
    "PJ201": "async generator",
    "PJ202": "for over an iterator without iterable()",
    "PJ203": "Python container method",
    "PJ204": "Python string method",
    "PJ205": "isinstance with a Python container type",
    "PJ206": "str() or repr()",
    "PJ207": "Python built-in exception",
    "PJ208": "% string formatting",
    "PJ209": "Python built-in function without a JavaScript translation",
    "PJ210": "range() outside a for loop",
    "PJ211": "for/while ... else",
    "PJ212": "keyword argument to a positional parameter",
    "PJ213": "{**mapping} in a dict literal",
    "PJ214": "starred assignment",
    "PJ215": "negative index assignment",
    "PJ216": "comparison with None",
    "PJ217": "stacked method decorators",
    "PJ218": "__name__ / __file__",
    "PJ219": "Python-only import",
    "PJ220": "module name JavaScripthon rewrites",
    "PJ221": "class attribute read through the class",
    "PJ222": "call with or without `new` by capitalization",
    "PJ223": "name JavaScripthon renames",
    "PJ224": "getattr with a default",
    "PJ225": "type(x)",
    "PJ226": "exception class deriving from Exception",
    "PJ227": "list concatenation or repetition",
    "PJ228": "subclass __init__ not starting with super().__init__()",
    "PJ229": "backtick or ${ in an f-string",
}

_IGNORE = re.compile(r"#\s*pj:\s*ignore(?:\[([A-Z0-9, ]+)\])?")

# JavaScripthon's own list (js_ast/util.py, ES6 mode): names it refuses.
_JS_RESERVED = frozenset(
    "break case catch continue default do else finally for function if in instanceof new "
    "return switch this throw try typeof var void while with abstract boolean byte char "
    "class const double enum export extends final float goto implements import int "
    "interface long native package private protected public short static super "
    "synchronized throws transient volatile".split()
)
# Reserved names JavaScripthon translates itself in these positions.
_RESERVED_CALLS = frozenset({"int", "float", "super", "typeof"})
_PYTHON_ONLY_MODULES = frozenset(
    "__future__ abc asyncio collections contextlib copy dataclasses enum functools inspect "
    "itertools json logging math operator os re sys time types typing typing_extensions "
    "weakref".split()
)
_BUILTIN_EXCEPTIONS = frozenset(
    "ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup "
    "BlockingIOError BrokenPipeError BufferError ConnectionError EOFError Exception "
    "ExceptionGroup FileExistsError FileNotFoundError FloatingPointError GeneratorExit "
    "IOError ImportError IndexError InterruptedError KeyError KeyboardInterrupt LookupError "
    "MemoryError ModuleNotFoundError NameError NotImplementedError OSError OverflowError "
    "PermissionError RecursionError ReferenceError RuntimeError StopAsyncIteration "
    "StopIteration SystemError SystemExit TimeoutError UnicodeError ValueError "
    "ZeroDivisionError".split()
)
_NO_JS_BUILTINS = {
    "sorted": "copy the list and call compat.sort_strings(), or sort with a JS comparator",
    "min": "use Math.min(...xs) (from __globals__ import Math)",
    "max": "use Math.max(...xs) (from __globals__ import Math)",
    "sum": "add in a for loop",
    "enumerate": "loop with `for i in range(len(xs))`",
    "zip": "loop with `for i in range(len(xs))` over both lists",
    "any": "loop and return early",
    "all": "loop and return early",
    "map": "use a list comprehension",
    "filter": "use a list comprehension with `if`",
    "reversed": "copy the list (xs[0:]) and call .reverse()",
    "abs": "use Math.abs(x) (from __globals__ import Math)",
    "round": "use Math.round(x) (from __globals__ import Math)",
    "hash": "use the string form of the value as a key",
    "id": "keep an explicit counter",
    "iter": "iterate with `for x in iterable(...)`",
    "next": "call it.next() on a JS iterator",
    "divmod": "use Math.floor(a / b) and a % b",
    "tuple": "use a list",
    "set": "use compat.new_set()",
    "frozenset": "use compat.new_set()",
    "bool": "use `not not x` (and mind that [] and {} are true in JS)",
    "bytes": "use a Uint8Array (from __globals__ import Uint8Array)",
    "chr": "use String.fromCharCode(n)",
    "ord": "use s.charCodeAt(0)",
    "hex": "use n.toString(16)",
    "bin": "use n.toString(2)",
    "oct": "use n.toString(8)",
    "vars": "use compat.items(obj)",
    "dir": "use Object.keys(obj)",
    "locals": "pass the values explicitly",
    "globals": "pass the values explicitly",
    "format": "use an f-string",
    "pow": "use a ** b",
    "list": "copy with xs[0:] (or compat.copy); `list(xs).append(v)` is JavaScripthon's push idiom",
    "dict": "copy with compat.copy(obj); `for k in dict(obj)` is the key-loop idiom",
}
_PY_STRING_METHODS = {
    "strip": "use s.trim()",
    "lstrip": "use s.trimStart()",
    "rstrip": "use s.trimEnd()",
    "startswith": "use compat.starts_with(s, prefix)",
    "endswith": "use compat.ends_with(s, suffix)",
    "format": "use an f-string",
    "lower": "use s.toLowerCase()",
    "upper": "use s.toUpperCase()",
    "capitalize": "use s[0].toUpperCase() + s[1:].toLowerCase()",
    "title": "write the loop explicitly",
    "casefold": "use s.toLowerCase()",
    "splitlines": "use s.split('\\n')",
    "find": "use s.indexOf(sub)",
    "rfind": "use s.lastIndexOf(sub)",
    "partition": "use s.split(sep) and join the rest",
    "rpartition": "use s.split(sep) and join the rest",
    "ljust": "use s.padEnd(n)",
    "rjust": "use s.padStart(n)",
    "zfill": "use s.padStart(n, '0')",
    "isdigit": "use a regular expression test",
    "isalpha": "use a regular expression test",
    "isalnum": "use a regular expression test",
    "isspace": "use a regular expression test",
    "isupper": "compare with s.toUpperCase()",
    "islower": "compare with s.toLowerCase()",
    "removeprefix": "test compat.starts_with() and slice",
    "removesuffix": "test compat.ends_with() and slice",
    "expandtabs": "replace the tabs explicitly",
    "swapcase": "write the loop explicitly",
    "center": "use padStart/padEnd",
}
# Python container methods JavaScript arrays and objects lack or implement
# differently. Policy: forbidden whatever the receiver (with the number of
# arguments Python uses: Object.keys(obj) is fine); compat has helpers.
_PY_CONTAINER_METHODS = {
    "items": (0, "use compat.items(obj) (a list of [key, value] pairs)"),
    "setdefault": (-1, "test compat.has(obj, key) and assign"),
    "popitem": (0, "pick a key with compat.keys(obj) and delete it"),
    "append": (1, "use compat.push(xs, v) (or xs.push(v) in JavaScript-only code)"),
    "extend": (1, "use compat.concat(xs, ys) or push in a loop"),
    "insert": (2, "use compat.insert(xs, i, v)"),
    "index": (1, "use compat.index_of(xs, v) (-1 when missing)"),
    "count": (1, "count in a loop"),
}
# Dict methods plain JavaScript objects lack: reported when the receiver is
# known to be a plain object (assigned a dict literal or dict() in the same
# scope, a parameter annotated dict, or self.x = {} in the class), since our
# own classes (Value, ReactiveDict, NodeContext) have get/update methods.
_DICT_METHODS = {
    "keys": "use compat.keys(obj) (a list, for plain objects, dicts and Maps)",
    "values": "use compat.values(obj)",
    "get": "use compat.get(obj, key, default)",
    "update": "use compat.update(target, source)",
    "copy": "use compat.copy(obj)",
    "clear": "assign a new {} (or delete the keys in a loop)",
    "pop": "read it, then `del obj[key]`",
}
_CAPITALIZED_CALLS = {
    "String": 'use compat.to_str(x) or "" + x',
    "Number": "use Number.parseFloat(x) (or float(x))",
    "Boolean": "use `not not x`",
    "Symbol": "use Symbol.for_(name) or a module-level constant made with JS('Symbol()')",
    "BigInt": "use JS('BigInt')(x)",
}
_ISINSTANCE_TYPES = {
    "list": "compat.is_list(x)",
    "tuple": "compat.is_list(x)",
    "dict": "compat.is_object(x)",
    "set": "isinstance(x, Set) with `from __globals__ import Set`",
    "frozenset": "isinstance(x, Set) with `from __globals__ import Set`",
    "bool": "typeof(x) == 'boolean'",
    "bytes": "isinstance(x, Uint8Array)",
    "object": "typeof(x) == 'object'",
}
_ALLOWED_SUBSCRIPTS = (ast.Constant, ast.Name, ast.Subscript, ast.UnaryOp, ast.Attribute, ast.Slice)
_NOTABLE_PREFIX = re.compile(r"((?:[a-zA-Z][a-z]+)+)_")
_SINGLE_WORD = re.compile(r"([A-Z][a-z]+)")


def _unicode_prefix(fragment: str) -> str | None:
    """The character JavaScripthon would put in place of the fragment's
    first word (``page_view`` → ``📄view``), as its import rewriting does."""
    match = _NOTABLE_PREFIX.match(fragment)
    if not match:
        return None
    word = match.group(1)
    if word.lower() == "at":
        return "@"
    try:
        return unicodedata.lookup(_SINGLE_WORD.sub(r" \1", word).strip())
    except KeyError:
        return None


@dataclass
class _Signature:
    positional: list[str]
    with_default: set[str]
    varkw: bool
    # Positional parameters the function tests with is_object(): it takes the
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
        and _call_name(node) == "is_object"
        and len(node.args) == 1
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


class _Checker(ast.NodeVisitor):
    def __init__(self, path: str, source: str) -> None:
        self.path = path
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
        self.in_iterable: set[int] = set()
        self.dict_scopes: list[set[str]] = [set()]
        self.dict_attrs: set[str] = set()

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
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(node)
            ):
                self.generators.add(node.name)

    # -- refused constructs ------------------------------------------------------------
    def visit_DictComp(self, node: ast.DictComp) -> None:
        self.report(node, "PJ101", "dict comprehensions are refused", "build the object in a loop")
        self.generic_visit(node)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self.report(
            node, "PJ101", "set comprehensions are refused", "build it with compat.new_set() in a loop"
        )
        self.generic_visit(node)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self.report(node, "PJ102", "generator expressions are refused", "use a list comprehension")
        self.generic_visit(node)

    def visit_Set(self, node: ast.Set) -> None:
        self.report(node, "PJ103", "set literals are refused", "use compat.new_set() and .add()")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.FloorDiv):
            self.report(
                node,
                "PJ104",
                "floor division // is refused",
                "use Math.floor(a / b) with `from __globals__ import Math`",
            )
        elif isinstance(node.op, ast.Mod) and _is_str_node(node.left):
            self.report(
                node, "PJ208", "'...' % x formatting becomes a numeric remainder", "use an f-string"
            )
        elif isinstance(node.op, ast.Add) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)
        ):
            self.report(
                node, "PJ227", "list + list becomes string concatenation in JavaScript",
                "use compat.concat(a, b)",
            )
        elif isinstance(node.op, ast.Mult) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)
        ):
            self.report(node, "PJ227", "[x] * n is NaN in JavaScript", "build the list in a loop")
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.report(node, "PJ105", "assignment expressions (:=) are refused", "assign on its own line")
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
        self.report(
            node, "PJ113", "async for is refused", "await in a while loop (or over a list)"
        )
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
                self.report(node, "PJ122", "slices with a step are refused", "loop over the indexes")
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
            if isinstance(value, ast.FormattedValue) and (
                value.conversion != -1 or value.format_spec is not None
            ):
                self.report(
                    node,
                    "PJ118",
                    "f-string conversions (!r) and format specs are refused",
                    "format the value explicitly, e.g. x.toFixed(2)",
                )
                break
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
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
                    f"JavaScripthon imports it as '{char}{fragment[fragment.index('_') + 1:]}'",
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
        outer_attrs = self.dict_attrs
        self.dict_attrs = set()
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._check_method_decorators(item)
                for sub in ast.walk(item):
                    if isinstance(sub, ast.Assign) and _is_dict_value(sub.value):
                        for target in sub.targets:
                            if (
                                isinstance(target, ast.Attribute)
                                and isinstance(target.value, ast.Name)
                                and target.value.id == "self"
                            ):
                                self.dict_attrs.add(target.attr)
        self.generic_visit(node)
        self.dict_attrs = outer_attrs
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
            self.report(
                func, "PJ111", "staticmethod is refused", "use a module-level function"
            )
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
        self.dict_scopes.append(_dict_names(node))
        self.func_depth += 1
        self.generic_visit(node)
        self.func_depth -= 1
        self.dict_scopes.pop()

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
            self.report(
                node, "PJ120", f"'{name}' is a reserved word in JavaScript", "rename it"
            )
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

    # -- statements ----------------------------------------------------------------
    def visit_For(self, node: ast.For) -> None:
        self.for_iters.add(id(node.iter))
        it = node.iter
        is_iterable = _call_name(it) == "iterable"
        if node.orelse:
            self.report(
                node, "PJ211", "for ... else loses its else in JavaScript", "use a flag variable"
            )
        if not isinstance(node.target, ast.Name) and not is_iterable:
            self.report(
                node,
                "PJ121",
                "only a plain name can be the target of a for loop over a list",
                "unpack inside the body, or loop over iterable(...)",
            )
        name = _call_name(it)
        if isinstance(it, ast.Call) and not is_iterable:
            method = it.func.attr if isinstance(it.func, ast.Attribute) else None
            if name in self.generators or method in self.generators:
                self.report(
                    node,
                    "PJ202",
                    f"`for x in {name or method}()` iterates nothing: it is a generator",
                    "write `for x in iterable(gen())` (from raccoon.compat import iterable)",
                )
            elif method in ("keys", "values", "entries") and not it.args:
                self.report(
                    node,
                    "PJ202",
                    f"`.{method}()` of a Map is an iterator: a for loop over it iterates nothing",
                    f"loop over iterable(m.{method}()) or compat.{method}(obj)",
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
        for op, right in zip(node.ops, node.comparators, strict=True):
            is_none = _is_none(right) or _is_none(node.left)
            if is_none and isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
                self.report(
                    node,
                    "PJ216",
                    "comparing with None becomes `=== null`: undefined (a missing value) "
                    "is not None in JavaScript",
                    "use compat.is_none(x) (`not is_none(x)` for `is not None`)",
                )
                break
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        if any(key is None for key in node.keys):
            self.report(
                node, "PJ213", "{**mapping} is mistranslated", "use compat.update(compat.copy(a), b)"
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
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in _RESERVED_CALLS:
                self.allowed_reserved.add(id(func))
            if func.id == "isinstance" and len(node.args) == 2:
                kinds = node.args[1]
                for kind in kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]:
                    self.allowed_reserved.add(id(kind))
            if func.id == "iterable":
                self.in_iterable.update(id(a) for a in node.args)
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
        if name in ("str", "repr"):
            self.report(
                node,
                "PJ206",
                f"{name}(x) becomes x.toString(), which fails on None/undefined",
                "use compat.to_str(x) or an f-string",
            )
        elif name == "range" and id(node) not in self.for_iters:
            self.report(
                node,
                "PJ210",
                "range() exists only as a for loop header in JavaScript",
                "loop with `for i in range(n)` and push the values",
            )
        elif name in ("list", "dict") and not _is_pj_idiom(node, self.for_iters):
            self.report(
                node, "PJ209", f"{name}() does not exist in JavaScript", _NO_JS_BUILTINS[name]
            )
        elif name in _NO_JS_BUILTINS and name not in ("list", "dict"):
            self.report(
                node, "PJ209", f"{name}() does not exist in JavaScript", _NO_JS_BUILTINS[name]
            )
        elif name == "isinstance" and len(node.args) == 2:
            many = isinstance(node.args[1], ast.Tuple)
            types = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            for t in types:
                if many and isinstance(t, ast.Name) and t.id in ("str", "int", "float"):
                    self.report(
                        node,
                        "PJ205",
                        f"{t.id} in an isinstance() tuple becomes `x instanceof {t.id}`, "
                        "an undefined name (only a lone str, int or float is translated)",
                        f"split it: isinstance(x, {t.id}) or isinstance(x, Other)",
                    )
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
                "use compat.get(obj, name, default)",
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
        elif method == "join" and len(node.args) == 1 and (
            _is_str_node(func.value)
            or isinstance(node.args[0], (ast.List, ast.ListComp, ast.Tuple, ast.Call))
        ):
            self.report(
                node,
                "PJ204",
                "sep.join(items) is Python's join; JavaScript's is items.join(sep)",
                "use compat.join(items, sep)",
            )
        elif method == "replace" and len(node.args) == 2:
            self.report(
                node,
                "PJ204",
                ".replace(old, new) replaces only the first occurrence in JavaScript",
                "use compat.replace_all(text, old, new)",
            )
        elif method == "split" and (len(node.args) != 1 or node.keywords):
            self.report(
                node,
                "PJ204",
                ".split() without exactly one separator differs in JavaScript",
                "pass one separator and slice the result",
            )
        elif (
            method in _PY_CONTAINER_METHODS
            and _PY_CONTAINER_METHODS[method][0] in (-1, nargs)
            and not _is_pj_container_idiom(func)
            and id(node) not in self.in_iterable
        ):
            self.report(
                node,
                "PJ203",
                f".{method}() is a Python container method (plain JS objects and arrays lack "
                "it or differ)",
                _PY_CONTAINER_METHODS[method][1],
            )
        elif method in _DICT_METHODS and self._is_plain_object(func.value):
            self.report(
                node,
                "PJ203",
                f".{method}() on a plain object: JavaScript objects have no dict methods",
                _DICT_METHODS[method],
            )
        elif method == "pop" and nargs >= 1:
            self.report(
                node,
                "PJ203",
                ".pop(i) ignores its argument in JavaScript (it removes the last item)",
                "use compat.remove_at(xs, i), or `del obj[key]` for an object",
            )
        elif method == "remove" and nargs == 1:
            self.report(
                node,
                "PJ203",
                ".remove(x) does not exist on JavaScript arrays",
                "use compat.remove_at(xs, compat.index_of(xs, x))",
            )
        elif method == "sort" and (nargs == 0 or node.keywords):
            self.report(
                node,
                "PJ203",
                ".sort() sorts numbers as strings in JavaScript, and takes no key=",
                "pass a comparator: xs.sort(lambda a, b: a - b), or compat.sort_strings(xs)",
            )

    def _is_plain_object(self, node: ast.expr) -> bool:
        if isinstance(node, (ast.Dict, ast.DictComp)):
            return True
        if isinstance(node, ast.Name):
            return any(node.id in scope for scope in self.dict_scopes)
        return (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
            and node.attr in self.dict_attrs
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


def _is_dict_value(node: ast.expr) -> bool:
    return isinstance(node, (ast.Dict, ast.DictComp)) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
    )


def _dict_names(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names a function binds to plain objects (dict literals, dict-annotated
    parameters)."""
    names: set[str] = set()
    args = func.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        ann = arg.annotation
        if isinstance(ann, ast.Subscript):
            ann = ann.value
        if isinstance(ann, ast.Name) and ann.id == "dict":
            names.add(arg.arg)
    for node in _own_nodes(func):
        if isinstance(node, ast.Assign) and _is_dict_value(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
            and _is_dict_value(node.value)
        ):
            names.add(node.target.id)
    return names


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


def _is_pj_idiom(node: ast.Call, for_iters: set[int]) -> bool:
    """``for k in dict(x)``, ``dict(x).update(y)``, ``dict(x).copy()`` and
    ``list(x).append(y)`` are JavaScripthon idioms (recognized by the caller
    of the call, see _is_pj_container_idiom); only ``for k in dict(x)`` can be
    told from the call itself."""
    return id(node) in for_iters and isinstance(node.func, ast.Name) and node.func.id == "dict"


def _is_pj_container_idiom(func: ast.Attribute) -> bool:
    value = func.value
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and len(value.args) == 1
        and (
            (value.func.id == "dict" and func.attr in ("update", "copy"))
            or (value.func.id == "list" and func.attr == "append")
        )
    )


class _IdiomMarker(ast.NodeVisitor):
    """Marks the ``dict(x)`` / ``list(x)`` calls that are receivers of an idiom."""

    def __init__(self) -> None:
        self.marked: set[int] = set()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _is_pj_container_idiom(node):
            self.marked.add(id(node.value))
        self.generic_visit(node)


def check_source(
    source: str,
    path: str = "<source>",
    module_name: str | None = None,
    *,
    index: ModuleIndex | None = None,
    dotted: str | None = None,
) -> list[Violation]:
    """Check the text of one client module; ``module_name`` (the file's stem)
    is checked too when given. With ``index`` (the signatures of a whole
    client tree) and the module's ``dotted`` name, calls to functions
    imported from the tree are checked like local ones."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return [
            Violation(path, exc.lineno or 1, exc.offset or 1, "PJ000", f"syntax error: {exc.msg}",
                      "fix the Python syntax")
        ]
    checker = _Checker(path, source)
    if index is not None and dotted is not None:
        checker.functions.update(_resolve_imports(tree, dotted, index))
    checker.collect(tree)
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and _is_dict_value(stmt.value):
            checker.dict_scopes[0].update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    marker = _IdiomMarker()
    marker.visit(tree)
    checker.for_iters |= marker.marked
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
                    f"importers would get '{char}{module_name[module_name.index('_') + 1:]}'",
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
    )


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


def client_modules(root: Path) -> Iterator[Path]:
    """The Python modules of a client source tree, in a stable order."""
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


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
            found.extend(
                check_file(path, str(shown), index=index, dotted=dotted_name(root, path))
            )
    return found
