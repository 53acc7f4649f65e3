"""The architecture of the ``raccoon`` package, as a test (see docs/architecture.md).

An AST walk over every ``.py`` file of ``raccoon/``, ``js/`` and the example
applications' client packages, checking four rules:

- **layers**: a module imports only from its own layer or from a lower tier
  of :data:`TIERS` (layers in one tier are independent of each other);
- **private**: ``raccoon.x._y`` is imported only from inside ``raccoon.x``,
  except the pairs in :data:`PRIVATE_EXCEPTIONS` (each with its reason);
- **browser**: client code (transpiled to JavaScript) imports only client
  modules, ``__globals__`` and autobahn-js — never a server package or a
  server library;
- **router worker**: the modules Crossbar loads into its Twisted router
  worker import nothing that selects asyncio for txaio.

Every import counts: absolute and relative, at module level, inside
functions and under ``if TYPE_CHECKING:``. Dynamic imports
(``importlib.import_module``) and dotted names in configuration strings are
not seen. No dependency beyond the standard library: see the document for why
not import-linter.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# --- the architecture, as data (docs/architecture.md says the same) ---------

# Each layer: module names; ``pkg.*`` is a package and everything inside it,
# a plain name is exactly that module. Every module of raccoon/ must be in one.
LAYERS: dict[str, tuple[str, ...]] = {
    "base": (
        "raccoon",  # the root __init__: everything imports it implicitly
        "raccoon._process",
        "raccoon._server",
        "raccoon._tokens",
        "raccoon._revocations",
    ),
    "reactive": ("raccoon.reactive.*",),
    "build": ("raccoon.build.*",),
    "node": ("raccoon.node.*",),
    "data": ("raccoon.data.*",),
    "context": ("raccoon.context.*",),
    "service": ("raccoon.service.*",),
    "testing": ("raccoon.testing.*",),
    "router worker": (
        "raccoon._authenticator",
        "raccoon._revocation_feed",
        "raccoon._webproxy",
        "raccoon._router_worker",
    ),
}

# Lowest first. A module may import its own layer and the layers of lower tiers;
# the layers of one tier are siblings and must not import each other.
TIERS: tuple[tuple[str, ...], ...] = (
    ("base",),
    ("reactive", "build"),
    ("node",),
    ("data", "context"),
    ("service",),
    ("testing", "router worker"),
)

# (importing module, private module) -> why it is allowed.
PRIVATE_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("raccoon.service.cli", "raccoon.build._command"): (
        "the argparse wiring of `raccoon build`; the one `raccoon` command lives in "
        "raccoon.service.cli and mounts it. Command-line plumbing, not library API, so "
        "it stays out of raccoon.build.__all__"
    ),
}

# Loaded by Crossbar into its router worker (Twisted) by dotted name.
ROUTER_WORKER: frozenset[str] = frozenset(LAYERS["router worker"])
# Imported both by the router worker and by the asyncio service: standard library only.
ROUTER_SHARED: frozenset[str] = frozenset({"raccoon", "raccoon._tokens", "raccoon._revocations"})
# What selects asyncio for txaio, or needs an asyncio loop, besides raccoon.node and up.
ROUTER_FORBIDDEN: dict[str, str] = {
    "autobahn.asyncio": "imports autobahn's asyncio flavour, which calls txaio.use_asyncio()",
    "txaio.use_asyncio": "selects asyncio for txaio",
    "aiohttp": "is an asyncio library",
    "asyncpg": "is an asyncio library",
}

# Browser code: (directory, glob of client package roots under it). Module names
# are relative to the directory, so js/raccoon/view.py is ``raccoon.view``.
BROWSER_ROOTS: tuple[tuple[str, str], ...] = (("js", "raccoon"), ("examples", "*/client/*"))
BROWSER_SKIP: tuple[str, ...] = ("js/build", "node_modules")  # generated output
# Non-client imports that client code may use (JavaScripthon/webpack resolve them).
BROWSER_EXTERNAL: dict[str, str] = {
    "__globals__": "JavaScript globals (a marker JavaScripthon removes)",
    "autobahn": "autobahn-js, bundled by webpack",
    "autobahn.__default__": "autobahn-js's default export",
}
SERVER_LIBRARIES: frozenset[str] = frozenset(
    "asyncio aiohttp asyncpg sqlalchemy alembic twisted txaio crossbar argon2 "
    "prometheus_client pytest".split()
)

RULES = ("layers", "private", "browser", "router worker", "unclassified", "syntax")


# --- the checker -------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    line: int
    module: str  # absolute, relative imports resolved
    name: str | None  # the name of ``from module import name``

    @property
    def full(self) -> str:
        return f"{self.module}.{self.name}" if self.name else self.module


@dataclass(frozen=True)
class Violation:
    path: str  # relative to the checked root
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class Source:
    path: Path
    module: str
    is_package: bool


def module_name(path: Path, base: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(base).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def sources(root: Path, base: Path, top: str) -> Iterator[Source]:
    for path in sorted((base / top).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if any(rel.startswith(skip + "/") or f"/{skip}/" in rel for skip in BROWSER_SKIP):
            continue
        name, is_package = module_name(path, base)
        yield Source(path, name, is_package)


def resolve(source: Source, level: int, module: str | None) -> str | None:
    if not level:
        return module
    package = source.module.split(".") if source.is_package else source.module.split(".")[:-1]
    if level - 1 > len(package) - 1:
        return None  # beyond the top-level package
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def parse(source: Source, root: Path) -> tuple[ast.Module | None, list[Violation]]:
    try:
        return ast.parse(source.path.read_text(encoding="utf-8"), str(source.path)), []
    except SyntaxError as error:
        rel = source.path.relative_to(root).as_posix()
        return None, [Violation(rel, error.lineno or 0, "syntax", f"cannot parse: {error.msg}")]


def imports(tree: ast.Module, source: Source) -> Iterator[Import]:
    """Every import of the module: also inside functions and ``if TYPE_CHECKING:``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(node.lineno, alias.name, None)
        elif isinstance(node, ast.ImportFrom):
            module = resolve(source, node.level, node.module)
            if module is None:
                module = "." * node.level + (node.module or "")  # unresolvable
            for alias in node.names:
                yield Import(node.lineno, module, None if alias.name == "*" else alias.name)


