"""Symbolic conditions on a content: ``(Content.source == 'x') & (Content.len == 1)``.

Class attributes of :class:`~raccoon.context.Content` are :class:`Term` s;
comparing a term builds an atomic :class:`Condition`, and ``&``, ``|``, ``~``
combine conditions. A condition is evaluated by calling it on a content, and
knows its *specificity* — how many atomic tests it makes — which intent
election uses to prefer the controller that asked for the most.
"""

from __future__ import annotations

import abc
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

from ._errors import RegistrationError

__all__ = ["Condition", "Term", "best_specificity", "normalize_conditions"]

# An attribute the content does not have; every atomic test on it is false.
_MISSING: Any = object()


def _read(content: object, path: tuple[str, ...]) -> Any:
    """The value at ``path`` in ``content``, or ``_MISSING``; never raises."""
    try:
        value = getattr(content, path[0])
    except Exception:  # an evaluation must not fail: a broken getter means "absent"
        return _MISSING
    for part in path[1:]:
        if not isinstance(value, Mapping):
            return _MISSING
        value = value.get(part, _MISSING)
        if value is _MISSING:
            return _MISSING
    return value


def _freeze(value: Any) -> Any:
    """Lists become tuples, so ``Content.ids == [1, 2]`` compares with the
    content's tuple of ids the way the author meant."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


class Condition(abc.ABC):
    """A test on a :class:`~raccoon.context.Content`.

    ``cond(content)`` is ``True`` or ``False`` and never raises: an atomic
    test on a missing attribute is false (so ``~`` of it is true).
    ``cond.specificity`` counts the atomic tests: ``a & b`` adds them, ``a | b``
    takes the smaller branch, ``~a`` keeps ``a``'s. Conditions are hashable
    and compare by structure, so they can go in a set (``CONTENT = {cond}``).

    A condition has no truth value: ``a and b`` raises :class:`TypeError`,
    because it would silently drop one of the tests; write ``a & b``.
    """

    __slots__ = ()

    @property
    @abc.abstractmethod
    def specificity(self) -> int:
        """How many atomic tests this condition makes (for election)."""

    @abc.abstractmethod
    def __call__(self, content: object) -> bool:
        """Whether ``content`` satisfies the condition."""

    @abc.abstractmethod
    def _key(self) -> tuple[Any, ...]: ...

    def __and__(self, other: object) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return _And(self, other)

    def __or__(self, other: object) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return _Or(self, other)

    def __invert__(self) -> Condition:
        return _Not(self)

    def __bool__(self) -> NoReturn:
        raise TypeError(
            f"the content condition {self!r} has no truth value: combine conditions with "
            "&, | and ~ (not `and`, `or`, `not`, nor chained comparisons such as 1 < x < 3), "
            "and test a content with cond(content)"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Condition):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


# name shown in repr → how the test is made. Each returns False instead of
# raising when the types do not fit (a content can hold anything).
def _safe(test: Callable[[Any, Any], Any]) -> Callable[[Any, Any], bool]:
    def run(value: Any, operand: Any) -> bool:
        try:
            return bool(test(value, operand))
        except Exception:
            return False

    return run


def _contains(value: Any, item: Any) -> bool:
    return isinstance(value, (tuple, list, Mapping)) and item in value


_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _safe(operator.eq),
    "!=": _safe(operator.ne),
    "<": _safe(operator.lt),
    "<=": _safe(operator.le),
    ">": _safe(operator.gt),
    ">=": _safe(operator.ge),
    "in_": _safe(lambda value, options: value in options),
    "startswith": _safe(lambda value, prefix: isinstance(value, str) and value.startswith(prefix)),
    "contains": _safe(_contains),
    "exists": _safe(lambda value, _: value is not None),
}


class _Test(Condition):
    __slots__ = ("op", "operand", "path")

    def __init__(self, path: tuple[str, ...], op: str, operand: Any) -> None:
        self.path = path
        self.op = op
        self.operand = operand

    @property
    def specificity(self) -> int:
        return 1

    def __call__(self, content: object) -> bool:
        value = _read(content, self.path)
        if value is _MISSING:
            return False
        return _TESTS[self.op](_freeze(value), self.operand)

    def _key(self) -> tuple[Any, ...]:
        # repr, not the operand itself: an operand may be unhashable (a dict).
        return ("test", self.path, self.op, repr(self.operand))

    def __repr__(self) -> str:
        term = _term_repr(self.path)
        if self.op == "exists":
            return f"{term}.exists()"
        if self.op in ("in_", "startswith", "contains"):
            return f"{term}.{self.op}({self.operand!r})"
        return f"{term} {self.op} {self.operand!r}"


class _And(Condition):
    __slots__ = ("left", "right")

    def __init__(self, left: Condition, right: Condition) -> None:
        self.left, self.right = left, right

    @property
    def specificity(self) -> int:
        return self.left.specificity + self.right.specificity

    def __call__(self, content: object) -> bool:
        return self.left(content) and self.right(content)

    def _key(self) -> tuple[Any, ...]:
        return ("and", self.left._key(), self.right._key())

    def __repr__(self) -> str:
        return f"({self.left!r}) & ({self.right!r})"


class _Or(Condition):
    __slots__ = ("left", "right")

    def __init__(self, left: Condition, right: Condition) -> None:
        self.left, self.right = left, right

    @property
    def specificity(self) -> int:
        # Only as specific as the laxer branch: either may be what matched.
        return min(self.left.specificity, self.right.specificity)

    def __call__(self, content: object) -> bool:
        return self.left(content) or self.right(content)

    def _key(self) -> tuple[Any, ...]:
        return ("or", self.left._key(), self.right._key())

    def __repr__(self) -> str:
        return f"({self.left!r}) | ({self.right!r})"


class _Not(Condition):
    __slots__ = ("inner",)

    def __init__(self, inner: Condition) -> None:
        self.inner = inner

    @property
    def specificity(self) -> int:
        return self.inner.specificity

    def __call__(self, content: object) -> bool:
        return not self.inner(content)

    def _key(self) -> tuple[Any, ...]:
        return ("not", self.inner._key())

    def __repr__(self) -> str:
        return f"~({self.inner!r})"


def _term_repr(path: tuple[str, ...]) -> str:
    head, rest = f"Content.{path[0]}", path[1:]
    return head + "".join(f".{p}" if p.isidentifier() else f"[{p!r}]" for p in rest)


# The content attributes that are JSON objects, whose members can be tested.
_NESTED = frozenset({"attrs", "filters"})


class Term:
    """A symbolic attribute of a content, such as ``Content.source``.

    Comparing it (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``) or calling one
    of its test methods builds a :class:`Condition`. ``Content.attrs`` reaches
    the content's extra attributes: ``Content.attrs.kind == 'x'`` (or
    ``Content.attrs['kind']`` for a name that is also a method here, such as
    ``path`` or ``exists``); ``Content.filters['op']`` works the same way.
    """

    __slots__ = ("_path",)

    # Comparisons build conditions, so a term is not a value and has no hash.
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, path: tuple[str, ...]) -> None:
        self._path = path

    @property
    def path(self) -> tuple[str, ...]:
        """The attribute names from the content down, e.g. ``('attrs', 'kind')``."""
        return self._path

    def _test(self, op: str, operand: Any) -> Condition:
        if isinstance(operand, (Term, Condition)):
            raise TypeError(
                f"{self!r} {op} {operand!r}: a content condition compares an attribute with a "
                "plain value, not with another attribute or condition"
            )
        return _Test(self._path, op, _freeze(operand))

    def __eq__(self, other: object) -> Condition:  # type: ignore[override]
        return self._test("==", other)

    def __ne__(self, other: object) -> Condition:  # type: ignore[override]
        return self._test("!=", other)

    def __lt__(self, other: object) -> Condition:
        return self._test("<", other)

    def __le__(self, other: object) -> Condition:
        return self._test("<=", other)

    def __gt__(self, other: object) -> Condition:
        return self._test(">", other)

    def __ge__(self, other: object) -> Condition:
        return self._test(">=", other)

    def in_(self, options: Iterable[Any]) -> Condition:
        """The attribute equals one of ``options``."""
        if isinstance(options, (str, bytes, Mapping)) or not isinstance(options, Iterable):
            raise TypeError(f"{self!r}.in_() needs a list, tuple or set of values")
        return self._test("in_", tuple(options))

    def startswith(self, prefix: str) -> Condition:
        """The attribute is a string that starts with ``prefix``."""
        if not isinstance(prefix, str):
            raise TypeError(f"{self!r}.startswith() needs a str, got {type(prefix).__name__}")
        return self._test("startswith", prefix)

    def contains(self, item: Any) -> Condition:
        """The attribute is a list (or mapping) that holds ``item``:
        ``Content.ids.contains(42)``."""
        return self._test("contains", item)

    def exists(self) -> Condition:
        """The attribute is present and not ``None``."""
        return self._test("exists", None)

    def __getattr__(self, name: str) -> Term:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Term:
        if self._path[0] not in _NESTED:
            raise AttributeError(
                f"{self!r} has no attribute {name!r}: only Content.attrs and Content.filters "
                "have sub-attributes (Content.attrs.kind)"
            )
        if not isinstance(name, str):
            raise TypeError(f"{self!r}[...] needs an attribute name, got {type(name).__name__}")
        return Term((*self._path, name))

    def __bool__(self) -> NoReturn:
        raise TypeError(f"{self!r} has no truth value: compare it to build a condition")

    def __repr__(self) -> str:
        return _term_repr(self._path)


def normalize_conditions(owner: str, value: object) -> tuple[Condition, ...] | None:
    """A controller's ``CONTENT`` as a tuple of alternatives (``None``: any
    content). ``owner`` names the class in error messages."""
    if value is None:
        return None
    if isinstance(value, Condition):
        return (value,)
    if isinstance(value, (set, frozenset, list, tuple)):
        alternatives = tuple(value)
        wrong = [a for a in alternatives if not isinstance(a, Condition)]
        if not alternatives or wrong:
            what = "it is empty" if not alternatives else f"{wrong[0]!r} is not a condition"
            raise RegistrationError(
                f"{owner}.CONTENT must be a condition or a set of alternative conditions "
                f"(e.g. {{Content.source == 'auth.users'}}), but {what}; "
                "leave CONTENT out (None) to accept any content"
            )
        # Sets of conditions have no order: sort by repr so messages are stable.
        return tuple(sorted(set(alternatives), key=repr))
    raise RegistrationError(
        f"{owner}.CONTENT must be a condition or a set of alternative conditions, "
        f"got {type(value).__name__} {value!r}"
    )


def best_specificity(conditions: tuple[Condition, ...] | None, content: object) -> int | None:
    """The specificity of the most specific alternative ``content`` satisfies
    (0 when any content is accepted), or ``None`` when none does."""
    if conditions is None:
        return 0
    best: int | None = None
    for condition in conditions:
        if condition(content) and (best is None or condition.specificity > best):
            best = condition.specificity
    return best
