"""Closing a connection on purpose is not news: `raccoon run`'s every stop printed
"raccoon-backend: session lost, reconnecting" (it was neither lost nor reconnecting)."""

from __future__ import annotations

import logging

import pytest

from raccoon.testing import open_connection


@pytest.mark.asyncio
async def test_a_deliberate_close_logs_no_lost_session(crossbar, caplog) -> None:
    connection = await open_connection(crossbar, "closing")
    with caplog.at_level(logging.DEBUG, logger="raccoon.node"):
        await connection.close()
    messages = [record.getMessage() for record in caplog.records]
    assert not [m for m in messages if "session lost" in m or "reconnecting" in m], messages
