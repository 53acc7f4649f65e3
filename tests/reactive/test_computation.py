"""Computations, dependencies and the tracker, driven synchronously.

These tests use an explicit loop-less Tracker and call ``flush()``
themselves; the loop-scheduled flush is tested in test_async.py.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from raccoon.reactive import (
    Computation,
    Dependency,
    InfiniteLoopError,
    ReactiveError,
    ReactiveStateError,
    ReactiveTypeError,
    ReactiveValueError,
    Tracker,
    Value,
    autorun,
    current_computation,
    current_tracker,
    flush,
    nonreactive,
    untracked,
)


@pytest.fixture
def tracker() -> Tracker:
    return Tracker()


def test_two_changes_cause_one_rerun_and_none_after_stop(tracker: Tracker) -> None:
    a, b = Value(1), Value(2)
    seen: list[int] = []
    comp = tracker.autorun(lambda: seen.append(a.get() + b.get()))
    assert seen == [3]

    a.set(10)
    b.set(20)
    assert seen == [3], "re-runs wait for the flush"
    assert comp.invalidated
    tracker.flush()
    assert seen == [3, 30]
    assert not comp.invalidated

    comp.stop()
    a.set(0)
    b.set(0)
    tracker.flush()
    assert seen == [3, 30]
    assert comp.stopped


def test_dependency_depend_and_changed(tracker: Tracker) -> None:
    dep = Dependency()
    results: list[bool] = []
    runs: list[int] = []

    def body() -> None:
        results.append(dep.depend())
        results.append(dep.depend())  # a second depend in the same run is a no-op
        runs.append(1)

    assert dep.depend() is False  # no current computation
    comp = tracker.autorun(body)
    assert results == [True, False]
    assert dep.has_dependents
    dep.changed()
    assert not dep.has_dependents, "an invalidated computation is no longer a dependent"
    tracker.flush()
    assert len(runs) == 2 and dep.has_dependents
    comp.stop()
    assert not dep.has_dependents


def test_nested_computations_stop_with_their_parent(tracker: Tracker) -> None:
    outer, inner = Value(0), Value(0)
    children: list[Computation] = []
    inner_runs: list[int] = []

    def parent() -> None:
        outer.get()
        children.append(tracker.autorun(lambda: inner_runs.append(inner.get())))

    p = tracker.autorun(parent)
    assert children[0].parent is p
    outer.set(1)
    tracker.flush()
    assert len(children) == 2
    assert children[0].stopped and not children[1].stopped

    inner.set(5)
    tracker.flush()
    assert inner_runs == [0, 0, 5], "only the live child re-ran"

    p.stop()
    assert children[1].stopped
    inner.set(6)
    tracker.flush()
    assert inner_runs == [0, 0, 5]


def test_callbacks_first_run_and_late_registration(tracker: Tracker) -> None:
    v = Value(0)
    events: list[Any] = []

    def body(c: Computation) -> None:
        events.append(("run", c.first_run, current_computation() is c))
        v.get()
        c.on_invalidate(lambda: events.append("invalidated"))

    comp = tracker.autorun(body)
    comp.on_stop(lambda c: events.append(("stopped", c is comp)))
    v.set(1)
    assert events == [("run", True, True), "invalidated"]
    tracker.flush()
    comp.stop()
    assert events == [
        ("run", True, True),
        "invalidated",
        ("run", False, True),
        "invalidated",
        ("stopped", True),
    ]
    assert current_computation() is None

    comp.on_stop(lambda: events.append("late stop"))
    comp.on_invalidate(lambda: events.append("late invalidate"))
    assert events[-2:] == ["late stop", "late invalidate"]


def test_function_gets_the_computation_only_if_it_declares_it(tracker: Tracker) -> None:
    got: list[Any] = []
    tracker.autorun(lambda: got.append("none"))
    tracker.autorun(lambda c: got.append(c))
    tracker.autorun(lambda x="default": got.append(x))  # the capture idiom
    assert got[0] == "none"
    assert isinstance(got[1], Computation)
    assert got[2] == "default"

    with pytest.raises(ReactiveTypeError, match="requires"):
        tracker.autorun(lambda a, b: None)
    with pytest.raises(TypeError, match="needs a callable"):
        tracker.autorun(42)  # type: ignore[arg-type]


def test_computations_are_made_by_autorun_only(tracker: Tracker) -> None:
    with pytest.raises(ReactiveTypeError, match="autorun"):
        Computation(lambda: None, tracker, None)


def test_error_reaches_callbacks_and_log_while_others_keep_running(
    tracker: Tracker, caplog: pytest.LogCaptureFixture
) -> None:
    v = Value(0)
    errors: list[BaseException] = []
    tracker_errors: list[tuple[Computation, BaseException]] = []
    remove = tracker.on_error(lambda comp, exc: tracker_errors.append((comp, exc)))
    bad_runs: list[int] = []

    def failing() -> None:
        value = v.get()
        bad_runs.append(value)
        if value == 1:
            raise ValueError("boom")

    bad = tracker.autorun(failing, on_error=errors.append)
    good_runs: list[int] = []
    good = tracker.autorun(lambda: good_runs.append(v.get()))

    with caplog.at_level(logging.ERROR, logger="raccoon.reactive"):
        v.set(1)
        tracker.flush()
    assert [str(e) for e in errors] == ["boom"]
    assert tracker_errors == [(bad, errors[0])]
    assert good_runs == [0, 1]
    assert any(r.exc_info and r.exc_info[1] is errors[0] for r in caplog.records)

    # A failed computation keeps tracking what it read before failing.
    assert not bad.stopped
    v.set(2)
    tracker.flush()
    assert bad_runs == [0, 1, 2]
    assert len(errors) == 1

    remove()
    v.set(1)
    tracker.flush()
    assert len(errors) == 2 and len(tracker_errors) == 1
    bad.stop()
    good.stop()


def test_error_in_first_run_propagates_and_stops(tracker: Tracker) -> None:
    v = Value(0)
    calls: list[int] = []

    def body() -> None:
        calls.append(v.get())
        raise KeyError("first")

    with pytest.raises(KeyError, match="first"):
        tracker.autorun(body)
    v.set(1)
    tracker.flush()
    assert calls == [0]


def test_error_in_invalidate_callback_is_reported_not_raised_to_the_writer(
    tracker: Tracker, caplog: pytest.LogCaptureFixture
) -> None:
    v = Value(0)
    errors: list[BaseException] = []

    def body(c: Computation) -> None:
        v.get()
        c.on_invalidate(lambda: 1 / 0)

    tracker.autorun(body, on_error=errors.append)
    with caplog.at_level(logging.ERROR, logger="raccoon.reactive"):
        v.set(1)  # must not raise
    assert [type(e) for e in errors] == [ZeroDivisionError]
    assert "on_invalidate callback" in caplog.text


def test_infinite_loop_guard_stops_the_runaway_only(
    tracker: Tracker, caplog: pytest.LogCaptureFixture
) -> None:
    tracker.max_reruns = 10
    v = Value(0)
    bystander: list[int] = []
    tracker.autorun(lambda: bystander.append(v.get()))
    errors: list[BaseException] = []
    runaway = tracker.autorun(lambda: v.set(v.get() + 1), on_error=errors.append)
    with caplog.at_level(logging.ERROR, logger="raccoon.reactive"):
        tracker.flush()
    assert runaway.stopped
    assert len(errors) == 1 and isinstance(errors[0], InfiniteLoopError)
    assert "10 times in one flush" in str(errors[0])
    assert isinstance(errors[0], ReactiveError) and isinstance(errors[0], RuntimeError)
    assert v.get() == 11  # first run, then 10 re-runs
    # the bystander re-ran before the runaway started and once after it stopped
    assert bystander == [0, 1, 11]
    assert "InfiniteLoopError" in caplog.text


def test_infinite_loop_guard_catches_two_computations_ping_ponging(tracker: Tracker) -> None:
    tracker.max_reruns = 5
    a, b = Value(0), Value(0)
    errors: list[BaseException] = []
    tracker.autorun(lambda: b.set(a.get() + 1), on_error=errors.append)
    tracker.autorun(lambda: a.set(b.get() + 1), on_error=errors.append)
    tracker.flush()
    assert [type(e) for e in errors] == [InfiniteLoopError]
    a.set(100)
    b.set(100)
    tracker.flush()  # what is left running settles
    assert len(errors) == 1


def test_max_reruns_must_be_positive() -> None:
    with pytest.raises(ReactiveValueError, match="positive"):
        Tracker(max_reruns=0)
    with pytest.raises(ValueError):
        Tracker().max_reruns = -1


def test_nonreactive_and_untracked_reads_are_not_tracked(tracker: Tracker) -> None:
    a, b, c = Value(1), Value(2), Value(3)
    runs: list[int] = []

    def body() -> None:
        with untracked():
            assert current_computation() is None
            x = b.get()
        runs.append(a.get() + x + nonreactive(c.get))

    tracker.autorun(body)
    b.set(20)
    c.set(30)
    tracker.flush()
    assert runs == [6]
    a.set(10)
    tracker.flush()
    assert runs == [6, 60]


def test_flush_refuses_to_run_inside_a_computation(tracker: Tracker) -> None:
    with pytest.raises(ReactiveStateError, match="from inside"):
        tracker.autorun(lambda: tracker.flush())


def test_flush_refuses_to_run_inside_a_flush(tracker: Tracker) -> None:
    trigger, relay = Value(0), Value(0)
    errors: list[BaseException] = []
    tracker.autorun(lambda: relay.set(trigger.get()))

    def listener(c: Computation) -> None:
        relay.get()
        c.on_invalidate(tracker.flush)  # runs during the flush, outside computations

    tracker.autorun(listener, on_error=errors.append)
    trigger.set(1)
    tracker.flush()
    assert [type(e) for e in errors] == [ReactiveStateError]
    assert "already flushing" in str(errors[0])


def test_without_an_event_loop_autorun_needs_an_explicit_flush() -> None:
    v = Value(0)
    runs: list[int] = []
    comp = autorun(lambda: runs.append(v.get()))
    assert comp.tracker is current_tracker() is Tracker.for_loop(None)
    assert comp.tracker.loop is None
    v.set(1)
    assert runs == [0]
    flush()
    assert runs == [0, 1]
    comp.stop()


def test_coroutine_function_without_event_loop_is_refused(tracker: Tracker) -> None:
    async def body() -> None:
        pass

    # The coroutine must also be closed: an un-awaited one would warn, and
    # warnings are errors in this suite.
    with pytest.raises(ReactiveStateError, match="no open event loop"):
        tracker.autorun(body)
