"""The rules of the client checker: codes, the names JavaScripthon treats
specially, and the fix each rule suggests (see :mod:`._checker`)."""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["RULES", "Violation"]


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
    "PJ118": "f-string format spec the runtime does not support",
    "PJ119": "decorated module-level function",
    "PJ120": "JavaScript reserved word as a name",
    "PJ121": "comprehension target that is not a name",
    "PJ122": "slice with a step",
    "PJ123": "star import",
    "PJ201": "async generator",
    "PJ203": "Python container method",
    "PJ204": "Python string method",
    "PJ205": "isinstance with a Python container type",
    "PJ207": "Python built-in exception",
    "PJ208": "% string formatting",
    "PJ209": "Python built-in function without a JavaScript translation",
    "PJ210": "range() outside a for loop",
    "PJ211": "for/while ... else",
    "PJ212": "keyword argument to a positional parameter",
    "PJ213": "{**mapping} in a dict literal",
    "PJ214": "starred assignment",
    "PJ215": "negative index assignment",
    "PJ216": "chained comparison with None",
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
    "PJ230": "name imported from a package",
    "PJ231": "method passed without its self",
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
    "map": "use a list comprehension",
    "filter": "use a list comprehension with `if`",
    "hash": "use the string form of the value as a key",
    "id": "keep an explicit counter",
    "iter": "iterate with `for x in iterable(...)`",
    "next": "call it.next() on a JS iterator",
    "divmod": "use a // b and a % b",
    "tuple": "use a list",
    "set": "use Set() (from __globals__ import Set)",
    "frozenset": "use Set() (from __globals__ import Set)",
    "bytes": "use a Uint8Array (from __globals__ import Uint8Array)",
    "vars": "use obj.items() on a dict",
    "dir": "use list(obj) (a dict's keys)",
    "locals": "pass the values explicitly",
    "globals": "pass the values explicitly",
    "format": "use an f-string",
    "pow": "use a ** b",
    "list": "pass one iterable: list(xs)",
    "dict": "pass one mapping or list of pairs: dict(obj), then assign the keys",
}
_PY_STRING_METHODS = {
    "format": "use an f-string",
    "title": "use ' '.join([w.capitalize() for w in s.split(' ')])",
    "casefold": "use s.lower()",
    "partition": "use s.split(sep, 1)",
    "rpartition": "use s.rfind(sep) and slice",
    "expandtabs": "replace the tabs explicitly",
    "swapcase": "write the loop explicitly",
}
# Python container methods the build does not lower (see ._lower for those it
# does), judged by name and argument count whatever the receiver.
_PY_CONTAINER_METHODS = {
    "popitem": (0, "pick a key with `for key in obj`, then obj.pop(key)"),
}
_CAPITALIZED_CALLS = {
    "String": "use str(x)",
    "Number": "use float(x) or int(x)",
    "Boolean": "use bool(x)",
    "Symbol": "use Symbol.for_(name) or a module-level constant made with JS('Symbol()')",
    "BigInt": "use JS('BigInt')(x)",
}
_ISINSTANCE_TYPES = {
    "bytes": "isinstance(x, Uint8Array)",
    "object": "typeof(x) == 'object'",
}
# The format specs js/raccoon/pyrt.js format() implements (its SPEC).
_FORMAT_SPEC = re.compile(
    r"(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?\Z", re.S
)
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
