"""Reactive values and dicts, built on :mod:`.tracker`.

``Value(initial)``: ``get()`` is tracked, ``set(v)`` invalidates the
dependents and returns True — unless ``v`` is the same value (scalars by
value, objects and lists by identity, in both languages), then it does
nothing and returns False.

``ReactiveDict``: reads are tracked per key (``get``, ``has``), per key set
(``keys``, ``len(d)``) or as a whole (``snapshot``, ``version``); writes
(``set``, ``discard``, ``update``, ``clear``, ``load_snapshot``) are not
tracked and do nothing when nothing changes. Keys are strings (replicated
state travels as JSON objects). Values are meant to be immutable: replace
them, don't mutate them — nobody could be told about an in-place change.
``on_change(callback)`` calls ``callback(key, old, new)`` for every change,
with :data:`MISSING` for an added (old) or removed (new) key.

JavaScript has no ``__getitem__``: the API is methods only, and the same
code runs under CPython.
"""

from .compat import index_of, same
from .tracker import Dependency, nonreactive


class MissingType:
    def __repr__(self):
        return "MISSING"

    def __str__(self):
        return "MISSING"


MISSING = MissingType()


class Value:
    """A reactive cell."""

    def __init__(self, initial=None):
        self._value = initial
        self._dep = Dependency()

    def get(self):
        """The value (tracked)."""
        self._dep.depend()
        return self._value

    def peek(self):
        """The value, untracked."""
        return self._value

    def set(self, value):
        """Change the value; False (and nothing happens) if it is the same."""
        if same(self._value, value):
            return False
        self._value = value
        self._dep.changed()
        return True


class ReactiveDict:
    """A mapping whose reads are tracked at the finest useful grain."""

    def __init__(self, initial=None):
        self._data = {}
        self._key_deps = {}
        self._keys_dep = Dependency()
        self._any_dep = Dependency()
        self._version = 0
        self._callbacks = []
        if initial is not None:
            self.update(initial)

    def _dep(self, key):
        if key not in self._key_deps:
            self._key_deps[key] = Dependency()
        return self._key_deps[key]

    # -- reads (tracked) -------------------------------------------------------------
    def get(self, key, fallback=None):
        """The value of ``key``, else ``fallback`` (tracks ``key`` only)."""
        self._dep(key).depend()
        return self._data.get(key, fallback)

    def has(self, key):
        """Whether ``key`` is there (tracks ``key`` only)."""
        self._dep(key).depend()
        return key in self._data

    def keys(self):
        """The keys, as a list (tracks the set of keys)."""
        self._keys_dep.depend()
        return list(self._data)

    def __len__(self):
        # JavaScripthon turns __len__ into a `length` getter: len(d) works in both.
        self._keys_dep.depend()
        return len(self._data)

    def snapshot(self):
        """A plain copy of the data (tracks every change)."""
        self._any_dep.depend()
        return self._data.copy()

    @property
    def version(self):
        """The number of changes so far (tracks every change)."""
        self._any_dep.depend()
        return self._version

    # -- writes (untracked) ----------------------------------------------------------
    def set(self, key, value):
        """Set ``key``; False when it already had that value."""
        if not isinstance(key, str):
            raise TypeError("ReactiveDict keys are strings")
        existed = key in self._data
        old = self._data[key] if existed else MISSING
        if existed and same(old, value):
            return False
        self._data[key] = value
        self._changed(key, old, value, not existed)
        return True

    def discard(self, key):
        """Remove ``key``; False when it was not there."""
        if key not in self._data:
            return False
        old = self._data[key]
        del self._data[key]
        self._changed(key, old, MISSING, True)
        return True

    def update(self, values):
        """Set every key of the plain object (dict) ``values``."""
        for key in list(values):
            self.set(key, values[key])

    def clear(self):
        """Remove every key."""
        for key in list(self._data):
            self.discard(key)

    def load_snapshot(self, data):
        """Become ``data``: only the keys whose value differs change."""
        for key in list(self._data):
            if key not in data:
                self.discard(key)
        for key in list(data):
            self.set(key, data[key])

    def on_change(self, callback):
        """Call ``callback(key, old, new)`` for every change; returns a
        function that removes it."""
        self._callbacks.append(callback)
        callbacks = self._callbacks

        def remove():
            index = index_of(callbacks, callback)
            if index >= 0:
                callbacks.pop(index)

        return remove

    def _changed(self, key, old, new_value, keys_changed):
        self._version += 1
        self._dep(key).changed()
        if keys_changed:
            self._keys_dep.changed()
        self._any_dep.changed()
        for callback in self._callbacks[0:]:
            nonreactive(lambda: callback(key, old, new_value))


__all__ = ["MISSING", "ReactiveDict", "Value"]
