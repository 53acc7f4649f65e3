"""A node's reactive state, replicated to observers in any WAMP session.

Every bound :class:`~raccoon.node.WAMPNode` serves a snapshot of its state
at ``<path>.__state__`` and publishes the changes of each loop iteration, as
one numbered batch, on ``<path>.__changes__``. A :class:`RemoteState`
subscribes first, then fetches the snapshot, drops what the snapshot already
contains and applies the rest in order; a gap in the numbers, a publisher
that restarted (a new *epoch*) or a reconnect make it fetch a fresh snapshot
by itself.

Wire format: snapshot ``{"epoch", "seq", "data", "children"}``; change event
``(epoch, seq, changes)`` where each change is ``["s", key, value]`` (set),
``["d", key]`` (delete), ``["a", name]`` (child added) or ``["r", name]``
(child removed).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from raccoon.reactive import MISSING, ReactiveDict, Value, nonreactive, thaw

from ._context import NodeContext
from ._errors import NodeError, RPCError
from ._path import Path

if TYPE_CHECKING:
    from ._connection import Connection, Subscription

__all__ = ["CHANGES", "STATE", "RemoteState", "StatePublisher", "StateView"]

log = logging.getLogger("raccoon.node.state")

STATE = "__state__"
CHANGES = "__changes__"


class StatePublisher:
    """The publishing side, one per bound node (made by the node itself)."""

    def __init__(self, data: ReactiveDict, children: Callable[[], list[str]]) -> None:
        self.epoch = secrets.token_hex(8)
        self.seq = 0
        self._data = data
        self._children = children
        self._pending: list[list[Any]] = []
        self._scheduled = False
        self._topic: str | None = None
        self._connection: Connection | None = None
        self._remove_hook = data.on_change(self._on_data_change)

    def attach(self, connection: Connection, path: Path) -> None:
        """Start publishing on ``path``'s change topic."""
        self._connection = connection
        self._topic = str(path + CHANGES)

    def close(self) -> None:
        """Stop publishing; pending changes are dropped (observers resync)."""
        self._remove_hook()
        self._pending.clear()
        self._connection = None

    def _on_data_change(self, key: str, old: Any, new: Any) -> None:
        self._queue(["d", key] if new is MISSING else ["s", key, thaw(new)])

    def child_added(self, name: str) -> None:
        """Record that the child ``name`` appeared."""
        self._queue(["a", name])

    def child_removed(self, name: str) -> None:
        """Record that the child ``name`` went away."""
        self._queue(["r", name])

    def _queue(self, change: list[Any]) -> None:
        if self._connection is None:
            return
        self._pending.append(change)
        if not self._scheduled:
            self._scheduled = True
            # One message per loop iteration, however many changes it made.
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Publish the pending changes now, as one numbered batch."""
        self._scheduled = False
        if not self._pending or self._connection is None or self._topic is None:
            return
        batch, self._pending = self._pending, []
        self.seq += 1
        self._connection.publish_nowait(self._topic, (self.epoch, self.seq, batch))

    def snapshot(self) -> dict[str, Any]:
        """The state at the current sequence number (pending changes are
        published first, so the two always agree)."""
        self.flush()
        return {
            "epoch": self.epoch,
            "seq": self.seq,
            "data": nonreactive(self._data.snapshot),
            "children": sorted(self._children()),
        }


class StateView(Mapping[str, Any]):
    """A read-only, tracked view of a replica's data."""

    __slots__ = ("_data",)

    def __init__(self, data: ReactiveDict) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __repr__(self) -> str:
        return f"StateView({dict(nonreactive(self._data.snapshot))!r})"


