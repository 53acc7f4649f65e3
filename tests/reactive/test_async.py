"""The event loop's tracker, watch(), until() and coroutine computations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from raccoon.reactive import (
    Computation,
    Dependency,
    ReactiveDict,
    ReactiveStateError,
    ReactiveValueError,
    Tracker,
    Value,
    autorun,
    current_tracker,
    until,
    watch,
)


@pytest_asyncio.fixture(autouse=True)
async def no_stray_loop_errors() -> AsyncIterator[None]:
    """Fail the test if anything reaches the loop's exception handler."""
    loop = asyncio.get_running_loop()
    contexts: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: contexts.append(context))
    yield
    await asyncio.sleep(0)
    loop.set_exception_handler(None)
    assert contexts == []


async def tick() -> None:
    """Let the loop run the scheduled flush and what it wakes up."""
    for _ in range(3):
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_changes_in_one_tick_cause_one_rerun_at_the_loop_flush() -> None:
    a, b = Value(1), Value(2)
    seen: list[int] = []
    comp = autorun(lambda: seen.append(a.get() + b.get()))
    assert comp.tracker is Tracker.for_loop(asyncio.get_running_loop()) is current_tracker()
    a.set(10)
    b.set(20)
    assert seen == [3]
    await asyncio.sleep(0)
    assert seen == [3, 30], "one flush, scheduled with call_soon, one re-run"
    comp.stop()
    a.set(0)
    await tick()
    assert seen == [3, 30]


