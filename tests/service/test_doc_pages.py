"""Every code example of the README and of the other pages of docs/ runs (or is
checked against what the code produces).

The pages of ``test_doc_examples.py`` aside, each fenced block carries a
``<!-- doc-test: KIND ARGS -->`` marker (``doc_blocks.py``); an unmarked block
fails here. The kinds of these pages:

- ``run [imports] [crossbar] [setup=NAME]``: Python, executed in a fresh
  namespace (top-level ``await`` allowed, on a fresh event loop; the
  connections it leaves open closed after it), in a directory holding the
  page's ``settings-file`` blocks, after the page's ``run imports`` blocks;
  with ``crossbar``, ``url`` and ``realm`` are those of the plugin's router;
  ``setup=NAME`` gives it the objects it names (``SETUPS[NAME]``, which also
  checks what the example did with them); a line ``EXPR  # -> VALUE``
  asserts that EXPR equals VALUE, and the ``prints: TEXT`` of its comments
  are what it prints, in order, once the reactive computations are flushed;
  a block that calls ``asyncio.run`` runs in a thread (no loop running there);
- ``scaffold APP/FILE``: an excerpt (``...`` elides) of a file ``raccoon new
  APP`` writes;
- ``make``: ``make TARGET`` lines, each a target of the Makefile;
- ``make-recipe``: a command of a Makefile recipe (``.venv/bin`` is ``$(BIN)``,
  options the recipe adds aside);
- ``pins``: how constraints.txt is made: the ``dev`` extra exists, the make
  targets exist, and constraints.txt is the ``pip freeze --exclude-editable``
  of the .venv built from it (in any order);
- ``settings-file NAME``: a settings file, loaded by ``Settings.load``; every
  key it sets has the value it shows;
- ``cli``: shell lines; each ``raccoon ...`` command (or ``.venv/bin/raccoon``) (after environment
  assignments, or run by ``docker compose run``) is accepted by the
  ``raccoon`` command line parser, the environment variables it sets are
  settings, the files ``cp`` copies exist, and the services ``docker compose``
  names are in docker-compose.yml;
- ``writes FILE``: a command whose ``--out`` is FILE; run (writing elsewhere),
  it writes exactly the committed FILE;
- ``router-auth``: a JSON excerpt of the router configuration's ``auth``
  section, as ``build_config`` builds it for the router a ``Service`` starts;
- ``shown-by FILE::TEST``: what TEST checks for itself (or the command it runs);
- ``tiers``: the layer order, as ``tests/test_architecture.py`` has it (``TIERS``);
- ``exceptions MODULE``: a tree of exception classes, as MODULE has them;
- ``pytest``: a test module, run by pytest (with the raccoon plugin);
- ``migration``: an application migration, applied by ``upgrade`` to a fresh
  database (its table then records changes) and taken back by ``downgrade``;
- ``alembic-ini``: an alembic.ini, with which Alembic takes Raccoon's script
  template and the application's revisions (the page's ``migration``);
- ``feed-sql``: the change feed's condition for new rows, as raccoon/data/_feed.py
  queries it (``xmax(S)``, ``xip(S)``, ``last_id_delivered`` being its parameters);
- ``diagram``: a text diagram or table, not code (no language tag).
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import dataclasses
import decimal
import importlib
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
import yaml
from doc_blocks import Block, blocks, excerpt_in

from raccoon.context import (
    OPERATIONS,
    Catalog,
    Content,
    ContextState,
    Controller,
    Registry,
)
from raccoon.data import (
    Database,
    Permissions,
    Source,
    create_database,
    downgrade,
    drop_database,
    track_table,
    upgrade,
)
from raccoon.node import Connection, Signal, WAMPNode, call
from raccoon.node import Path as NodePath
from raccoon.reactive import ReactiveDict, flush
from raccoon.service import Service, Settings
from raccoon.service._scaffold import create_application
from raccoon.service.cli import build_parser
from raccoon.service.router import BackendTransport, RouterSettings, TicketPrincipal, build_config
from raccoon.testing import eventually

ROOT = Path(__file__).resolve().parents[2]
PAGES = (
    "dependencies.md",
    "README.md",
    "reactivity.md",
    "nodes.md",
    "cursors.md",
    "data-changes.md",
    "intents.md",
    "deployment.md",
    "sessions.md",
    "settings.md",
    "architecture.md",
    "security.md",
)
KINDS = frozenset(
    {
        "run",
        "settings-file",
        "cli",
        "writes",
        "router-auth",
        "shown-by",
        "tiers",
        "scaffold",
        "make",
        "make-recipe",
        "pins",
        "exceptions",
        "pytest",
        "migration",
        "alembic-ini",
        "feed-sql",
        "diagram",
    }
)


def _all() -> list[Block]:
    return [block for page in PAGES for block in blocks(page)]


def _of(kind: str) -> list[pytest.ParameterSet]:
    """The blocks of *kind*; those that need a router are slow (it starts one)."""
    return [
        pytest.param(
            block,
            id=f"{block.page}:{block.line}",
            marks=[pytest.mark.slow]
            if {"crossbar", "setup=ticket"} & set(block.args.split()) or block.kind == "pytest"
            else [],
        )
        for block in _all()
        if block.kind == kind
    ]


def test_every_example_is_marked_with_a_known_kind() -> None:
    found = _all()  # raises for an unmarked block
    unknown = [str(block) for block in found if block.kind not in KINDS]
    assert not unknown, unknown


@pytest.mark.parametrize("block", _of("diagram"))
def test_a_diagram_is_not_code(block: Block) -> None:
    assert block.lang in ("", "text"), f"{block}: a {block.lang} block is code: run it"
    with pytest.raises(SyntaxError):
        ast.parse(block.text)


@pytest.mark.parametrize("block", _of("shown-by"))
def test_the_tests_named_for_an_output_exist(block: Block) -> None:
    file, _, test = block.args.partition("::")
    source = (ROOT / file).read_text()
    assert f"def {test}(" in source, f"{block}: no test {test} in {file}"


@pytest.mark.parametrize("block", _of("tiers"))
def test_the_layer_order_is_the_tests(block: Block) -> None:
    source = (ROOT / "tests" / "test_architecture.py").read_text()
    module = ast.parse(source)
    tiers = next(
        ast.literal_eval(node.value)
        for node in module.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "TIERS"
        and node.value is not None
    )
    shown = [line.partition(": ")[2].split(" | ") for line in block.text.splitlines()]
    assert shown == [list(tier) for tier in tiers], block


# -- settings ------------------------------------------------------------------------------


def _settings_files(page: str) -> list[Block]:
    return [block for block in blocks(page) if block.kind == "settings-file"]


@pytest.mark.parametrize("block", _of("settings-file"))
def test_a_settings_file_loads_as_shown(block: Block, tmp_path: Path) -> None:
    path = tmp_path / block.args
    path.write_text(block.text + "\n")
    settings = Settings.load(path, env={})
    for name, value in tomllib.loads(block.text).items():
        loaded = getattr(settings, name)
        assert loaded == (tuple(value) if isinstance(value, list) else value), (block, name)


@pytest.mark.parametrize("block", _of("cli"))
def test_the_commands_are_accepted(block: Block) -> None:
    text = re.sub(r"\\\n", " ", block.text)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    commands = 0
    for line in (part for row in text.splitlines() for part in row.split(" && ")):
        words = shlex.split(line, comments=True)
        if words[:1] == ["cp"]:
            assert (ROOT / words[1]).is_file(), f"{block}: no {words[1]}"
            continue
        if words[:2] == ["docker", "compose"]:
            named = [w for w in words[2:] if w in compose["services"]]
            assert named or words[2] == "up", f"{block}: {line!r} names no service"
            words = words[words.index("raccoon") :] if "raccoon" in words else []
        while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            assert name.startswith("RACCOON_"), (block, name)
            value = {"...": "x" * 48}.get(value, value)
            Settings.load(env={name: value})
        if words and words[0] in ("raccoon", ".venv/bin/raccoon"):
            commands += 1
            try:
                build_parser().parse_args(words[1:])
            except SystemExit as error:  # argparse refused it
                pytest.fail(f"{block}: {line!r} is not a raccoon command ({error})")
    assert commands, f"{block}: no raccoon command"


@pytest.mark.parametrize("block", _of("make"))
def test_the_make_targets_exist(block: Block) -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = [line.split()[1] for line in block.text.splitlines() if line.startswith("make ")]
    assert targets, block
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.M), f"{block}: no target {target}"


@pytest.mark.parametrize("block", _of("make-recipe"))
def test_the_command_is_a_makefile_recipe(block: Block) -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipes = [line.strip() for line in makefile.splitlines() if line.startswith("\t")]
    words = block.text.replace(".venv/bin/", "$(BIN)/").split()
    assert any(set(words) <= set(shlex.split(r, posix=False)) for r in recipes), block


@pytest.mark.parametrize("block", _of("pins"))
def test_the_pins_are_a_freeze_of_the_environment(block: Block) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "dev" in pyproject["project"]["optional-dependencies"], block
    assert "-e '.[dev]'" in block.text, block
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^make (.*?)\s*(?:#.*)?$", block.text, re.M)[0].split():
        assert re.search(rf"^{target}:", makefile, re.M), f"{block}: no target {target}"
    assert "pip freeze --exclude-editable > constraints.txt" in block.text, block
    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    pins = (ROOT / "constraints.txt").read_text()
    wanted = {line for line in pins.splitlines() if line and not line.startswith("#")}
    assert set(freeze.splitlines()) == wanted, set(freeze.splitlines()) ^ wanted


@pytest.mark.parametrize("block", _of("scaffold"))
def test_a_scaffold_excerpt_is_what_raccoon_new_writes(block: Block, tmp_path: Path) -> None:
    app, _, file = block.args.partition("/")
    create_application(tmp_path / app, app)
    assert excerpt_in(block.text, (tmp_path / app / file).read_text()), block


# -- commands that write files -------------------------------------------------------------


@pytest.mark.parametrize("block", _of("writes"))
def test_a_command_writes_the_committed_file(block: Block, tmp_path: Path) -> None:
    words = shlex.split(re.sub(r"\\\n", " ", block.text), comments=True)
    assert words[0] == "raccoon" and words[words.index("--out") + 1] == block.args, block
    words[words.index("--out") + 1] = str(tmp_path / "out")
    result = subprocess.run(
        [sys.executable, "-m", "raccoon.service.cli", *words[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out").read_text() == (ROOT / block.args).read_text(), block


@pytest.mark.parametrize("block", _of("router-auth"))
def test_the_router_auth_excerpt_is_what_the_config_has(block: Block) -> None:
    excerpt = json.loads("{" + block.text + "}")["auth"]
    settings = Settings(secret="s" * 48, port=8080, http_port=8000, backend_port=8081)
    config = build_config(Service(settings)._router_settings("ticket"))
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "auth" in node:
                found.append(node["auth"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    assert excerpt in found, f"{block}: the configuration's auth sections are {found}"


@pytest.mark.parametrize("block", _of("exceptions"))
def test_the_exception_tree_is_the_modules(block: Block) -> None:
    module = importlib.import_module(block.args)
    parents: list[type] = []
    for line in block.text.splitlines():
        name = re.search(r"\w+", line)
        assert name is not None, block
        depth = name.start() // 4
        cls = getattr(module, name[0])
        if depth:
            assert cls.__mro__[1] is parents[depth - 1], f"{block}: {cls.__name__}'s parent"
        also = re.search(r"\(also an? (\w+)\)", line)
        if also is not None:
            assert issubclass(cls, getattr(builtins, also[1])), f"{block}: {line}"
        del parents[depth:]
        parents.append(cls)


@pytest.mark.parametrize("block", _of("pytest"))
@pytest.mark.timeout(120)
def test_the_test_example_passes(block: Block, tmp_path: Path) -> None:
    (tmp_path / "test_example.py").write_text(block.text + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout


@pytest.mark.parametrize("block", _of("migration"))
@pytest.mark.asyncio
async def test_the_migration_applies_and_reverts(
    block: Block, tmp_path: Path, database: str
) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "app_0001_orders.py").write_text(block.text + "\n")
    name = f"docs_{secrets.token_hex(4)}"
    dsn = await create_database(database, name)
    try:
        await upgrade(dsn, app_migrations=tmp_path / "migrations")
        sql = await asyncpg.connect(dsn)
        try:
            await sql.execute("INSERT INTO orders (id, customer, tenant) VALUES (1, 'a', 'acme')")
            logged = await sql.fetchval("SELECT count(*) FROM raccoon_changes")
            assert logged == 1, f"{block}: the table records no changes"
            await downgrade(dsn, "base", app_migrations=tmp_path / "migrations")
            gone = await sql.fetchval("SELECT to_regclass('orders') IS NULL")
            assert gone, f"{block}: downgrade left the table"
        finally:
            await sql.close()
    finally:
        await drop_database(database, name)


@pytest.mark.parametrize("block", _of("alembic-ini"))
def test_alembic_finds_the_revisions(block: Block, tmp_path: Path) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    (tmp_path / "alembic.ini").write_text(block.text + "\n")
    (tmp_path / "migrations").mkdir()
    for migration in (b for b in blocks(block.page) if b.kind == "migration"):
        (tmp_path / "migrations" / "app_0001_orders.py").write_text(migration.text + "\n")
    script = ScriptDirectory.from_config(Config(str(tmp_path / "alembic.ini")))
    revisions = {revision.revision for revision in script.walk_revisions()}
    assert revisions == {"app_0001"}, revisions  # the application's directory
    assert (Path(script.dir) / "script.py.mako").is_file(), script.dir  # Raccoon's template


@pytest.mark.parametrize("block", _of("feed-sql"))
def test_the_feed_condition_is_the_feeds(block: Block) -> None:
    from raccoon.data import _feed

    shown = " ".join(re.sub(r"--.*$", "", block.text, flags=re.M).split())
    parameters = {"xmax(S)": "$1", "xip(S)": "$2::bigint[]", "last_id_delivered": "$3"}
    for name, parameter in parameters.items():
        shown = shown.replace(name, parameter)
    shown = shown.replace("( ", "(").replace(" )", ")")
    assert shown == f"{_feed._NEW_SINCE} AND txid_visible_in_snapshot(txid, T)", shown
    source = Path(_feed.__file__).read_text()
    assert "WHERE {_NEW_SINCE} AND txid_visible_in_snapshot(txid, " in source


# -- Python ---------------------------------------------------------------------------------


_RESULT = re.compile(r"^(?P<indent>\s*)(?P<expr>\S.*?)\s+# -> (?P<value>.+)$")


def _program(block: Block) -> str:
    """The block, with each ``EXPR  # -> VALUE`` line made an assertion."""
    lines = []
    for line in block.text.splitlines():
        result = _RESULT.match(line)
        if result is not None:
            line = (
                f"{result['indent']}assert ({result['expr']}) == ({result['value']}), "
                f"{result['expr']!r}"
            )
        lines.append(line)
    return "\n".join(lines)


