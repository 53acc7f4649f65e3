"""ReactiveDict: per-key tracking, frozen values, changes and replication."""

from __future__ import annotations

import dataclasses
import json
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import pytest

from raccoon.reactive import (
    MISSING,
    Change,
    FrozenDict,
    OutOfSyncError,
    ReactiveDict,
    ReactiveTypeError,
    Tracker,
    freeze,
    thaw,
)


@pytest.fixture
def tracker() -> Tracker:
    return Tracker()


def test_reading_one_key_tracks_only_that_key(tracker: Tracker) -> None:
    d = ReactiveDict(a=1, b=2)
    runs: list[int] = []
    tracker.autorun(lambda: runs.append(d["a"]))
    d["b"] = 20
    del d["b"]
    d["c"] = 3
    tracker.flush()
    assert runs == [1], "key a did not change"
    d["a"] = 10
    tracker.flush()
    assert runs == [1, 10]


@pytest.mark.parametrize(
    "read",
    [lambda d: d.get("x"), lambda d: "x" in d, lambda d: d.get("x", 0)],
    ids=["get", "contains", "get-default"],
)
def test_reading_a_missing_key_tracks_it(tracker: Tracker, read: Any) -> None:
    d = ReactiveDict()
    runs: list[Any] = []
    tracker.autorun(lambda: runs.append(read(d)))
    d["y"] = 1
    tracker.flush()
    assert len(runs) == 1
    d["x"] = 1
    tracker.flush()
    assert len(runs) == 2
    assert runs[1] in (1, True)


def test_key_set_readers_rerun_on_added_or_removed_keys_only(tracker: Tracker) -> None:
    d = ReactiveDict(a=1)
    lengths: list[int] = []
    keys: list[list[str]] = []
    tracker.autorun(lambda: lengths.append(len(d)))
    tracker.autorun(lambda: keys.append(sorted(d)))
    d["a"] = 2
    tracker.flush()
    assert lengths == [1] and keys == [["a"]], "a value change is not a key set change"
    d["b"] = 1
    tracker.flush()
    assert lengths == [1, 2] and keys == [["a"], ["a", "b"]]
    d.pop("a")
    tracker.flush()
    assert lengths == [1, 2, 1]


def test_items_readers_rerun_on_any_value_change(tracker: Tracker) -> None:
    d = ReactiveDict(a=1)
    runs: list[dict[str, Any]] = []
    tracker.autorun(lambda: runs.append(dict(d.items())))
    d["a"] = 2
    tracker.flush()
    assert runs == [{"a": 1}, {"a": 2}]


def test_writing_an_equal_value_changes_nothing(tracker: Tracker) -> None:
    d = ReactiveDict(a=[1, 2])
    changes: list[Any] = []
    d.on_change(lambda *change: changes.append(change))
    runs: list[Any] = []
    tracker.autorun(lambda: runs.append(d["a"]))
    d["a"] = (1, 2)
    d.update(a=[1, 2])
    tracker.flush()
    assert runs == [(1, 2)]
    assert changes == [] and d.version == 0


def test_values_are_frozen_recursively() -> None:
    Pair = namedtuple("Pair", "left right")
    source = {"a": [1, {"b": {3, 4}}], "c": {"d": []}, "p": Pair([1], 2)}
    d = ReactiveDict(x=source)
    source["a"].append("mutated later")  # type: ignore[attr-defined]
    x = d["x"]
    assert isinstance(x, FrozenDict)
    assert x["a"] == (1, FrozenDict({"b": frozenset({3, 4})}))
    assert x["c"]["d"] == ()
    assert isinstance(x["p"], Pair) and x["p"].left == (1,)
    with pytest.raises(TypeError):
        x["a"] = 1  # type: ignore[index]
    hash(x)  # frozen all the way down, so hashable


@pytest.mark.parametrize("value", [object(), bytearray(b"x"), [1, object()]])
def test_mutable_values_of_unknown_kind_are_refused(value: object) -> None:
    d = ReactiveDict()
    with pytest.raises(ReactiveTypeError, match="must be immutable") as info:
        d["k"] = value
    assert isinstance(info.value, TypeError)
    assert "k" not in d and d.version == 0


def test_frozen_dataclasses_are_accepted_mutable_ones_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Frozen:
        n: int

    @dataclasses.dataclass
    class Mutable:
        n: int

    assert freeze(Frozen(1)) == Frozen(1)
    with pytest.raises(ReactiveTypeError, match="Mutable"):
        freeze(Mutable(1))


def test_keys_must_be_strings() -> None:
    d = ReactiveDict()
    with pytest.raises(ReactiveTypeError, match="keys must be str"):
        d[1] = "x"  # type: ignore[index]


