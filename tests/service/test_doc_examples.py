"""Every code example of docs/client-python.md and docs/tutorial.md runs.

Each fenced block carries a ``<!-- doc-test: KIND ... -->`` marker
(``doc_blocks.py``); an unmarked block fails here. Scaffold excerpts are
compared with what ``raccoon new`` writes, transcripts are run, checker
messages reproduced, client modules checked, transpiled and bundled, server
modules imported, and the first example of client-python.md — a view and its
controller — runs in chromium: a call from the view to its controller
(``'#controller'``), a server signal to the view's handler, and the view's
signal to the controller's handler. The tutorial's development steps
(``edit``, ``insert``, ``new``, ``dev-log``) run in
``test_dev.py::test_the_tutorial_development_loop_as_written``.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import secrets
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from doc_blocks import Block, blocks, excerpt_in
from playwright.async_api import async_playwright
from run_support import RACCOON, clean_env, workspace
from service_support import FAST_HASHING, PASSWORD

from raccoon.build import bundle, check_tree, default_client_source, transpile
from raccoon.data import create_database, drop_database
from raccoon.service import Application
from raccoon.service._client import build_client
from raccoon.testing import eventually
from raccoon.testing.browser import launch_chromium

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("client-python.md", "tutorial.md")
KINDS = frozenset(
    {
        "client",
        "server",
        "scaffold",
        "transcript",
        "commands",
        "checker",
        "edit",
        "insert",
        "new",
        "dev-log",
        "shown-by",
        "in-makefile",
    }
)
ARTIFACTS = Path(os.environ.get("RACCOON_ARTIFACTS") or ROOT / "tmp" / "e2e-artifacts")


def _all() -> list[Block]:
    return [block for page in PAGES for block in blocks(page)]


def _of(kind: str) -> list[Block]:
    return [block for block in _all() if block.kind == kind]


def _env() -> dict[str, str]:
    env = clean_env()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_every_example_is_marked_with_a_known_kind() -> None:
    found = _all()  # raises for an unmarked block
    assert len(found) >= 30
    unknown = [str(block) for block in found if block.kind not in KINDS]
    assert not unknown, unknown


def test_the_tests_named_for_an_output_exist() -> None:
    for block in _of("shown-by"):
        file, _, test = block.args.partition("::")
        source = (ROOT / file).read_text()
        assert f"def {test}(" in source, f"{block}: no test {test} in {file}"


def test_the_node_command_is_the_one_make_jstest_runs() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\njstest:") :]
    recipe = " ".join(recipe.replace("\\\n", " ").split())
    for block in _of("in-makefile"):
        command = " ".join(block.text.replace("\\\n", " ").split())
        command = command.replace("$PWD/js/build", "$(CURDIR)/$(JS_BUILD)")
        command = command.replace("js/build/", "$(JS_BUILD)/")
        head, _, tail = command.partition(" --test ")
        assert head in recipe and "--test" in recipe, f"{block}: {head!r} not in make jstest"
        assert tail.split()[0] in recipe, f"{block}: {tail!r} not in make jstest"


# -- what `raccoon new` writes, and the commands around it ---------------------------------


@pytest.fixture(scope="module")
def scaffolds() -> Iterator[tuple[Path, dict[str, str]]]:
    """A workspace with ``raccoon new studio`` and ``raccoon new demo`` run in it
    (and what each printed)."""
    with workspace() as root:
        printed = {}
        for name in ("studio", "demo"):
            new = subprocess.run(
                [*RACCOON, "new", name], cwd=root, capture_output=True, text=True, timeout=60
            )
            assert new.returncode == 0, new.stderr
            printed[name] = new.stdout
        yield root, printed


def test_the_scaffold_excerpts_are_what_raccoon_new_writes(
    scaffolds: tuple[Path, dict[str, str]],
) -> None:
    root, _ = scaffolds
    for block in _of("scaffold"):
        text = (root / block.args).read_text()
        assert excerpt_in(block.text, text), f"{block} is not in {block.args}:\n{block.text}"


@pytest.mark.timeout(180)
def test_the_transcripts_print_what_they_show(scaffolds: tuple[Path, dict[str, str]]) -> None:
    root, printed = scaffolds
    for block in _of("transcript"):
        steps = re.split(r"^\$ ", block.text, flags=re.M)[1:]
        for step in steps:
            command, _, expected = step.partition("\n")
            if command == "raccoon new studio":
                output = printed["studio"]  # already run: the directory exists now
            else:
                ran = subprocess.run(
                    command,
                    shell=True,
                    cwd=root / block.args,
                    env=_env(),
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                assert ran.returncode == 0, f"{block}: {command}\n{ran.stdout}{ran.stderr}"
                output = ran.stdout + ran.stderr
            assert output.strip() == expected.strip(), f"{block}: {command} printed\n{output}"


@pytest.mark.timeout(240)
def test_the_build_commands_run(tmp_path: Path) -> None:
    package = tmp_path / "client" / "shop"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "from raccoon.view import element\n\n__all__ = ['element']\n"
    )
    for block in _of("commands"):
        for line in block.text.splitlines():
            command = line.partition("#")[0].strip()
            if not command:
                continue
            argv = shlex.split(command)
            assert argv[0] == "raccoon", f"{block}: {command}"
            ran = subprocess.run(
                [*RACCOON, *argv[1:]],
                cwd=tmp_path,
                env=_env(),
                capture_output=True,
                text=True,
                timeout=200,
            )
            assert ran.returncode == 0, f"{block}: {command}\n{ran.stdout}{ran.stderr}"
    assert (tmp_path / "build" / "js" / "shop" / "index.js").is_file()
    assert (tmp_path / "js" / "build" / "dist" / "shop.bundle.js").is_file()


# -- the checker's messages ----------------------------------------------------------------

#: A module with the construct of each code the docs quote.
_TRIGGERS = {
    "PJ101": "X = {k: 1 for k in [1]}\n",
    "PJ212": "def f(a, c):\n    return a + c\n\n\nf(1, c=2)\n",
    "PJ220": "X = 1\n",
}


def test_the_checker_messages_are_the_checkers(tmp_path: Path) -> None:
    for block in _of("checker"):
        for line in block.text.splitlines():
            match = re.match(r"(?P<file>\S+?):\d+:\d+: (?P<code>PJ\d+) (?P<rest>.*)", line)
            assert match is not None, f"{block}: {line}"
            package = tmp_path / match["code"].lower() / "client"
            package.mkdir(parents=True)
            (package / "__init__.py").write_text("")
            name = Path(match["file"]).name
            (package / name).write_text(_TRIGGERS[match["code"]])
            said = [str(v) for v in check_tree([package])]
            wanted = f"{match['code']} {match['rest']}"
            assert any(text.endswith(wanted) for text in said), f"{block}: {wanted}\n{said}"


# -- the examples' code ----------------------------------------------------------------------


def _client_tree(base: Path) -> list[Path]:
    """The client examples, as packages under *base* (each package's __init__
    imports its modules, so that a bundle resolves their imports)."""
    packages: dict[str, list[str]] = {}
    for block in _of("client"):
        path = base / block.args
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.text + "\n")
        packages.setdefault(path.parent.name, []).append(path.stem)
    for name, modules in packages.items():
        imports = "".join(f"from . import {module}\n" for module in modules)
        exports = ", ".join(repr(m) for m in modules)
        (base / name / "__init__.py").write_text(f"{imports}\n__all__ = [{exports}]\n")
    return sorted(base / name for name in packages)


@pytest.mark.timeout(240)
def test_the_client_examples_pass_the_checker_and_bundle(tmp_path: Path) -> None:
    packages = _client_tree(tmp_path / "client")
    assert [p.name for p in packages] == ["orders", "widgets_example"]
    assert check_tree(packages) == []
    # Names the examples use but do not import (the checker has no such rule).
    lint = subprocess.run(
        [Path(sys.executable).parent / "ruff", "check", "--isolated", "--select", "F821,F401"]
        + [str(p) for p in packages],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout
    out = tmp_path / "build"
    transpile([default_client_source(), *packages], out, tests=False)
    for package in packages:
        made = bundle(out, package.name, out=out / "dist", mode="development")
        assert made.size > 0


def test_the_server_examples_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    for block in _of("server"):
        (tmp_path / f"{block.args}.py").write_text(block.text + "\n")
        importlib.import_module(block.args)


# -- the first example in chromium: a call, a handler, a signal ------------------------------


def _orders_application(base: Path, monkeypatch: pytest.MonkeyPatch) -> Application:
    """The client-python.md example as an application: its controller, its view,
    and an entry point that boots the view for the controller's VIEW type."""
    (server,) = _of("server")
    monkeypatch.syspath_prepend(str(base))
    (base / f"{server.args}.py").write_text(server.text + "\n")
    module = importlib.import_module(server.args)
    client = base / "client"
    _client_tree(client)
    (client / "orders" / "__init__.py").write_text(
        "from raccoon.session import boot\n\nfrom .views import OrdersView\n\n"
        'boot({"Orders": OrdersView})\n\n__all__ = ["OrdersView"]\n'
    )
    return Application("orders", controllers=[module.Orders], client=client / "orders")