def execute(blocks: list[Block], namespace: dict[str, Any], setup: Any = None) -> None:
    """Run *blocks* in *namespace*, top-level ``await`` on a fresh event loop
    (after *setup*, whose check follows them)."""
    texts = [b.text for b in blocks]
    codes = [
        compile(_program(b), str(b), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT) for b in blocks
    ]

    async def main() -> None:
        try:
            check = None if setup is None else await setup(namespace)
            for code, text in zip(codes, texts, strict=True):
                if "asyncio.run(" in text:
                    await asyncio.to_thread(eval, code, namespace)
                    continue
                result = eval(code, namespace)  # the docs' own examples
                if asyncio.iscoroutine(result):
                    try:
                        await result
                    except Stop:
                        pass
            flush()
            await asyncio.sleep(0.05)  # the coroutines a flush started
            flush()
            if check is not None:
                await check()
        finally:  # what the example leaves open, as its program would at exit
            for value in namespace.values():
                if isinstance(value, Connection):
                    await value.close()

    asyncio.run(main())


class Stop(Exception):
    """A setup ends an example that would run forever (a ``watch`` loop)."""


Check = Callable[[], Awaitable[None]]


async def _master_detail(namespace: dict[str, Any]) -> Check:
    master, reloaded = ReactiveDict(current_id=1), []

    class Detail:
        async def reload(self, current_id: int) -> None:
            reloaded.append(current_id)
            if current_id == 2:
                raise Stop
            master["current_id"] = 2

    namespace.update(master=master, detail=Detail())

    async def check() -> None:
        assert reloaded == [1, 2], reloaded

    return check


