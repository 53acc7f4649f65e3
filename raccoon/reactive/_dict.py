"""A reactive mapping of immutable values: :class:`ReactiveDict`."""

from __future__ import annotations

import enum
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    ValuesView,
)
from typing import Any, Final, Literal, NamedTuple, overload

from ._computation import Dependency, current_computation, nonreactive
from ._errors import OutOfSyncError, ReactiveTypeError, ReactiveValueError
from ._freeze import freeze, thaw
from ._value import default_equals

__all__ = ["MISSING", "Change", "ReactiveDict"]

ChangeCallback = Callable[[str, Any, Any], object]


class _Missing(enum.Enum):
    """``MISSING`` stands for "no value" in a change: the ``old`` of an added
    key, the ``new`` of a removed one. It is falsy."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    __str__ = __repr__

    def __bool__(self) -> Literal[False]:
        return False


MISSING: Final = _Missing.MISSING

_NO_DEFAULT: Final = object()
_UNCHANGED: Final = object()


class Change(NamedTuple):
    """One change of a :class:`ReactiveDict`, as replicated to observers.

    ``version`` is the dict's version right after the change; ``old`` is
    :data:`MISSING` when the key was added, ``new`` when it was removed.
    """

    version: int
    key: str
    old: Any
    new: Any


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise ReactiveTypeError(
            f"ReactiveDict keys must be str, got {key!r} of type {type(key).__name__}: the "
            "state is replicated to observers as JSON objects, whose keys are strings"
        )
    return key


class ReactiveDict(MutableMapping[str, Any]):
    """A dict whose reads are tracked per key and whose values are immutable.

    Reading one key (``d[k]``, ``d.get(k)``, ``k in d``) tracks that key
    only, even when it is not present yet; ``len(d)``, iterating and
    ``keys()`` track the set of keys; ``items()``, ``values()``,
    :meth:`snapshot` and :attr:`version` track everything. Writing a value
    equal to the current one changes nothing. Values are frozen on the way
    in (see :func:`freeze`): dicts become :class:`FrozenDict`, lists become
    tuples, sets become frozensets; other mutable objects are refused.

    Every change increments :attr:`version` and then calls the
    :meth:`on_change` callbacks with ``(key, old, new)``, in order. A replica
    follows it with :meth:`load_snapshot` and :meth:`apply_changes`.

    Example::

        d = ReactiveDict(a=1)
        autorun(lambda: print(d.get("b")))   # prints None
        d["a"] = 2                           # no re-run: "b" did not change
        d["b"] = [1, 2]                      # re-runs, prints (1, 2)
    """

    def __init__(
        self, data: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), /, **kwargs: Any
    ) -> None:
        self._data: dict[str, Any] = {
            _check_key(key): freeze(value) for key, value in dict(data, **kwargs).items()
        }
        self._version = 0
        self._key_deps: dict[str, Dependency] = {}
        self._keys_dep = Dependency()  # the set of keys
        self._any_dep = Dependency()  # any change at all
        self._callbacks: list[ChangeCallback] = []

    # -- tracked reads ----------------------------------------------------------

    def _depend_key(self, key: str) -> None:
        if current_computation() is None:
            return  # nothing to record: do not create a dependency for nothing
        dep = self._key_deps.get(key)
        if dep is None:
            if len(self._key_deps) > 2 * len(self._data) + 32:
                self._prune_key_deps()
            dep = self._key_deps[key] = Dependency()
        dep.depend()

    def _prune_key_deps(self) -> None:
        # Dependencies of absent keys read by computations now gone would
        # otherwise pile up; pruning here keeps it amortized O(1) per read.
        for key in [k for k, dep in self._key_deps.items() if not dep.has_dependents]:
            del self._key_deps[key]

    def __getitem__(self, key: str) -> Any:
        self._depend_key(key)
        return self._data[key]

    @overload
    def get(self, key: str, /) -> Any: ...
    @overload
    def get(self, key: str, default: Any, /) -> Any: ...
    def get(self, key: str, default: Any = None, /) -> Any:
        """Return ``self[key]``, or ``default``; tracks ``key`` either way."""
        self._depend_key(key)
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        self._depend_key(key)
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        self._keys_dep.depend()
        return iter(list(self._data))  # a copy: writing while iterating stays legal

    def __len__(self) -> int:
        self._keys_dep.depend()
        return len(self._data)

    def keys(self) -> KeysView[str]:
        """The keys at the time of the call; tracks the set of keys."""
        self._keys_dep.depend()
        return dict(self._data).keys()

    def items(self) -> ItemsView[str, Any]:
        """The items at the time of the call; tracks every change."""
        self._any_dep.depend()
        return dict(self._data).items()

    def values(self) -> ValuesView[Any]:
        """The values at the time of the call; tracks every change."""
        self._any_dep.depend()
        return dict(self._data).values()

    @property
    def version(self) -> int:
        """The number of changes made so far (tracked: any change)."""
        self._any_dep.depend()
        return self._version

    def snapshot(self) -> dict[str, Any]:
        """A plain copy, dicts and lists all the way down (see :func:`thaw`).

        JSON-able as long as the stored scalars are. Pair it with
        :attr:`version` to start a replica.
        """
        self._any_dep.depend()
        return {key: thaw(value) for key, value in self._data.items()}

    # -- writes (never tracked) -------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        self._write(_check_key(key), freeze(value))

    def __delitem__(self, key: str) -> None:
        if key not in self._data:
            raise KeyError(key)
        self._write(key, MISSING)

    @overload
    def pop(self, key: str, /) -> Any: ...
    @overload
    def pop(self, key: str, default: Any, /) -> Any: ...
    def pop(self, key: str, default: Any = _NO_DEFAULT, /) -> Any:
        """Remove ``key`` and return its value, or ``default`` if absent."""
        if key in self._data:
            value = self._data[key]
            self._write(key, MISSING)
            return value
        if default is _NO_DEFAULT:
            raise KeyError(key)
        return default

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last inserted item."""
        if not self._data:
            raise KeyError("popitem(): ReactiveDict is empty")
        key = next(reversed(self._data))
        return key, self.pop(key)

    def clear(self) -> None:
        """Remove every key, one change per key, in insertion order."""
        for key in list(self._data):
            self._write(key, MISSING)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Store ``default`` under ``key`` if absent; return the value (tracks ``key``)."""
        if key not in self._data:
            self[key] = default
        self._depend_key(key)  # after the write, so the caller does not invalidate itself
        return self._data[key]

    def _write(self, key: str, new: Any) -> bool:
        old = self._store(key, new)
        if old is _UNCHANGED:
            return False
        self._version += 1
        self._announce([(key, old, new)])
        return True

    def _store(self, key: str, new: Any) -> Any:
        """Store ``new`` (or delete if :data:`MISSING`); return the old value or ``_UNCHANGED``."""
        old = self._data.get(key, MISSING)
        if new is MISSING:
            if old is MISSING:
                return _UNCHANGED
            del self._data[key]
        else:
            if old is not MISSING and default_equals(old, new):
                return _UNCHANGED
            self._data[key] = new
        return old

    def _announce(self, changes: list[tuple[str, Any, Any]]) -> None:
        keys_changed = False
        for key, old, new in changes:
            dep = self._key_deps.get(key)
            if dep is not None:
                dep.changed()
                if not dep.has_dependents:
                    del self._key_deps[key]
            keys_changed = keys_changed or old is MISSING or new is MISSING
        if keys_changed:
            self._keys_dep.changed()
        self._any_dep.changed()
        errors: list[Exception] = []
        for key, old, new in changes:
            for callback in list(self._callbacks):
                try:
                    nonreactive(callback, key, old, new)
                except Exception as exc:
                    errors.append(exc)
        # Every callback has seen every change (a replicating callback that
        # missed one would diverge for good); only then do failures surface.
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup("ReactiveDict on_change callbacks failed", errors)

    # -- change hook and replication ----------------------------------------------

    def on_change(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback(key, old, new)`` after each change, in order.

        When it is called the change is applied and :attr:`version` already
        counts it, so ``d.version`` is the change's sequence number. ``old``
        is :data:`MISSING` for an added key, ``new`` for a removed one.
        Exceptions propagate to the writer once all callbacks have run.
        Returns a function that unregisters the callback.
        """
        if not callable(callback):
            raise ReactiveTypeError(f"on_change() needs a callable, got {callback!r}")
        self._callbacks.append(callback)

        def remove() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return remove

    def load_snapshot(self, data: Mapping[str, Any], version: int) -> None:
        """Replace the whole content with ``data``, taken at ``version``.

        Only the keys whose value differs invalidate their dependents and
        reach the :meth:`on_change` callbacks (after :attr:`version` is set).
        """
        if not isinstance(version, int) or version < 0:
            raise ReactiveValueError(f"version must be an int >= 0, got {version!r}")
        new_data = {_check_key(key): freeze(value) for key, value in data.items()}
        changes: list[tuple[str, Any, Any]] = []
        for key in [k for k in self._data if k not in new_data]:
            changes.append((key, self._store(key, MISSING), MISSING))
        for key, value in new_data.items():
            old = self._store(key, value)
            if old is not _UNCHANGED:
                changes.append((key, old, value))
        self._version = version
        if changes:
            self._announce(changes)

    def apply_changes(self, changes: Iterable[Change | tuple[int, str, Any, Any]]) -> int:
        """Apply changes received from the dict this one replicates.

        Each change is a :class:`Change` or a ``(version, key, old, new)``
        sequence; versions must follow this dict's :attr:`version` one by
        one. Changes at or below the current version were already applied
        and are skipped, so redelivery is harmless. Returns how many were
        applied. Raises :class:`OutOfSyncError` at a gap: reload a snapshot.
        """
        applied = 0
        for raw in changes:
            version, key, _old, new = raw
            if version <= self._version:
                continue
            if version != self._version + 1:
                raise OutOfSyncError(
                    f"this replica is at version {self._version} and received change "
                    f"{version}: changes {self._version + 1} to {version - 1} were lost; "
                    "reload it with load_snapshot() from a fresh snapshot"
                )
            key = _check_key(key)
            value = MISSING if new is MISSING else freeze(new)
            old = self._store(key, value)
            self._version = version
            applied += 1
            if old is not _UNCHANGED:
                self._announce([(key, old, value)])
        return applied

    def __repr__(self) -> str:
        return f"ReactiveDict({self._data!r}, version={self._version})"
