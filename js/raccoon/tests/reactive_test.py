"""The reactive core: Dependency, autorun, flush, Value, ReactiveDict
(single-source). Synchronous tests flush explicitly."""

from ..reactive import MISSING, ReactiveDict, Value
from ..tracker import Dependency, ReactiveError, autorun, flush, nonreactive


def test_autorun_reruns_once_per_flush():
    price = Value(10)
    quantity = Value(2)
    seen = []
    comp = autorun(lambda: seen.append(price.get() * quantity.get()))
    assert len(seen) == 1 and seen[0] == 20
    price.set(12)
    quantity.set(3)
    flush()
    assert len(seen) == 2 and seen[1] == 36
    comp.stop()
    price.set(1)
    flush()
    assert len(seen) == 2


def test_setting_the_same_value_changes_nothing():
    value = Value(1)
    runs = []
    autorun(lambda: runs.append(value.get()))
    assert value.set(1) is False
    flush()
    assert len(runs) == 1
    assert value.set("1") is True
    flush()
    assert len(runs) == 2


def test_computation_argument_and_first_run():
    firsts = []

    def body(comp):
        firsts.append(comp.first_run)

    value = Value(0)

    def tracked(comp):
        value.get()
        body(comp)

    autorun(tracked)
    value.set(1)
    flush()
    assert firsts[0] is True and firsts[1] is False


def test_nested_computations_are_stopped_with_their_parent():
    outer = Value(0)
    inner = Value(0)
    inner_runs = []

    def parent():
        outer.get()
        autorun(lambda: inner_runs.append(inner.get()))

    autorun(parent)
    outer.set(1)
    flush()
    inner.set(5)
    flush()
    # One inner computation per parent run, the stale one stopped.
    assert len(inner_runs) == 3 and inner_runs[2] == 5


def test_nonreactive_reads_are_not_tracked():
    value = Value(0)
    runs = []
    autorun(lambda: runs.append(nonreactive(lambda: value.get())))
    value.set(1)
    flush()
    assert len(runs) == 1


def test_dependency_primitive():
    dep = Dependency()
    runs = []
    comp = autorun(lambda: runs.append(dep.depend()))
    assert dep.has_dependents
    dep.changed()
    flush()
    assert len(runs) == 2
    comp.stop()
    assert not dep.has_dependents


def test_errors_on_rerun_go_to_on_error():
    value = Value(0)
    errors = []

    def body():
        if value.get() > 0:
            raise ReactiveError("boom")

    autorun(body, on_error=lambda error: errors.append(error.message))
    value.set(1)
    flush()
    assert len(errors) == 1 and errors[0] == "boom"
    value.set(0)  # a failed computation keeps tracking what it read
    flush()
    value.set(2)
    flush()
    assert len(errors) == 2


def test_error_on_first_run_propagates():
    def body():
        raise ReactiveError("first")

    try:
        autorun(body)
    except ReactiveError as error:
        assert error.message == "first"
        return
    raise ReactiveError("autorun did not raise")


def test_infinite_loops_are_stopped():
    value = Value(0)
    errors = []

    def body():
        value.set(value.get() + 1)

    autorun(body, on_error=lambda error: errors.append(error.message))
    value.set(100)
    flush()
    assert len(errors) == 1
    assert "re-run more than" in errors[0]


def test_reactive_dict_tracks_per_key():
    data = ReactiveDict()
    a_runs = []
    keys_runs = []
    autorun(lambda: a_runs.append(data.get("a", 0)))
    autorun(lambda: keys_runs.append(len(data)))
    data.set("b", 1)
    flush()
    assert len(a_runs) == 1  # only b changed
    assert len(keys_runs) == 2
    data.set("a", 5)
    flush()
    assert a_runs[1] == 5
    data.set("a", 6)
    flush()
    assert len(keys_runs) == 3  # keys did not change when a changed value


def test_reactive_dict_changes_and_snapshots():
    data = ReactiveDict({"x": 1})
    changes = []
    remove = data.on_change(lambda key, old, new_value: changes.append([key, old, new_value]))
    data.set("y", 2)
    data.set("x", 1)  # same: nothing
    data.discard("x")
    assert len(changes) == 2
    assert changes[0][1] is MISSING and changes[1][2] is MISSING
    data.load_snapshot({"y": 2, "z": 3})
    assert len(changes) == 3  # only z was new
    snap = data.snapshot()
    assert snap["z"] == 3 and len(data.keys()) == 2
    remove()
    data.clear()
    assert len(changes) == 3
    assert data.version == 6  # the initial x counts too
