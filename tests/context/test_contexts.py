"""Contexts over a real Crossbar router: connection1 plays the server,
connection2 the browser (its client node and its views)."""

import asyncio

import pytest

from raccoon.context import (
    OPERATIONS,
    Action,
    Catalog,
    Content,
    ContextError,
    ContextNode,
    Contexts,
    ContextState,
    ContextStateError,
    Controller,
    NoController,
    OpenAction,
    Operation,
    Registry,
)
from raccoon.context import translatable as _
from raccoon.node import (
    InvalidArguments,
    NoSuchEndpoint,
    Path,
    Proxy,
    RPCError,
    WAMPNode,
    call,
)
from raccoon.testing import eventually


# -- the application -------------------------------------------------------------
class Logout(Action):
    ID = "logout"
    CATEGORIES = ("session",)
    LABEL = _("Logout")
    HINT = _("Leave this session.")
    ICON = "sign-out"

    @call
    async def run(self):
        await self.remote("#view").logout()


class EditMe(Action):
    ID = "edit_me"
    LABEL = _("Edit my profile")

    @call
    async def run(self) -> dict:
        context = await self.start_context(Operation.EDIT, self.controller.content)
        return context.describe()


class Desktop(Controller):
    OPERATION = OPERATIONS.VIEW
    CONTENT = {(Content.source == "auth.users") & (Content.len == 1)}
    CURSORS = {"user": "auth.users"}
    VIEW = {"type": "Desktop"}
    ACTIONS = [Logout, EditMe]


class FakeCursor(WAMPNode):
    def __init__(self, ids):
        self.ids = ids

    @call
    async def rows(self) -> list:
        return self.ids


class UserEditor(Controller):
    OPERATION = Operation.EDIT
    CONTENT = (Content.source == "auth.users") & (Content.len == 1)
    CURSORS = {"record": "auth.users"}
    VIEW = {"type": "Form", "fields": ["name", "email"]}

    async def make_cursor(self, name, source_name, content):
        return FakeCursor(list(content.ids))

    @call
    async def greet_view(self, text: str) -> str:
        return await self.remote("#view").show(text)

    @call
    async def title(self) -> str:
        return f"editing user {self.content.ids[0]}"

    class Close(Action):
        ID = "close"

        @call
        async def run(self):
            await self.controller.close_context()


class Twin1(Controller):
    OPERATION = Operation.PICK


class Twin2(Controller):
    OPERATION = Operation.PICK


def registry():
    return Registry([Desktop, UserEditor, Twin1, Twin2])


# -- the client side -----------------------------------------------------------------
class View(WAMPNode):
    def __init__(self):
        self.calls = []

    @call
    async def logout(self):
        self.calls.append("logout")

    @call
    async def show(self, text: str) -> str:
        return f"shown {text}"

    @call
    async def ask_controller(self) -> str:
        return await self.remote("#controller").title()


async def bind_view(connection, description):
    """Bind a view where a context says, with '#controller' in its context."""
    ctx = connection.new_context()
    ctx.controller = Proxy(description["controller"], ctx)
    view = View()
    await view.node_bind(description["view"], ctx)
    return view


USER = {"source": "auth.users", "ids": [7]}


class Session:
    """A Contexts container on connection1 and a client node on connection2."""

    def __init__(self, name, connection1, connection2, *, controllers=None, **context):
        self.path = Path("ctxtest") + name
        self.server_conn, self.client_conn = connection1, connection2
        self.context_values = context
        self.contexts = Contexts(controllers or registry())
        self.client = WAMPNode()
        self.nodes = [self.client]

    async def __aenter__(self):
        await self.contexts.node_bind(
            self.path, self.server_conn.new_context(**self.context_values)
        )
        await self.client.node_bind(self.path + "client", self.client_conn.new_context())
        return self

    async def __aexit__(self, *exc):
        for node in (*self.nodes, self.contexts):
            await node.node_unbind()

    async def open(self, operation, content):
        return await self.client.call(str(self.path + "open"), operation, content)

    async def view(self, description):
        view = await bind_view(self.client_conn, description)
        self.nodes.append(view)
        return view


