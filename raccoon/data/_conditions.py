"""Conditions on rows, as a small tree that runs both in SQL and in Python.

A parsed client filter, a declared :class:`~raccoon.data.Check` and a
permission row rule all become this tree. ``compile()`` turns it into a
SQLAlchemy expression (bound parameters, never SQL text); ``evaluate()``
decides it on a row dict with SQL's three-valued logic, so the cursor can
tell whether a changed row matches without a query, with the same answer
PostgreSQL gives (string ordering aside: Python compares code points, like
the ``C`` collation).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import elements, operators
from sqlalchemy.sql.expression import ColumnElement, FromClause

__all__ = [
    "And",
    "Compare",
    "Const",
    "Node",
    "Not",
    "Or",
    "compile_node",
    "evaluate",
    "from_core",
    "node_fields",
]


@dataclass(frozen=True)
class Compare:
    """``field op value``; ``value`` is already coerced to the field's type.

    ``in``/``not_in`` hold a tuple, ``between`` a ``(low, high)`` pair,
    ``is_null`` a bool.
    """

    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class And:
    """All items hold (true when empty)."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Some item holds (false when empty)."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The item does not hold."""

    item: Node


@dataclass(frozen=True)
class Const:
    """Always true or always false."""

    value: bool


Node = Compare | And | Or | Not | Const


def node_fields(node: Node) -> set[str]:
    """The fields a condition reads."""
    if isinstance(node, Compare):
        return {node.field}
    if isinstance(node, And | Or):
        return set().union(*(node_fields(item) for item in node.items))
    if isinstance(node, Not):
        return node_fields(node.item)
    return set()


# -- SQL -------------------------------------------------------------------------------


def _pattern(method: str) -> Callable[[ColumnElement[Any], Any], ColumnElement[bool]]:
    # contains/startswith… escape the value (autoescape): its % and _ match themselves.
    def build(column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
        result: ColumnElement[bool] = getattr(column, method)(value, autoescape=True)
        return result

    return build


_SQL: dict[str, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]] = {
    "eq": lambda c, v: c == v,
    "ne": lambda c, v: c != v,
    "lt": lambda c, v: c < v,
    "le": lambda c, v: c <= v,
    "gt": lambda c, v: c > v,
    "ge": lambda c, v: c >= v,
    "in": lambda c, v: c.in_(list(v)),
    "not_in": lambda c, v: c.not_in(list(v)),
    "like": lambda c, v: c.like(v),
    "ilike": lambda c, v: c.ilike(v),
    "contains": _pattern("contains"),
    "icontains": _pattern("icontains"),
    "startswith": _pattern("startswith"),
    "istartswith": _pattern("istartswith"),
    "endswith": _pattern("endswith"),
    "iendswith": _pattern("iendswith"),
    "is_null": lambda c, v: c.is_(None) if v else c.is_not(None),
    "between": lambda c, v: c.between(v[0], v[1]),
}


def compile_node(node: Node, columns: Mapping[str, ColumnElement[Any]]) -> ColumnElement[bool]:
    """The SQLAlchemy expression of ``node`` over ``columns`` (field -> column)."""
    if isinstance(node, Compare):
        return _SQL[node.op](columns[node.field], node.value)
    if isinstance(node, And):
        return sa.and_(sa.true(), *(compile_node(item, columns) for item in node.items))
    if isinstance(node, Or):
        return sa.or_(sa.false(), *(compile_node(item, columns) for item in node.items))
    if isinstance(node, Not):
        return sa.not_(compile_node(node.item, columns))
    return sa.true() if node.value else sa.false()


# -- Python ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # PostgreSQL LIKE: % any run, _ one character, backslash escapes the next one.
    parts = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _compare(op: str, have: Any, want: Any) -> bool | None:
    if op == "is_null":
        return (have is None) is bool(want)
    if have is None:
        return None  # SQL: a comparison with NULL is unknown
    if op == "in":
        return have in want
    if op == "not_in":
        return have not in want
    if op == "between":
        return bool(want[0] <= have <= want[1])
    if op in ("like", "ilike"):
        return _like_regex(want, op == "ilike").fullmatch(have) is not None
    if op[0] == "i" and op in ("icontains", "istartswith", "iendswith"):
        have, want, op = have.lower(), want.lower(), op[1:]
    if op == "contains":
        return want in have
    if op == "startswith":
        return bool(have.startswith(want))
    if op == "endswith":
        return bool(have.endswith(want))
    return bool(_ORDER[op](have, want))


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def evaluate(node: Node, row: Mapping[str, Any]) -> bool | None:
    """``node`` on ``row`` (coerced values): True, False or None (unknown, as SQL NULL).

    A WHERE clause keeps a row only when this is True; a CHECK constraint
    rejects it only when this is False.
    """
    if isinstance(node, Compare):
        if node.op in ("in", "not_in") and not node.value:
            # What SQLAlchemy renders for an empty list, whatever the value.
            return node.op == "not_in"
        return _compare(node.op, row.get(node.field), node.value)
    if isinstance(node, And):
        result: bool | None = True
        for item in node.items:
            value = evaluate(item, row)
            if value is False:
                return False
            if value is None:
                result = None
        return result
    if isinstance(node, Or):
        result = False
        for item in node.items:
            value = evaluate(item, row)
            if value is True:
                return True
            if value is None:
                result = None
        return result
    if isinstance(node, Not):
        value = evaluate(node.item, row)
        return None if value is None else not value
    return node.value


# -- from SQLAlchemy expressions (row rules) -----------------------------------------

_CORE_OPS = {
    operators.eq: "eq",
    operators.ne: "ne",
    operators.lt: "lt",
    operators.le: "le",
    operators.gt: "gt",
    operators.ge: "ge",
    operators.in_op: "in",
    operators.not_in_op: "not_in",
    operators.like_op: "like",
    operators.ilike_op: "ilike",
    operators.between_op: "between",
}
_FLIPPED = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}


class UnsupportedExpression(ValueError):
    """A SQLAlchemy expression that :func:`from_core` cannot turn into a :data:`Node`."""


def from_core(expr: Any, from_: FromClause, coerce: Callable[[str, Any], Any]) -> Node:
    """The :data:`Node` of a Core condition over the columns of ``from_``.

    Supports what row rules need: comparisons of a column with a value
    (``== != < <= > >=``, ``in_``, ``not_in``, ``like``, ``ilike``,
    ``between``, ``is_(None)``, ``is_not(None)``), a bare boolean column,
    ``and_``, ``or_``, ``not_``, ``true()``, ``false()``. ``coerce(field,
    value)`` types the values. Anything else raises
    :class:`UnsupportedExpression`.
    """
    if isinstance(expr, bool):
        return Const(expr)
    if isinstance(expr, elements.Grouping):
        return from_core(expr.element, from_, coerce)
    if isinstance(expr, elements.True_ | elements.False_):
        return Const(isinstance(expr, elements.True_))
    if isinstance(expr, elements.BooleanClauseList):
        items = tuple(from_core(item, from_, coerce) for item in expr.clauses)
        if expr.operator is operators.and_:
            return And(items)
        if expr.operator is operators.or_:
            return Or(items)
    if isinstance(expr, elements.AsBoolean) and isinstance(expr.element, elements.ColumnClause):
        # not_(t.c.flag) is `NOT flag`: false for false, unknown for NULL.
        return Compare(_field(expr.element, from_), "eq", expr.operator is operators.is_true)
    if isinstance(expr, elements.UnaryExpression) and expr.operator is operators.inv:
        return Not(from_core(expr.element, from_, coerce))
    if isinstance(expr, elements.ColumnClause):
        return Compare(_field(expr, from_), "eq", True)
    if isinstance(expr, elements.BinaryExpression):
        return _binary(expr, from_, coerce)
    raise UnsupportedExpression(f"cannot evaluate {type(expr).__name__} {str(expr)!r} on a row")


def _field(column: Any, from_: FromClause) -> str:
    found = (
        from_.corresponding_column(column)
        if isinstance(column, elements.KeyedColumnElement)
        else None
    )
    if found is None:
        raise UnsupportedExpression(f"{str(column)!r} is not a column of {from_.description!r}")
    return str(found.key)


def _value(element: Any) -> Any:
    if isinstance(element, elements.BindParameter):
        return element.effective_value
    if isinstance(element, elements.Null):
        return None
    if isinstance(element, elements.True_ | elements.False_):
        return isinstance(element, elements.True_)
    raise UnsupportedExpression(f"{str(element)!r} is not a plain value")


def _binary(expr: elements.BinaryExpression[Any], from_: FromClause, coerce: Any) -> Node:
    left, right, op = expr.left, expr.right, expr.operator
    if not isinstance(left, elements.ColumnClause) and isinstance(right, elements.ColumnClause):
        left, right = right, left
        name = _CORE_OPS.get(op)
        if name not in _FLIPPED:
            raise UnsupportedExpression(f"cannot evaluate {str(expr)!r} on a row")
        op = next(key for key, value in _CORE_OPS.items() if value == _FLIPPED[name])
    field = _field(left, from_)
    if op in (operators.is_, operators.is_not):
        value = _value(right)
        if value is None:
            return Compare(field, "is_null", op is operators.is_)
        # `x IS true` is false, not unknown, when x is NULL.
        compare = Compare(field, "eq", coerce(field, value))
        both = And((Compare(field, "is_null", False), compare))
        return both if op is operators.is_ else Not(both)
    name = _CORE_OPS.get(op)
    if name is None or expr.modifiers.get("escape") is not None:
        raise UnsupportedExpression(f"cannot evaluate the operator of {str(expr)!r} on a row")
    if name == "between":
        clauses = list(getattr(right, "clauses", ()))
        if len(clauses) != 2:
            raise UnsupportedExpression(f"cannot evaluate {str(expr)!r} on a row")
        return Compare(field, name, tuple(coerce(field, _value(c)) for c in clauses))
    value = _value(right)
    if name in ("in", "not_in"):
        return Compare(field, name, tuple(coerce(field, item) for item in value or ()))
    if value is None:
        # SQLAlchemy turns `== None` into IS NULL; an explicit NULL bind
        # would be SQL's "unknown", which a Node does not represent.
        raise UnsupportedExpression(f"{str(expr)!r} compares with NULL: use is_(None)")
    return Compare(field, name, coerce(field, value))
