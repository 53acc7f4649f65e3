"""Replica: the observer side of state replication, fed with the server's
wire format (single-source; tests/js/test_replica_wire.py also feeds it
with the real server publisher)."""

from ..errors import RPCError
from ..replica import Replica
from ..tracker import autorun, flush


def _snapshot(epoch, seq, data, children):
    return {"epoch": epoch, "seq": seq, "data": data, "children": children}


def test_snapshot_then_batches():
    replica = Replica("app.master")
    replica.begin_resync()
    assert replica.receive("e1", 1, [["s", "a", 1]]) is None  # buffered
    assert replica.receive("e1", 2, [["s", "b", 2], ["a", "child"]]) is None
    assert replica.load(_snapshot("e1", 1, {"a": 1}, ["x"])) is None
    assert replica.seq == 2
    assert replica.data.get("b") == 2
    children = replica.children
    assert len(children) == 2 and children[0] == "child" and children[1] == "x"
    assert replica.synced
    assert replica.receive("e1", 3, [["d", "a"], ["r", "x"]]) is None
    assert not replica.data.has("a")
    assert len(replica.children) == 1


def test_old_batches_are_ignored_and_gaps_reported():
    replica = Replica("p")
    replica.begin_resync()
    replica.load(_snapshot("e", 5, {}, []))
    assert replica.receive("e", 4, [["s", "k", 1]]) is None
    assert not replica.data.has("k")
    assert replica.receive("e", 7, []) == "changes 6 to 6 were lost"
    assert replica.receive("other", 6, []) == "the publisher restarted or sent something unexpected"
    assert replica.receive("e", 6, [["?"]]) == "an unknown change arrived"


def test_computations_follow_the_replica():
    replica = Replica("p")
    seen = []
    autorun(lambda: seen.append(replica.data.get("current_id")))
    replica.begin_resync()
    replica.load(_snapshot("e", 0, {"current_id": 3}, []))
    flush()
    replica.receive("e", 1, [["s", "current_id", 4]])
    flush()
    assert len(seen) == 3 and seen[1] == 3 and seen[2] == 4


def test_a_bad_snapshot_is_an_rpc_error():
    replica = Replica("p")
    replica.begin_resync()
    try:
        replica.load({"epoch": 1})
    except RPCError as error:
        assert error.uri == "raccoon.error.bad_snapshot"
        return
    raise RPCError("no error")