# -- tests -----------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_client_opens_a_context_by_intent(connection1, connection2):
    async with Session("s1", connection1, connection2) as s:
        desc = await s.open("view", USER)
        base = "ctxtest.s1.ctx1"
        assert desc == {
            "id": "ctx1",
            "path": base,
            "operation": "view",
            "content": USER,
            "controller": f"{base}.controller",
            "view": f"{base}.view",
            "view_spec": {"type": "Desktop"},
            "actions": [
                {
                    "id": "logout",
                    "categories": ["session"],
                    "label": "Logout",
                    "hint": "Leave this session.",
                    "icon": "sign-out",
                    "path": f"{base}.controller.actions.logout",
                },
                {
                    "id": "edit_me",
                    "categories": [],
                    "label": "Edit my profile",
                    "hint": None,
                    "icon": None,
                    "path": f"{base}.controller.actions.edit_me",
                },
            ],
            "cursors": {},  # the default make_cursor makes none
        }
        context = s.contexts.contexts["ctx1"]
        assert context.state is ContextState.OPEN
        controller = context.controller
        assert isinstance(controller, Desktop) and controller.node_bound
        assert controller.operation is Operation.VIEW and controller.content == Content(
            "auth.users", ids=[7]
        )
        # the elected controller serves the client
        assert (await s.client.call(f"{base}.controller.describe")) == desc
        assert await s.client.call("ctxtest.s1.list") == [desc]
        # the seed's Logout: the action reaches the view through '#view'
        view = await s.view(desc)
        assert await s.client.call(f"{base}.controller.actions.logout.run") is None
        assert view.calls == ["logout"]


@pytest.mark.asyncio
async def test_an_action_starts_a_new_context_and_the_pair_talks(connection1, connection2):
    async with Session("s2", connection1, connection2) as s:
        opened = []
        await s.client.remote(s.path + "on_open").connect(lambda d: opened.append(d["id"]))
        desktop = await s.open("view", USER)
        edit = await s.client.call(desktop["controller"] + ".actions.edit_me.run")
        base = "ctxtest.s2.ctx2"
        assert edit["id"] == "ctx2" and edit["operation"] == "edit"
        assert edit["content"] == USER and edit["view_spec"]["type"] == "Form"
        assert [a["id"] for a in edit["actions"]] == ["close"]
        assert edit["cursors"] == {"record": f"{base}.controller.record"}
        assert isinstance(s.contexts.contexts["ctx2"].controller, UserEditor)
        # the cursor from make_cursor is bound under the controller
        assert await s.client.call(f"{base}.controller.record.rows") == [7]
        # the controller reaches its view through '#view', the view its
        # controller through its own context
        await s.view(edit)
        assert await s.client.call(f"{base}.controller.greet_view", "hi") == "shown hi"
        assert await s.client.call(f"{base}.view.ask_controller") == "editing user 7"
        # the client heard of both contexts, the second started on the server
        await eventually(lambda: opened == ["ctx1", "ctx2"], what="both opened")
        assert sorted(s.contexts.contexts) == ["ctx1", "ctx2"]