@pytest.mark.asyncio
async def test_watch_yields_current_then_each_new_distinct_value() -> None:
    d = ReactiveDict(x=0)
    seen: list[int] = []

    async def consume() -> None:
        async for tens in watch(lambda: d["x"] // 10):
            seen.append(tens)
            if tens == 2:
                break

    task = asyncio.create_task(consume())
    await tick()
    for x in (5, 10, 15, 20):  # 5 and 15 change x but not the watched value
        d["x"] = x
        d["y"] = x  # another key: not watched
        await tick()
        assert not task.done() or x == 20
    await asyncio.wait_for(task, 1)
    assert seen == [0, 1, 2]


@pytest.mark.asyncio
async def test_watch_gives_a_slow_consumer_the_latest_value() -> None:
    v = Value(0)
    values = watch(v.get)
    assert await values.__anext__() == 0
    v.set(1)
    await tick()
    v.set(2)
    await tick()
    assert await values.__anext__() == 2
    v.set(3)
    await tick()
    v.set(2)  # back to the value last yielded: nothing new
    await tick()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(values.__anext__(), 0.05)
    await values.aclose()


@pytest.mark.asyncio
async def test_watch_stops_its_computation_when_the_loop_is_broken() -> None:
    dep = Dependency()
    v = Value(0)
    evaluations: list[int] = []

    def expression() -> int:
        dep.depend()
        evaluations.append(v.get())
        return v.get()

    async for value in watch(expression):
        assert dep.has_dependents
        assert value == 0
        break
    # Leaving the loop dropped the iterator, which stopped its computation.
    assert not dep.has_dependents
    v.set(1)
    await tick()
    assert evaluations == [0]


@pytest.mark.asyncio
async def test_watch_aclose_and_async_with_stop_it() -> None:
    v = Value(0)
    values = watch(v.get)
    assert await values.__anext__() == 0
    comp = values.computation
    assert comp is not None and not comp.stopped
    await values.aclose()
    assert comp.stopped and values.closed
    with pytest.raises(StopAsyncIteration):
        await values.__anext__()

    async with watch(v.get) as values2:
        assert await values2.__anext__() == 0
        comp2 = values2.computation
    assert comp2 is not None and comp2.stopped


@pytest.mark.asyncio
async def test_watch_aclose_wakes_a_waiting_consumer() -> None:
    v = Value(0)
    values = watch(v.get)
    seen: list[int] = []

    async def consume() -> None:
        async for value in values:
            seen.append(value)

    task = asyncio.create_task(consume())
    await tick()
    await values.aclose()
    await asyncio.wait_for(task, 1)
    assert seen == [0]


@pytest.mark.asyncio
async def test_watch_serves_one_consumer() -> None:
    v = Value(0)
    async with watch(v.get) as values:
        assert await values.__anext__() == 0
        first = asyncio.create_task(values.__anext__())
        await tick()
        with pytest.raises(ReactiveStateError, match="one consumer"):
            await values.__anext__()
        v.set(1)
        assert await asyncio.wait_for(first, 1) == 1


@pytest.mark.asyncio
async def test_watch_raises_what_the_expression_raises_and_ends() -> None:
    v = Value(1)
    values = watch(lambda: 10 // v.get())
    assert await values.__anext__() == 10
    v.set(0)
    with pytest.raises(ZeroDivisionError):
        await asyncio.wait_for(values.__anext__(), 1)
    assert values.closed
    assert values.computation is not None and values.computation.stopped


@pytest.mark.asyncio
async def test_until_returns_at_once_when_already_true() -> None:
    d = ReactiveDict(n=5)
    assert await until(lambda: d["n"] >= 3) is True


@pytest.mark.asyncio
async def test_until_resolves_as_soon_as_the_condition_holds() -> None:
    d = ReactiveDict(n=0)
    dep = Dependency()
    checks: list[int] = []

    def ready() -> int | None:
        dep.depend()
        checks.append(d["n"])
        return d["n"] if d["n"] >= 3 else None

    async def count() -> None:
        for n in range(1, 6):
            d["n"] = n
            await asyncio.sleep(0)

    waiter = asyncio.create_task(until(ready))
    await tick()
    await count()
    assert await asyncio.wait_for(waiter, 1) == 3
    assert checks == [0, 1, 2, 3], "not evaluated again once true"
    assert not dep.has_dependents


@pytest.mark.asyncio
async def test_until_times_out_with_a_clear_error_and_cleans_up() -> None:
    dep = Dependency()

    def never() -> bool:
        dep.depend()
        return False

    with pytest.raises(TimeoutError, match=r"until\(.*never\) was still false after 0.01 s"):
        await until(never, timeout=0.01)
    assert not dep.has_dependents
    with pytest.raises(ReactiveValueError, match="timeout"):
        await until(never, timeout=-1)


@pytest.mark.asyncio
async def test_until_raises_what_the_predicate_raises() -> None:
    v = Value(1)
    waiter = asyncio.create_task(until(lambda: 1 // v.get() > 5))
    await tick()
    v.set(0)
    with pytest.raises(ZeroDivisionError):
        await asyncio.wait_for(waiter, 1)


@pytest.mark.asyncio
async def test_coroutine_tracks_only_what_it_reads_before_suspending() -> None:
    before, after = Value("b0"), Value("a0")
    resume = asyncio.Event()
    runs: list[tuple[str, str]] = []

    async def body() -> None:
        seen_before = before.get()
        await resume.wait()
        runs.append((seen_before, after.get()))

    comp = autorun(body)
    assert comp.task is not None
    resume.set()
    await tick()
    assert runs == [("b0", "a0")]

    after.set("a1")  # read after the first await: not tracked
    await tick()
    assert runs == [("b0", "a0")]
    assert not comp.invalidated

    before.set("b1")
    await tick()
    assert runs == [("b0", "a0"), ("b1", "a1")]
    comp.stop()


@pytest.mark.asyncio
async def test_coroutine_rerun_cancels_the_previous_run() -> None:
    key = Value(1)
    gate = asyncio.Event()
    started: list[int] = []
    finished: list[int] = []
    cancelled: list[int] = []

    async def load() -> None:
        k = key.get()
        started.append(k)
        try:
            await gate.wait()
        except asyncio.CancelledError:
            cancelled.append(k)
            raise
        finished.append(k)

    comp = autorun(load)
    first = comp.task
    key.set(2)
    await tick()
    assert started == [1, 2]
    assert cancelled == [1]
    assert first is not None and first.cancelled()
    gate.set()
    await tick()
    assert finished == [2], "only the latest run completes"
    comp.stop()


@pytest.mark.asyncio
async def test_coroutine_stopped_computation_cancels_its_task() -> None:
    async def forever() -> None:
        await asyncio.Event().wait()

    comp = autorun(forever)
    task = comp.task
    assert task is not None
    await tick()  # the task has started: cancelled while awaiting, not before its first step
    comp.stop()
    await tick()
    assert task.cancelled()


@pytest.mark.asyncio
async def test_coroutine_error_after_suspension_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    errors: list[BaseException] = []
    tracker_errors: list[tuple[Computation, BaseException]] = []
    remove = current_tracker().on_error(lambda comp, exc: tracker_errors.append((comp, exc)))

    async def body() -> None:
        await asyncio.sleep(0)
        raise LookupError("after await")

    with caplog.at_level(logging.ERROR, logger="raccoon.reactive"):
        comp = autorun(body, on_error=errors.append)
        await tick()
    remove()
    assert [str(e) for e in errors] == ["after await"]
    assert tracker_errors == [(comp, errors[0])]
    assert "coroutine run" in caplog.text


@pytest.mark.asyncio
async def test_coroutine_error_before_suspension_propagates_from_autorun() -> None:
    async def body() -> None:
        raise LookupError("before await")

    with pytest.raises(LookupError, match="before await"):
        autorun(body)


@pytest.mark.asyncio
async def test_coroutine_without_suspension_needs_no_task() -> None:
    v = Value(1)
    runs: list[int] = []

    async def body() -> None:
        runs.append(v.get())

    comp = autorun(body)
    assert runs == [1] and comp.task is None
    v.set(2)
    await tick()
    assert runs == [1, 2]
    comp.stop()
