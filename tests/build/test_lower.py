"""The build's lowering of ordinary Python (raccoon/build/_lower.py and the
runtime js/raccoon/pyrt.js), construct by construct.

Each construct has a unit test of the transform (Python in, lowered Python
out) and an execution case: the same snippet runs under CPython and,
transpiled by `raccoon build`'s translator, under node; both results must be
equal (JSON), including None/undefined, empty containers and nested data.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from raccoon.build import default_client_source, toolchain_root
from raccoon.build._lower import lower_source
from raccoon.build._transpile import translate_source
from raccoon.testing.plugin import in_ci

IMPORT = "import raccoon.pyrt as _py"


def lowered(source: str) -> str:
    text = ast.unparse(lower_source(textwrap.dedent(source)))
    lines = [line for line in text.splitlines() if line != IMPORT]
    return "\n".join(lines).strip("\n")


# -- the transform -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x is None", "_py.is_none(x)"),
        ("x is not None", "not _py.is_none(x)"),
        ("x == None", "_py.is_none(x)"),
        ("None != a.b", "not _py.is_none(a.b)"),
        ("a is b", "a is b"),
    ],
)
def test_is_none(source: str, expected: str) -> None:
    assert lowered(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("k in d", "_py.contains(d, k)"),
        ("k not in d", "not _py.contains(d, k)"),
        ("'a' in xs[0]", "_py.contains(xs[0], 'a')"),
    ],
)
def test_in(source: str, expected: str) -> None:
    assert lowered(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("xs.append(v)", "_py.append(xs, v)"),
        ("self.items.append([1])", "_py.append(self.items, [1])"),
        ("d.get(k)", "_py.get(d, k)"),
        ("d.get(k, 0)", "_py.get(d, k, 0)"),
        ("d.items()", "_py.items(d)"),
        ("d.keys()", "_py.keys(d)"),
        ("d.values()", "_py.values(d)"),
        ("value.get()", "value.get()"),
        ("d.update(e)", "_py.update(d, e)"),
        ("xs.insert(0, v)", "_py.insert(xs, 0, v)"),
        ("s.startswith('a')", "_py.startswith(s, 'a')"),
        ("s.endswith(('a', 'b'))", "_py.endswith(s, ('a', 'b'))"),
        ("s.strip()", "_py.strip(s)"),
        ("s.rstrip('/')", "_py.rstrip(s, '/')"),
        ("s.lower()", "_py.lower(s)"),
        ("', '.join(xs)", "_py.join(', ', xs)"),
        ("s.replace('a', 'b')", "_py.replace(s, 'a', 'b')"),
        ("s.startswith('a', 1)", "s.startswith('a', 1)"),
        ("s.split()", "_py.split(s)"),
        ("s.split(',', 1)", "_py.split(s, ',', 1)"),
        ("s.split(',')", "s.split(',')"),
        ("s.find('a')", "_py.find(s, 'a')"),
        ("s.zfill(3)", "_py.zfill(s, 3)"),
        ("s.isdigit()", "_py.isdigit(s)"),
        ("a // b", "_py.floordiv(a, b)"),
        ("n //= 2", "n = _py.floordiv(n, 2)"),
        ("bool(x)", "_py.bool(x)"),
        ("hex(n)", "_py.hex(n)"),
        ("d.pop(k)", "_py.pop(d, k)"),
        ("xs.pop()", "_py.pop(xs)"),
        ("d.setdefault(k, [])", "_py.setdefault(d, k, [])"),
        ("xs.remove(v)", "_py.remove(xs, v)"),
        ("xs.index(v)", "_py.index(xs, v)"),
        ("xs.count(v)", "_py.count(xs, v)"),
        ("xs.extend(ys)", "_py.extend(xs, ys)"),
        ("d.clear()", "_py.clear(d)"),
        ("xs.sort()", "_py.sort(xs)"),
        ("xs.sort(key=f)", "_py.sort(xs, f, None)"),
        ("xs.sort(reverse=True)", "_py.sort(xs, None, True)"),
        ("xs.sort(compare)", "xs.sort(compare)"),
        ("xs.copy()", "_py.copy(xs)"),
        ("xs.append(*ys)", "xs.append(*ys)"),
        ("d.get(k, default=1)", "d.get(k, default=1)"),
    ],
)
def test_methods(source: str, expected: str) -> None:
    assert lowered(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("len(x)", "_py.len(x)"),
        ("str(x)", "_py.str(x)"),
        ("repr(x)", "_py.repr(x)"),
        ("int(x)", "_py.to_int(x)"),
        ("int(x, 16)", "_py.to_int(x, 16)"),
        ("float(x)", "_py.to_float(x)"),
        ("len(d.keys())", "_py.len(_py.keys(d))"),
        ("list(d)", "_py.list(d)"),
        ("list()", "_py.list()"),
        ("dict(d)", "_py.dict(d)"),
        ("dict(a=1)", "dict(a=1)"),
        ("sorted(xs)", "_py.sorted(xs)"),
        ("sorted(xs, key=f, reverse=r)", "_py.sorted(xs, f, r)"),
        ("min(xs)", "_py.min(xs)"),
        ("max(a, b)", "_py.max([a, b])"),
        ("max(xs, key=f, default=0)", "_py.max(xs, f, 0)"),
        ("sum(xs)", "_py.sum(xs)"),
        ("any(xs)", "_py.any(xs)"),
        ("enumerate(xs, 1)", "_py.enumerate(xs, 1)"),
        ("zip(a, b)", "_py.zip(a, b)"),
        ("reversed(xs)", "_py.reversed(xs)"),
        ("abs(x)", "_py.abs(x)"),
        ("round(x, 2)", "_py.round(x, 2)"),
        ("isinstance(x, list)", "_py.isinstance(x, 'list')"),
        ("isinstance(x, (dict, Foo))", "_py.isinstance(x, ['dict', Foo])"),
        ("isinstance(x, Foo)", "isinstance(x, Foo)"),
    ],
)
def test_builtins(source: str, expected: str) -> None:
    assert lowered(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("f'a{x}b'", "f'a{_py.str(x)}b'"),
        ("f'{x:.2f}'", "f\"{_py.format(x, '.2f')}\""),
        ("f'{x!r}'", "f'{_py.repr(x)}'"),
        ("f'{x:{w}}'", "f\"{_py.format(x, f'{_py.str(w)}')}\""),
        ("f'{len(xs)}'", "f'{_py.str(_py.len(xs))}'"),
    ],
)
def test_f_strings(source: str, expected: str) -> None:
    assert lowered(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("for k in d:\n    pass", "for k in iterable(_py.iter(d)):\n    pass"),
        (
            "for k, v in d.items():\n    pass",
            "for k, v in iterable(_py.items(d)):\n    pass",
        ),
        ("for i in range(3):\n    pass", "for i in range(3):\n    pass"),
        ("for x in iterable(g):\n    pass", "for x in iterable(g):\n    pass"),
        ("[k for k in d]", "[k for k in _py.seq(d)]"),
        ("[v for v in d.values()]", "[v for v in _py.values(d)]"),
        (
            "for i, x in enumerate(xs):\n    pass",
            "for i, x in iterable(_py.enumerate(xs)):\n    pass",
        ),
        ("for x in [1, 2]:\n    pass", "for x in [1, 2]:\n    pass"),
        ("[i for i in range(2)]", "[i for i in range(2)]"),
    ],
)
def test_iteration(source: str, expected: str) -> None:
    assert lowered(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("xs = []\nxs.append(1)", "xs = []\nxs.push(1)"),
        ("xs = [1]\nn = len(xs)", "xs = [1]\nn = len(xs)"),
        ("xs = [1]\nfor x in xs:\n    pass", "xs = [1]\nfor x in xs:\n    pass"),
        ("def f(xs):\n    xs.append(1)", "def f(xs):\n    _py.append(xs, 1)"),
        ("xs = []\nxs = g()\nxs.append(1)", "xs = []\nxs = g()\n_py.append(xs, 1)"),
        ("xs = []\nfor xs in ys:\n    xs.append(1)", None),
        (
            "def f():\n    seen = []\n    g(lambda: seen.append(1))\n    return len(seen)",
            "def f():\n    seen = []\n    g(lambda: seen.push(1))\n    return len(seen)",
        ),
        (
            "seen = []\n\ndef f(seen):\n    seen.append(1)",
            "seen = []\n\ndef f(seen):\n    _py.append(seen, 1)",
        ),
        (
            "class A:\n    xs = []\n\n    def f(self):\n        xs.append(1)",
            "class A:\n    xs = []\n\n    def f(self):\n        _py.append(xs, 1)",
        ),
    ],
)
def test_known_lists_keep_javascript_array_methods(source: str, expected: str | None) -> None:
    """A name bound only to new lists in its scope needs no runtime helper."""
    text = lowered(source)
    if expected is None:
        assert ".push(" not in text and "_py.append(xs, 1)" in text
    else:
        assert text == expected


def test_nothing_to_lower_adds_no_import() -> None:
    tree = lower_source("x = 1 + 2\n")
    assert ast.unparse(tree) == "x = 1 + 2"


def test_the_import_follows_the_docstring_and_keeps_positions() -> None:
    source = '"""Doc."""\nfrom __future__ import annotations\n\n\ndef f(x):\n    return x is None\n'
    tree = lower_source(source)
    assert isinstance(tree.body[2], ast.Import) and tree.body[2].names[0].name == "raccoon.pyrt"
    call = tree.body[3].body[0].value  # type: ignore[attr-defined]
    assert isinstance(call, ast.Call) and (call.lineno, call.col_offset) == (6, 11)
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            assert node.lineno >= 1


def test_the_source_map_leads_lowered_calls_to_their_python_line() -> None:
    source = '"""Doc."""\n\n\ndef f(d):\n    if d is None:\n        return 0\n    return len(d)\n'
    js, src_map = translate_source(source, "m.py")
    lines = js.splitlines()
    found = {
        lines[t.dst_line][t.dst_col :].split("(")[0]: (t.src_line + 1, t.src_col)
        for t in src_map.tokens
        if lines[t.dst_line][t.dst_col :].startswith("_py.")
    }
    assert found == {"_py.is_none": (5, 7), "_py.len": (7, 11)}


def test_the_translation_calls_the_runtime() -> None:
    js, _ = translate_source("def f(d, k):\n    return d.get(k) is None\n")
    assert "import * as _py from 'raccoon/pyrt';" in js
    assert "_py.is_none(_py.get(d, k))" in js


# -- the same snippets under CPython and node -------------------------------------

SNIPPETS: dict[str, str] = {
    "is_none": """
        def nothing():
            pass

        def main():
            d = {"a": None, "b": 0}
            zero = 0
            empty = ""
            return [d["a"] is None, nothing() is None, nothing() is not None,
                    zero is None, empty is not None, [] is None, d.get("zz") is None,
                    d["b"] is not None, nothing() == None]
    """,
    "append": """
        class Bag:
            def __init__(self):
                self.seen = []

            def append(self, value):
                self.seen.append(value * 2)

        def main():
            xs = []
            xs.append(1)
            xs.append(None)
            nested = [[1], []]
            nested[1].append([2, 3])
            nested[1][0].append({"k": None})
            nested.insert(0, "first")
            nested.insert(-1, "before last")
            nested.insert(99, "end")
            bag = Bag()
            bag.append(4)
            return [xs, nested, len(xs), bag.seen]
    """,
    "in": """
        def main():
            d = {"a": 1, "b": None}
            xs = [1, "x", None, [2]]
            s = "hello"
            return ["a" in d, "b" in d, "c" in d, "toString" in d, "c" not in d,
                    "constructor" in {}, 1 in xs, None in xs, 2 not in xs, "ell" in s,
                    "z" in s, "" in s, "a" in {}, 1 in [], "x" not in "xyz"]
    """,
    "get": """
        def main():
            d = {"a": 0, "n": None, "l": [1, {"m": 2}]}
            return [d.get("a"), d.get("a", 5), d.get("b"), d.get("b", 7), d.get("n", 3),
                    d.get("toString"), {}.get("x", []), d.get("l")[1].get("m"),
                    d.get("l")[1].get("zz", "fallback")]
    """,
    "len": """
        def main():
            return [len([]), len([1, [2, 3]]), len(""), len("héllo"), len({}),
                    len({"a": 1, "b": {"c": 2}}), len([None]), len({"a": None})]
    """,
    "str": """
        def main():
            return [str(None), str(True), str(False), str(1), str(-2.5), str("x"),
                    str([1, "a", None, True]), str({"k": [1], "q": "it's"}), str(0),
                    str([]), str({}), repr("a"), repr(None), str(123456789)]
    """,
    "f_strings": """
        def main():
            x = None
            n = 3.14159
            i = 42
            w = 6
            name = "ab"
            return [f"{x}", f"{True}/{False}", f"{n:.2f}", f"{i:5d}", f"{i:<5}|", f"{i:^7}",
                    f"{i:05d}", f"{1234567:,}", f"{0.25:.1%}", f"{255:x}", f"{255:#X}",
                    f"{name!r}", f"{name:>4}", f"{n:10.3f}", f"{-i:+d}", f"{i:+d}",
                    f"{12345.678:e}", f"{[1, None]}", f"{i:{w}}", f"{n:g}", f"{0.0001234:g}",
                    f"{name:*^8}", f"{i:b}", f"{n:.3}", f"{[]}{ {} }", f"{-0.5:08.2f}"]
    """,
    "list_dict": """
        def main():
            d = {"a": 1, "b": [2]}
            keys = list(d)
            keys.append("z")
            copy = dict(d)
            copy["c"] = None
            pairs = dict([["x", 1], ["y", None]])
            snapshot = []
            for k in list(d):
                snapshot.append(k)
                del d[k]
            merged = {"a": 0}
            merged.update({"b": None, "a": 2})
            shallow = merged.copy()
            shallow["z"] = 1
            items = [1, [2]]
            cloned = items.copy()
            cloned.append(3)
            return [keys, copy, d, pairs, list("ab"), list(), dict(), list([1, [2]]),
                    snapshot, list({"q": 1}.values()), len(list(copy.items())), merged,
                    shallow, items, cloned]
    """,
    "strings": """
        def main():
            s = "  Hello, World  "
            path = "/a/b//"
            words = ["x", "y", "z"]
            return [s.strip(), s.lstrip(), s.rstrip(), path.rstrip("/"), path.strip("/"),
                    s.lower(), s.upper(), s.strip().startswith("Hello"), s.endswith("d"),
                    "file.py".endswith((".js", ".py")), "abc".startswith(("x", "y")),
                    ", ".join(words), "".join([]), "-".join("ab"), "a.b.a".replace("a", "z"),
                    "aaa".replace("a", ""), "x".join({"k": 1, "q": 2})]
    """,
    "container_methods": """
        def main():
            d = {"a": 1, "b": None, "c": [3]}
            popped = [d.pop("a"), d.pop("zz", "dflt"), d.pop("b")]
            xs = [5, 1, 4, 1]
            last = xs.pop()
            first = xs.pop(0)
            xs.extend([9, 2])
            xs.extend({"k": 1})
            found = [xs.index(4), xs.count(1), "banana".count("a"), "abc".index("c")]
            xs.remove(9)
            ys = [3, 1, 2]
            ys.sort()
            words = ["bb", "a", "ccc"]
            words.sort(key=len, reverse=True)
            pairs = [[2, "b"], [1, "z"], [2, "a"]]
            pairs.sort()
            groups = {}
            groups.setdefault("x", []).append(1)
            groups.setdefault("x", []).append(2)
            cleared = [1, 2]
            cleared.clear()
            emptied = {"q": 1}
            emptied.clear()
            return [popped, d, last, first, xs, found, ys, words, pairs, groups, cleared,
                    emptied]
    """,
    "builtins": """
        def main():
            xs = [3, 1, 2]
            names = ["bob", "al", "christine"]
            rows = []
            for i, name in enumerate(names, 1):
                rows.append(f"{i}:{name}")
            zipped = []
            for a, b in zip(xs, names):
                zipped.append([a, b])
            return [sorted(xs), xs, sorted(names, key=len), sorted(xs, reverse=True),
                    min(xs), max(xs), min(4, 2, 8), max(names, key=len), min([], default=None),
                    sum(xs), sum([]), sum([0.5, 0.25], 1), any([0, "", None]), any([0, [1]]),
                    all([]), all([1, [], 2]), any([[], {}]), rows, zipped,
                    list(reversed(xs)), abs(-3), round(2.5), round(3.5), round(-2.5),
                    round(2.675, 1), round(7), [list(e) for e in enumerate("ab")],
                    isinstance(xs, list), isinstance({}, dict), isinstance("s", str),
                    isinstance(True, int), isinstance(1, (str, list)), isinstance(None, dict),
                    isinstance([], (dict, set))]
    """,
    "more_strings": """
        def main():
            text = "  a  b\\tc  "
            return [text.split(), "a,b,c".split(",", 1), "a b c".split(None, 1), "".split(),
                    "x\\ny\\r\\nz\\n".splitlines(), "banana".find("n"), "banana".rfind("n"),
                    "banana".find("z"), "v1.py".removeprefix("v1."), "a.py".removesuffix(".py"),
                    "hELLO".capitalize(), "ab".ljust(4, "*"), "ab".rjust(4), "ab".center(6, "-"),
                    "-42".zfill(5), "7".zfill(3), "123".isdigit(), "12a".isdigit(),
                    "".isdigit(), "abc".isalpha(), "ab1".isalnum(), " \\t".isspace(),
                    "ABC".isupper(), "Abc".isupper(), "abc".islower(), "1".islower()]
    """,
    "numbers": """
        def main():
            n = 17
            n //= 5
            return [7 // 2, -7 // 2, 7.5 // 2, n, bool([]), bool({}), bool([0]), bool(""),
                    bool("x"), bool(None), bool(0), bool(0.5), chr(65), ord("é"), hex(255),
                    hex(-255), oct(8), bin(5)]
    """,
    "int_float": """
        def main():
            return [int("12"), int(" -7 "), int(3.9), int(-3.9), int(True), int("ff", 16),
                    int("1_000"), float("1.5"), float("  -2e3 "), float(3),
                    float("inf") > 1e308, int(float("2.5")), float(".5")]
    """,
    "dict_iteration": """
        def gen():
            yield 1
            yield 2

        def main():
            d = {"a": 1, "b": [2], "c": {"d": None}}
            keys = []
            for k in d:
                keys.append(k)
            pairs = []
            for k, v in d.items():
                pairs.append([k, v])
            vals = [v for v in d.values()]
            ks = [k for k in d.keys()]
            comp = [k for k in d]
            empty = [k for k in {}]
            nested = []
            for k in d["c"]:
                nested.append([k, d["c"][k]])
            chars = [c for c in "ab"]
            rows = []
            for a, b in [[1, 2], [3, 4]]:
                rows.append(a + b)
            counted = []
            for i in range(3):
                counted.append(i)
            generated = []
            for g in gen():
                generated.append(g)
            from_gen = [g * 10 for g in gen()]
            none_values = []
            for value in {"x": None}.values():
                none_values.append(value is None)
            return [keys, pairs, vals, ks, comp, empty, nested, chars, rows, counted,
                    generated, from_gen, none_values, d.items() is not None]
    """,
}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if in_ci():
            pytest.fail("node is required (CI=true)", pytrace=False)
        pytest.skip("node is missing")
    return node


def _cpython(source: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<snippet>", "exec"), namespace)
    return json.loads(json.dumps(namespace["main"]()))


@pytest.fixture(scope="module")
def node_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every snippet transpiled into one tree and run by one node process."""
    node = _node()
    root = tmp_path_factory.mktemp("lowered")
    (root / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    runtime = root / "raccoon"
    runtime.mkdir()
    shutil.copyfile(default_client_source() / "pyrt.js", runtime / "pyrt.js")
    lines = []
    for name, body in SNIPPETS.items():
        source = textwrap.dedent(body) + '\n__all__ = ["main"]\n'
        js, _ = translate_source(source, f"{name}.py")
        (root / f"{name}.js").write_text(js + "\n", encoding="utf-8")
        lines.append(
            f"import {{main as snippet_{name}}} from './{name}.js';\n"
            f"try {{ const v = snippet_{name}(); out[{name!r}] = v === undefined ? null : v; }}\n"
            f"catch (e) {{ out[{name!r}] = 'ERROR ' + e.stack; }}\n"
        )
    driver = "const out = {};\n" + "".join(lines) + "console.log(JSON.stringify(out));\n"
    # imports first, then the calls: ES imports are hoisted anyway
    (root / "driver.js").write_text(driver, encoding="utf-8")
    run = subprocess.run(
        [
            node,
            "--import",
            str(toolchain_root() / "js/tools/register.mjs"),
            str(root / "driver.js"),
        ],
        capture_output=True,
        text=True,
        env={"RACCOON_JS_ROOTS": str(root), "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    results: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return results


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_node_matches_cpython(name: str, node_results: dict[str, Any]) -> None:
    expected = _cpython(textwrap.dedent(SNIPPETS[name]))
    assert node_results[name] == expected


def test_runtime_errors_are_python_errors(tmp_path: Path) -> None:
    node = _node()
    script = (
        f"import * as py from {json.dumps(str(default_client_source() / 'pyrt.js'))};\n"
        "const out = [];\n"
        "for (const f of [() => py.to_int('x'), () => py.to_float('1.2.3'),"
        " () => py.len(null), () => py.iter(undefined), () => py.format('a', 'd')]) {\n"
        "  try { f(); out.push('no error'); } catch (e) { out.push(e.name); }\n"
        "}\n"
        "console.log(JSON.stringify(out));\n"
    )
    run = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    errors = ["ValueError", "ValueError", "TypeError", "TypeError", "ValueError"]
    assert json.loads(run.stdout) == errors
