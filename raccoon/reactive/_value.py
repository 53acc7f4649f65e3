"""Reactive cells: :class:`Value`, :class:`Derived` and :class:`computed`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, Never, NoReturn, TypeVar, overload

from ._computation import Computation, Dependency, current_computation, untracked
from ._errors import ReactiveStateError, ReactiveTypeError
from ._tracker import current_tracker

__all__ = ["Derived", "Value", "computed"]

T = TypeVar("T")
Equals = Callable[[Any, Any], bool]


def default_equals(a: object, b: object) -> bool:
    """Whether ``b`` is the same value as ``a``: the same object, or equal and of one type.

    The type check keeps ``1 -> True`` and ``1 -> 1.0`` as changes (they are
    equal in Python but not the same state, e.g. once serialized to JSON).
    """
    return a is b or (type(a) is type(b) and bool(a == b))


def _check_equals(equals: Equals | None) -> Equals:
    if equals is None:
        return default_equals
    if not callable(equals):
        raise ReactiveTypeError(f"equals must be a function (old, new) -> bool, got {equals!r}")
    return equals


def _instance_dict(instance: object, kind: str, name: str | None) -> tuple[dict[str, Any], str]:
    """Return the instance dict keeping a descriptor's per-instance state, and its key."""
    if name is None:
        raise ReactiveTypeError(
            f"this {kind} has no attribute name: as a descriptor it must be assigned in a "
            f"class body (class A: x = {kind}(...)), so that Python calls __set_name__"
        )
    try:
        return vars(instance), name
    except TypeError:
        raise ReactiveTypeError(
            f"{type(instance).__name__}.{name} is a {kind}, which keeps its per-instance "
            f"state in the instance __dict__, but {type(instance).__name__} has none "
            "(it uses __slots__); add '__dict__' to its __slots__"
        ) from None


