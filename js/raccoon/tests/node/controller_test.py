"""'#controller' through a view's real context: the controller proxy that
``View.attach`` puts there, not a plain object with a ``node_path`` (node only:
ES6 Proxy; in-process dispatch on a connection that never joined)."""

from ...connection import Connection
from ...path import Path
from ...proxy import is_proxy, make_proxy
from ...signal import Signal, call, handler, register_signals
from ...testing import assert_equal
from ...view import View
from ...wamp import WAMPNode


@register_signals
class Orders(WAMPNode):
    """The server controller's stand-in: a call and a signal."""

    on_saved = Signal()

    @call
    async def load(self, order_id):
        return {"id": order_id}

    @call
    async def save(self, order_id):
        await self.on_saved.notify(order_id)


@register_signals
class OrdersView(View):
    def __init__(self, session, description):
        super().__init__(session, description)
        self.saved = []

    @handler("#controller.on_saved")
    def refresh(self, order_id):
        self.saved.append(order_id)


async def _bound_pair():
    conn = Connection("ws://127.0.0.1:9/ws", "realm")
    base = Path("app.s1.ctx2")
    controller = Orders()
    await controller.node_bind(base.add("controller"), conn.new_context())
    description = {
        "id": "ctx2",
        "controller": "app.s1.ctx2.controller",
        "view": "app.s1.ctx2.view",
        "view_spec": {"type": "Orders"},
        "actions": [],
        "cursors": {},
    }
    view = OrdersView(None, description)
    # What View.attach does, without the DOM: the controller proxy in the context.
    ctx = conn.new_context(session=None)
    ctx.set("controller", make_proxy(description["controller"], ctx))
    ctx.set("view", view)
    await view.node_bind(description["view"], ctx)
    return controller, view


async def test_a_view_resolves_its_controller_proxy():
    controller, view = await _bound_pair()
    assert hasattr(view.node_context.get("controller"), "node_path")  # `in` once transpiled
    assert is_proxy(view.controller)
    assert view.controller.node_path.equals("app.s1.ctx2.controller")
    assert view.node_resolve("#controller.on_saved").equals("app.s1.ctx2.controller.on_saved")
    assert view.node_resolve("#view").equals("app.s1.ctx2.view")
    await view.node_unbind()
    await controller.node_unbind()


async def test_a_view_calls_its_controller_and_handles_its_signals():
    controller, view = await _bound_pair()
    loaded = await view.remote("#controller").load(7)
    assert_equal(loaded, {"id": 7})
    assert_equal(await view.controller.load(8), {"id": 8})
    await view.controller.save(9)
    assert_equal(view.saved, [9])
    await view.node_unbind()
    await controller.node_unbind()