@pytest.mark.asyncio
async def test_closing_unbinds_controller_actions_and_cursors(connection1, connection2):
    async with Session("s3", connection1, connection2) as s:
        closed = []
        await s.client.remote(s.path + "on_close").connect(closed.append)
        desktop = await s.open("view", USER)
        edit = await s.client.call(desktop["controller"] + ".actions.edit_me.run")
        context = s.contexts.contexts["ctx1"]

        assert await s.client.call(s.path + "close", "ctx1") is None
        assert context.state is ContextState.CLOSED and not context.node_bound
        for endpoint in ("controller.describe", "controller.actions.logout.run"):
            with pytest.raises(NoSuchEndpoint):
                await s.client.call(f"ctxtest.s3.ctx1.{endpoint}")
        with pytest.raises(InvalidArguments, match=r"no open context 'ctx1'.*open: ctx2"):
            await s.client.call(s.path + "close", "ctx1")

        # a controller closes its own context through an action
        await s.client.call(edit["controller"] + ".actions.close.run")
        assert s.contexts.contexts == {}
        for endpoint in ("controller.title", "controller.record.rows"):
            with pytest.raises(NoSuchEndpoint):
                await s.client.call(f"ctxtest.s3.ctx2.{endpoint}")
        await eventually(lambda: closed == ["ctx1", "ctx2"], what="both closed")
        # numbers are not reused
        assert (await s.open("view", USER))["id"] == "ctx3"


@pytest.mark.asyncio
async def test_session_end_closes_every_context(connection1, connection2):
    async with Session("s4", connection1, connection2) as s:
        await s.open("view", USER)
        await s.open(Operation.EDIT, USER)  # travels as 'edit'
        opened = list(s.contexts.contexts.values())
        await s.contexts.node_unbind()
        assert all(c.state is ContextState.CLOSED for c in opened)
        for endpoint in ("open", "ctx1.controller.describe", "ctx2.controller.title"):
            with pytest.raises(NoSuchEndpoint):
                await s.client.call(f"ctxtest.s4.{endpoint}")


@pytest.mark.asyncio
async def test_bad_requests_get_clear_errors(connection1, connection2):
    async with Session("s5", connection1, connection2) as s:
        with pytest.raises(InvalidArguments, match="unknown operation 'frobnicate'") as info:
            await s.open("frobnicate", USER)
        assert info.value.data == {"argument": "operation", "field": "operation"}
        with pytest.raises(InvalidArguments, match=r"ids\[0\] must be a primary key") as info:
            await s.open("view", {"source": "auth.users", "ids": [None]})
        assert info.value.data == {"argument": "content", "field": "ids[0]"}
        with pytest.raises(InvalidArguments, match="'content' must be dict"):
            await s.open("view", "auth.users")
        with pytest.raises(RPCError, match="nothing can DELETE content") as info:
            await s.open("delete", USER)
        assert info.value.uri == "raccoon.error.no_controller"
        assert info.value.data == {"operation": "delete", "content": USER}
        with pytest.raises(RPCError, match=r"Twin1, .*Twin2") as info:
            await s.open("pick", USER)
        assert info.value.uri == "raccoon.error.ambiguous_intent"
        assert s.contexts.contexts == {}  # nothing was bound for them


@pytest.mark.asyncio
async def test_too_many_contexts(connection1, connection2):
    async with Session("s6", connection1, connection2) as s:
        s.contexts.max_contexts = 2
        # concurrent opens count the ones still binding
        results = await asyncio.gather(
            *(s.open("view", USER) for _ in range(3)), return_exceptions=True
        )
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1 and len(s.contexts.contexts) == 2
        assert isinstance(refused[0], RPCError)
        assert refused[0].uri == "raccoon.error.context_state"
        assert "already has 2 open contexts" in refused[0].message


@pytest.mark.asyncio
async def test_labels_follow_the_session_language(connection1, connection2):
    catalog = Catalog({"it": {"Logout": "Esci", "Leave this session.": "Lascia la sessione."}})
    async with Session("s7", connection1, connection2, language="it", catalog=catalog) as s:
        desc = await s.open("view", USER)
        assert desc["actions"][0]["label"] == "Esci"
        assert desc["actions"][0]["hint"] == "Lascia la sessione."
        assert desc["actions"][1]["label"] == "Edit my profile"  # not translated yet
        english = await s.client.call(s.path + "list", language="en")
        assert english[0]["actions"][0]["label"] == "Logout"


