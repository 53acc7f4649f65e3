"""Computations, dependencies and the notion of "the current computation".

A :class:`Computation` runs a function and records every
:class:`Dependency` the function touches; when one of them changes the
computation is *invalidated* and its tracker re-runs it at the next flush.
This is the model of Meteor's Tracker, which ``metapensiero.reactive``
ported to Python.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ._coroutine import start_coroutine
from ._errors import ReactiveStateError, ReactiveTypeError

if TYPE_CHECKING:
    import asyncio

    from ._tracker import Tracker

__all__ = [
    "Computation",
    "Dependency",
    "adapt_callback",
    "current_computation",
    "nonreactive",
    "untracked",
]

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger("raccoon.reactive")

# A hook as stored: always called with the computation it belongs to.
Hook = Callable[["Computation"], object]


class _Local(threading.local):
    # Thread-local rather than a ContextVar on purpose: a task created while a
    # computation runs copies the current context, and would then keep
    # "being inside" that computation long after it returned, recording
    # dependencies into it at every later read.
    current: Computation | None = None


_local = _Local()
_CREATE_TOKEN = object()
_ids = itertools.count(1)


def current_computation() -> Computation | None:
    """Return the computation running right now in this thread, if any."""
    return _local.current


def nonreactive(func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Call ``func(*args, **kwargs)`` without recording any dependency.

    Example: ``total = nonreactive(price.get)`` inside a computation reads
    the value without re-running when it changes.
    """
    previous = _local.current
    _local.current = None
    try:
        return func(*args, **kwargs)
    finally:
        _local.current = previous


@contextmanager
def untracked() -> Iterator[None]:
    """A context manager: reads inside the ``with`` block are not tracked.

    Example::

        with untracked():
            limit = settings["limit"]   # no dependency on "limit"
    """
    previous = _local.current
    _local.current = None
    try:
        yield
    finally:
        _local.current = previous


def _callable_name(func: object) -> str:
    return getattr(func, "__qualname__", None) or repr(func)


