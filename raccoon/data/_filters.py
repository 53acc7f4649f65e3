"""The filter language: JSON from clients, checked, then compiled to SQL.

Grammar (docs/data.md)::

    filter     := condition | {"and": [filter, ...]} | {"or": [filter, ...]}
                | {"not": filter} | [filter, ...]            (a list is an "and")
    condition  := {"field": name, "op": operator, "value": value}

Everything a client sends is checked before any SQL exists: the field must
be exposed by the source, the operator must exist and suit the field's
type, the value must fit the type, and sizes are bounded. The first problem
raises :class:`~raccoon.data.FilterError` naming its path
(``filter.and[2].value``). Values only ever become bound parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.sql.expression import ColumnElement

from raccoon.data._conditions import (
    And,
    Compare,
    Node,
    Not,
    Or,
    compile_node,
    evaluate,
    node_fields,
)
from raccoon.data._errors import FilterError
from raccoon.data._limits import MAX_QUOTED_NAMES, quote, text_problem
from raccoon.data._types import CoercionError, Field, coerce_row, describe_value

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_FILTER_CHARS",
    "MAX_FILTER_NODES",
    "MAX_LIST",
    "MAX_STRING",
    "OPERATORS",
    "Filter",
    "parse_filter",
]

#: Deepest nesting accepted: every and/or/not object and every bare list
#: is a level, and so is the condition at the bottom.
MAX_DEPTH = 10
#: Longest string value accepted, in characters.
MAX_STRING = 10_240
#: Most items in one list (``in`` values, ``and``/``or`` members).
MAX_LIST = 1000
#: Most conditions in one filter; together with MAX_LIST it bounds the
#: number of bound parameters well below PostgreSQL's 65535.
MAX_CONDITIONS = 200
_MAX_VALUES = 20_000
#: Most JSON nodes (objects, lists, scalars) in one filter, counted before
#: parsing: a valid filter holds at most MAX_CONDITIONS conditions and
#: _MAX_VALUES values.
MAX_FILTER_NODES = 25_000
#: Most characters in all the strings (keys and values) of one filter: a
#: filter is echoed in the cursor's state, so it must stay small.
MAX_FILTER_CHARS = 65_536
# Raw JSON nesting that no valid filter reaches: an and/or object and its
# list are one level of the grammar but two of JSON, a condition's value
# list one more.
_MAX_RAW_DEPTH = 2 * MAX_DEPTH + 2

_SCALAR = ("eq", "ne", "lt", "le", "gt", "ge")
_PATTERN = (
    "like",
    "ilike",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
)
#: Every operator, in the order the docs list them.
OPERATORS = (*_SCALAR, "in", "not_in", *_PATTERN, "is_null", "between")
_ORDERED = ("lt", "le", "gt", "ge", "between")
_COMBINATORS = ("and", "or", "not")
_CONDITION_KEYS = frozenset({"field", "op", "value"})


class Filter:
    """A checked filter over the fields of one source.

    Build one with :meth:`Source.filter() <raccoon.data.Source.filter>` (or
    pass the JSON spec straight to ``select``/``count``/``read``).
    ``condition()`` is its SQLAlchemy expression; ``matches(row)`` decides
    it on a row dict, with the answer PostgreSQL would give.
    """

    def __init__(self, node: Node, fields: Mapping[str, Field], spec: Any) -> None:
        self.node = node
        self.spec = spec
        self._fields = fields
        self._reads = frozenset(node_fields(node))

    def condition(self) -> ColumnElement[bool]:
        """The SQLAlchemy condition (bound parameters only)."""
        return compile_node(self.node, {name: f.column for name, f in self._fields.items()})

    def matches(self, row: Mapping[str, Any]) -> bool:
        """Whether ``row`` passes (a NULL comparison, as in SQL, does not).

        ``row`` maps field names to JSON values (a change notification) or
        to the values asyncpg returns.
        """
        return evaluate(self.node, coerce_row(row, self._fields, self._reads)) is True

    @property
    def fields(self) -> frozenset[str]:
        """The fields the filter reads (a change to others cannot change its answer)."""
        return self._reads

    def __repr__(self) -> str:
        return f"Filter({self.spec!r})"


def parse_filter(spec: Any, fields: Mapping[str, Field], *, path: str = "filter") -> Filter:
    """Check the JSON filter ``spec`` against ``fields`` and build a :class:`Filter`.

    ``None`` (and an empty list) matches every row. Raises
    :class:`~raccoon.data.FilterError` on the first problem.
    """
    if spec is None:
        return Filter(And(()), fields, spec)
    _check_shape(spec, path)
    parser = _Parser(fields)
    return Filter(parser.parse(spec, path, 1), fields, spec)


def _check_shape(spec: Any, path: str) -> None:
    """Bound the size and nesting of a client's filter before anything
    recurses into it: iteratively, stopping at the first excess."""
    pending: list[tuple[Any, str, int]] = [(spec, path, 1)]
    nodes = chars = 0
    while pending:
        item, where, depth = pending.pop()
        nodes += 1
        if nodes > MAX_FILTER_NODES:
            raise FilterError(
                path, f"the filter is too large: more than {MAX_FILTER_NODES} items and values"
            )
        if depth > _MAX_RAW_DEPTH:
            raise FilterError(where, f"filters may nest at most {MAX_DEPTH} levels deep")
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, dict):
            chars += sum(len(key) for key in item if isinstance(key, str))
            if len(item) > MAX_LIST:
                raise FilterError(where, f"an object of {len(item)} keys is not a filter")
            pending += [(value, f"{where}.{_key(key)}", depth + 1) for key, value in item.items()]
        elif isinstance(item, list):
            pending += [(value, f"{where}[{i}]", depth + 1) for i, value in enumerate(item)]
        if chars > MAX_FILTER_CHARS:
            raise FilterError(
                path, f"the filter is too large: more than {MAX_FILTER_CHARS} characters of text"
            )


def _key(key: Any) -> str:
    # Only the grammar's keys are shown in paths; anything else is refused later.
    return key if key in ("and", "or", "not", "field", "op", "value") else "?"


class _Parser:
    def __init__(self, fields: Mapping[str, Field]) -> None:
        self.fields = fields
        self.conditions = 0
        self.values = 0

    def parse(self, spec: Any, path: str, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise FilterError(path, f"filters may nest at most {MAX_DEPTH} levels deep")
        if isinstance(spec, list):
            # A bare list is an "and": a level like any other.
            return And(self.members(spec, path, depth + 1))
        if not isinstance(spec, dict):
            raise FilterError(
                path,
                "expected a condition object {'field', 'op', 'value'}, an 'and'/'or'/'not' "
                f"object or a list, got {describe_value(spec)}",
            )
        combinators = [key for key in _COMBINATORS if key in spec]
        if combinators:
            if len(spec) != 1:
                others = [quote(key) for key in spec if key != combinators[0]]
                shown = ", ".join(others[:MAX_QUOTED_NAMES])
                if len(others) > MAX_QUOTED_NAMES:
                    shown += f" and {len(others) - MAX_QUOTED_NAMES} more"
                raise FilterError(
                    path, f"an {combinators[0]!r} object must have no other key, got {shown}"
                )
            key = combinators[0]
            if key == "not":
                return Not(self.parse(spec["not"], f"{path}.not", depth + 1))
            if not isinstance(spec[key], list):
                raise FilterError(
                    f"{path}.{key}", f"expected a list of filters, got {describe_value(spec[key])}"
                )
            members = self.members(spec[key], f"{path}.{key}", depth + 1)
            return And(members) if key == "and" else Or(members)
        return self.condition(spec, path)

    def members(self, items: list[Any], path: str, depth: int) -> tuple[Node, ...]:
        if len(items) > MAX_LIST:
            raise FilterError(path, f"at most {MAX_LIST} items are allowed, got {len(items)}")
        return tuple(self.parse(item, f"{path}[{i}]", depth) for i, item in enumerate(items))

    def condition(self, spec: dict[Any, Any], path: str) -> Compare:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise FilterError(path, f"a filter may hold at most {MAX_CONDITIONS} conditions")
        unknown = [key for key in spec if key not in _CONDITION_KEYS]
        if unknown:
            raise FilterError(
                path,
                f"unknown key {quote(unknown[0])}: a condition has 'field', 'op' and 'value' "
                "(or use an 'and', 'or' or 'not' object)",
            )
        for key in ("field", "op", "value"):
            if key not in spec:
                raise FilterError(path, f"a condition needs {key!r}")
        name, op = spec["field"], spec["op"]
        problem = text_problem(name) if isinstance(name, str) else None
        if problem is not None:
            raise FilterError(f"{path}.field", f"the field name {problem}")
        if not isinstance(name, str) or name not in self.fields:
            known = ", ".join(sorted(self.fields)) or "none"
            raise FilterError(
                f"{path}.field",
                f"unknown field {_short(name)}; the fields you can filter on are: {known}",
            )
        if not isinstance(op, str) or op not in OPERATORS:
            raise FilterError(
                f"{path}.op", f"unknown operator {_short(op)}; use one of: {', '.join(OPERATORS)}"
            )
        field = self.fields[name]
        self.check_applies(field, op, f"{path}.op")
        value = self.value(field, op, spec["value"], f"{path}.value")
        return Compare(name, op, value)

    def check_applies(self, field: Field, op: str, path: str) -> None:
        ftype = field.type
        if op == "is_null":
            return
        if op in _PATTERN:
            ok = ftype.textual
        elif op in _ORDERED:
            ok = ftype.orderable
        else:
            ok = ftype.comparable
        if not ok:
            raise FilterError(
                path, f"operator {op!r} does not apply to field {field.name!r} ({ftype.kind})"
            )

    def value(self, field: Field, op: str, value: Any, path: str) -> Any:
        if op == "is_null":
            if not isinstance(value, bool):
                raise FilterError(path, f"is_null takes true or false, got {describe_value(value)}")
            return value
        if op in ("in", "not_in", "between"):
            if not isinstance(value, list):
                raise FilterError(path, f"{op} takes a list, got {describe_value(value)}")
            if op == "between" and len(value) != 2:
                raise FilterError(path, f"between takes [low, high], got {len(value)} items")
            if len(value) > MAX_LIST:
                raise FilterError(path, f"at most {MAX_LIST} values are allowed, got {len(value)}")
            return tuple(self.scalar(field, item, f"{path}[{i}]") for i, item in enumerate(value))
        if op in _PATTERN:
            pattern = self.scalar(field, value, path)
            if op in ("like", "ilike") and _ends_with_escape(pattern):
                raise FilterError(
                    path, "the pattern ends with an escape character '\\': escape it as '\\\\'"
                )
            return pattern
        return self.scalar(field, value, path)

    def scalar(self, field: Field, value: Any, path: str) -> Any:
        self.values += 1
        if self.values > _MAX_VALUES:
            raise FilterError(path, f"a filter may hold at most {_MAX_VALUES} values")
        if value is None:
            raise FilterError(
                path, "null is not a value to compare with: use the operator 'is_null'"
            )
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise FilterError(
                    path, f"the value is too long: {len(value)} characters, at most {MAX_STRING}"
                )
            problem = text_problem(value)
            if problem is not None:  # whatever the field's type: it can match nothing
                raise FilterError(path, f"field {field.name!r}: the value {problem}")
        try:
            return field.type.coerce(value)
        except CoercionError as exc:
            raise FilterError(path, f"field {field.name!r}: {exc}") from None


def _ends_with_escape(pattern: str) -> bool:
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    return trailing % 2 == 1


def _short(value: Any) -> str:
    return quote(value)
