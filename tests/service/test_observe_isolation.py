"""Observing another session's node state fails cleanly (issue 3).

Every bound node serves its state at ``<path>.__state__`` and publishes its
changes on ``<path>.__changes__``; the per-session authorizer must keep both
inside the session's prefix.
"""

from __future__ import annotations

import pytest
from service_support import PASSWORD, Browser

from raccoon.node import Path, RPCError, WAMPNode
from raccoon.service import Service

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_another_sessions_state_cannot_be_observed(
    service: Service, browser: Browser, browser2: Browser
) -> None:
    await browser.login("ann", PASSWORD)
    a_conn = await browser.connection()
    await a_conn.call("raccoon.public.session.ready")
    a_view = WAMPNode()
    await a_view.node_bind(Path(f"{browser.prefix}.ctx1.view"), a_conn.new_context())
    a_view["secret"] = "ann's draft"

    await browser2.login("bob", PASSWORD)
    b_conn = await browser2.connection()
    await b_conn.call("raccoon.public.session.ready")
    b_node = WAMPNode()
    await b_node.node_bind(Path(f"{browser2.prefix}.probe"), b_conn.new_context())

    # Bob observes his own node: allowed.
    own = await b_node.remote(f"{browser2.prefix}.probe").observe()
    await own.close()
    # Ann's view and her server-side session tree: refused, cleanly.
    for target in (f"{browser.prefix}.ctx1.view", browser.prefix):
        with pytest.raises(RPCError) as err:
            await b_node.remote(target).observe()
        assert err.value.uri == "wamp.error.not_authorized"
        assert "Traceback" not in str(err.value)

    # Ann is unaffected and can still observe her own view.
    mine = await WAMPNode.remote(a_view, f"{browser.prefix}.ctx1.view").observe()
    assert mine.data["secret"] == "ann's draft"
    await mine.close()
    await b_node.node_unbind()
    await a_view.node_unbind()
