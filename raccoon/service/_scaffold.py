"""``raccoon new NAME``: write an application that runs.

The skeleton is a package ``NAME/`` with two tables (projects and their
tasks) behind two sources, a migration creating them, a desktop controller
with one action (open the projects), a master-detail controller (projects
and the tasks of the current one, live cursors), a seed that creates a
tenant, a role, a user and a few rows, a ``raccoon.toml`` and a README.
``raccoon run NAME`` runs it.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
from pathlib import Path

__all__ = ["create_application"]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")


def create_application(directory: str | Path, name: str | None = None) -> list[Path]:
    """Write a new application into *directory* (created; it must not hold anything yet).

    *name* defaults to the directory's name; it must be a lowercase Python
    identifier (it is the package's name, and prefixes the tables and
    sources). Returns the files written. Raises :class:`ValueError` for a bad
    name or a directory that is not empty.
    """
    target = Path(directory)
    name = name or target.name
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ValueError(
            f"{name!r} cannot name an application: use a lowercase Python identifier "
            "(letters, digits, '_'; starting with a letter), e.g. 'orders'"
        )
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValueError(f"{target} exists and is not an empty directory; pick another name")
    if importlib.util.find_spec(name) is not None and not target.exists():
        raise ValueError(
            f"{name!r} is the name of an installed module; the application's package would "
            "shadow it (or be shadowed). Pick another name"
        )
    files = {path: text.replace("{{name}}", name) for path, text in _FILES.items()}
    files[f"migrations/{name}_0001_projects.py"] = files.pop("migrations/0001.py")
    for client_file in [f for f in files if f.startswith("client/NAME/")]:
        files[client_file.replace("/NAME/", f"/{name}/")] = files.pop(client_file)
    files = {path.replace("{{name}}", name): text for path, text in files.items()}
    written = []
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


_INIT = '''"""The {{name}} application: projects and their tasks.

`raccoon run` in this directory (or `raccoon run {{name}}` next to it) starts
it with an embedded PostgreSQL; see README.md.
"""

from pathlib import Path

from raccoon.service import Application

from .controllers import Desktop, Projects
from .data import projects, tasks
from .seed import seed

HERE = Path(__file__).parent

application = Application(
    "{{name}}",
    controllers=[Desktop, Projects],
    sources=[projects, tasks],
    migrations=HERE / "migrations",
    client=HERE / "client" / "{{name}}",
    seed=seed,
    settings={"title": "{{name}}"},
)
'''

_DATA = '''"""The tables (SQLAlchemy Core) and the sources clients see them through."""

import sqlalchemy as sa

from raccoon.data import Permissions, Source

metadata = sa.MetaData()

projects_table = sa.Table(
    "{{name}}_projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
)

tasks_table = sa.Table(
    "{{name}}_tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("{{name}}_projects.id"), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Everyone of the tenant sees; members change. Rows are scoped to the
# session's tenant by the "tenant" column.
_PERMISSIONS = Permissions({"view": ["everyone"], "*": ["role:member"]})

projects = Source("{{name}}.projects", projects_table, permissions=_PERMISSIONS)
tasks = Source("{{name}}.tasks", tasks_table, permissions=_PERMISSIONS)
'''

_CONTROLLERS = '''"""Controllers: the desktop every session opens, and projects with their tasks."""

from raccoon.context import OPERATIONS, Content, Controller, OpenAction
from raccoon.context import translatable as _
from raccoon.data import Cursor, DetailCursor
from raccoon.node import Node
from raccoon.service import Logout


class OpenProjects(OpenAction):
    """Opens the projects (a new context beside the desktop)."""

    ID = "open_projects"
    CATEGORIES = ("main",)
    LABEL = _("Projects")
    HINT = _("Projects and their tasks.")
    ICON = "folder"
    CONTENT = Content("{{name}}.projects")


class Desktop(Controller):
    """What a user sees after logging in: VIEW of their own user record."""

    OPERATION = OPERATIONS.VIEW
    CONTENT = {(Content.source == "auth.users") & (Content.len == 1)}
    VIEW = {"type": "Desktop", "title": "{{name}}"}
    ACTIONS = [OpenProjects, Logout]


class Projects(Controller):
    """Master-detail: the projects, and the tasks of the current project."""

    OPERATION = OPERATIONS.VIEW
    CONTENT = {Content.source == "{{name}}.projects"}
    CURSORS = {"projects": "{{name}}.projects", "tasks": "{{name}}.tasks"}
    VIEW = {"type": "MasterDetail", "master": "projects", "detail": "tasks"}

    async def make_cursor(self, name: str, source_name: str, content: Content) -> Node | None:
        # The session's node context holds the service's database, change
        # feed and sources, and who the session is (principal).
        ctx = self.node_context
        source = ctx.sources[source_name]
        if name == "tasks":
            return DetailCursor(
                source, ctx.db, ctx.feed, ctx.principal,
                master=f"{self.node_path}.projects", link="project_id", sort=["title"],
            )
        return Cursor(source, ctx.db, ctx.feed, ctx.principal, sort=["name"])
'''

_SEED = '''"""The first run's data: a tenant, a role, a user, a few projects and tasks."""