async def _rows(namespace: dict[str, Any]) -> Check:
    detail: dict[str, Any] = {}

    async def fetch_rows(current_id: int) -> list[int]:
        await asyncio.sleep(0)
        return [current_id * 10]

    namespace.update(master=ReactiveDict(current_id=4), detail=detail, fetch_rows=fetch_rows)

    async def check() -> None:
        await eventually(lambda: detail.get("rows") == [40], what="the detail's rows")

    return check


async def _node(namespace: dict[str, Any]) -> Check:
    namespace.update(master=WAMPNode())

    async def check() -> None:
        assert namespace["master"]["current_id"] == 42

    return check


async def _observed(namespace: dict[str, Any]) -> Check:
    owner = Connection(namespace["url"], namespace["realm"])
    await owner.connect()
    base = NodePath(f"docs{secrets.token_hex(4)}")
    master = WAMPNode()
    master["current_id"] = 1
    await master.node_bind(base + "master", owner.new_context())
    node = WAMPNode()
    await node.node_bind(base + "node", owner.new_context())
    namespace.update(node=node, _owner=owner)

    async def check() -> None:
        await master.node_unbind()
        await node.node_unbind()

    return check


async def _orders(namespace: dict[str, Any]) -> Check:
    connection = Connection(namespace["url"], namespace["realm"])
    await connection.connect()
    base = NodePath(f"docs{secrets.token_hex(4)}")
    saved: list[int] = []

    class Orders(WAMPNode):
        on_saved = Signal()

        @call
        async def total(self, customer: int, currency: str = "EUR") -> float:
            return 12.5

        @call
        async def connect(self) -> str:
            return "an endpoint"

    orders, node = Orders(), WAMPNode()
    await orders.node_bind(base + "orders", connection.new_context())
    await node.node_bind(base + "node", connection.new_context())
    namespace.update(node=node, refresh=saved.append, _connection=connection)

    async def check() -> None:
        await orders.node_unbind()
        await node.node_unbind()

    return check


