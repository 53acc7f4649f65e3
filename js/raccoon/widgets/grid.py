"""A data grid over a cursor proxy: Tabulator shows the window the cursor holds
(JavaScript only).

Only the visible window travels: the table sits in a scroller as tall as all
the rows would be (``total`` times the row height); scrolling asks the
cursor for the window at the new offset (``set_window``), and the cursor
pushes those rows. Header clicks sort on the server (``set_sort``), the
filter box filters on the server (``set_filters``, ``icontains`` on
``filter_field``), a row click makes that record current (``set_current``),
which is what detail cursors and record forms follow. With the grid
focused, ArrowUp/ArrowDown, PageUp/PageDown, Home/End move the current
record, scrolling first when it is outside the window::

    grid = Grid('companies', cursor, [{'field': 'name', 'title': 'Name'}],
                filter_field='name', visible=10)
    grid.mount(parent)
    ...
    grid.close()

DOM hooks: the holder ``div.raccoon-grid[data-grid=<name>]`` carries
``data-total``, ``data-offset``, ``data-rows`` (rows in the window),
``data-current`` (the current pk), ``data-status``, ``data-sort``
(``"name desc"``; the sorted column's header has ``data-sort-dir``); the
filter box is ``input.raccoon-filter[data-filter=<name>]``; the focusable
scroller ``.raccoon-scroller``; each row element ``.tabulator-row`` has
``data-id`` and, for the current record, ``data-current="true"`` (class
``raccoon-current``).
"""

from __globals__ import Math, clearTimeout, console, setTimeout

from raccoon.compat import index_of
from raccoon.tracker import autorun, nonreactive
from raccoon.view import element

from . import styles
from .gridnav import first_visible_for, move
from .tabulator import Tabulator, install_styles
from .texts import text

__all__ = ["HEADER_HEIGHT", "ROW_HEIGHT", "Grid"]

ROW_HEIGHT = 30
HEADER_HEIGHT = 42
# Rows asked beyond the visible ones, so a partly scrolled last row is there.
_SLACK = 2


