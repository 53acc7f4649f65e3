"""Observing a node's reactive state from the browser (JavaScript only).

``await node.remote('@master').observe()`` returns a :class:`RemoteState`:
a live replica of the node's state, compatible with the server's publisher
(``raccoon/node/_state.py``). It subscribes to ``<path>.__changes__`` first,
then fetches ``<path>.__state__``, and from then on applies numbered
batches; a gap, a new epoch or a reconnect make it load a fresh snapshot by
itself (the protocol logic is in :mod:`.replica`, which runs and is tested
under CPython too)::

    state = await node.remote('@master').observe()
    autorun(lambda: show(state.data.get('current_id')))
    await state.close()

``state.data`` is a :class:`~.reactive.ReactiveDict` (read it, don't write
it); ``state.children`` and ``state.synced`` are tracked too.
"""

from __globals__ import Error, Math, console

from .errors import NodeError
from .promise import sleep
from .replica import Replica
from .signal import log_error

# Tries of a resync before giving up (about half a minute with the backoff).
_RESYNC_ATTEMPTS = 10


class RemoteState:
    """A live replica of the reactive state of the node at ``path``."""

    def __init__(self, path, context):
        conn = context.get("wamp")
        if conn is None:
            raise NodeError(f"cannot observe {path}: the context has no WAMP connection")
        self.path = path
        self._context = context
        self._connection = conn
        self._replica = Replica(path)
        self.data = self._replica.data
        self._subscription = None
        self._remove_join = None
        self._resyncing = None
        self._closed = False
        self.last_error = None

    @property
    def children(self):
        """The names of the node's children (tracked)."""
        return self._replica.children

    @property
    def synced(self):
        """True while the replica follows the node (tracked)."""
        return self._replica.synced

    @property
    def seq(self):
        """The sequence number of the last batch applied."""
        return self._replica.seq

    @property
    def resyncs(self):
        """How many snapshots were loaded."""
        return self._replica.resyncs

    def on_change(self, callback):
        """Call ``callback(key, old, new)`` for every change applied."""
        return self.data.on_change(callback)

    async def start(self):
        """Subscribe, load the first snapshot, and follow from there."""
        conn = self._connection
        topic = f"{self.path.add('__changes__')}"
        on_changes = self._on_changes.bind(self)
        self._subscription = await conn.subscribe(topic, on_changes, raw=True)
        self._remove_join = conn.on_join(lambda session_id: self._on_rejoin())
        try:
            await self.resync()
        except Error as error:
            await self.close()
            raise error
        return self

    async def close(self):
        """Stop following; the data stays as it was last seen."""
        if self._closed:
            return
        self._closed = True
        if self._remove_join is not None:
            self._remove_join()
        if self._subscription is not None:
            await self._connection.unsubscribe(self._subscription)
        self._replica.unsync()

    async def resync(self):
        """Load a fresh snapshot and continue from it."""
        if self._resyncing is None:
            self._resyncing = self._do_resync()
        running = self._resyncing
        try:
            await running
        finally:
            if self._resyncing is running:
                self._resyncing = None

    async def _do_resync(self):
        replica = self._replica
        replica.begin_resync()
        try:
            snapshot = await self._connection.call(
                f"{self.path.add('__state__')}", [], {}, None, self._context
            )
        except Error as error:
            replica.abort_resync()
            self.last_error = error
            raise error
        self.last_error = None
        problem = replica.load(snapshot)
        if problem is not None:
            self._resync_later(problem)

    def _on_changes(self, args, kwargs, details):
        if self._closed or len(args) < 3:
            return
        problem = self._replica.receive(args[0], args[1], args[2])
        if problem is not None:
            self._resync_later(problem)

    def _resync_later(self, why, attempt=0):
        if self._resyncing is not None or self._closed:
            return
        console.info(f"raccoon: the replica of {self.path} resyncs: {why}")
        path = self.path

        def failed(error):
            if self._closed:
                return
            if attempt + 1 >= _RESYNC_ATTEMPTS:
                log_error(f"the replica of {path} cannot resync", error)
                return
            # Right after a router restart the service may not have registered
            # its procedures again (the authorizer, the node's __state__) yet.
            delay = Math.min(0.25 * Math.pow(2, attempt), 4)
            console.info(f"raccoon: the replica of {path} resyncs again in {delay} s: {error}")
            sleep(delay).then(lambda ignored: self._resync_later(why, attempt + 1))

        # .then(None, f): JavaScripthon refuses the name `.catch`.
        self.resync().then(None, failed)

    def _on_rejoin(self):
        if not self._closed:
            self._resync_later("the connection joined again")

    def toString(self):
        return f"<RemoteState of {self.path} seq={self._replica.seq}>"


__all__ = ["RemoteState"]
