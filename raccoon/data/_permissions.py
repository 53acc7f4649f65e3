"""Who may do what on a source: :class:`Permissions`.

Two layers, both declared on the :class:`~raccoon.data.Source`:

- **grants** per operation (``view``, ``create``, ``edit``, ``delete``) to
  principal names: ``everyone``, ``user:ann``, ``group:sales``,
  ``role:admin``, ``tenant:acme``, ``tenant_role:manager`` (see
  :attr:`Principal.principals <raccoon.data.Principal.principals>`). No grant,
  no access: a source without permissions is closed to all but
  :meth:`Principal.system() <raccoon.data.Principal.system>`.
- **row rules** per operation: a function ``(columns, principal)`` returning
  a SQLAlchemy condition that the rows must meet (``owner == user``). The
  ``view`` rule also bounds edits and deletes: nobody changes what they
  cannot see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement, FromClause

from raccoon.data._principal import Principal

__all__ = ["OPERATIONS", "Permissions", "RowRule"]

#: The operations permissions are granted for.
OPERATIONS = ("view", "create", "edit", "delete")

#: ``rule(columns, principal)`` -> a condition on ``columns.c``, or
#: ``True``/``None`` (no restriction), or ``False`` (no row).
RowRule = Callable[[FromClause, Principal], "ColumnElement[bool] | bool | None"]

_PREFIXES = ("user:", "group:", "role:", "tenant:", "tenant_role:")


def _check_name(name: Any, operation: str) -> str:
    if not isinstance(name, str) or not (
        name == "everyone"
        or any(name.startswith(prefix) and len(name) > len(prefix) for prefix in _PREFIXES)
    ):
        raise ValueError(
            f"permission {operation!r} is granted to {name!r}, which is not a principal "
            "name: use 'everyone' or 'user:<name>', 'group:<name>', 'role:<name>', "
            "'tenant:<name>', 'tenant_role:<name>'"
        )
    return name


class Permissions:
    """Grants and row rules of one source.

    ::

        Permissions(
            {
                "view": ["everyone"],
                "create": ["role:clerk", "tenant_role:manager"],
                "edit": ["role:clerk"],
                "delete": ["tenant_role:manager"],
            },
            rows={"edit": lambda t, p: t.c.owner == p.user},
        )

    The key ``"*"`` grants every operation. A row rule receives the columns
    the statement works on (``t.c.owner``: the table for writes, the source's
    selectable for reads) and the principal.
    """

    def __init__(
        self,
        grants: Mapping[str, Iterable[str]],
        *,
        rows: Mapping[str, RowRule] | None = None,
    ) -> None:
        self._grants: dict[str, frozenset[str]] = {op: frozenset() for op in OPERATIONS}
        for operation, names in grants.items():
            targets = OPERATIONS if operation == "*" else (operation,)
            if operation != "*" and operation not in OPERATIONS:
                raise ValueError(
                    f"unknown operation {operation!r} in permissions; use "
                    f"{', '.join(OPERATIONS)} or '*'"
                )
            if isinstance(names, str):
                raise TypeError(
                    f"permission {operation!r}: give a list of principal names, "
                    f"not the string {names!r}"
                )
            checked = frozenset(_check_name(name, operation) for name in names)
            for target in targets:
                self._grants[target] |= checked
        self._rows: dict[str, RowRule] = {}
        for operation, rule in (rows or {}).items():
            if operation not in OPERATIONS:
                raise ValueError(
                    f"unknown operation {operation!r} in row rules; use {', '.join(OPERATIONS)}"
                )
            if not callable(rule):
                raise TypeError(f"the row rule for {operation!r} must be callable, got {rule!r}")
            self._rows[operation] = rule

    @classmethod
    def everyone(cls, *, rows: Mapping[str, RowRule] | None = None) -> Permissions:
        """Every operation granted to every principal (row rules still apply)."""
        return cls({"*": ["everyone"]}, rows=rows)

    @classmethod
    def nobody(cls) -> Permissions:
        """Nothing granted: only :meth:`Principal.system` principals get through."""
        return cls({})

    def granted_to(self, operation: str) -> frozenset[str]:
        """The principal names ``operation`` is granted to."""
        return self._grants[operation]

    def allows(self, principal: Principal, operation: str) -> bool:
        """Whether the grants let ``principal`` do ``operation`` at all.

        Row rules may still exclude particular rows.
        """
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; use {', '.join(OPERATIONS)}")
        if principal.is_system:
            return True
        return not self._grants[operation].isdisjoint(principal.principals)

    def has_row_rule(self, operation: str) -> bool:
        """Whether a row rule restricts ``operation``."""
        return operation in self._rows

    def row_condition(
        self, operation: str, principal: Principal, columns: FromClause
    ) -> ColumnElement[bool] | None:
        """The row rule of ``operation`` over ``columns``, or ``None`` if there is none.

        System principals have no row rules.
        """
        rule = self._rows.get(operation)
        if rule is None or principal.is_system:
            return None
        condition = rule(columns, principal)
        if condition is None or condition is True:
            return None
        if condition is False:
            return sa.false()
        if not isinstance(condition, ColumnElement):
            raise TypeError(
                f"the row rule for {operation!r} returned {condition!r}; it must return a "
                "SQLAlchemy condition (t.c.owner == p.user), True/None (no restriction) or False"
            )
        return condition

    def __repr__(self) -> str:
        grants = {op: sorted(names) for op, names in self._grants.items() if names}
        return f"Permissions({grants!r}, rows={sorted(self._rows)!r})"
