"""Live cursors: a server node over a source's window, kept in sync with the
database and observed by client proxies.

A :class:`Cursor`'s reactive state (``node_data``) holds the window: its
row ids in order, one key per row (``row:<pk>``), the total, the filters,
sort, offset and limit, ``current_id`` and ``dirty``. A client observes it
with ``await node.remote(cursor_path).observe()`` (see ``raccoon.node``):
because the state is a :class:`~raccoon.reactive.ReactiveDict` replicated
key by key, an update of one row in the window sends that row only.

Changes come from the :class:`~raccoon.data.ChangeFeed`, through one
subscription per table for all the cursors of the process (``_dispatch``):
a change reaches only the cursors whose window holds the row or whose
filter or sort reads a field it changed (any cursor of the tenant, for an
insert or a delete). An updated row of the window is taken from the change
log or re-read; a change that can move rows in or out of the window
re-reads the window and counts again. Work is coalesced: while one reload
runs, further changes only mark what must be done next, so a burst of
writes costs a few reloads, not one each.

Each query's statements are built and compiled once (``_window``); the
window and the total come in one statement, and moving the window (or
sorting) reuses the last total unless a change since may have altered it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from raccoon.node import RPCError, WAMPNode, call
from raccoon.reactive import FrozenDict, freeze

from ._changes import Change
from ._conditions import And, Compare, Node
from ._database import Database
from ._dispatch import ANY_TENANT, Interest, TableCursors, table_cursors
from ._errors import ArgumentError, DataError, FilterError, TooLargeError
from ._feed import ChangeFeed
from ._filters import Filter
from ._history import history
from ._limits import MAX_RESULT_BYTES, fit, id_problem, json_size
from ._principal import Principal
from ._reads import get, read
from ._references import reference_visible, references_of
from ._sorting import Sort
from ._source import Source
from ._types import CoercionError, describe_value
from ._window import WindowStatements
from ._writes import create, delete, update

__all__ = ["Cursor", "DetailCursor", "data_rpc_error", "row_key"]

log = logging.getLogger("raccoon.data.cursor")

#: The most rows one window or one bulk read may hold. Answers are also
#: bounded by bytes: see MAX_RESULT_BYTES (raccoon.data._limits).
MAX_WINDOW = 10_000
#: The most history entries one call reads.
HISTORY_PAGE = 100
# PostgreSQL's OFFSET is a bigint.
_MAX_OFFSET = 2**63 - 1


# A source's description, frozen once: every cursor over the source holds
# it in its state, and a frozen copy each would cost kilobytes per cursor.
_DESCRIPTIONS: weakref.WeakKeyDictionary[Source, FrozenDict[str, Any]] = weakref.WeakKeyDictionary()


def _description(source: Source) -> FrozenDict[str, Any]:
    description = _DESCRIPTIONS.get(source)
    if description is None:
        description = _DESCRIPTIONS[source] = freeze(source.describe())
    return description


def row_key(pk: Any) -> str:
    """The state key of one row of the window."""
    return f"row:{pk}"


def data_rpc_error(exc: DataError) -> RPCError:
    """A data-layer error as the RPC error a client receives: uri
    ``raccoon.error.<code>``, the message, and the details (field errors,
    the current record of a conflict…) as data."""
    body = exc.to_dict()
    return RPCError(body["message"], uri=f"raccoon.error.{body['code']}", **body["details"])


async def _as_rpc(coro: Awaitable[Any]) -> Any:
    try:
        return await coro
    except DataError as exc:
        raise data_rpc_error(exc) from None


class Cursor(WAMPNode):
    """A live window over ``source`` as ``principal`` sees it.

    State keys: ``source``, ``fields`` (the source's description), ``ids``
    (the window's primary keys, in order), ``row:<pk>`` (each row),
    ``total``, ``offset``, ``limit``, ``filters``, ``sort``,
    ``current_id``, ``dirty``, ``status`` (``loading``/``ready``/``error``)
    and ``error``.

    RPC endpoints (below the cursor's path): ``set_window(offset, limit)``,
    ``set_filters(filters)``, ``set_sort(sort)``, ``set_current(pk)``,
    ``set_dirty(dirty)``, ``rows(offset, limit)`` (a bulk read),
    ``get(pk)``, ``create(values)``, ``update(pk, values, version)``,
    ``delete(pk, version)``, ``history(pk)``. Errors come back as
    ``raccoon.error.<code>`` with details: ``invalid_filter``,
    ``validation_failed`` (a list of ``{field, message}``), ``conflict``
    (with the current record), ``not_found``, ``permission_denied``.
    """

    def __init__(
        self,
        source: Source,
        db: Database,
        feed: ChangeFeed,
        principal: Principal,
        *,
        filters: Any = None,
        sort: Any = None,
        offset: int = 0,
        limit: int = 50,
    ) -> None:
        source.require(principal, "view")
        self.source = source
        self.db = db
        self.feed = feed
        self.principal = principal
        self._index: TableCursors | None = None
        self._statements: WindowStatements | None = None
        self._query_filter: Filter | None = None
        self._query_sort: Sort = source.sort([])
        self._watched: frozenset[str] = frozenset()
        self._filter_spec = filters
        self._filter = source.filter(filters) if filters else None
        self._sort = source.sort(sort or [])
        self._offset, self._limit = _check_window(offset, limit)
        self._ids: tuple[Any, ...] = ()
        self._window_set: frozenset[Any] = frozenset()
        # The total of the last count, and whether a change since may have
        # altered it: moving or resizing the window needs no new count.
        self._total = 0
        self._count_stale = True
        self._work: asyncio.Task[None] | None = None
        self._reload_all = False
        self._reload_rows: set[Any] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._busy = 0
        self._query_lock = asyncio.Lock()
        self.reloads = 0
        self.row_refreshes = 0
        self.logged_rows = 0

    # -- the query ----------------------------------------------------------------
    # Filter and sort are properties: changing either drops the compiled
    # statements and tells the change index which fields now matter.
    @property
    def _filter(self) -> Filter | None:
        return self._query_filter

    @_filter.setter
    def _filter(self, value: Filter | None) -> None:
        self._query_filter = value
        self._count_stale = True
        self._query_changed()

    @property
    def _sort(self) -> Sort:
        return self._query_sort

    @_sort.setter
    def _sort(self, value: Sort) -> None:
        self._query_sort = value
        self._query_changed()

    def _query_changed(self) -> None:
        self._statements = None
        watched = {key.field for key in self._query_sort.keys}
        if self._query_filter is not None:
            watched |= self._query_filter.fields
        self._watched = frozenset(watched)
        if self._index is not None:
            self._index.set_interest(self, self._interest())

    def _interest(self) -> Interest:
        tenant = self.principal.tenant if self.source.scoped else ANY_TENANT
        return (tenant, self._watched)

    @property
    def _compiled(self) -> WindowStatements:
        """The compiled statements of the current query (built on first use)."""
        if self._statements is None:
            self._statements = WindowStatements(
                self.source, self.principal, self._query_filter, self._query_sort
            )
        return self._statements

    # -- lifecycle -------------------------------------------------------------
    async def _node_bind_hook(self) -> None:
        data = self.node_data
        data.update(
            source=self.source.name,
            fields=_description(self.source),
            filters=self._filter_spec,
            sort=self._sort.to_spec(),
            offset=self._offset,
            limit=self._limit,
            current_id=None,
            dirty=False,
            truncated=False,
            status="loading",
            error=None,
        )
        await super()._node_bind_hook()
        table = self.source.table
        self._index = table_cursors(
            self.feed, table.fullname if table is not None else self.source.name
        )
        self._index.add(self, self.source.pk, self._interest())
        self._index.set_window(self, (), self._window_set)  # bound again: the rows it shows
        await self._reload()

    async def _node_unbind_hook(self) -> None:
        if self._index is not None:
            self._index.remove(self, self._window_set)
            self._index = None
        if self._work is not None and not self._work.done():
            self._work.cancel()
        await super()._node_unbind_hook()

    async def settled(self) -> None:
        """Wait until every pending reload is done (for tests and benchmarks)."""
        await self._idle.wait()

    # -- reading ---------------------------------------------------------------
    async def _reload(self) -> None:
        """Re-read the window — and the total, unless no change since the
        last count can have altered it — and publish the differences."""
        self.reloads += 1
        executor = self.db.executor
        try:
            statements = self._compiled
            if self._count_stale:
                # Cleared before the read: a change arriving meanwhile marks
                # it again and schedules another reload, which counts again.
                self._count_stale = False
                try:
                    rows, total = await statements.rows_and_total(
                        executor, self._offset, self._limit
                    )
                except BaseException:
                    self._count_stale = True
                    raise
                self._total = total
            else:
                rows = await statements.rows(executor, self._offset, self._limit)
        except DataError as exc:
            self.node_data.update(status="error", error=exc.to_dict())
            raise
        # The window is state a client receives whole when it observes: it
        # stops at the byte budget, and says so.
        fitted, truncated = fit(rows)
        self._apply_window(fitted, self._total, truncated)
        if truncated and not fitted:
            error = self._too_large(rows[0])
            self.node_data.update(status="error", error=error.to_dict())

    def _too_large(self, row: dict[str, Any]) -> TooLargeError:
        pk = row.get(self.source.pk)
        size = json_size(row)
        return TooLargeError(
            f"record {pk!r} of {self.source.name!r} is too large to send: {size} bytes as "
            f"JSON, an answer holds at most {MAX_RESULT_BYTES}",
            source=self.source.name,
            pk=pk,
            size=size,
        )

    def _apply_window(
        self, rows: list[dict[str, Any]], total: int, truncated: bool = False
    ) -> None:
        pk = self.source.pk
        data = self.node_data
        ids = tuple(row[pk] for row in rows)
        gone = self._window_set.difference(ids)
        for row in rows:
            data[row_key(row[pk])] = row  # equal rows change nothing, send nothing
        for old in gone:
            data.pop(row_key(old), None)
        window = frozenset(ids)
        if self._index is not None and window != self._window_set:
            self._index.set_window(self, self._window_set - window, window - self._window_set)
        self._ids = ids
        self._window_set = window
        data.update(ids=ids, total=total, truncated=truncated, status="ready", error=None)

    async def _refresh_rows(self, pks: set[Any]) -> bool:
        """Re-read some rows of the window; False when one left the result
        (it must then be reloaded as a whole)."""
        self.row_refreshes += 1
        # Composed from the parsed filter, not parsed again: the ids of a
        # window may outnumber a client filter's list limit.
        source = self.source
        key_type = source.fields[source.pk].type
        node: Node = Compare(source.pk, "in", tuple(key_type.coerce(pk) for pk in pks))
        if self._filter is not None:
            node = And((self._filter.node, node))
        rows = await read(
            self.db, source, self.principal, filters=Filter(node, source.fields, None)
        )
        found = {row[self.source.pk]: row for row in rows}
        if len(found) != len(pks):
            self._count_stale = True  # a row left the result: the total may differ
            return False
        for pk, row in found.items():
            self.node_data[row_key(pk)] = row
        return True

    # -- changes from the database -------------------------------------------------
    def _on_change(self, change: Change) -> None:
        source = self.source
        if source.scoped and change.tenant != self.principal.tenant:
            return  # another tenant's row: not even a reload may hint at it
        pk = change.pk.get(source.pk)
        if pk in self._window_set:
            if change.op == "delete" or self._moves(change):
                self._schedule(full=True)
            elif not self._apply_logged_row(pk, change):
                self._schedule(pk=pk)
            return
        if change.op == "update" and not self._moves(change):
            return  # a row outside the window, changed in fields that can't move it
        if self._may_match(change):
            self._schedule(full=True)

    def _apply_logged_row(self, pk: Any, change: Change) -> bool:
        """Take an updated row of the window straight from the change log,
        sparing a read, when that is exact: plain values only, no reload in
        flight that could land an older copy afterwards, still visible and
        still matching the filter."""
        if (
            not self.source.plain_values
            or change.after is None
            or self._query_lock.locked()
            or not self._idle.is_set()
        ):
            return False
        after = change.after
        try:
            if not self.source.can_view_row(self.principal, after):
                return False
            if self._filter is not None and not self._filter.matches(after):
                return False
            row = {name: after[name] for name in self.source.fields}
        except (KeyError, ValueError):
            return False
        self.node_data[row_key(pk)] = row
        self.logged_rows += 1
        return True

    def _moves(self, change: Change) -> bool:
        """Whether the change touches a field the filter or the sort uses."""
        before, after = change.before, change.after
        if before is None or after is None:
            return True
        return any(before.get(f) != after.get(f) for f in self._watched)

    def _may_match(self, change: Change) -> bool:
        rows = [r for r in (change.before, change.after) if r is not None]
        try:
            visible = any(self.source.can_view_row(self.principal, r) for r in rows)
            if not visible:
                return False
            if self._filter is None:
                return True
            return any(self._filter.matches(r) for r in rows)
        except ValueError:  # a rule or filter Python cannot evaluate: be safe
            return True

    def _schedule(self, *, full: bool = False, pk: Any = None) -> None:
        if full:
            self._reload_all = True
            self._count_stale = True  # an insert, delete or move: count again
        elif pk is not None:
            self._reload_rows.add(pk)
        if self._work is None or self._work.done():
            self._idle.clear()
            self._work = asyncio.get_running_loop().create_task(
                self._drain(), name=f"reload {self.node_path}"
            )

    async def _drain(self) -> None:
        try:
            while self._reload_all or self._reload_rows:
                full, self._reload_all = self._reload_all, False
                pks, self._reload_rows = self._reload_rows, set()
                try:
                    async with self._query_lock:
                        if full or not await self._refresh_rows(pks):
                            await self._reload()
                except DataError as exc:
                    log.warning("cursor %s cannot reload: %s", self.node_path, exc)
                except Exception:
                    log.exception("cursor %s failed to reload", self.node_path)
        finally:
            if self._busy == 0:
                self._idle.set()

    async def _changed_query(self, change: Callable[[], None]) -> None:
        # Apply a new query (filters, sort, window) and reload at once; the
        # pending change work is subsumed by the reload. One at a time, so
        # the last query asked for is the one the window shows.
        self._busy += 1
        self._idle.clear()
        try:
            async with self._query_lock:
                change()
                self._reload_rows.clear()
                self._reload_all = False
                await _as_rpc(self._reload())
        finally:
            self._busy -= 1
            if self._busy == 0 and (self._work is None or self._work.done()):
                self._idle.set()

    # -- endpoints ------------------------------------------------------------------
    @call
    async def set_window(self, offset: int, limit: int) -> None:
        """Move or resize the window (``offset`` ≥ 0, 1 ≤ ``limit`` ≤ 10,000)."""
        try:
            offset, limit = _check_window(offset, limit)
        except ValueError as exc:
            raise RPCError(str(exc), uri="raccoon.error.invalid_arguments") from None

        def apply() -> None:
            self._offset, self._limit = offset, limit
            self.node_data.update(offset=offset, limit=limit)

        await self._changed_query(apply)

    @call
    async def set_filters(self, filters: list | dict | None) -> None:
        """Filter the rows (the filter language of docs/data.md; ``None`` for all)."""
        try:
            checked = self.source.filter(filters) if filters else None
        except FilterError as exc:
            raise data_rpc_error(exc) from None

        def apply() -> None:
            self._filter_spec, self._filter, self._offset = filters, checked, 0
            self.node_data.update(filters=filters, offset=0)

        await self._changed_query(apply)

    @call
    async def set_sort(self, sort: list | None) -> None:
        """Sort the rows: ``["name", "-created"]`` or ``[{"field", "dir"}]``."""
        try:
            checked = self.source.sort(sort or [])
        except FilterError as exc:
            raise data_rpc_error(exc) from None

        def apply() -> None:
            self._sort = checked
            self.node_data["sort"] = checked.to_spec()

        await self._changed_query(apply)

    @call
    async def set_current(self, pk: Any) -> None:
        """Make ``pk`` the current record (``None``: no current record): one
        the principal can see (``raccoon.error.not_found`` otherwise)."""
        if pk is not None:
            try:
                pk = self.source.coerce_pk(pk)
            except (TypeError, ValueError, DataError) as exc:
                raise RPCError(
                    f"{self.node_path}.set_current: {exc}", uri="raccoon.error.invalid_arguments"
                ) from None
            if pk not in self._window_set:
                # Detail cursors follow it, and create records linked to it:
                # it must be a record this principal may see.
                await _as_rpc(get(self.db, self.source, self.principal, pk))
        self.node_data["current_id"] = pk

    @call
    async def set_dirty(self, dirty: bool) -> None:
        """The client says whether it holds unsaved edits of the current record."""
        if not isinstance(dirty, bool):
            raise RPCError(
                f"dirty: expected true or false, got {describe_value(dirty)}",
                uri="raccoon.error.invalid_arguments",
            )
        self.node_data["dirty"] = dirty

    @call
    async def rows(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """A bulk read of rows with the cursor's filters and sort (not kept live).

        Stops early at the byte budget (``MAX_RESULT_BYTES``): fewer rows
        than asked, though more match, means "ask again from ``offset +
        len(rows)``" (:meth:`read_page` says so explicitly).
        """
        return (await self.read_page(offset, limit))["rows"]

    @call
    async def read_page(self, offset: int, limit: int) -> dict[str, Any]:
        """``{"rows", "more", "next_offset"}``: up to ``limit`` rows from
        ``offset``, as many as fit the byte budget; ``more`` says whether
        rows follow (read them from ``next_offset``)."""
        try:
            offset, limit = _check_window(offset, limit)
        except ValueError as exc:
            raise RPCError(str(exc), uri="raccoon.error.invalid_arguments") from None
        try:
            # One row more than asked: whether any follow, without a count.
            rows = await self._compiled.rows(self.db.executor, offset, limit + 1)
        except DataError as exc:
            raise data_rpc_error(exc) from None
        fitted, truncated = fit(rows[:limit])
        if truncated and not fitted:
            raise data_rpc_error(self._too_large(rows[0]))
        return {
            "rows": fitted,
            "more": truncated or len(rows) > limit,
            "next_offset": offset + len(fitted),
        }

    @call
    async def get(self, pk: Any) -> dict[str, Any]:
        """One record, whether in the window or not."""
        row = await _as_rpc(get(self.db, self.source, self.principal, pk))
        if json_size(row) > MAX_RESULT_BYTES:
            raise data_rpc_error(self._too_large(row))
        return row

    @call
    async def create(self, values: dict) -> dict[str, Any]:
        """Insert a record; returns it (with its id and version 1)."""
        values = self._creation_values(values)
        return await _as_rpc(create(self.db, self.source, self.principal, values))

    def _creation_values(self, values: dict[str, Any]) -> dict[str, Any]:
        return values

    @call
    async def update(self, pk: Any, values: dict, version: int) -> dict[str, Any]:
        """Change some fields of a record at ``version``; returns the new record.
        A stale version fails with ``raccoon.error.conflict`` carrying the
        current record."""
        return await _as_rpc(update(self.db, self.source, self.principal, pk, values, version))

    @call
    async def delete(self, pk: Any, version: int) -> dict[str, Any]:
        """Delete a record at ``version``; returns it as it was."""
        return await _as_rpc(delete(self.db, self.source, self.principal, pk, version))

    @call
    async def history(self, pk: Any, before: int | None = None) -> list[dict[str, Any]]:
        """Who changed the record, when, and from what to what (newest first).

        At most 100 entries, and no more than fit the byte budget; each has
        its ``id``: pass the last one's as ``before`` for the entries before
        it (:meth:`history_page` says whether there are more).
        """
        return (await self.history_page(pk, before))["entries"]

    @call
    async def history_page(self, pk: Any, before: int | None = None) -> dict[str, Any]:
        """``{"entries", "more", "before"}``: the newest changes of the record
        (older than the change ``before``), as many as fit the byte budget;
        ``more`` says whether older ones remain (ask again with ``before``)."""
        if before is not None and (
            isinstance(before, bool) or not isinstance(before, int) or not 0 < before < 2**63
        ):
            raise data_rpc_error(
                ArgumentError("before", f"expected a change id, got {describe_value(before)}")
            )
        await _as_rpc(get(self.db, self.source, self.principal, pk))  # visible to this principal?
        table = self.source.table
        assert table is not None
        tenant = self.principal.tenant if self.source.scoped else None
        changes = await history(
            self.db,
            table,
            self.source.coerce_pk(pk),
            tenant=tenant,
            limit=HISTORY_PAGE + 1,
            before_id=before,
        )
        entries, truncated = fit(self._history_entry(change) for change in changes[:HISTORY_PAGE])
        if truncated and not entries:
            size = json_size(self._history_entry(changes[0]))
            raise data_rpc_error(
                TooLargeError(
                    f"a change of record {pk!r} of {self.source.name!r} is too large to send: "
                    f"{size} bytes as JSON, an answer holds at most {MAX_RESULT_BYTES}",
                    source=self.source.name,
                    pk=pk,
                    size=size,
                )
            )
        more = truncated or len(changes) > HISTORY_PAGE
        return {"entries": entries, "more": more, "before": entries[-1]["id"] if entries else None}

    def _history_entry(self, change: Change) -> dict[str, Any]:
        return {
            "id": change.id,
            "at": change.at.isoformat(),
            "who": change.who,
            "op": change.op,
            "changes": [
                {"field": d.field, "old": d.before, "new": d.after}
                for d in change.diff()
                if d.field in self.source.fields and d.field != self.source.version_column
            ],
        }


class DetailCursor(Cursor):
    """A cursor whose rows are those linked to its master's current record.

    ``master`` is the master cursor's path (``'@companies'``, in this
    session or another); ``link`` is the field of this source that holds the
    master's primary key. When the master's ``current_id`` changes the
    detail reloads for it — one reload at a time, always ending on the
    latest value; with no current master record the window is empty. New
    records get ``link`` set to the master's current id.
    """

    def __init__(
        self,
        source: Source,
        db: Database,
        feed: ChangeFeed,
        principal: Principal,
        *,
        master: str,
        link: str,
        **options: Any,
    ) -> None:
        if link not in source.fields:
            raise ValueError(f"detail link {link!r} is not a field of source {source.name!r}")
        super().__init__(source, db, feed, principal, **options)
        self.master = master
        self.link = link
        self.master_id: Any = None
        self._user_filter: Any = self._filter_spec
        self._filter_spec = _link_filter(link, None, self._user_filter)
        self._filter = source.filter(self._filter_spec)

    async def _node_bind_hook(self) -> None:
        await super()._node_bind_hook()
        await self.node_follow(self.master, "current_id", self._follow_master)

    async def _follow_master(self, master_id: Any) -> None:
        if master_id is not None and not await self._master_visible(master_id):
            # The master may live in another session, or be the browser's:
            # its id is input. One this principal cannot see is no master.
            log.warning("detail %s: master id not visible, following none", self.node_path)
            master_id = None
        if master_id == self.master_id and self.node_data.get("status") == "ready":
            return

        def apply() -> None:
            self.master_id = master_id
            self._filter_spec = _link_filter(self.link, master_id, self._user_filter)
            self._filter = self.source.filter(self._filter_spec)
            self._offset = 0
            self.node_data.update(master_id=master_id, offset=0, current_id=None)

        await self._changed_query(apply)

    async def _master_visible(self, master_id: Any) -> bool:
        """Whether the principal may see the master record ``master_id``,
        looked up through the link's foreign key (a link without one refers
        to nothing to protect: the detail's rows are scoped anyway)."""
        source = self.source
        if id_problem(master_id) is not None:
            return False
        try:
            typed = source.fields[self.link].type.coerce(master_id)
        except CoercionError:
            return False
        tenant = self.principal.tenant
        for reference in references_of(source):
            if self.link in reference.columns and set(reference.columns) <= {
                self.link,
                source.tenant_column,
            }:
                values = {self.link: typed}
                if source.tenant_column is not None:
                    values[source.tenant_column] = tenant
                return await reference_visible(
                    self.db.executor, source, self.principal, reference, values, tenant, lock=False
                )
        return True

    @call
    async def set_filters(self, filters: list | dict | None) -> None:
        """Filter the detail rows (ANDed with the link to the master)."""
        combined = _link_filter(self.link, self.master_id, filters)
        try:
            checked = self.source.filter(combined)
        except FilterError as exc:
            raise data_rpc_error(exc) from None

        def apply() -> None:
            self._user_filter = filters
            self._filter_spec, self._filter, self._offset = combined, checked, 0
            self.node_data.update(filters=filters, offset=0)

        await self._changed_query(apply)

    def _creation_values(self, values: dict[str, Any]) -> dict[str, Any]:
        if self.link not in values and self.master_id is not None:
            return {**values, self.link: self.master_id}
        return values


def _link_filter(link: str, master_id: Any, user: Any) -> Any:
    if master_id is None:
        link_cond: dict[str, Any] = {"field": link, "op": "is_null", "value": True}
        # No current master: nothing matches (a null link is no master's).
        link_cond = {"and": [link_cond, {"not": link_cond}]}
    else:
        link_cond = {"field": link, "op": "eq", "value": master_id}
    return _and(user, link_cond)


def _and(a: Any, b: Any) -> Any:
    if not a:
        return b
    return {"and": [a, b]}


def _check_window(offset: Any, limit: Any) -> tuple[int, int]:
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= _MAX_OFFSET:
        raise ValueError(f"offset must be an integer >= 0, got {describe_value(offset)}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_WINDOW:
        raise ValueError(
            f"limit must be an integer from 1 to {MAX_WINDOW}, got {describe_value(limit)}"
        )
    return offset, limit