def test_on_change_reports_each_change_in_order_with_its_version() -> None:
    d = ReactiveDict(a=1)
    log: list[tuple[int, str, Any, Any]] = []
    remove = d.on_change(lambda key, old, new: log.append((d.version, key, old, new)))
    d.update({"a": 2, "b": [1]})
    d.setdefault("c", 3)
    assert d.setdefault("c", 4) == 3
    d.pop("b")
    del d["a"]
    d["z"] = 0
    d.clear()
    assert log == [
        (1, "a", 1, 2),
        (2, "b", MISSING, (1,)),
        (3, "c", MISSING, 3),
        (4, "b", (1,), MISSING),
        (5, "a", 2, MISSING),
        (6, "z", MISSING, 0),
        (7, "c", 3, MISSING),
        (8, "z", 0, MISSING),
    ]
    assert d.version == 8 and len(d) == 0
    remove()
    d["q"] = 1
    assert len(log) == 8 and d.version == 9


def test_failing_on_change_callback_does_not_starve_the_others() -> None:
    d = ReactiveDict()
    seen: list[str] = []

    def failing(key: str, old: Any, new: Any) -> None:
        raise RuntimeError("callback failed")

    d.on_change(failing)
    d.on_change(lambda key, old, new: seen.append(key))
    with pytest.raises(RuntimeError, match="callback failed"):
        d["a"] = 1
    assert seen == ["a"] and d["a"] == 1 and d.version == 1


def test_snapshot_is_plain_and_json_able() -> None:
    d = ReactiveDict(a={"b": [1, 2], "s": {3, 1, 2}}, n=None)
    snap = d.snapshot()
    assert snap == {"a": {"b": [1, 2], "s": [1, 2, 3]}, "n": None}
    assert type(snap["a"]) is dict and type(snap["a"]["b"]) is list
    assert json.loads(json.dumps(snap)) == snap
    assert thaw(freeze(snap)) == snap


def test_replica_follows_snapshot_and_changes() -> None:
    source = ReactiveDict(a=1, b={"x": [1]})
    wire: list[Change] = []
    source.on_change(lambda key, old, new: wire.append(Change(source.version, key, old, new)))
    source["a"] = 2  # before the snapshot: included in it
    replica = ReactiveDict()
    replica.load_snapshot(json.loads(json.dumps(source.snapshot())), version=source.version)
    sent = len(wire)

    source["c"] = [1, 2]
    del source["a"]
    source["b"] = {"x": [1, 2]}
    assert replica.apply_changes(wire[sent:]) == 3
    assert replica.snapshot() == source.snapshot()
    assert replica.version == source.version == 4

    # Redelivered changes were already applied: skipped.
    assert replica.apply_changes(wire) == 0
    assert replica.snapshot() == source.snapshot()

    # Plain tuples, as they come off the wire, are accepted too.
    source["d"] = 4
    assert replica.apply_changes([tuple(wire[-1])]) == 1
    assert replica["d"] == 4


def test_replica_detects_lost_changes() -> None:
    replica = ReactiveDict()
    replica.load_snapshot({"a": 1}, version=5)
    with pytest.raises(OutOfSyncError, match="changes 6 to 6 were lost"):
        replica.apply_changes([Change(7, "a", 2, 3)])
    assert replica["a"] == 1 and replica.version == 5


def test_replica_changes_are_reactive(tracker: Tracker) -> None:
    replica = ReactiveDict()
    replica.load_snapshot({"a": 1, "b": 1}, version=1)
    runs: list[Any] = []
    tracker.autorun(lambda: runs.append(replica.get("a")))
    replica.apply_changes([Change(2, "b", 1, 2)])
    tracker.flush()
    assert runs == [1]
    replica.apply_changes([Change(3, "a", 1, 5)])
    tracker.flush()
    assert runs == [1, 5]


def test_load_snapshot_notifies_only_the_keys_that_differ(tracker: Tracker) -> None:
    d = ReactiveDict(same=1, changed=1, removed=1)
    runs: dict[str, int] = {"same": 0, "changed": 0, "removed": 0, "added": 0}

    def reader(key: str) -> Callable[[], None]:
        def read() -> None:
            runs[key] += 1
            d.get(key)

        return read

    for key in runs:
        tracker.autorun(reader(key))
    changes: list[Any] = []
    d.on_change(lambda *change: changes.append(change))
    d.load_snapshot({"same": 1, "changed": 2, "added": 3}, version=10)
    tracker.flush()
    assert runs == {"same": 1, "changed": 2, "removed": 2, "added": 2}
    assert changes == [("removed", 1, MISSING), ("changed", 1, 2), ("added", MISSING, 3)]
    assert d.version == 10