class RemoteState:
    """A live replica of the reactive state of the node at ``path``.

    ``data`` reads like the node's own ``node_data`` and is tracked the same
    way, so computations depend on remote state exactly as on local state;
    ``children`` is the tuple of the node's child names (tracked too).
    Made by ``await node.remote('@master').observe()``; close it with
    :meth:`close` or ``async with``.
    """

    def __init__(self, path: Path, context: NodeContext) -> None:
        connection = context.get("wamp")
        if connection is None:
            raise NodeError(f"cannot observe {path}: the context has no WAMP connection")
        self.path = path
        self._context = context
        self._connection: Connection = connection
        self._data = ReactiveDict()
        self.data = StateView(self._data)
        self._children: Value[tuple[str, ...]] = Value(())
        self._synced: Value[bool] = Value(False)
        self._epoch: str | None = None
        self._seq = 0
        self._buffer: list[tuple[Any, Any, Any]] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._subscription: Subscription | None = None
        self._closed = False
        self.resyncs = 0
        self.last_error: BaseException | None = None

    # -- reading -------------------------------------------------------------
    @property
    def children(self) -> tuple[str, ...]:
        """The names of the node's children (tracked)."""
        return self._children.get()

    @property
    def synced(self) -> bool:
        """True while the replica follows the node (tracked)."""
        return self._synced.get()

    @property
    def seq(self) -> int:
        """The sequence number of the last batch applied."""
        return self._seq

    def on_change(self, callback: Callable[[str, Any, Any], Any]) -> Callable[[], None]:
        """Call ``callback(key, old, new)`` for every change applied to the
        replica, in order (``old``/``new`` is :data:`raccoon.reactive.MISSING`
        for an added/removed key). Returns a function that removes it."""
        return self._data.on_change(callback)

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> RemoteState:
        """Subscribe, load the first snapshot, and follow from there."""
        conn = self._connection
        self._subscription = await conn.subscribe(str(self.path + CHANGES), self._on_changes)
        conn.on_join.connect(self._on_rejoin)
        try:
            await self.resync()
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        """Stop following; the data stays as it was last seen."""
        if self._closed:
            return
        self._closed = True
        self._connection.on_join.disconnect(self._on_rejoin)
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_task.cancel()
        if self._subscription is not None:
            await self._connection.unsubscribe(self._subscription)
        self._synced.set(False)

    async def __aenter__(self) -> RemoteState:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def resync(self) -> None:
        """Load a fresh snapshot and continue from it."""
        if self._resync_task is not None and not self._resync_task.done():
            await asyncio.shield(self._resync_task)
            return
        self._resync_task = asyncio.ensure_future(self._resync())
        await asyncio.shield(self._resync_task)

    async def _resync(self) -> None:
        self._buffer = []
        self._synced.set(False)
        try:
            snap = await self._connection.call(str(self.path + STATE), context=self._context)
            epoch, seq, data, children = _check_snapshot(self.path, snap)
        except BaseException as exc:
            self._buffer = None
            self.last_error = exc
            raise
        buffered, self._buffer = self._buffer, None
        self.resyncs += 1
        self._epoch, self._seq = epoch, seq
        self._data.load_snapshot(data, self._data.version + 1)
        self._children.set(tuple(children))
        self._synced.set(True)
        self.last_error = None
        for event in buffered:
            self._on_changes(*event)

    def _on_changes(self, epoch: Any, seq: Any, changes: Any) -> None:
        if self._closed:
            return
        if self._buffer is not None:
            self._buffer.append((epoch, seq, changes))
            return
        if epoch != self._epoch or not isinstance(seq, int) or not isinstance(changes, list):
            self._resync_later("the publisher restarted or sent something unexpected")
            return
        if seq <= self._seq:
            return  # already in the snapshot
        if seq != self._seq + 1:
            self._resync_later(f"changes {self._seq + 1} to {seq - 1} were lost")
            return
        self._seq = seq
        children: list[str] | None = None
        for change in changes:
            op = change[0] if change else None
            if op == "s" and len(change) == 3:
                self._data[change[1]] = change[2]
            elif op == "d" and len(change) == 2:
                self._data.pop(change[1], None)
            elif op in ("a", "r") and len(change) == 2:
                if children is None:
                    children = list(nonreactive(self._children.get))
                if op == "a" and change[1] not in children:
                    children.append(change[1])
                elif op == "r" and change[1] in children:
                    children.remove(change[1])
            else:
                self._resync_later(f"unknown change {change!r}")
                return
        if children is not None:
            self._children.set(tuple(sorted(children)))

    def _resync_later(self, why: str) -> None:
        if self._resync_task is not None and not self._resync_task.done():
            return
        log.info("replica of %s resyncs: %s", self.path, why)
        self._resync_task = asyncio.ensure_future(self._resync_logged())

    async def _resync_logged(self) -> None:
        try:
            await self._resync()
        except RPCError as exc:
            log.warning("replica of %s cannot resync: %s", self.path, exc)

    async def _on_rejoin(self, session_id: int) -> None:
        if not self._closed:
            self._resync_later("the connection joined again")

    def __repr__(self) -> str:
        return f"<RemoteState of {self.path} seq={self._seq} synced={self._synced.get()}>"


def _check_snapshot(path: Path, snap: Any) -> tuple[str, int, dict[str, Any], list[str]]:
    if (
        not isinstance(snap, dict)
        or not isinstance(snap.get("epoch"), str)
        or not isinstance(snap.get("seq"), int)
        or not isinstance(snap.get("data"), dict)
        or not isinstance(snap.get("children"), list)
    ):
        raise RPCError(
            f"{path}.{STATE} did not answer with a node state snapshot",
            uri="raccoon.error.bad_snapshot",
        )
    return snap["epoch"], snap["seq"], snap["data"], snap["children"]
