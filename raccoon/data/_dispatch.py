"""One change-feed subscription per table for all the cursors over it.

With a subscription each, every change of a table ran the checks of every
cursor on it: with 1,000 cursors and 200 updates/s that is 200,000 calls a
second, nearly all to learn that the row is in no window and changed no
field the cursor filters or sorts on. :class:`TableCursors` keeps, per
table of a feed, which cursor shows which primary key and which fields each
cursor's filters and sort read, so a change reaches only

- the cursors whose window holds the row;
- for an update, the cursors whose filter or sort reads a field it changed;
- for an insert or a delete, every cursor (it may enter or leave a window);

and in all three cases only cursors of the change's tenant, or unscoped
ones. Each of those decides for itself as before (``Cursor._on_change``):
this index only skips the cursors that would have ignored the change.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any, Protocol

from raccoon.data._changes import Change
from raccoon.data._feed import ChangeFeed, Subscription

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ANY_TENANT", "Interest", "TableCursors", "table_cursors"]

log = logging.getLogger("raccoon.data.cursor")

#: The tenant of the interest of a cursor that sees every tenant's rows.
ANY_TENANT: Any = object()

# (tenant or ANY_TENANT, the fields the filter and sort read)
Interest = tuple[Any, frozenset[str]]


class Listener(Protocol):
    """What the index needs of a cursor."""

    def _on_change(self, change: Change) -> None: ...


_REGISTRY: weakref.WeakKeyDictionary[ChangeFeed, dict[str, TableCursors]] = (
    weakref.WeakKeyDictionary()
)


def table_cursors(feed: ChangeFeed, table: str) -> TableCursors:
    """The index of the cursors of ``feed`` on ``table`` (made on first use)."""
    tables = _REGISTRY.setdefault(feed, {})
    index = tables.get(table)
    if index is None:
        index = tables[table] = TableCursors(feed, table)
    return index


class TableCursors:
    """The cursors of one feed on one table, and what each one watches."""

    def __init__(self, feed: ChangeFeed, table: str) -> None:
        self.feed = feed
        self.table = table
        self._interests: dict[Listener, Interest] = {}
        self._groups: dict[Interest, dict[Listener, None]] = {}
        # (pk column, pk value) -> the cursors whose window holds that row
        self._windows: dict[tuple[str, Any], dict[Listener, None]] = {}
        self._pk_columns: dict[str, int] = {}
        self._pk_column: dict[Listener, str] = {}
        self._subscription: Subscription | None = None

    def __len__(self) -> int:
        return len(self._interests)

    def add(self, cursor: Listener, pk_column: str, interest: Interest) -> None:
        """Start delivering changes to ``cursor`` (its window is empty until
        :meth:`set_window`)."""
        if cursor in self._interests:
            self.set_interest(cursor, interest)
            return
        self._interests[cursor] = interest
        self._groups.setdefault(interest, {})[cursor] = None
        self._pk_column[cursor] = pk_column
        self._pk_columns[pk_column] = self._pk_columns.get(pk_column, 0) + 1
        if self._subscription is None:
            self._subscription = self.feed.subscribe(self.table, self._on_change)

    def remove(self, cursor: Listener, window: Iterable[Any] = ()) -> None:
        """Stop delivering to ``cursor`` (idempotent); ``window`` is its last one."""
        interest = self._interests.pop(cursor, None)
        if interest is None:
            return
        self._drop(self._groups, interest, cursor)
        pk_column = self._pk_column.pop(cursor)
        for pk in window:
            self._drop(self._windows, (pk_column, pk), cursor)
        self._pk_columns[pk_column] -= 1
        if not self._pk_columns[pk_column]:
            del self._pk_columns[pk_column]
        if not self._interests:
            if self._subscription is not None:
                self._subscription.unsubscribe()
                self._subscription = None
            tables = _REGISTRY.get(self.feed)
            if tables is not None and tables.get(self.table) is self:
                del tables[self.table]

    def set_interest(self, cursor: Listener, interest: Interest) -> None:
        """The cursor's filter or sort changed: it now watches these fields."""
        old = self._interests.get(cursor)
        if old is None or old == interest:
            return
        self._drop(self._groups, old, cursor)
        self._interests[cursor] = interest
        self._groups.setdefault(interest, {})[cursor] = None

    def set_window(self, cursor: Listener, old: Iterable[Any], new: Iterable[Any]) -> None:
        """The cursor's window went from the primary keys ``old`` to ``new``."""
        pk_column = self._pk_column.get(cursor)
        if pk_column is None:
            return
        for pk in old:
            self._drop(self._windows, (pk_column, pk), cursor)
        for pk in new:
            self._windows.setdefault((pk_column, pk), {})[cursor] = None

    @staticmethod
    def _drop(index: dict[Any, dict[Listener, None]], key: Any, cursor: Listener) -> None:
        members = index.get(key)
        if members is not None:
            members.pop(cursor, None)
            if not members:
                del index[key]

    def _on_change(self, change: Change) -> None:
        targets: dict[Listener, None] = {}
        for pk_column in self._pk_columns:
            showing = self._windows.get((pk_column, change.pk.get(pk_column)))
            if showing:
                targets.update(showing)
        before, after = change.before, change.after
        changed: set[str] | None = None
        if change.op == "update" and before is not None and after is not None:
            changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        for (tenant, fields), cursors in self._groups.items():
            if tenant is not ANY_TENANT and tenant != change.tenant:
                continue
            if changed is None or not fields.isdisjoint(changed):
                targets.update(cursors)
        for cursor in targets:
            if cursor not in self._interests:
                continue  # unbound by a cursor handled before it
            try:
                cursor._on_change(change)
            except Exception:
                log.exception(
                    "cursor %r failed on change %d (%s %s of %s)",
                    cursor,
                    change.id,
                    change.op,
                    change.pk,
                    change.table,
                )