def longest_module(name: str, modules: set[str] | frozenset[str]) -> str | None:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def layer_of(module: str) -> str | None:
    best: tuple[int, str] | None = None
    for layer, entries in LAYERS.items():
        for entry in entries:
            if entry.endswith(".*"):
                package = entry[:-2]
                hit = module == package or module.startswith(package + ".")
            else:
                hit = module == entry
            if hit and (best is None or len(entry) > best[0]):
                best = (len(entry), layer)
    return best[1] if best else None


TIER_OF = {layer: number for number, tier in enumerate(TIERS) for layer in tier}


def private_owner(name: str) -> tuple[str, str] | None:
    """For ``raccoon.x._y.z``: (``raccoon.x``, ``raccoon.x._y``); None if all public."""
    parts = name.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return ".".join(parts[:index]), ".".join(parts[: index + 1])
    return None


ROUTER_ALLOWED = ROUTER_WORKER | ROUTER_SHARED


def server_import(
    module: str, layer: str | None, imp: Import, modules: set[str]
) -> Iterator[tuple[str, str]]:
    """The rules one import of server module *module* breaks: (rule, message)."""
    if imp.module.split(".")[0] != "raccoon":
        if module not in ROUTER_ALLOWED:
            return
        bad = [
            why
            for name, why in ROUTER_FORBIDDEN.items()
            if imp.full == name or imp.full.startswith(name + ".")
        ]
        if bad:
            yield (
                "router worker",
                f"{module} runs in Crossbar's Twisted router worker and imports {imp.full}, "
                f"which {bad[0]}",
            )
        elif module in ROUTER_SHARED and imp.module.split(".")[0] not in sys.stdlib_module_names:
            yield (
                "router worker",
                f"{module} is imported both by the router worker and by the service, so it is "
                f"standard-library only; it imports {imp.module}",
            )
        return
    target = longest_module(imp.full, modules) or imp.module
    target_layer = layer_of(target)
    # (a) layers
    if layer is not None and target_layer is not None and target_layer != layer:
        mine, theirs = TIER_OF[layer], TIER_OF[target_layer]
        if theirs >= mine:
            kind = "a sibling in the same tier" if theirs == mine else "a higher tier"
            yield (
                "layers",
                f"{module} (layer {layer}, tier {mine}) imports {target} "
                f"(layer {target_layer}, tier {theirs}): {kind}; a layer imports only "
                "lower tiers",
            )
    # (b) private modules of another package
    owned = private_owner(imp.full)
    if owned is not None:
        owner, private = owned
        inside = module == owner or module.startswith(owner + ".")
        if owner != "raccoon" and not inside and (module, private) not in PRIVATE_EXCEPTIONS:
            yield (
                "private",
                f"{module} imports {private}, private to {owner}: import it from {owner} "
                "(its public API), or list the pair in PRIVATE_EXCEPTIONS with a reason",
            )
    # (d) the router worker
    if module in ROUTER_ALLOWED and target not in ROUTER_ALLOWED:
        yield (
            "router worker",
            f"{module} runs in Crossbar's Twisted router worker and imports {target}: only "
            f"{', '.join(sorted(ROUTER_ALLOWED))} may be imported there (raccoon.node and "
            "everything above it call txaio.use_asyncio())",
        )


