"""The client checker: every construct JavaScripthon refuses or mistranslates
is rejected with ``file:line:col: CODE what → fix``; clean code passes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from raccoon.build import RULES, check_source, check_tree, default_client_source

# (code, snippet, a fragment of the message) — one case per construct.
CASES: list[tuple[str, str, str]] = [
    ("PJ101", "x = {k: 1 for k in ks}", "dict comprehensions are refused"),
    ("PJ101", "x = {k for k in ks}", "set comprehensions are refused"),
    ("PJ102", "x = [y for y in (z for z in ks)]", "generator expressions are refused"),
    ("PJ103", "x = {1, 2}", "set literals are refused"),
    ("PJ105", "if (n := 1):\n    pass", "assignment expressions"),
    ("PJ106", "match x:\n    case 1:\n        pass", "match statements"),
    ("PJ107", "with open(p) as f:\n    pass", "with statements are refused"),
    ("PJ107", "async def f():\n    async with lock:\n        pass", "async with"),
    ("PJ108", "def f():\n    global g\n    g = 1", "global is refused"),
    ("PJ108", "def f():\n    x = 1\n    def g():\n        nonlocal x", "nonlocal is refused"),
    ("PJ109", "class A:\n    class B:\n        pass", "nested classes"),
    ("PJ110", "class A(B, C):\n    pass", "multiple inheritance"),
    ("PJ111", "class A:\n    @staticmethod\n    def f():\n        pass", "staticmethod"),
    ("PJ111", "class A:\n    @classmethod\n    def f(cls):\n        pass", "classmethod"),
    ("PJ112", "y = xs[i + 1]", "computed subscripts such as [i + 1]"),
    ("PJ112", "y = d[k.lower()]", "computed subscripts"),
    ("PJ113", "async def f():\n    async for x in xs:\n        pass", "async for"),
    ("PJ114", "try:\n    f()\nexcept Error:\n    pass\nelse:\n    g()", "try ... else"),
    ("PJ115", "f(**options)", "f(**kwargs) is refused"),
    ("PJ116", "def f(*args, **kw):\n    pass", "**kwargs together with *args"),
    ("PJ116", "def f(*args, key=None):\n    pass", "*args together with keyword-only"),
    ("PJ117", "f = lambda a, b=1: a", "lambdas with default values"),
    ("PJ117", "f = lambda *a: a", "lambdas with default values, *args"),
    ("PJ118", 'x = f"{d:%Y-%m-%d}"', "is not one the browser runtime formats"),
    ("PJ119", "@deco\ndef f():\n    pass", "decorators on module-level functions"),
    ("PJ120", "default = 1", "'default' is a reserved word"),
    ("PJ120", "_py = 1", "'_py' is the build's runtime"),
    ("PJ120", "x = ctx.new(a=1)", "'.new' is refused"),
    ("PJ120", "p.catch(f)", "'.catch' is refused"),
    ("PJ121", "xs = [k for k, v in pairs]", "a comprehension that unpacks"),
    ("PJ122", "y = xs[1:5:2]", "slices with a step"),
    ("PJ123", "from x import *", "star imports"),
    ("PJ201", "async def f():\n    yield 1", "async generators"),
    ("PJ203", "k = d.popitem()", ".popitem() is a Python container method"),
    ("PJ204", "s = '{} x'.format(a)", ".format()"),
    ("PJ204", "s = name.title()", ".title() is a Python string method"),
    ("PJ205", "ok = isinstance(x, bytes)", "isinstance(x, bytes)"),
    ("PJ207", "raise ValueError('x')", "ValueError does not exist in JavaScript"),
    ("PJ207", "try:\n    f()\nexcept KeyError:\n    pass", "KeyError does not exist"),
    ("PJ208", "s = '%s items' % n", "formatting becomes a numeric remainder"),
    ("PJ209", "ys = map(f, xs)", "map() does not exist"),
    ("PJ209", "n = divmod(a, b)", "divmod() does not exist"),
    ("PJ209", "xs = list(ys, zs)", "list() with keywords or several arguments"),
    ("PJ209", "d = dict(a=1)", "dict() with keywords"),
    ("PJ210", "xs = range(3)", "range() exists only as a for loop header"),
    ("PJ211", "for x in xs:\n    pass\nelse:\n    f()", "for ... else loses its else"),
    ("PJ211", "while a:\n    pass\nelse:\n    f()", "while ... else"),
    ("PJ212", "def f(a, c=1):\n    pass\nf(1, c=10)", "keyword argument 'c' to the positional"),
    ("PJ212", "def f(a=None, *, b=1):\n    pass\nf(b=2)", "which lands in 'a'"),
    ("PJ213", "x = {**a, 'b': 1}", "{**mapping} is mistranslated"),
    ("PJ214", "a, *b = c", "starred assignment"),
    ("PJ215", "xs[-1] = v", "negative index does nothing"),
    ("PJ216", "ok = a is None is b", "a chained comparison with None"),
    ("PJ217", "class A:\n    @a\n    @b\n    def f(self):\n        pass", "reverse order"),
    ("PJ218", "if __name__ == '__main__':\n    main()", "`if __name__ == ...` fails"),
    ("PJ219", "from typing import Any", "'typing' is a Python module"),
    ("PJ219", "from __future__ import annotations", "'__future__' is a Python module"),
    ("PJ220", "from .page_view import x", "module name 'page_view' starts with a Unicode"),
    ("PJ220", "from .key_store import x", "'key_store'"),
    ("PJ221", "class A:\n    kind = 1\nx = A.kind", "A.kind is undefined in JavaScript"),
    ("PJ222", "s = String(x)", "becomes `new String(x)`"),
    ("PJ222", "class _Hidden:\n    pass\nh = _Hidden()", "called without `new`"),
    ("PJ223", "d_count = 1", "renames 'd_count'"),
    ("PJ224", "v = getattr(o, 'a', 0)", "getattr(obj, name, default) becomes"),
    ("PJ225", "t = type(x)", "type(x) becomes Object.getPrototypeOf"),
    ("PJ226", "class Oops(Exception):\n    def __init__(self):\n        pass", "fails to load"),
    ("PJ227", "xs = [1] + ys", "list + list becomes string concatenation"),
    ("PJ227", "xs = [0] * n", "[x] * n is NaN"),
    ("PJ228", "class A(B):\n    def __init__(self):\n        self.x = 1", "super().__init__()"),
    ("PJ229", 'x = f"use `x` {y}"', "a backtick"),
    ("PJ231", "class A:\n    def f(self):\n        g(self.h)\n    def h(self):\n        pass",
     "loses `self`"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "snippet", "fragment"),
    CASES,
    ids=[f"{code}-{i}" for i, (code, _, _) in enumerate(CASES)],
)
def test_construct_is_rejected(code: str, snippet: str, fragment: str) -> None:
    found = check_source(textwrap.dedent(snippet), "client/mod.py")
    codes = [v.code for v in found]
    assert code in codes, f"{code} not reported for:\n{snippet}\nfound: {found}"
    violation = next(v for v in found if v.code == code)
    assert fragment in violation.message, violation.message
    text = str(violation)
    assert text.startswith(f"client/mod.py:{violation.line}:{violation.col}: {code} ")
    assert " → " in text and violation.fix, "every message says what to do"


def test_every_rule_has_a_case() -> None:
    covered = {code for code, _, _ in CASES} | {"PJ230"}  # PJ230 needs files, below
    assert set(RULES) - covered == set()


CLEAN = '''
"""A clean client module: ordinary Python, lowered by the build."""

from __globals__ import Error, Math



class Counter:
    """Counts."""

    kind = "counter"

    def __init__(self, start=0):
        self.count = start
        self.names = []

    def add(self, name, *, times=1):
        for i in range(times):
            self.names.append(name)
        self.count += times
        return self.count

    def describe(self):
        return f"{self.kind}: {', '.join(self.names)} ({self.count:>3d}, {self.count / 3:.2f})"


class Failure(Error):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def gen():
    yield 1


def use(counter, data):
    counter.add("a", times=2)
    total = 0
    for value in gen():
        total += value
    for key in data:
        total += data.get(key, 0)
    for key, value in data.items():
        total += len(key) + int(value) + float(str(value))
    last = counter.names[-1]
    half = Math.floor(total / 2)
    if last is None or not last.strip().lower().startswith("a") or "b" in data:
        raise Failure("no a")
    parts = last.split(".")
    return [half, parts[0:], [k for k in data.keys()], data.values(), data.get("x")]
'''


def test_clean_code_passes() -> None:
    assert check_source(CLEAN, "clean.py") == []


def test_ignore_comments_silence_one_line() -> None:
    source = "d.popitem()  # pj: ignore[PJ203]\nd.popitem()\nd.popitem()  # pj: ignore\n"
    found = check_source(source, "m.py")
    assert [(v.line, v.code) for v in found] == [(2, "PJ203")]
    other = check_source("d.popitem()  # pj: ignore[PJ204]\n", "m.py")
    assert [v.code for v in other] == ["PJ203"]


def test_python_halves_of_single_source_modules_are_skipped() -> None:
    source = "def _py_keys(d):\n    return list(d.keys())\n\nclass _PyThing:\n    x = {1}\n"
    assert check_source(source, "compat.py") == []


def test_keywords_are_checked_across_the_modules_of_a_tree(tmp_path: Path) -> None:
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "signals.py").write_text("def make(name=None, *, local=False):\n    return name\n")
    (pkg / "use.py").write_text("from .signals import make\n\nx = make(local=True)\n")
    found = check_tree([pkg], tmp_path)
    assert [(v.path, v.line, v.code) for v in found] == [("app/use.py", 3, "PJ212")]
    assert "lands in 'name'" in found[0].message


def test_names_imported_from_a_package_must_be_modules(tmp_path: Path) -> None:
    pkg = tmp_path / "app"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("X = 1\n")
    (pkg / "helpers.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "mod.py").write_text("from .. import helpers\nfrom .. import X\n")
    found = check_tree([pkg], tmp_path)
    assert [(v.line, v.code) for v in found] == [(2, "PJ230")]


def test_module_file_names_are_checked(tmp_path: Path) -> None:
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "page_view.py").write_text("")
    found = check_tree([pkg], tmp_path)
    assert [v.code for v in found] == ["PJ220"]
    assert found[0].path == "app/page_view.py"


def test_syntax_errors_are_reported() -> None:
    found = check_source("def f(:\n", "bad.py")
    assert [v.code for v in found] == ["PJ000"]


def test_the_framework_client_is_clean() -> None:
    found = check_tree([default_client_source()])
    assert found == [], "\n".join(map(str, found))
