"""Dependency tracking: the core of the client's reactivity (Meteor Tracker style).

The same concepts and names as the server's ``raccoon.reactive``:
``autorun(func)`` runs ``func`` at once inside a :class:`Computation` and
records every :class:`Dependency` it reads; when one of them changes the
computation is invalidated, and re-run at the next *flush*. Flushes are
scheduled on the first invalidation — a microtask in JavaScript,
``loop.call_soon`` under CPython with a running asyncio loop — so all the
changes made in one turn cause at most one re-run of each computation.
Without a loop (CPython scripts and tests) call :func:`flush` yourself.

- ``func`` receives the computation when it declares a parameter.
- A computation created while another runs is its child: it is stopped
  when the parent is invalidated, and the parent's re-run makes a new one.
- An error on the first run propagates out of ``autorun`` (and the
  computation is stopped); an error on a re-run goes to the computation's
  ``on_error`` callbacks, to :func:`on_error` handlers, and is otherwise
  reported on the console (``console.error`` / stderr).
- A computation re-run more than ``MAX_RERUNS`` times in one flush keeps
  invalidating itself (it writes what it reads): it is stopped and
  reported.
"""

from __globals__ import Error, console, py

from .compat import IS_JS, index_of, nparams, schedule

MAX_RERUNS = 100