def check_server(root: Path) -> list[Violation]:
    found: list[Violation] = []
    srcs = list(sources(root, root, "raccoon"))
    modules = {s.module for s in srcs}
    for source in srcs:
        rel = source.path.relative_to(root).as_posix()
        tree, errors = parse(source, root)
        found += errors
        layer = layer_of(source.module)
        if layer is None:
            message = (
                f"{source.module} is in no layer: add it to LAYERS in "
                "tests/test_architecture.py and to docs/architecture.md"
            )
            found.append(Violation(rel, 1, "unclassified", message))
        if tree is None:
            continue
        for imp in imports(tree, source):
            for rule, message in server_import(source.module, layer, imp, modules):
                found.append(Violation(rel, imp.line, rule, message))
        if source.module in ROUTER_ALLOWED:
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "use_asyncio":
                    message = (
                        f"{source.module} runs in Crossbar's Twisted router worker and calls "
                        "use_asyncio(), which selects asyncio for txaio"
                    )
                    found.append(Violation(rel, node.lineno, "router worker", message))
    return found


def browser_packages(root: Path) -> list[tuple[Path, list[Source]]]:
    """Each client package root with its sources (module names relative to its parent)."""
    found = []
    for top, pattern in BROWSER_ROOTS:
        if not (root / top).is_dir():
            continue
        for package in sorted((root / top).glob(pattern)):
            if package.is_dir() and (package / "__init__.py").exists():
                found.append((package, list(sources(root, package.parent, package.name))))
    return found


def client_modules(package: Path) -> set[str]:
    names = set()
    for path in package.rglob("*"):
        if path.suffix in (".py", ".js") and "node_modules" not in path.parts:
            names.add(module_name(path, package.parent)[0])
    return names


def check_browser(root: Path) -> list[Violation]:
    found: list[Violation] = []
    server = {s.module for s in sources(root, root, "raccoon")}
    framework = client_modules(root / "js" / "raccoon") if (root / "js").is_dir() else set()
    for package, srcs in browser_packages(root):
        known = framework | client_modules(package)
        for source in srcs:
            rel = source.path.relative_to(root).as_posix()
            tree, errors = parse(source, root)
            found += errors
            if tree is None:
                continue
            for imp in imports(tree, source):
                if imp.full in BROWSER_EXTERNAL or imp.module == "__globals__":
                    continue
                if imp.module in known:
                    # ``from raccoon import x``: x is a client module or a name
                    # defined in one, unless it names a server module.
                    if imp.name is None or imp.full in known or imp.full not in server:
                        continue
                    name = imp.full
                else:
                    name = imp.module
                top = name.split(".")[0]
                if name in server or top == "raccoon":
                    why = (
                        f"{name} is server code (raccoon/ on the server); in the browser "
                        "`raccoon` is js/raccoon, which has no such module"
                    )
                elif top in SERVER_LIBRARIES or top in sys.stdlib_module_names:
                    why = f"{name} is a Python library: it does not exist in the browser"
                else:
                    why = f"{name} is neither client code nor a listed browser import"
                found.append(
                    Violation(rel, imp.line, "browser", f"client module {source.module}: {why}")
                )
    return found