async def _ticket(namespace: dict[str, Any]) -> Check:
    ticket = secrets.token_urlsafe(16)
    settings = RouterSettings(
        executable=os.environ.get("RACCOON_CROSSBAR") or None,
        backend=BackendTransport(principals=(TicketPrincipal("svc", ticket, "backend"),)),
    )
    router = await namespace["_router_factory"].start(settings)
    fetched: list[str] = []

    async def fetch_token() -> str:
        fetched.append(ticket)
        return ticket

    namespace.update(url=router.backend_url, realm=router.realm, fetch_token=fetch_token)

    async def check() -> None:
        assert fetched, "the connection did not fetch its ticket"

    return check


async def _money(namespace: dict[str, Any]) -> Check:
    @dataclasses.dataclass(frozen=True)
    class Money:
        amount: decimal.Decimal
        currency: str

    conn = Connection(namespace["url"], namespace["realm"])
    namespace.update(conn=conn, Money=Money)

    async def check() -> None:
        encoded = conn.serialization.encode(Money(decimal.Decimal("2.50"), "CHF"))
        assert encoded == {"__raccoon__": "money", "value": ["2.50", "CHF"]}, encoded
        assert conn.serialization.decode(encoded, None) == Money("2.50", "CHF"), encoded  # type: ignore[arg-type]

    return check


