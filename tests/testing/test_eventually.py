"""raccoon.testing.eventually: the one polling helper of the test suites."""

from __future__ import annotations

import asyncio

import pytest

from raccoon.testing import eventually

pytestmark = pytest.mark.asyncio


async def test_returns_the_first_true_value_of_a_plain_callable() -> None:
    values = iter([0, None, [], "done"])
    assert await eventually(lambda: next(values), within=1, interval=0) == "done"


async def test_awaits_an_async_condition() -> None:
    calls = []

    async def ready() -> bool:
        calls.append(1)
        await asyncio.sleep(0)
        return len(calls) >= 3

    assert await eventually(ready, within=1, interval=0) is True
    assert len(calls) == 3


async def test_an_assertion_error_means_not_yet() -> None:
    seen: list[int] = []

    def check() -> bool:
        seen.append(1)
        assert len(seen) >= 2, "one more"
        return True

    assert await eventually(check, within=1, interval=0)


async def test_the_timeout_names_what_and_the_last_value() -> None:
    with pytest.raises(AssertionError, match=r"not within 0.1 s: the answer \(last value: 0\)"):
        await eventually(lambda: 0, within=0.1, what="the answer")


async def test_the_timeout_names_the_last_failure_and_chains_it() -> None:
    def check() -> None:
        assert 1 == 2, "still one"

    with pytest.raises(
        AssertionError, match=r"the sum \(last failure: AssertionError: still one"
    ) as info:
        await eventually(check, within=0.1, what="the sum")
    assert isinstance(info.value.__cause__, AssertionError)


async def test_an_attempt_that_hangs_is_cut_at_the_deadline() -> None:
    async def hangs() -> bool:
        await asyncio.sleep(60)
        return True

    with pytest.raises(AssertionError, match="no attempt finished"):
        await eventually(hangs, within=0.1)


async def test_other_errors_fail_at_once_unless_retried() -> None:
    def broken() -> bool:
        raise ConnectionError("refused")

    with pytest.raises(ConnectionError):
        await eventually(broken, within=5)
    attempts = iter([ConnectionError("refused"), None])

    def flaky() -> bool:
        error = next(attempts)
        if error is not None:
            raise error
        return True

    assert await eventually(flaky, within=1, interval=0, retry_on=(ConnectionError,))


async def test_the_conditions_own_timeout_error_is_not_the_deadline() -> None:
    def times_out() -> bool:
        raise TimeoutError("the condition's")

    with pytest.raises(TimeoutError, match="the condition's"):
        await eventually(times_out, within=5)


async def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        await eventually(True, within=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await eventually(lambda: True, within=-1)