from raccoon.data import Principal, create
from raccoon.service import SeedContext

from .data import projects, tasks

SAMPLE = {
    "Garden": ["Plant tomatoes", "Fix the fence"],
    "House": ["Paint the kitchen", "Clean the gutters", "Replace the doorbell"],
}


async def seed(ctx: SeedContext) -> None:
    """`raccoon run` calls this when the database has no user yet."""
    accounts = ctx.accounts
    await accounts.create_tenant("{{name}}", "{{name}}")
    await accounts.create_role("member", "may change projects and tasks")
    await accounts.create_user(
        "{{name}}", ctx.password, tenant="{{name}}", roles=["member"], display_name="Demo user"
    )
    ctx.announce("{{name}}")
    principal = Principal("{{name}}", "{{name}}", roles=frozenset({"member"}))
    for name, titles in SAMPLE.items():
        project = await create(ctx.db, projects, principal, {"name": name})
        for title in titles:
            await create(ctx.db, tasks, principal, {"project_id": project["id"], "title": title})
'''

_MIGRATION = '''"""{{name}}: projects and tasks, tracked by the change log.

Revision ID: {{name}}_0001
"""

import sqlalchemy as sa
from alembic import op

from raccoon.data import track_table, untrack_table

revision = "{{name}}_0001"
down_revision = None
branch_labels = None
depends_on = None


def _common() -> list:
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    ]