def _controller(service: Any, prefix: str, context_id: str) -> Any:
    """The session's controller of *context_id*, in this process (as the docs say)."""
    session = service.sessions.node(prefix)
    return session.node_children[context_id].node_children["controller"]


@pytest.mark.timeout(300)
@pytest.mark.asyncio
async def test_the_first_example_runs_in_chromium(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _orders_application(tmp_path, monkeypatch)
    package = app.path(app.client)
    assert package is not None
    made = build_client(package, tmp_path / "work")
    name = f"raccoon_docs_{os.getpid()}_{secrets.token_hex(3)}"
    dsn = await create_database(database, name)
    artifacts = ARTIFACTS / "test_doc_examples"
    artifacts.mkdir(parents=True, exist_ok=True)
    try:
        settings = app.load_settings(
            env={},
            secret=secrets.token_urlsafe(48),
            port=0,
            database_url=dsn,
            workdir=str(tmp_path / "service"),
            bundle_path=str(made.bundle),
            **FAST_HASHING,
        )
        service = app.service(settings)
        await service.start()
        try:
            await service.accounts.create_user("ann", PASSWORD)
            async with async_playwright() as pw:
                browser = await launch_chromium(pw)
                try:
                    page = await browser.new_page()
                    page.on("console", lambda m: print(f"[browser {m.type}] {m.text}"))
                    await page.goto(service.url)
                    await page.fill("#raccoon-username", "ann")
                    await page.fill("#raccoon-password", PASSWORD)
                    await page.click("#raccoon-login")
                    await page.wait_for_selector('#raccoon[data-state="ready"]', timeout=30_000)
                    opened = await page.evaluate(
                        """async () => {
                            const s = window.raccoon_session;
                            const view = await s.open('view', {source: 'shop.orders'});
                            window.orders_view = view;
                            return {prefix: s.prefix, id: view.id,
                                    controller: view.description.controller,
                                    resolved: view.controller.node_path.toString()};
                        }"""
                    )
                    assert opened["resolved"] == opened["controller"]  # View.controller
                    await page.wait_for_selector("[data-order]", timeout=30_000)
                    controller = _controller(service, opened["prefix"], opened["id"])

                    # A call: the view's select() calls '#controller'.load() ...
                    loaded = await page.evaluate("() => window.orders_view.select(7)")
                    assert loaded == {"id": 7, "status": "open"}
                    # ... after notifying its signal, which the controller handles.
                    await eventually(lambda: controller.selected == 7, within=10)

                    # A handler: the controller's signal reaches '#controller.on_saved'.
                    await controller.save(9)
                    await page.wait_for_function(
                        """() => document.querySelector('[data-order]').textContent
                                 === 'order 9 saved'
                            && window.orders_view.node_data.get('current_id') === 9""",
                        timeout=10_000,
                    )
                    await page.screenshot(path=artifacts / "orders.png")
                finally:
                    await browser.close()
        finally:
            await service.stop()
    finally:
        await drop_database(database, name)


def test_blocks_compare_as_dataclasses() -> None:
    """(Blocks are values: the same page parses to the same blocks.)"""
    first, second = blocks("tutorial.md"), blocks("tutorial.md")
    assert first == second and dataclasses.is_dataclass(first[0])