_COMPANIES_DDL = """
CREATE TABLE companies (id serial PRIMARY KEY, tenant text NOT NULL,
    version integer NOT NULL DEFAULT 1, name varchar(80) NOT NULL);
CREATE TABLE workplaces (id serial PRIMARY KEY, tenant text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    company_id integer NOT NULL REFERENCES companies(id), name varchar(80) NOT NULL);
INSERT INTO companies (tenant, name) VALUES ('acme', 'Beta'), ('acme', 'Alpha'), ('globex', 'Z');
INSERT INTO workplaces (tenant, company_id, name) VALUES ('acme', 1, 'Yard'), ('acme', 2, 'Shop');
"""


async def _companies(namespace: dict[str, Any]) -> Check:
    admin = namespace.pop("_database")
    name = f"docs_{secrets.token_hex(4)}"
    dsn = await create_database(admin, name)
    await upgrade(dsn)
    sql = await asyncpg.connect(dsn)
    try:
        await sql.execute(_COMPANIES_DDL)
        for table in ("companies", "workplaces"):
            await sql.execute(track_table(table, primary_key=["id"], tenant_column="tenant"))
    finally:
        await sql.close()
    metadata = sa.MetaData()
    tables = {
        table: sa.Table(
            table,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("tenant", sa.Text, nullable=False),
            sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
            *([sa.Column("company_id", sa.Integer)] if table == "workplaces" else []),
            sa.Column("name", sa.String(80), nullable=False),
        )
        for table in ("companies", "workplaces")
    }
    connection = Connection(namespace["url"], namespace["realm"])
    await connection.connect()
    namespace.update(
        dsn=dsn,
        COMPANIES=Source("docs.companies", tables["companies"], permissions=Permissions.everyone()),
        WORKPLACES=Source(
            "docs.workplaces", tables["workplaces"], permissions=Permissions.everyone()
        ),
        session_path=NodePath(f"docs{secrets.token_hex(4)}"),
        connection=connection,
    )

    async def check() -> None:
        try:
            companies, workplaces = namespace["companies"], namespace["workplaces"]
            await eventually(lambda: companies.node_data.get("total") == 2, what="acme's two")
            await eventually(lambda: workplaces.node_data.get("total") is not None, what="rows")
            await workplaces.node_unbind()
            await companies.node_unbind()
            await namespace["feed"].stop()
            await namespace["db"].close()
        finally:
            await connection.close()
            await drop_database(admin, name)

    return check


