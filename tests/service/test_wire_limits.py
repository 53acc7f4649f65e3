"""What a browser sends can never cost the service its backend session.

A logged-in browser with a bare autobahn client sends what the node layer
cannot or must not take: arguments nested deeper than the backend's decoder
goes, huge arguments, arguments whose refusal would quote them back. Each
gets a clear, bounded error; the service's backend session is never dropped
(its WAMP session id stays the same) and another user's calls keep working
while the attack goes on (docs/nodes.md, "Limits").
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from autobahn.wamp.exception import ApplicationError
from service_support import PASSWORD, Browser

from raccoon.node import MAX_ERROR_MESSAGE
from raccoon.service import Service

pytestmark = pytest.mark.asyncio(loop_scope="module")

INVALID = "raccoon.error.invalid_arguments"
# More than cbor2's fixed decoding depth (400): before the fix, this alone
# dropped the backend's connection.
UNDECODABLE_DEPTH = 420


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def nested_dicts(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = {"a": value}
    return value


def bad_calls(prefix: str) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """What an attacker sends to its own session: every one is refused at the door."""
    return [
        (f"{prefix}.list", (nested(UNDECODABLE_DEPTH),), {}),
        (f"{prefix}.list", (), {"deep": nested_dicts(UNDECODABLE_DEPTH)}),
        (f"{prefix}.open", ("view", nested_dicts(UNDECODABLE_DEPTH)), {}),
        (f"{prefix}.list", (nested(150),), {}),  # decodable, but deeper than the limit
        (f"{prefix}.list", ("x" * 600_000,), {}),
        (f"{prefix}.list", (), {"k" * 600_000: 1}),  # the name would be quoted back
        (f"{prefix}.open", ("x" * 600_000, {}), {}),
        (f"{prefix}.list", ([0] * 200_000,), {}),
    ]


def assert_bounded(error: ApplicationError) -> None:
    message = str(error.args[0]) if error.args else ""
    assert message and len(message) <= MAX_ERROR_MESSAGE, len(message)
    assert "Traceback" not in message, message
    assert len(repr(error.kwargs)) < 4 * MAX_ERROR_MESSAGE, len(repr(error.kwargs))


async def test_undecodable_and_oversized_arguments_are_refused_clearly(
    service: Service, browser: Browser
) -> None:
    await browser.login("ann", PASSWORD)
    session = await browser.raw()
    wamp = session.session
    prefix = browser.prefix
    before = await wamp.call("raccoon.public.session.ready")
    backend_session = service.backend.session_id
    assert backend_session is not None
    for uri, args, kwargs in bad_calls(prefix):
        with pytest.raises(ApplicationError) as info:
            await asyncio.wait_for(wamp.call(uri, *args, **kwargs), 10)
        assert info.value.error == INVALID, (uri, info.value.error, str(info.value)[:300])
        assert_bounded(info.value)
        # Not dropped, not even for a moment: the same backend session answers.
        assert service.backend.session_id == backend_session
        assert service.backend.is_connected
    after = await wamp.call("raccoon.public.session.ready")
    assert after == before


async def test_a_victim_keeps_working_while_an_attacker_sends_bad_calls(
    service: Service, browser: Browser, browser2: Browser
) -> None:
    await browser.login("ann", PASSWORD)
    await browser2.login("bob", PASSWORD)
    attacker = (await browser.raw()).session
    victim = (await browser2.raw()).session
    await attacker.call("raccoon.public.session.ready")
    await victim.call("raccoon.public.session.ready")
    backend_session = service.backend.session_id
    attacks = bad_calls(browser.prefix)
    stop = time.monotonic() + 6.0
    refused = 0

    async def attack() -> None:
        nonlocal refused
        i = 0
        while time.monotonic() < stop:
            uri, args, kwargs = attacks[i % len(attacks)]
            i += 1
            with pytest.raises(ApplicationError):
                await asyncio.wait_for(attacker.call(uri, *args, **kwargs), 10)
            refused += 1

    victim_calls = 0

    async def work() -> None:
        nonlocal victim_calls
        while time.monotonic() < stop:
            # Each call within a short time: a dropped backend would make it wait.
            answer = await asyncio.wait_for(victim.call(f"{browser2.prefix}.list"), 5)
            assert isinstance(answer, list)
            victim_calls += 1
            await asyncio.sleep(0.02)

    await asyncio.gather(attack(), attack(), work())
    assert refused >= 10 and victim_calls >= 10, (refused, victim_calls)
    assert service.backend.session_id == backend_session
