"""Connection fixtures: independent WAMP sessions on the test router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from raccoon.node import Connection

__all__ = [
    "connection1",
    "connection2",
    "open_connection",
    "when_connected",
    "when_connected_fixture",
]


async def when_connected(connection: Connection, timeout: float = 30.0) -> Connection:
    """Wait until ``connection`` has joined its realm; returns it."""
    await connection.when_connected(timeout)
    return connection


async def open_connection(router: Any, name: str, **options: Any) -> Connection:
    """A connected :class:`Connection` to ``router`` (anything with ``url``
    and ``realm``)."""
    connection = Connection(router.url, router.realm, name=name, **options)
    await connection.connect()
    return connection


@pytest.fixture(name="when_connected")
def when_connected_fixture() -> Any:
    """The :func:`when_connected` coroutine function, as a fixture."""
    return when_connected


@pytest_asyncio.fixture
async def connection1(crossbar: Any) -> AsyncIterator[Connection]:
    """A WAMP session on the test router; ``.new_context()`` for node_bind."""
    connection = await open_connection(crossbar, "connection1")
    yield connection
    await connection.close()


@pytest_asyncio.fixture
async def connection2(crossbar: Any) -> AsyncIterator[Connection]:
    """A second, independent WAMP session on the same router."""
    connection = await open_connection(crossbar, "connection2")
    yield connection
    await connection.close()
