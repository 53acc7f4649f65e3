"""The session registry's state machine, fed join and leave events directly.

It binds real nodes on a real router (the plugin's ``connection1``); only
the events that the service would get from ``wamp.session.on_join`` /
``on_leave`` are made up here, in orders the router may produce.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from raccoon.context import OPERATIONS, Content, Controller, Registry
from raccoon.node import Connection, RPCError
from raccoon.service import Desktop, SessionRegistry, SessionState

SID = "s" + "d" * 24
PREFIX = f"test.session.{SID}"


def joined(session_id: int, sid: str = SID) -> dict[str, Any]:
    return {
        "session": session_id,
        "authid": "ann",
        "authrole": "browser",
        "authextra": {
            "raccoon_prefix": f"test.session.{sid}",
            "raccoon_sid": sid,
            "raccoon_user_id": 7,
            "raccoon_tenant": "acme",
            "raccoon_roles": ["clerk"],
            "raccoon_language": "it",
        },
    }


class BrokenDesktop(Controller):
    OPERATION = OPERATIONS.VIEW
    CONTENT = {(Content.source == "auth.users") & (Content.len == 1)}
    CURSORS = {"user": "auth.users"}

    async def make_cursor(self, name: str, source_name: str, content: Content) -> None:
        raise RuntimeError("the database is on fire: /secret/path")


def registry(connection: Connection, *controllers: type, grace: float = 0.3) -> SessionRegistry:
    return SessionRegistry(connection, Registry(list(controllers)), grace_period=grace)


@pytest.mark.asyncio
async def test_a_late_leave_keeps_the_tree_attached(connection1: Connection) -> None:
    sessions = registry(connection1, Desktop)
    try:
        sessions.session_joined(joined(1))
        first = await sessions.ready(1)
        assert first["resumed"] is False and first["contexts"][0]["id"] == "ctx1"
        sessions.session_joined(joined(2))  # the reconnection's join comes first…
        sessions.session_left(1)  # …the dead session's leave after it
        assert sessions.state_of(PREFIX) is SessionState.ATTACHED
        assert (await sessions.ready(2))["resumed"] is True
        sessions.session_left(2)
        assert sessions.state_of(PREFIX) is SessionState.DETACHED
        await asyncio.sleep(0.6)  # the subject: the grace period (0.3 s) runs out
        assert sessions.state_of(PREFIX) is None and sessions.count == 0
    finally:
        await sessions.close()


@pytest.mark.asyncio
async def test_events_that_are_not_a_browsers_are_ignored(connection1: Connection) -> None:
    sessions = registry(connection1, Desktop)
    try:
        for details in (
            {"session": 3, "authid": "x", "authextra": None},
            {
                "session": 3,
                "authid": "x",
                "authextra": {"raccoon_prefix": "a.b", "raccoon_sid": "c"},
            },
            {**joined(3), "session": "3"},
            {**joined(3), "authid": None},
        ):
            sessions.session_joined(details)
        sessions.session_left(99)
        assert sessions.count == 0
    finally:
        await sessions.close()


@pytest.mark.asyncio
async def test_a_failed_build_is_reported_without_internals(connection1: Connection) -> None:
    sessions = registry(connection1, BrokenDesktop)
    try:
        sessions.session_joined(joined(5))
        with pytest.raises(RPCError) as info:
            await sessions.ready(5)
        assert info.value.uri == "raccoon.error.session_failed"
        assert "internal error" in str(info.value) and "/secret/path" not in str(info.value)
        assert sessions.count == 0 and sessions.statistics()["nodes"] == 0
        assert connection1.registered(f"{PREFIX}.list") is None  # nothing left bound
        sessions.session_left(5)
        assert sessions.statistics()["wamp_sessions"] == 0
    finally:
        await sessions.close()


@pytest.mark.asyncio
async def test_end_during_the_build_and_a_rejoin_while_closing(connection1: Connection) -> None:
    sessions = registry(connection1, Desktop, grace=5.0)
    try:
        sessions.session_joined(joined(7))
        ending = asyncio.ensure_future(sessions.end(SID, "logout"))  # still BUILDING
        await asyncio.sleep(0)
        sessions.session_joined(joined(8))  # a rejoin while it closes: a new tree
        assert await ending is True
        described = await sessions.ready(8)
        assert described["resumed"] is False
        assert sessions.count == 1 and sessions.state_of(PREFIX) is SessionState.ATTACHED
    finally:
        await sessions.close()
    assert sessions.count == 0


@pytest.mark.asyncio
async def test_ready_for_an_unknown_session_times_out_clearly(connection1: Connection) -> None:
    sessions = registry(connection1, Desktop)
    try:
        with pytest.raises(RPCError) as info:
            await sessions.ready(12345, timeout=0.2)
        assert info.value.uri == "raccoon.error.no_session"
    finally:
        await sessions.close()