class ReactiveError(Error):
    """Misuse of the reactive core, or a computation that never settles."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message
        self.name = "ReactiveError"

    def __str__(self):
        return self.message


class TrackerState:
    """The state shared by all computations of this JavaScript realm (or
    CPython process): which computation runs, which wait for the flush."""

    def __init__(self):
        self.current = None
        self.pending = []
        self.scheduled = False
        self.flushing = False
        self.next_id = 1
        self.handlers = []


_tracker = TrackerState()


def _report(computation, error):
    for callback in computation._error_callbacks:
        callback(error)
    for handler in _tracker.handlers:
        handler(computation, error)
    if len(computation._error_callbacks) == 0 and len(_tracker.handlers) == 0:
        if IS_JS:
            console.error("raccoon: a computation failed when re-run:", error)
        else:
            _py_report(error)


def _py_report(error):
    py.traceback.print_exception(error)


def _require_flush():
    if _tracker.scheduled or _tracker.flushing:
        return
    _tracker.scheduled = schedule(_scheduled_flush) is not False


def _scheduled_flush():
    _tracker.scheduled = False
    if not _tracker.flushing:
        _run_flush()


def _run_flush():
    _tracker.flushing = True
    reruns = {}
    try:
        while len(_tracker.pending) > 0:
            queue = _tracker.pending
            _tracker.pending = []
            for comp in queue:
                key = "c" + comp._id
                count = reruns[key] + 1 if key in reruns else 1
                reruns[key] = count
                if count > MAX_RERUNS:
                    comp.stop()
                    _report(
                        comp,
                        ReactiveError(
                            f"a computation was re-run more than {MAX_RERUNS} times in one "
                            "flush: it changes a value it also reads; it has been stopped"
                        ),
                    )
                else:
                    comp._recompute()
    finally:
        _tracker.flushing = False


def flush():
    """Run every pending re-run now."""
    if _tracker.flushing:
        raise ReactiveError("flush() cannot be called during a flush")
    if _tracker.current is not None:
        raise ReactiveError("flush() cannot be called inside a computation")
    _run_flush()


def current_computation():
    """The computation running now, or ``None``."""
    return _tracker.current


def on_error(handler):
    """Call ``handler(computation, error)`` for every failed re-run; returns
    a function that removes it."""
    _tracker.handlers.append(handler)

    def remove():
        index = index_of(_tracker.handlers, handler)
        if index >= 0:
            _tracker.handlers.pop(index)

    return remove


def nonreactive(func):
    """Call ``func()`` without recording what it reads."""
    previous = _tracker.current
    _tracker.current = None
    try:
        return func()
    finally:
        _tracker.current = previous


class Dependency:
    """Something computations can depend on: ``depend()`` records the
    current computation, ``changed()`` invalidates every dependent."""

    def __init__(self):
        self._dependents = {}

    def depend(self, computation=None):
        """Record ``computation`` (default: the current one); True if new."""
        comp = _tracker.current if computation is None else computation
        if comp is None:
            return False
        key = "c" + comp._id
        if key in self._dependents:
            return False
        self._dependents[key] = comp
        dependents = self._dependents

        def forget(computation):
            if key in dependents:
                del dependents[key]

        comp.on_invalidate(forget)
        return True

    def changed(self):
        """Invalidate every dependent computation."""
        for key in list(self._dependents):
            if key in self._dependents:
                self._dependents[key].invalidate()

    @property
    def has_dependents(self):
        """Whether any computation depends on this."""
        return len(self._dependents) > 0


class Computation:
    """A function re-run whenever what it read changes (made by :func:`autorun`)."""

    def __init__(self, func, parent):
        self._id = str(_tracker.next_id)
        _tracker.next_id += 1
        self._func = func
        self._wants_self = nparams(func) > 0
        self.parent = parent
        self.stopped = False
        self.invalidated = False
        self.first_run = True
        self._recomputing = False
        self._invalidate_callbacks = []
        self._stop_callbacks = []
        self._error_callbacks = []

    def on_invalidate(self, callback):
        """Call ``callback(computation)`` at the next invalidation (at once if
        already invalidated)."""
        if self.invalidated:
            nonreactive(lambda: callback(self))
        else:
            self._invalidate_callbacks.append(callback)

    def on_stop(self, callback):
        """Call ``callback(computation)`` when stopped (at once if already)."""
        if self.stopped:
            nonreactive(lambda: callback(self))
        else:
            self._stop_callbacks.append(callback)

    def on_error(self, callback):
        """Call ``callback(error)`` when a re-run fails."""
        self._error_callbacks.append(callback)

    def invalidate(self):
        """Mark for re-run at the next flush."""
        if self.invalidated:
            return
        self.invalidated = True
        if not self._recomputing and not self.stopped:
            _tracker.pending.append(self)
            _require_flush()
        callbacks = self._invalidate_callbacks
        self._invalidate_callbacks = []
        for callback in callbacks:
            nonreactive(lambda: callback(self))

    def stop(self):
        """Never run again."""
        if self.stopped:
            return
        self.stopped = True
        self.invalidate()
        callbacks = self._stop_callbacks
        self._stop_callbacks = []
        for callback in callbacks:
            nonreactive(lambda: callback(self))

    def _compute(self):
        self.invalidated = False
        previous = _tracker.current
        _tracker.current = self
        try:
            if self._wants_self:
                self._func(self)
            else:
                self._func()
        finally:
            _tracker.current = previous

    def _recompute(self):
        if self.stopped or not self.invalidated:
            return
        self._recomputing = True
        try:
            self._compute()
        except Error as error:
            _report(self, error)
        finally:
            self._recomputing = False
            self.first_run = False
            if self.invalidated and not self.stopped:
                # Invalidated by its own run: once more in this flush (counted).
                _tracker.pending.append(self)
                _require_flush()


def autorun(func, *, on_error=None):
    """Run ``func`` now and again whenever what it read changes; returns
    the :class:`Computation` (``stop()`` it when done)."""
    if not callable(func):
        raise ReactiveError("autorun() needs a function")
    parent = _tracker.current
    comp = Computation(func, parent)
    if on_error is not None:
        comp.on_error(on_error)
    if parent is not None:
        parent.on_invalidate(lambda computation: comp.stop())
    try:
        comp._compute()
    except Error as error:
        comp.stop()
        raise error
    finally:
        comp.first_run = False
    return comp


__all__ = [
    "MAX_RERUNS",
    "Computation",
    "Dependency",
    "ReactiveError",
    "autorun",
    "current_computation",
    "flush",
    "nonreactive",
    "on_error",
]