def adapt_callback(func: Callable[..., Any], what: str) -> Hook:
    """Return ``func`` as a one-argument hook taking the computation.

    Functions declaring one required positional parameter get the
    computation; functions declaring none are called without arguments.
    """
    if not callable(func):
        raise ReactiveTypeError(
            f"{what}() needs a callable, got {func!r} of type {type(func).__name__}; "
            f"pass a function, e.g. {what}(lambda: ...)"
        )
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return func  # no introspectable signature (some builtins): pass it, as Meteor does
    required = [
        p.name
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    kw_required = [p.name for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    if len(required) > 1 or kw_required:
        raise ReactiveTypeError(
            f"{what}() calls {_callable_name(func)} with the computation as its only "
            f"argument, or with no argument, but it requires {required + kw_required}; "
            f"wrap it, e.g. {what}(lambda comp: f(...))"
        )
    if required or any(p.kind is p.VAR_POSITIONAL for p in params):
        return func
    return lambda _comp: func()


class Dependency:
    """Something computations can depend on, such as one reactive value.

    ``depend()`` records the current computation as a dependent;
    ``changed()`` invalidates every dependent, which the tracker will then
    re-run at its next flush. Dependents are invalidated in the order they
    first depended.

    Example::

        dep = Dependency()
        autorun(lambda: dep.depend())   # runs now, and again after...
        dep.changed()                   # ...this, at the next flush
    """

    __slots__ = ("_dependents",)

    def __init__(self) -> None:
        # A dict, not a set: its insertion order makes re-runs deterministic.
        self._dependents: dict[Computation, None] = {}

    def depend(self, computation: Computation | None = None) -> bool:
        """Record ``computation`` (default: the current one) as dependent.

        Returns ``True`` if it was newly recorded, ``False`` if there is no
        computation, it already depended, or it is already invalidated.
        """
        comp = computation if computation is not None else _local.current
        if comp is None or comp.invalidated or comp in self._dependents:
            return False
        self._dependents[comp] = None
        comp._add_invalidate_hook(lambda c: self._dependents.pop(c, None))
        return True

    def changed(self) -> None:
        """Invalidate every computation that depends on this."""
        for comp in list(self._dependents):
            comp.invalidate()

    @property
    def has_dependents(self) -> bool:
        """Whether any (not yet invalidated) computation depends on this."""
        return bool(self._dependents)

    def __repr__(self) -> str:
        return f"<Dependency with {len(self._dependents)} dependents>"


class Computation:
    """A function that re-runs whenever something it read changes.

    Created by :func:`autorun` (or :meth:`Tracker.autorun`), never directly.
    The function receives the computation if it declares a positional
    parameter. A computation created while another one runs is its *child*
    and is stopped when the parent is invalidated (the parent's re-run will
    create a fresh one).

    Example::

        comp = autorun(lambda c: print("first" if c.first_run else "again", v.get()))
        comp.stop()
    """

    def __init__(
        self,
        func: Callable[..., Any],
        tracker: Tracker,
        parent: Computation | None,
        *,
        _token: object = None,
    ) -> None:
        if _token is not _CREATE_TOKEN:
            raise ReactiveTypeError(
                "Computation objects are created by autorun(func) or Tracker.autorun(func), "
                "which also run them for the first time; call one of those instead"
            )
        self.id = next(_ids)
        self._func = adapt_callback(func, "autorun")
        self._name = _callable_name(func)
        self._tracker = tracker
        self._parent = parent
        self._stopped = False
        self._invalidated = False
        self._first_run = True
        self._recomputing = False
        self._on_invalidate: list[Hook] = []
        self._on_stop: list[Hook] = []
        self._on_error: list[Callable[[BaseException], object]] = []
        self._task: asyncio.Task[Any] | None = None
        if parent is not None:
            parent._add_invalidate_hook(lambda _parent: self.stop())

    # -- state ------------------------------------------------------------

    @property
    def tracker(self) -> Tracker:
        """The tracker that re-runs this computation."""
        return self._tracker

    @property
    def parent(self) -> Computation | None:
        """The computation this one was created in, if any."""
        return self._parent

    @property
    def first_run(self) -> bool:
        """``True`` while the function runs for the first time."""
        return self._first_run

    @property
    def invalidated(self) -> bool:
        """``True`` from an invalidation until the re-run starts."""
        return self._invalidated

    @property
    def stopped(self) -> bool:
        """``True`` once stopped: the computation never runs again."""
        return self._stopped

    @property
    def task(self) -> asyncio.Task[Any] | None:
        """The task running the latest coroutine run, for coroutine functions."""
        return self._task

    # -- callbacks ----------------------------------------------------------

    def on_invalidate(self, callback: Callable[..., object]) -> None:
        """Call ``callback`` (with the computation, if it takes it) when invalidated.

        Called at once if the computation is already invalidated. Callbacks
        are one-shot: each run registers its own.
        """
        self._add_invalidate_hook(adapt_callback(callback, "on_invalidate"))

    def on_stop(self, callback: Callable[..., object]) -> None:
        """Call ``callback`` (with the computation, if it takes it) when stopped."""
        hook = adapt_callback(callback, "on_stop")
        if self._stopped:
            self._call_hook(hook, "on_stop")
        else:
            self._on_stop.append(hook)

    def on_error(self, callback: Callable[[BaseException], object]) -> None:
        """Call ``callback(exc)`` for every exception this computation reports.

        Reported exceptions are those raised by a re-run, by a coroutine run
        after its first suspension, by this computation's callbacks, and the
        :class:`InfiniteLoopError`. An exception in the first run propagates
        out of :func:`autorun` instead.
        """
        if not callable(callback):
            raise ReactiveTypeError(f"on_error() needs a callable, got {callback!r}")
        self._on_error.append(callback)

    # -- transitions ----------------------------------------------------------

    def invalidate(self) -> None:
        """Mark the computation for a re-run at the next flush.

        Cancels the task of a coroutine run still in progress: what it read
        is stale now.
        """
        if self._invalidated:
            return
        self._invalidated = True
        if not self._recomputing and not self._stopped:
            self._tracker._enqueue(self)
        if self._task is not None:
            self._task.cancel()
        hooks, self._on_invalidate = self._on_invalidate, []
        for hook in hooks:
            self._call_hook(hook, "on_invalidate")

    def stop(self) -> None:
        """Stop for good: invalidate, never re-run, call the ``on_stop`` callbacks."""
        if self._stopped:
            return
        self._stopped = True
        self.invalidate()
        hooks, self._on_stop = self._on_stop, []
        for hook in hooks:
            self._call_hook(hook, "on_stop")

    # -- package internals (used by Tracker, Derived) -------------------------

    def _add_invalidate_hook(self, hook: Hook) -> None:
        if self._invalidated:
            self._call_hook(hook, "on_invalidate")
        else:
            self._on_invalidate.append(hook)

    @property
    def _needs_recompute(self) -> bool:
        return self._invalidated and not self._stopped

    def _first_compute(self) -> None:
        # An exception in the first run propagates to the caller of autorun(),
        # which has no handle to stop the computation with: so stop it here.
        done = False
        try:
            self._compute()
            done = True
        finally:
            self._first_run = False
            if not done:
                self.stop()

    def _recompute(self) -> None:
        self._recomputing = True
        try:
            if self._needs_recompute:
                try:
                    self._compute()
                except Exception as exc:
                    # Dependencies recorded before the exception stay recorded,
                    # so a failed computation re-runs when what it read changes.
                    self._report(exc, "re-run")
        finally:
            self._recomputing = False

    def _rerun_now(self) -> None:
        """Re-run now, outside a flush; leave it to the flush if it re-invalidates."""
        self._recompute()
        if self._needs_recompute:
            self._tracker._enqueue(self)

    def _compute(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()  # covers a run invalidated during its own first step
        self._invalidated = False
        previous = _local.current
        _local.current = self
        try:
            result = self._func(self)
            if inspect.iscoroutine(result):
                self._start_coroutine(result)
        finally:
            _local.current = previous

    def _start_coroutine(self, coro: Coroutine[Any, Any, Any]) -> None:
        loop = self._tracker.loop
        if loop is None or loop.is_closed():
            coro.close()
            raise ReactiveStateError(
                f"{self._name} returned a coroutine, but this computation's tracker has no "
                "open event loop to run it as a task; call autorun() from code running in "
                "the event loop (an async function), or use Tracker.for_loop(loop).autorun()"
            )
        task = start_coroutine(loop, coro, f"raccoon.reactive:{self._name}")
        self._task = task
        if task is not None:
            task.add_done_callback(self._task_done)
            if self._invalidated:
                task.cancel()

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()  # also marks it retrieved: no "never retrieved" warning
        if exc is not None:
            self._report(exc, "coroutine run")

    def _call_hook(self, hook: Hook, what: str) -> None:
        try:
            nonreactive(hook, self)
        except Exception as exc:
            self._report(exc, f"{what} callback")

    def _report(self, exc: BaseException, when: str) -> None:
        log.error("%s of %r raised %s: %s", when, self, type(exc).__name__, exc, exc_info=exc)
        for callback in list(self._on_error):
            try:
                nonreactive(callback, exc)
            except Exception:
                log.exception("on_error callback %r of %r failed", callback, self)
        self._tracker._report(self, exc)

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "invalidated" if self._invalidated else "valid"
        return f"<Computation #{self.id} {self._name} {state}>"
