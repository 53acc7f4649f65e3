"""The observer side of node state replication, as pure logic.

A bound server node serves ``{epoch, seq, data, children}`` at
``<path>.__state__`` and publishes numbered batches ``(epoch, seq, changes)``
on ``<path>.__changes__`` (``raccoon/node/_state.py``); each change is
``["s", key, value]``, ``["d", key]``, ``["a", child]`` or ``["r", child]``.
A :class:`Replica` turns these messages into a local reactive copy:

1. :meth:`begin_resync` before subscribing/fetching: batches received from
   now on are buffered;
2. :meth:`load` with the snapshot: the buffered batches the snapshot already
   contains are dropped, the rest applied in order;
3. :meth:`receive` for every later batch. It returns ``None`` when the
   batch was applied (or was old), or the reason the replica must load a
   fresh snapshot — a gap in the numbers, another epoch (the node was
   bound again), something malformed.

The network part (subscribing, calling, resyncing on reconnect) is in
``state.py``; this module runs under CPython too, where it is tested
against the server's own publisher.
"""

from .compat import (
    index_of,
    is_int,
)
from .errors import RPCError
from .reactive import ReactiveDict, Value
from .tracker import nonreactive


class Replica:
    """A local, reactive copy of a remote node's state."""

    def __init__(self, path):
        self.path = path
        self.data = ReactiveDict()
        self._children = Value([])
        self._synced = Value(False)
        self.epoch = None
        self.seq = 0
        self.resyncs = 0
        self._buffer = None

    @property
    def children(self):
        """The names of the node's children, sorted (tracked)."""
        return self._children.get()

    @property
    def synced(self):
        """True while the replica follows the node (tracked)."""
        return self._synced.get()

    def begin_resync(self):
        """Start buffering batches until the next :meth:`load`."""
        self._buffer = []
        self._synced.set(False)

    def abort_resync(self):
        """The snapshot could not be fetched: stop buffering."""
        self._buffer = None

    def unsync(self):
        """Mark the replica as not following (closed, or connection lost)."""
        self._synced.set(False)

    def load(self, snapshot):
        """Load a snapshot; returns what :meth:`receive` returns for the
        buffered batches (``None`` when all went well)."""
        if (
            not isinstance(snapshot, dict)
            or not isinstance(snapshot["epoch"], str)
            or not is_int(snapshot["seq"])
            or not isinstance(snapshot["data"], dict)
            or not isinstance(snapshot["children"], (list, tuple))
        ):
            self._buffer = None
            raise RPCError(
                f"{self.path}.__state__ did not answer with a node state snapshot",
                uri="raccoon.error.bad_snapshot",
            )
        buffered = [] if self._buffer is None else self._buffer
        self._buffer = None
        self.resyncs += 1
        self.epoch = snapshot["epoch"]
        self.seq = snapshot["seq"]
        self.data.load_snapshot(snapshot["data"])
        self._children.set(sorted(snapshot["children"]))
        self._synced.set(True)
        for batch in buffered:
            problem = self.receive(batch[0], batch[1], batch[2])
            if problem is not None:
                return problem
        return None

    def receive(self, epoch, seq, changes):
        """Apply one batch; ``None``, or why a fresh snapshot is needed."""
        if self._buffer is not None:
            self._buffer.append([epoch, seq, changes])
            return None
        if epoch != self.epoch or not is_int(seq) or not isinstance(changes, (list, tuple)):
            return "the publisher restarted or sent something unexpected"
        if seq <= self.seq:
            return None
        if seq != self.seq + 1:
            first = self.seq + 1
            last = seq - 1
            return f"changes {first} to {last} were lost"
        self.seq = seq
        children = None
        for change in changes:
            op = change[0] if isinstance(change, (list, tuple)) and len(change) > 0 else None
            if op == "s" and len(change) == 3:
                self.data.set(change[1], change[2])
            elif op == "d" and len(change) == 2:
                self.data.discard(change[1])
            elif (op == "a" or op == "r") and len(change) == 2:
                if children is None:
                    children = nonreactive(lambda: self._children.get())[0:]
                index = index_of(children, change[1])
                if op == "a" and index < 0:
                    children.append(change[1])
                elif op == "r" and index >= 0:
                    children.pop(index)
            else:
                return "an unknown change arrived"
        if children is not None:
            self._children.set(sorted(children))
        return None


__all__ = ["Replica"]