class Value(Generic[T]):
    """A reactive cell: ``get()`` is tracked, ``set()`` notifies on change.

    Setting a value equal to the current one (by ``equals``; by default the
    same object, or equal and of the same type) notifies nobody.

    Assigned in a class body it becomes a per-instance reactive attribute;
    each instance starts from the initial value given here::

        class Point:
            x = Value(0)

        p = Point()
        autorun(lambda: print(p.x))   # prints 0, tracks p's own x
        p.x = 5                       # re-runs at the next flush

    ``Point.x.of(p)`` is the :class:`Value` behind ``p.x``.
    """

    def __init__(self, initial: T, *, equals: Callable[[T, T], bool] | None = None) -> None:
        self._value = initial
        self._equals: Equals = _check_equals(equals)
        self._dep = Dependency()
        self._name: str | None = None

    def get(self) -> T:
        """Return the value, recording a dependency of the current computation."""
        self._dep.depend()
        return self._value

    def set(self, value: T) -> bool:
        """Store ``value``; invalidate dependents and return ``True`` if it differs."""
        if self._equals(self._value, value):
            return False
        self._value = value
        self._dep.changed()
        return True

    # -- descriptor -----------------------------------------------------------

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Value[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> Value[T] | T:
        if instance is None:
            return self
        return self.of(instance).get()

    def __set__(self, instance: object, value: T) -> None:
        self.of(instance).set(value)

    def of(self, instance: object) -> Value[T]:
        """Return the per-instance :class:`Value` behind this attribute."""
        state, name = _instance_dict(instance, "Value", self._name)
        cell = state.get(name)
        if cell is None:
            # Stored under the attribute's own name: a data descriptor wins
            # over the instance dict, so the cell never shadows it.
            cell = state[name] = Value(self._value, equals=self._equals)
        return cell

    def __repr__(self) -> str:
        return f"Value({self._value!r})"


class Derived(Generic[T]):
    """A value computed from other reactive values, lazily and cached.

    ``func`` runs only when the derived value is read, or when something
    depends on it and one of its inputs changed. While its inputs do not
    change, reads return the cached result. Its dependents are notified only
    when the result actually changes (by ``equals``). An exception raised
    by ``func`` is re-raised to every reader until the inputs change.

    Example::

        a, b = Value(2), Value(3)
        area = Derived(lambda: a.get() * b.get())
        autorun(lambda: print(area.get()))   # prints 6
        a.set(3); b.set(2)                   # area is still 6: no re-run
    """

    def __init__(self, func: Callable[[], T], *, equals: Callable[[T, T], bool] | None = None):
        if not callable(func):
            raise ReactiveTypeError(f"Derived(func) needs a callable, got {func!r}")
        self._func = func
        self._equals: Equals = _check_equals(equals)
        self._dep = Dependency()
        self._comp: Computation | None = None
        self._value: T | None = None
        self._has_value = False
        self._error: Exception | None = None
        self._computing = False

    def get(self) -> T:
        """Return the (possibly recomputed) result, recording a dependency."""
        reader = current_computation()
        comp = self._comp
        if self._computing:
            raise ReactiveStateError(
                f"{self!r} was read while computing itself; its function reads it, directly "
                "or through other derived values, which can never settle"
            )
        if (
            comp is None
            or comp.stopped
            or (reader is not None and reader.tracker is not comp.tracker)
        ):
            if comp is not None:
                comp.stop()
            tracker = reader.tracker if reader is not None else current_tracker()
            with untracked():  # the inner computation must not be a child of the reader
                self._comp = tracker.autorun(self._run)
        elif comp.invalidated:
            # Pulled before the flush got to it: recompute now, so no reader
            # ever sees a stale result.
            comp._rerun_now()
        self._dep.depend()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set by _run when no error

    def _run(self, comp: Computation) -> None:
        self._computing = True
        try:
            value = self._func()
        except Exception as exc:
            self._error, self._has_value, self._value = exc, False, None
            changed = True
        else:
            changed = not (self._has_value and self._equals(self._value, value))
            self._value, self._has_value, self._error = value, True, None
        finally:
            self._computing = False
        comp._add_invalidate_hook(self._inputs_changed)
        if changed:
            self._dep.changed()

    def _inputs_changed(self, comp: Computation) -> None:
        # Nobody depends on the result: drop the computation instead of
        # recomputing at the flush; the next read starts a fresh one.
        if not self._dep.has_dependents:
            comp.stop()

    def __repr__(self) -> str:
        name = getattr(self._func, "__qualname__", None) or repr(self._func)
        return f"<Derived {name}>"


class computed(Generic[T]):
    """Decorator: a method becomes a per-instance :class:`Derived` attribute.

    Example::

        class Rect:
            w = Value(1)
            h = Value(1)

            @computed
            def area(self) -> int:
                return self.w * self.h

        r = Rect()
        r.area        # 1, computed once and cached until w or h change

    ``Rect.area.of(r)`` is the :class:`Derived` behind ``r.area``.
    """

    def __init__(self, fget: Callable[[Any], T]) -> None:
        if not callable(fget):
            raise ReactiveTypeError(f"@computed decorates a method, got {fget!r}")
        self._fget = fget
        self._name: str | None = getattr(fget, "__name__", None)
        self.__doc__ = getattr(fget, "__doc__", None)

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> computed[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> computed[T] | T:
        if instance is None:
            return self
        return self.of(instance).get()

    def __set__(self, instance: object, value: Never) -> NoReturn:
        # Defining __set__ makes this a data descriptor, so the Derived kept
        # in the instance dict under the same name never shadows it.
        raise AttributeError(
            f"{type(instance).__name__}.{self._name} is computed from other values and "
            "cannot be set; set the values it reads instead"
        )

    def of(self, instance: object) -> Derived[T]:
        """Return the per-instance :class:`Derived` behind this attribute."""
        state, name = _instance_dict(instance, "computed", self._name)
        derived = state.get(name)
        if derived is None:
            derived = state[name] = Derived(functools.partial(self._fget, instance))
        return derived