_ORDERS_DDL = """
CREATE TABLE orders (id integer PRIMARY KEY, customer text NOT NULL, tenant text);
"""


async def _orders_db(namespace: dict[str, Any]) -> Check:
    admin = namespace.pop("_database")
    name = f"docs_{secrets.token_hex(4)}"
    dsn = await create_database(admin, name)
    await upgrade(dsn)
    sql = await asyncpg.connect(dsn)
    try:
        await sql.execute(_ORDERS_DDL)
        await sql.execute(track_table("orders", primary_key=["id"], tenant_column="tenant"))
        await sql.execute("INSERT INTO orders VALUES (42, 'Ann', 'acme')")
        await sql.execute("UPDATE orders SET customer = 'Ann Lee' WHERE id = 42")
    finally:
        await sql.close()
    orders = sa.Table(
        "orders",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer", sa.Text),
        sa.Column("tenant", sa.Text),
    )
    db = await Database(dsn).open()
    seen: list[Any] = []
    namespace.update(dsn=dsn, db=db, orders=orders, on_order=seen.append)

    async def check() -> None:
        await db.close()
        await drop_database(admin, name)

    return check


async def _session(namespace: dict[str, Any]) -> Check:
    connection = Connection(namespace["url"], namespace["realm"])
    await connection.connect()
    namespace.update(
        connection=connection,
        session_path=NodePath(f"docs{secrets.token_hex(4)}"),
        catalog=Catalog({}),
        user_id=7,
    )

    async def check() -> None:
        contexts = namespace["contexts"]
        context = contexts.contexts["ctx1"]
        assert context.state is ContextState.OPEN, context.state
        assert type(context.controller).__name__ == "Desktop"
        await contexts.node_unbind()

    return check


async def _context(namespace: dict[str, Any]) -> Check:
    connection = Connection(namespace["url"], namespace["realm"])
    await connection.connect()

    class Desktop(Controller):
        OPERATION = OPERATIONS.VIEW
        CONTENT = {(Content.source == "auth.users") & (Content.len == 1)}

    session = WAMPNode()
    await session.node_bind(NodePath(f"docs{secrets.token_hex(4)}"), connection.new_context())
    namespace.update(session=session, registry=Registry([Desktop]), _connection=connection)

    async def check() -> None:
        controller, context = namespace["controller"], namespace["context"]
        assert isinstance(controller, Desktop) and context.state is ContextState.OPEN
        await context.close()
        await session.node_unbind()

    return check


SETUPS: dict[str, Callable[[dict[str, Any]], Awaitable[Check]]] = {
    "session": _session,
    "context": _context,
    "orders-db": _orders_db,
    "companies": _companies,
    "master-detail": _master_detail,
    "rows": _rows,
    "node": _node,
    "observed": _observed,
    "orders": _orders,
    "ticket": _ticket,
    "money": _money,
}


@pytest.mark.parametrize("block", _of("run"))
def test_the_example_runs(
    block: Block,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespace: dict[str, Any] = {"__name__": "__doc_example__"}
    setup = None
    for need in block.args.split():
        if need == "crossbar":
            router = request.getfixturevalue("crossbar")
            namespace.update(url=router.url, realm=router.realm)
        elif need.startswith("setup="):
            setup = SETUPS[need.removeprefix("setup=")]
            if need in ("setup=companies", "setup=orders-db"):
                namespace["_database"] = request.getfixturevalue("database")
            if need == "setup=ticket":
                namespace["_router_factory"] = request.getfixturevalue("router_factory")
        else:
            assert need == "imports", block
    for file in _settings_files(block.page):
        (tmp_path / file.args).write_text(file.text + "\n")
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("RACCOON_"):
            monkeypatch.delenv(name)
    imports = [b for b in blocks(block.page) if b.kind == "run" and "imports" in b.args.split()]
    capsys.readouterr()
    execute([*imports, block] if block not in imports else [block], namespace, setup)
    printed = capsys.readouterr().out.splitlines()
    shown = [m[1].strip() for m in re.finditer(r"#.*?\bprints: (.*)$", block.text, re.M)]
    if shown:
        assert printed == shown, f"{block}: printed {printed}, the page shows {shown}"
