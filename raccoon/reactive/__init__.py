"""Reactivity: dependency tracking in the style of Meteor's Tracker.

A :class:`Computation` (made by :func:`autorun`) runs a function and records
the reactive state it reads: :class:`Value` cells, :class:`Derived` values,
:class:`ReactiveDict` keys, or any :class:`Dependency`. When some of it
changes the computation re-runs, once per loop iteration however many
changes were made, at the flush its :class:`Tracker` schedules on the
asyncio event loop. :func:`watch` and :func:`until` bring reactive
expressions to ``async for`` and ``await``.

This replaces ``metapensiero.reactive``, whose only release (0.6) does not
import on Python 3.11, keeping its concepts. Pure Python, no I/O. See
``docs/reactivity.md``.
"""

from ._async import Watch, until, watch
from ._computation import Computation, Dependency, current_computation, nonreactive, untracked
from ._dict import MISSING, Change, ReactiveDict
from ._errors import (
    InfiniteLoopError,
    OutOfSyncError,
    ReactiveError,
    ReactiveStateError,
    ReactiveTypeError,
    ReactiveValueError,
)
from ._freeze import FrozenDict, freeze, thaw
from ._tracker import Tracker, autorun, current_tracker, flush
from ._value import Derived, Value, computed

__all__ = [
    "MISSING",
    "Change",
    "Computation",
    "Dependency",
    "Derived",
    "FrozenDict",
    "InfiniteLoopError",
    "OutOfSyncError",
    "ReactiveDict",
    "ReactiveError",
    "ReactiveStateError",
    "ReactiveTypeError",
    "ReactiveValueError",
    "Tracker",
    "Value",
    "Watch",
    "autorun",
    "computed",
    "current_computation",
    "current_tracker",
    "flush",
    "freeze",
    "nonreactive",
    "thaw",
    "until",
    "untracked",
    "watch",
]

# Public objects say they come from here, not from the private modules
# (reprs, docs, error messages); httpx does the same.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith(__name__ + "._"):
        _obj.__module__ = __name__
del _name, _obj