def upgrade() -> None:
    op.create_table(
        "{{name}}_projects",
        *_common(),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "{{name}}_tasks",
        *_common(),
        sa.Column(
            "project_id", sa.Integer, sa.ForeignKey("{{name}}_projects.id"), nullable=False
        ),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("{{name}}_tasks_project", "{{name}}_tasks", ["project_id"])
    for table in ("{{name}}_projects", "{{name}}_tasks"):
        op.execute(track_table(table, primary_key=["id"], tenant_column="tenant"))


def downgrade() -> None:
    for table in ("{{name}}_tasks", "{{name}}_projects"):
        op.execute(untrack_table(table))
        op.drop_table(table)
'''

_SETTINGS = """# Settings of {{name}}. Every setting is documented in Raccoon's docs/settings.md;
# an environment variable RACCOON_<NAME> overrides the value here
# (RACCOON_PORT=9000 raccoon run).

title = "{{name}}"
port = 8080
grace_period = 30

# Unset: an embedded PostgreSQL keeps its data in .raccoon/postgres.
# database_url = "postgresql://user@localhost/{{name}}"

# Keep the secret out of this file: RACCOON_SECRET=... (unset: `raccoon run`
# generates a development secret into .raccoon/secret; production needs its own).

log_level = "info"
log_format = "text"
"""

_README = """# {{name}}

A Raccoon application: projects and their tasks. Raccoon's own README and
its `docs/` (the tutorial, settings, client-python) tell the rest.

```sh
raccoon run            # in this directory; or `raccoon run {{name}}` next to it
raccoon dev            # the same, rebuilding the client and reloading the page on change
pytest tests           # the tests, against a real (embedded) PostgreSQL
```

The first run creates an embedded PostgreSQL in `.raccoon/`, applies the
migrations, creates the user `{{name}}` (the password is printed; choose it
with `raccoon run --password ...`) and some projects, then starts Crossbar and
the service and prints the URL. Ctrl-C stops everything. The data stays in
`.raccoon/` for the next run; delete that directory to start over.

| file | what |
|---|---|
| `__init__.py` | the `Application`: controllers, sources, migrations, seed, default settings |
| `data.py` | the tables and the sources clients see them through |
| `controllers.py` | the desktop (one action: open the projects), projects/tasks master-detail |
| `seed.py` | the first run's tenant, role, user and rows |
| `client/{{name}}/` | the browser side, in Python: the desktop and the projects/tasks views |
| `tests/` | tests against a real PostgreSQL (`pytest tests`) |
| `migrations/` | Alembic revisions, applied after Raccoon's own at every start |
| `raccoon.toml` | settings; `RACCOON_<NAME>` environment variables override them |
| `pytest.ini` | the tests' settings (pytest-asyncio) |

More users: `raccoon user add NAME --tenant {{name}} --role member --dsn URL`, with
the database URL `raccoon run` prints (while it runs), or `database_url` set.
"""

# Without a configuration pytest-asyncio warns (PytestDeprecationWarning) on
# every run that its fixtures' loop scope is unset.
_PYTEST_INI = """[pytest]
testpaths = tests
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
"""

_GITIGNORE = """.raccoon/
__pycache__/
"""

_CLIENT_INIT = '''"""The browser side of {{name}}, in Python: JavaScripthon transpiles it, webpack
bundles it with Raccoon's client (`raccoon run` does both when it changed).

`boot` shows the login form; after login the server opens contexts and the
page makes, for each, the view registered for its `view_spec` type.
"""

from raccoon.session import boot

from .views import DesktopView, MasterDetailView

VIEWS = {"Desktop": DesktopView, "MasterDetail": MasterDetailView}

boot(VIEWS)

__all__ = ["VIEWS", "DesktopView", "MasterDetailView"]
'''

_CLIENT_VIEWS = '''"""The views: the desktop's actions; projects and the current one's tasks.

This is Python for the browser (see Raccoon's docs/client-python.md): the
build lowers ordinary Python (`x is None`, `xs.append(v)`, `k in d`,
`d.get(k)`, `len(d)`, f-strings) to JavaScript with Python's meaning;
`raccoon build --check client/{{name}}` lists what is still unsupported, with
file:line and the Python to write instead.
"""

from raccoon.view import View, element
from raccoon.widgets.desktop import DesktopView as BaseDesktopView
from raccoon.widgets.form import RecordForm
from raccoon.widgets.grid import Grid

__all__ = ["DesktopView", "MasterDetailView"]


class DesktopView(BaseDesktopView):
    """The framework's desktop (its actions as buttons), with our title class."""

    def title_class(self):
        return "raccoon-title {{name}}-title"


#: What the grids show: a column per field.
PROJECT_COLUMNS = [
    {"field": "name", "title": "Project"},
    {"field": "description", "title": "Description"},
]
TASK_COLUMNS = [{"field": "title", "title": "Task"}, {"field": "done", "title": "Done"}]
#: The form's fields and their labels.
PROJECT_FIELDS = ["name", "description"]
LABELS = {"name": "Name", "description": "Description"}


class MasterDetailView(View):
    """The projects in a grid (filter by name, sort by a header click), the current
    project in a form, and its tasks in a second grid that follows the current project.

    The grids and the form work on the controller's cursors: only the visible
    window of rows travels, a click makes a row current on the server, the
    detail cursor follows it there, and every change arrives live.
    """

    async def render(self, holder):
        spec = self.description.view_spec
        projects = await self.cursor(spec.master)
        tasks = await self.cursor(spec.detail)
        holder.appendChild(element("h2", None, ["Projects"]))
        self.master = Grid(spec.master, projects, PROJECT_COLUMNS, filter_field="name")
        self.master.mount(holder)
        self.form = RecordForm(projects, PROJECT_FIELDS, labels=LABELS)
        self.form.mount(holder)
        holder.appendChild(element("h2", None, ["Tasks"]))
        self.detail = Grid(spec.detail, tasks, TASK_COLUMNS, visible=5)
        self.detail.mount(holder)

    async def close(self):
        self.master.close()
        self.form.close()
        self.detail.close()
        await super().close()
'''

_TESTS = '''"""Tests of {{name}}: `pytest tests` in this directory.

Raccoon's pytest plugin (installed with Raccoon) gives the `database`
fixture: a real PostgreSQL server, embedded unless RACCOON_TEST_DSN names
one. Each test gets its own database with Raccoon's migrations and ours.
"""

import secrets
from pathlib import Path

import pytest
import pytest_asyncio

from raccoon.data import (
    Database,
    Principal,
    ValidationError,
    create,
    create_database,
    drop_database,
    read,
    upgrade,
)
from raccoon.service import load_application

APP = load_application(str(Path(__file__).resolve().parents[1]))
SOURCES = {source.name: source for source in APP.sources}
MEMBER = Principal("tester", "{{name}}", roles=frozenset({"member"}))


@pytest_asyncio.fixture
async def db(database):
    name = f"{{name}}_test_{secrets.token_hex(4)}"
    dsn = await create_database(database, name)
    try:
        await upgrade(dsn, app_migrations=APP.path(APP.migrations))
        async with Database(dsn, min_size=1, max_size=2) as db:
            yield db
    finally:
        await drop_database(database, name)


@pytest.mark.asyncio
async def test_a_project_and_its_tasks(db):
    projects, tasks = SOURCES["{{name}}.projects"], SOURCES["{{name}}.tasks"]
    project = await create(db, projects, MEMBER, {"name": "Garden"})
    await create(db, tasks, MEMBER, {"project_id": project["id"], "title": "Plant tomatoes"})
    mine = {"field": "project_id", "op": "eq", "value": project["id"]}
    rows = await read(db, tasks, MEMBER, filters=mine)
    assert [row["title"] for row in rows] == ["Plant tomatoes"]
    assert rows[0]["version"] == 1  # every write adds one (optimistic concurrency)


@pytest.mark.asyncio
async def test_a_project_needs_a_name(db):
    with pytest.raises(ValidationError) as failed:
        await create(db, SOURCES["{{name}}.projects"], MEMBER, {"description": "no name"})
    assert "name" in str(failed.value)
'''

_FILES = {
    "__init__.py": _INIT,
    "tests/test_{{name}}.py": _TESTS,
    "client/NAME/__init__.py": _CLIENT_INIT,
    "client/NAME/views.py": _CLIENT_VIEWS,
    "data.py": _DATA,
    "controllers.py": _CONTROLLERS,
    "seed.py": _SEED,
    "migrations/0001.py": _MIGRATION,
    "raccoon.toml": _SETTINGS,
    "pytest.ini": _PYTEST_INI,
    "README.md": _README,
    ".gitignore": _GITIGNORE,
}
