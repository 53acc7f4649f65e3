"""Value, Derived and computed."""

from __future__ import annotations

import pytest

from raccoon.reactive import (
    Derived,
    ReactiveStateError,
    ReactiveTypeError,
    Tracker,
    Value,
    computed,
)


@pytest.fixture
def tracker() -> Tracker:
    return Tracker()


def test_setting_an_equal_value_does_not_invalidate(tracker: Tracker) -> None:
    v = Value("a")
    runs: list[str] = []
    tracker.autorun(lambda: runs.append(v.get()))
    assert v.set("a") is False
    tracker.flush()
    assert runs == ["a"]
    assert v.set("b") is True
    tracker.flush()
    assert runs == ["a", "b"]


def test_equal_values_of_another_type_are_a_change(tracker: Tracker) -> None:
    v: Value[object] = Value(1)
    runs: list[object] = []
    tracker.autorun(lambda: runs.append(v.get()))
    assert v.set(True) is True
    assert v.set(1.0) is True
    tracker.flush()
    assert runs == [1, 1.0]


def test_custom_equality(tracker: Tracker) -> None:
    v = Value("Hello", equals=lambda old, new: old.lower() == new.lower())
    runs: list[str] = []
    tracker.autorun(lambda: runs.append(v.get()))
    assert v.set("HELLO") is False
    assert v.set("bye") is True
    tracker.flush()
    assert runs == ["Hello", "bye"]
    with pytest.raises(ReactiveTypeError, match="equals"):
        Value(0, equals=3)  # type: ignore[arg-type]


class Point:
    x = Value(0)
    y = Value(0)


def test_value_as_descriptor_is_per_instance(tracker: Tracker) -> None:
    p, q = Point(), Point()
    runs: list[tuple[int, int]] = []
    tracker.autorun(lambda: runs.append((p.x, p.y)))
    q.x = 5
    tracker.flush()
    assert runs == [(0, 0)], "another instance's attribute is another cell"
    p.x = 1
    p.y = 2
    tracker.flush()
    assert runs == [(0, 0), (1, 2)]
    assert (q.x, q.y) == (5, 0)
    assert isinstance(Point.x, Value)
    assert Point.x.of(p).get() == 1
    assert Point.x.get() == 0, "the class-level Value is only the template"


def test_value_descriptor_on_a_slotted_class_says_what_to_do() -> None:
    class Slotted:
        __slots__ = ()
        x = Value(0)

    with pytest.raises(ReactiveTypeError, match="__slots__"):
        Slotted().x  # noqa: B018


def test_derived_is_lazy_and_cached() -> None:
    a = Value(1)
    calls: list[int] = []

    def double() -> int:
        calls.append(1)
        return a.get() * 2

    d = Derived(double)
    assert calls == [], "nothing computed before the first read"
    assert d.get() == 2
    assert d.get() == 2
    assert len(calls) == 1, "cached while inputs do not change"
    a.set(2)
    a.set(3)
    assert len(calls) == 1, "no reader: not recomputed when inputs change"
    assert d.get() == 6
    assert len(calls) == 2


def test_derived_notifies_dependents_only_when_its_result_changes(tracker: Tracker) -> None:
    a = Value(1)
    calls: list[int] = []

    def parity() -> int:
        calls.append(1)
        return a.get() % 2

    d = Derived(parity)
    runs: list[int] = []
    comp = tracker.autorun(lambda: runs.append(d.get()))
    assert runs == [1] and len(calls) == 1
    a.set(3)
    tracker.flush()
    assert len(calls) == 2, "recomputed at the flush, since something depends on it"
    assert runs == [1], "same result: the dependent did not re-run"
    a.set(4)
    tracker.flush()
    assert len(calls) == 3
    assert runs == [1, 0]
    comp.stop()
    a.set(5)
    tracker.flush()
    assert len(calls) == 3, "no dependents left: back to lazy"


def test_derived_read_with_its_input_computes_once_per_change(tracker: Tracker) -> None:
    a = Value(1)
    calls: list[int] = []

    def square() -> int:
        calls.append(1)
        return a.get() ** 2

    d = Derived(square)
    seen: list[tuple[int, int]] = []
    tracker.autorun(lambda: seen.append((a.get(), d.get())))
    for n in (2, 3, 4):
        a.set(n)
        tracker.flush()
    assert seen == [(1, 1), (2, 4), (3, 9), (4, 16)], "never a stale derived value"
    assert len(calls) == 4
    assert len(seen) == 4


def test_derived_chain(tracker: Tracker) -> None:
    a = Value(2)
    d1 = Derived(lambda: a.get() + 1)
    d2 = Derived(lambda: d1.get() * 10)
    runs: list[int] = []
    tracker.autorun(lambda: runs.append(d2.get()))
    a.set(4)
    tracker.flush()
    assert runs == [30, 50]


def test_derived_error_is_raised_to_readers_until_inputs_change(tracker: Tracker) -> None:
    a = Value(0)
    d = Derived(lambda: 10 // a.get())
    with pytest.raises(ZeroDivisionError):
        d.get()
    with pytest.raises(ZeroDivisionError):
        d.get()
    a.set(5)
    assert d.get() == 2


def test_derived_reading_itself_is_refused() -> None:
    box: list[Derived[int]] = []
    d = Derived(lambda: box[0].get() + 1)
    box.append(d)
    with pytest.raises(ReactiveStateError, match="computing itself"):
        d.get()


class Rect:
    w = Value(1)
    h = Value(1)
    calls = 0

    @computed
    def area(self) -> int:
        """The area."""
        Rect.calls += 1
        return self.w * self.h


def test_computed_is_a_per_instance_derived(tracker: Tracker) -> None:
    Rect.calls = 0
    r, s = Rect(), Rect()
    runs: list[int] = []
    tracker.autorun(lambda: runs.append(r.area))
    s.w = 10
    tracker.flush()
    assert runs == [1]
    r.w, r.h = 2, 3
    tracker.flush()
    assert runs == [1, 6]
    assert s.area == 10
    assert isinstance(Rect.area, computed)
    assert Rect.area.of(r).get() == 6
    calls = Rect.calls
    assert r.area == 6 and Rect.calls == calls, "cached"
    with pytest.raises(AttributeError, match="cannot be set"):
        r.area = 3  # type: ignore[assignment]
