"""One recorded change of a tracked table (:class:`Change`) and field-level diffs.

The change-log trigger stores rows as ``to_jsonb(row)``: values arrive as
JSON values (numbers, strings, booleans, null; timestamps as ISO strings).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

__all__ = ["Change", "FieldChange", "Operation", "diff_rows"]

Operation = Literal["insert", "update", "delete"]

_MISSING: Any = None  # what a field absent on one side compares as


class FieldChange(NamedTuple):
    """One field of a record that a change altered: ``before`` → ``after``.

    For an insert ``before`` is ``None``; for a delete ``after`` is ``None``.
    """

    field: str
    before: Any
    after: Any


def diff_rows(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    order: Iterable[str] = (),
) -> list[FieldChange]:
    """The fields whose values differ between two versions of a row.

    ``None`` on one side (no row: an insert or a delete) makes every field of
    the other side a change. Fields come in *order* (e.g.
    ``table.columns.keys()``), then the others alphabetically — jsonb keeps
    no column order::

        >>> diff_rows({"id": 1, "qty": 2, "note": "x"}, {"id": 1, "qty": 3, "note": "x"})
        [FieldChange(field='qty', before=2, after=3)]
    """
    old = before or {}
    new = after or {}
    present = set(old) | set(new)
    first = [name for name in dict.fromkeys(order) if name in present]
    names = first + sorted(present.difference(first))
    return [
        FieldChange(name, old.get(name, _MISSING), new.get(name, _MISSING))
        for name in names
        if name not in old or name not in new or old[name] != new[name]
    ]


@dataclass(frozen=True, slots=True)
class Change:
    """A row of the change log: one insert, update or delete of one record.

    ``id``
        The log's id: unique, increasing in the order the changes were
        *made* (not committed).
    ``table``
        The table's name as ``Table.fullname`` spells it (``"orders"``,
        ``"sales.orders"``).
    ``pk``
        The primary key, ``{"column": value}``.
    ``tenant``
        From the row's tenant column for tables tracked with one, else the
        transaction's tenant (``db.transaction(tenant=...)``); may be ``None``.
    ``op``
        ``"insert"``, ``"update"`` or ``"delete"``.
    ``txid``
        The writing transaction (all changes of one transaction share it).
    ``at``
        When the row changed (the database clock during the statement).
    ``who``
        The transaction's user (``db.transaction(user=...)``), or ``None``.
    ``before``, ``after``
        The whole row before and after (``None`` for insert and delete).
    """

    id: int
    table: str
    pk: dict[str, Any]
    tenant: str | None
    op: Operation
    txid: int
    at: datetime.datetime
    who: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Change:
        """A change from a row of ``raccoon_changes`` (jsonb columns already decoded)."""
        return cls(
            id=record["id"],
            table=record["table_name"],
            pk=record["pk"],
            tenant=record["tenant"],
            op=record["op"],
            txid=record["txid"],
            at=record["at"],
            who=record["who"],
            before=record["before"],
            after=record["after"],
        )

    @property
    def row(self) -> dict[str, Any]:
        """The row as it is after the change (as it was, for a delete)."""
        row = self.after if self.after is not None else self.before
        return row if row is not None else {}

    def diff(self, order: Iterable[str] = ()) -> list[FieldChange]:
        """The fields this change altered, from what to what, in *order* first
        (e.g. ``table.columns.keys()``), then alphabetically (see :func:`diff_rows`)."""
        return diff_rows(self.before, self.after, order)