# -- a context node on its own -----------------------------------------------------------
class Broken(Controller):
    OPERATION = Operation.CREATE
    CURSORS = {"rows": "auth.users"}

    async def make_cursor(self, name, source_name, content):
        return "not a node"


class NoEndpoint(Action):
    ID = "plain"

    async def run(self):  # forgot @call
        return 1


class Forgetful(Controller):
    OPERATION = Operation.DELETE
    ACTIONS = [NoEndpoint]


@pytest.mark.asyncio
async def test_context_node_lifecycle_and_paths(connection1):
    reg = Registry([Desktop, UserEditor, Broken, Forgetful])
    context = ContextNode()
    with pytest.raises(ContextStateError, match="bind it first"):
        await context.open(reg, "view", USER)
    await context.node_bind(Path("ctxtest.alone"), connection1.new_context())
    try:
        controller = await context.open(reg, "view", USER, view_path="somewhere.else.view")
        # '#controller' and '#view' resolve from the controller and its actions
        logout = controller.actions.logout
        for node in (context, controller, logout):
            assert node.node_resolve("#controller") == "ctxtest.alone.controller"
            assert node.node_resolve("#view.logout") == "somewhere.else.view.logout"
            assert node.node_resolve("#context") == "ctxtest.alone"
        assert logout.controller is controller and controller.context is context
        # ...but not from above the context: it stored them on its own branch
        assert "controller" not in context.node_context.parent
        with pytest.raises(ContextStateError, match="opens once"):
            await context.open(reg, "view", USER)
        with pytest.raises(ContextStateError, match="not inside a session's Contexts"):
            await controller.start_context("edit", USER)
        await context.close()
        assert context.state is ContextState.CLOSED and not controller.node_bound
        assert context.node_bound and "controller" not in context.node_context
        await context.close()  # idempotent
    finally:
        await context.node_unbind()


@pytest.mark.asyncio
async def test_failed_open_leaves_nothing_bound(connection1):
    reg = Registry([Broken, Forgetful])
    context = ContextNode()
    await context.node_bind(Path("ctxtest.failing"), connection1.new_context())
    try:
        with pytest.raises(ContextError, match=r"make_cursor\('rows', 'auth.users', ...\) "):
            await context.open(reg, "create", USER)
        assert context.state is ContextState.NEW and context.node_children == {}
        assert "controller" not in context.node_context
        assert connection1.registered("ctxtest.failing.controller.describe") is None
        with pytest.raises(ContextError, match=r"NoEndpoint.run is not an endpoint"):
            await context.open(reg, "delete", USER)
        assert context.node_children == {}
        with pytest.raises(NoController):
            await context.open(reg, "view", USER)
        assert context.state is ContextState.NEW
    finally:
        await context.node_unbind()


class OpenUserEditor(OpenAction):
    ID = "open_user"
    OPERATION = Operation.EDIT
    CONTENT = Content("auth.users", ids=[7])


class Launcher(Controller):
    OPERATION = OPERATIONS.VIEW
    CONTENT = {Content.source == "launcher"}
    VIEW = {"type": "Launcher"}
    ACTIONS = [OpenUserEditor]


@pytest.mark.asyncio
async def test_an_open_action_opens_its_intent(connection1, connection2):
    controllers = Registry([Launcher, UserEditor])
    async with Session("s9", connection1, connection2, controllers=controllers) as s:
        launcher = await s.open("view", {"source": "launcher"})
        opened = await s.client.call(launcher["controller"] + ".actions.open_user.run")
        assert opened["id"] == "ctx2" and opened["operation"] == "edit"
        assert opened["content"] == USER and opened["view_spec"]["type"] == "Form"
        assert isinstance(s.contexts.contexts["ctx2"].controller, UserEditor)


def test_an_open_action_without_content_is_refused_when_defined():
    with pytest.raises(TypeError, match="must set CONTENT"):

        class Nowhere(OpenAction):
            ID = "nowhere"