def check(root: Path) -> list[Violation]:
    """Every broken rule under *root*, once per file, line and message."""
    return list(dict.fromkeys(check_server(root) + check_browser(root)))


def unused_exceptions(root: Path) -> list[str]:
    """PRIVATE_EXCEPTIONS entries that no import needs any more."""
    used = set()
    for source in sources(root, root, "raccoon"):
        tree, _ = parse(source, root)
        for imp in imports(tree, source) if tree else ():
            owned = private_owner(imp.full)
            if owned and (source.module, owned[1]) in PRIVATE_EXCEPTIONS:
                used.add((source.module, owned[1]))
    return [f"{a} -> {b}" for a, b in PRIVATE_EXCEPTIONS if (a, b) not in used]


def render_tiers() -> list[str]:
    return [f"{n}: {' | '.join(tier)}" for n, tier in enumerate(TIERS)]


# --- the real tree -----------------------------------------------------------


@pytest.fixture(scope="module")
def violations() -> list[Violation]:
    return check(ROOT)


@pytest.mark.parametrize("rule", RULES)
def test_rule_holds(violations, rule):
    broken = [str(v) for v in violations if v.rule == rule]
    assert not broken, f"architecture rule {rule!r} broken (docs/architecture.md):\n" + "\n".join(
        broken
    )


def test_tables_are_consistent():
    assert set(TIER_OF) == set(LAYERS), "every layer is in exactly one tier"
    assert sum(len(t) for t in TIERS) == len(LAYERS)


def test_every_exception_is_still_needed():
    assert unused_exceptions(ROOT) == [], "remove these from PRIVATE_EXCEPTIONS"


def test_the_document_states_the_same_order():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [line for line in render_tiers() if line not in doc]
    assert not missing, "docs/architecture.md must list the tiers as TIERS does:\n" + "\n".join(
        render_tiers()
    )
    for importer, private in PRIVATE_EXCEPTIONS:
        assert f"{importer} → {private}" in doc, f"document the exception {importer} → {private}"


def test_the_checker_sees_the_whole_tree():
    """Guard against a checker that silently checks nothing."""
    server = list(sources(ROOT, ROOT, "raccoon"))
    assert len(server) > 100
    browser = [s for _, srcs in browser_packages(ROOT) for s in srcs]
    assert any(s.module == "raccoon.view" for s in browser)
    assert any(s.module.startswith("safety") for s in browser)


# --- the checker on deliberately wrong trees ---------------------------------


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


CLEAN = {
    "raccoon/__init__.py": "",
    "raccoon/_tokens.py": "import hmac\n",
    "raccoon/_process.py": "import asyncio\n",
    "raccoon/_authenticator.py": "from autobahn.wamp.exception import ApplicationError\n"
    "from raccoon._tokens import x\n",
    "raccoon/reactive/__init__.py": "from ._value import Value\n",
    "raccoon/reactive/_value.py": "import asyncio\n",
    "raccoon/node/__init__.py": "from raccoon.reactive import Value\n",
    "raccoon/node/_wamp.py": "import txaio\ntxaio.use_asyncio()\nfrom . import _path\n",
    "raccoon/node/_path.py": "",
    "raccoon/build/__init__.py": "",
    "raccoon/build/_command.py": "",
    "raccoon/service/__init__.py": "from raccoon.node import Node\nfrom raccoon import _process\n",
    "raccoon/service/_web.py": "import aiohttp\nfrom ._sessions import Sessions\n",
    "raccoon/service/_sessions.py": "",
    "raccoon/service/cli.py": "from raccoon.build._command import run_build\n",
    "js/raccoon/__init__.py": "from .node import Node\n",
    "js/raccoon/node.py": "from __globals__ import JS\nfrom autobahn import __default__ as ab\n",
    "js/raccoon/widgets/__init__.py": "",
    "js/raccoon/widgets/grid.py": "from .tabulator import Tabulator\nfrom ..node import Node\n",
    "js/raccoon/widgets/tabulator.js": "export class Tabulator {}\n",
    "examples/app/client/app/__init__.py": "from raccoon.widgets.grid import Grid\n"
    "from .views import V\n",
    "examples/app/client/app/views.py": "from raccoon.node import Node\n",
}