class Grid:
    """``Grid(name, cursor, columns, filter_field=None, visible=10)``: ``columns``
    are ``{'field', 'title'}`` objects; ``texts`` may translate the filter
    box's placeholder (``{'filter': 'filtra'}``)."""

    def __init__(self, name, cursor, columns, *, filter_field=None, visible=10, texts=None):
        self.name = name
        self.cursor = cursor
        self.columns = columns
        self.filter_field = filter_field
        self.visible = visible
        self.texts = texts
        self.table = None
        self.built = False
        self.holder = None
        self.scroller = None
        self._computations = []
        self._scroll_timer = None
        self._scroll_offset = 0
        self._filter_timer = None
        self._moves = 0  # keyboard moves so far: answers to older ones are dropped
        self._position = None  # the current record's row number, when known
        # The record the keyboard made current, at self._position: its row
        # number is known for sure, where the window's may be mid-update.
        self._keyed_pk = None

    # -- building ----------------------------------------------------------------------
    def mount(self, parent):
        """Draw the grid into ``parent`` and start following the cursor."""
        install_styles()
        styles.install()
        holder = element("div", {"class": "raccoon-grid", "data-grid": self.name})
        if self.filter_field is not None:
            box = element(
                "input",
                {
                    "class": "raccoon-filter",
                    "placeholder": text(self.texts, "filter"),
                    "data-filter": self.name,
                    "type": "search",
                },
            )
            box.addEventListener("input", lambda event: self._filter_later(box.value))
            holder.appendChild(box)
        scroller = element("div", {"class": "raccoon-scroller", "tabindex": "0"})
        scroller.style.height = f"{HEADER_HEIGHT + self.visible * ROW_HEIGHT}px"
        scroller.style.overflowY = "auto"
        scroller.style.position = "relative"
        spacer = element("div", {"class": "raccoon-spacer"})
        spacer.style.position = "absolute"
        spacer.style.top = "0"
        spacer.style.width = "1px"
        table_holder = element("div")
        table_holder.style.position = "sticky"
        table_holder.style.top = "0"
        scroller.appendChild(table_holder)
        scroller.appendChild(spacer)
        holder.appendChild(scroller)
        parent.appendChild(holder)
        self.holder = holder
        self.scroller = scroller
        scroller.addEventListener("scroll", lambda event: self._scrolled(scroller.scrollTop))
        scroller.addEventListener("keydown", lambda event: self._key(event))
        self.table = self._make_table(table_holder)

        def show_rows(computation):
            rows = self.cursor.rows
            total = self.cursor.total
            window = self.cursor.window
            spacer.style.height = f"{HEADER_HEIGHT + total * ROW_HEIGHT}px"
            holder.dataset.total = total
            holder.dataset.offset = window.offset
            holder.dataset.status = self.cursor.status
            holder.dataset.rows = len(rows)
            if self.built:
                self.table.replaceData(rows)

        def show_current(computation):
            current = self.cursor.current_id
            holder.dataset.current = "" if current is None else current
            ids = self.cursor.ids
            at = -1 if current is None else index_of(ids, current)
            # The window's offset and ids arrive in separate updates: read
            # together mid-scroll they can be one row apart. The keyboard's own
            # position of the record it made current is exact, so it stays.
            if at >= 0 and current != self._keyed_pk:
                self._position = self.cursor.window.offset + at
            if self.built:
                self._mark_current(current)

        def show_sort(computation):
            self._show_sort(self.cursor.sort)

        self._computations.append(autorun(show_rows))
        self._computations.append(autorun(show_current))
        self._computations.append(autorun(show_sort))
        self.cursor.set_window(0, self.visible + _SLACK).then(None, _report)
        return self

    def _make_table(self, table_holder):
        definitions = []
        for column in self.columns:
            definitions.append(
                {
                    "title": column.title,
                    "field": column.field,
                    # Tabulator puts a resize handle in every cell by default,
                    # and a click on it never reaches the row: a click in the
                    # middle of a two-column row selected nothing.
                    "resizable": "header",
                }
            )
        table = Tabulator(
            table_holder,
            {
                "columns": definitions,
                "data": [],
                "index": "id",
                "layout": "fitColumns",
                "renderVertical": "basic",
                "rowHeight": ROW_HEIGHT,
                "placeholder": "",
                "rowFormatter": lambda row: self._format_row(row),
            },
        )
        table.on("tableBuilt", lambda: self._built())
        table.on("headerClick", lambda event, column: self._sort_by(column.getField()))
        table.on("rowClick", lambda event, row: self._select(row.getData().id))
        return table

    def _built(self):
        self.built = True
        rows = nonreactive(lambda: self.cursor.rows)
        self.table.replaceData(rows)
        self._show_sort(nonreactive(lambda: self.cursor.sort))

    def _format_row(self, row):
        pk = row.getData().id
        row_element = row.getElement()
        row_element.dataset.id = pk
        current = nonreactive(lambda: self.cursor.current_id)
        _mark(row_element, pk == current)

    def _mark_current(self, current):
        for row in self.table.getRows():
            _mark(row.getElement(), row.getData().id == current)

    def _show_sort(self, sort):
        first = sort[0] if len(sort) > 0 else None
        self.holder.dataset.sort = "" if first is None else f"{first.field} {first.dir}"
        if not self.built:
            return
        for column in self.table.getColumns():
            header = column.getElement()
            if first is not None and column.getField() == first.field:
                # Not aria-sort: Tabulator owns that one (it resets it to "none").
                header.dataset.sortDir = first.dir
            elif header.dataset.get("sortDir", None) is not None:
                del header.dataset.sortDir

    # -- what the user does ----------------------------------------------------------------
    def _scrolled(self, top):
        # Throttled, not debounced: during a long scroll (wheel events come
        # every ~17 ms) the window follows every 30 ms, and the last position
        # is always asked for.
        self._scroll_offset = Math.floor(top / ROW_HEIGHT)
        if self._scroll_timer is not None:
            return

        def move_window():
            self._scroll_timer = None
            self.cursor.set_window(self._scroll_offset, self.visible + _SLACK).then(None, _report)

        self._scroll_timer = setTimeout(move_window, 30)

    def _filter_later(self, typed):
        if self._filter_timer is not None:
            clearTimeout(self._filter_timer)

        def apply():
            self._filter_timer = None
            spec = None
            self._keyed_pk = None
            if len(typed) > 0:
                spec = {"field": self.filter_field, "op": "icontains", "value": typed}
            self.scroller.scrollTop = 0
            self.cursor.set_filters(spec).then(None, _report)

        self._filter_timer = setTimeout(apply, 150)

    def _sort_by(self, field):
        self._keyed_pk = None  # a new order: the record's row number changes
        current = self.cursor.sort
        direction = "asc"
        if len(current) > 0 and current[0].field == field and current[0].dir == "asc":
            direction = "desc"
        self.cursor.set_sort([{"field": field, "dir": direction}]).then(None, _report)

    def _select(self, pk):
        self._keyed_pk = None
        self.scroller.focus({"preventScroll": True})
        self.cursor.set_current(pk).then(None, _report)

    def _key(self, event):
        total = self.cursor.total
        target = move(self._position, event.key, total, self.visible)
        if target is None:
            return
        event.preventDefault()
        first = Math.floor(self.scroller.scrollTop / ROW_HEIGHT)
        wanted = first_visible_for(target, first, self.visible)
        self._position = target
        self._moves = self._moves + 1
        if wanted != first:
            self.scroller.scrollTop = wanted * ROW_HEIGHT
        self._make_current_at(target, self._moves)

    def _make_current_at(self, position, move_number):
        """Make the row at ``position`` (in the whole result) current. Its id is
        read from the server: while the window moves, its offset and its ids
        may arrive in separate updates, so the window cannot say for sure
        which row is at a position."""

        def found(rows):
            if move_number == self._moves and len(rows) > 0:
                self._keyed_pk = rows[0].id
                self._set_current(rows[0].id)

        self.cursor.read_rows(position, 1).then(found, _report)

    def _set_current(self, pk):
        if pk != self.cursor.current_id:
            self.cursor.set_current(pk).then(None, _report)

    def close(self):
        """Stop following the cursor and drop the table."""
        for computation in self._computations:
            computation.stop()
        self._computations = []
        if self.table is not None:
            self.table.destroy()
            self.table = None
        if self.holder is not None and self.holder.parentNode is not None:
            self.holder.parentNode.removeChild(self.holder)


def _mark(row_element, current):
    if current:
        row_element.classList.add("raccoon-current")
        row_element.dataset.current = "true"
    else:
        row_element.classList.remove("raccoon-current")
        if row_element.dataset.get("current", None) is not None:
            del row_element.dataset.current


def _report(error):
    console.error("raccoon grid:", error)