def test_checker_passes_a_clean_tree(tmp_path):
    write(tmp_path, CLEAN)
    assert [str(v) for v in check(tmp_path)] == []


def test_checker_reports_each_wrong_import(tmp_path):
    write(
        tmp_path,
        {
            **CLEAN,
            # (a) lower imports higher: absolute, relative, inside a function
            "raccoon/reactive/_value.py": """\
                import asyncio
                import raccoon.service

                def later():
                    from ..node import Node
            """,
            # (a) siblings; (b) another package's private module
            "raccoon/build/_command.py": "from raccoon.reactive._value import Value\n",
            "raccoon/node/_path.py": "from raccoon.service._web import handler\n",
            # (d) the router worker
            "raccoon/_authenticator.py": """\
                import txaio
                from raccoon.node import WAMPNode
                from autobahn.asyncio.wamp import ApplicationSession
                txaio.use_asyncio()
            """,
            "raccoon/_tokens.py": "import hmac\nimport aiohttp\n",
            # unclassified
            "raccoon/_new.py": "",
            # (c) the browser
            "js/raccoon/node.py": """\
                from __globals__ import JS
                import asyncio
                from raccoon.service import Service
            """,
            "js/raccoon/widgets/grid.py": """\
                from .tabulator import Tabulator

                def f():
                    from ..data import Cursor
            """,
            "examples/app/client/app/views.py": "from raccoon.data._cursor import Cursor\n",
            "raccoon/data/__init__.py": "",
            "raccoon/data/_cursor.py": "from raccoon.node import Node\n",
        },
    )
    got = {(v.path, v.line, v.rule) for v in check(tmp_path)}
    assert got == {
        ("raccoon/reactive/_value.py", 2, "layers"),
        ("raccoon/reactive/_value.py", 5, "layers"),
        ("raccoon/build/_command.py", 1, "layers"),
        ("raccoon/build/_command.py", 1, "private"),
        ("raccoon/node/_path.py", 1, "layers"),
        ("raccoon/node/_path.py", 1, "private"),
        ("raccoon/_authenticator.py", 2, "router worker"),  # raccoon.node
        ("raccoon/_authenticator.py", 3, "router worker"),  # autobahn.asyncio
        ("raccoon/_authenticator.py", 4, "router worker"),  # txaio.use_asyncio()
        ("raccoon/_tokens.py", 2, "router worker"),  # aiohttp: forbidden, not stdlib
        ("raccoon/_new.py", 1, "unclassified"),
        ("js/raccoon/node.py", 2, "browser"),
        ("js/raccoon/node.py", 3, "browser"),
        ("js/raccoon/widgets/grid.py", 4, "browser"),  # relative, in a function
        ("examples/app/client/app/views.py", 1, "browser"),
    }, "\n".join(sorted(map(str, check(tmp_path))))
    messages = "\n".join(map(str, check(tmp_path)))
    assert (
        "raccoon/reactive/_value.py:2: [layers] raccoon.reactive._value (layer reactive, tier 1) "
        "imports raccoon.service (layer service, tier 4): a higher tier" in messages
    )
    assert "private to raccoon.service" in messages
    assert "in the browser `raccoon` is js/raccoon" in messages


def test_checker_allows_listed_private_imports_only(tmp_path):
    write(tmp_path, {**CLEAN, "raccoon/service/_web.py": "from raccoon.build._command import x\n"})
    assert [(v.path, v.rule) for v in check(tmp_path)] == [("raccoon/service/_web.py", "private")]
