"""A data grid over a cursor proxy: Tabulator shows the window the cursor holds.

Only the visible window travels: the grid sits in a scroller as tall as all
the rows would be (``total`` times the row height); scrolling asks the cursor for
the window at the new offset (``set_window``), and the cursor pushes those
rows. Header clicks sort on the server (``set_sort``), the filter box
filters on the server (``set_filters``), a row click makes that record
current (``set_current``), which is what detail cursors follow.
"""

from __globals__ import Math, clearTimeout, console, setTimeout
from raccoon.compat import is_none, push
from raccoon.tracker import autorun
from raccoon.view import element

from .tabulator import Tabulator, install_styles

__all__ = ["ROW_HEIGHT", "Grid"]

ROW_HEIGHT = 30
HEADER_HEIGHT = 42


class Grid:
    """``Grid(cursor, [{'field': 'name', 'title': 'Name'}, ...], filter_field='name')``."""

    def __init__(self, name, cursor, columns, *, filter_field=None, visible=10):
        self.name = name
        self.cursor = cursor
        self.columns = columns
        self.filter_field = filter_field
        self.visible = visible
        self.table = None
        self.built = False
        self.holder = None
        self._computation = None
        self._scroll_timer = None
        self._filter_timer = None

    def mount(self, parent):
        install_styles()
        holder = element("div", {"class": "safety-grid", "data-grid": self.name})
        if not is_none(self.filter_field):
            box = element(
                "input",
                {"class": "safety-filter", "placeholder": "filter", "data-grid": self.name},
            )
            box.addEventListener("input", lambda event: self._filter_later(box.value))
            holder.appendChild(box)
        scroller = element("div", {"class": "safety-scroller"})
        scroller.style.height = f"{HEADER_HEIGHT + self.visible * ROW_HEIGHT}px"
        scroller.style.overflowY = "auto"
        scroller.style.position = "relative"
        spacer = element("div", {"class": "safety-spacer"})
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
        scroller.addEventListener("scroll", lambda event: self._scrolled(scroller.scrollTop))
        definitions = []
        for column in self.columns:
            push(
                definitions,
                {"title": column.title, "field": column.field, "headerSort": False},
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
            },
        )
        self.table = table
        table.on("tableBuilt", lambda: self._built())
        table.on("headerClick", lambda event, column: self._sort_by(column.getField()))
        table.on("rowClick", lambda event, row: self._select(row.getData().id))

        def show(computation):
            rows = self.cursor.rows
            total = self.cursor.total
            current = self.cursor.current_id
            spacer.style.height = f"{HEADER_HEIGHT + total * ROW_HEIGHT}px"
            holder.dataset.total = total
            holder.dataset.status = self.cursor.status
            holder.dataset.rows = len(rows)
            holder.dataset.current = "" if is_none(current) else current
            if self.built:
                self.table.replaceData(rows)

        self._computation = autorun(show)
        self.cursor.set_window(0, self.visible + 2)

    def _built(self):
        self.built = True
        self.table.replaceData(self.cursor.rows)

    def _scrolled(self, top):
        if not is_none(self._scroll_timer):
            clearTimeout(self._scroll_timer)
        offset = Math.floor(top / ROW_HEIGHT)

        def move():
            self._scroll_timer = None
            self.cursor.set_window(offset, self.visible + 2).then(None, _report)

        self._scroll_timer = setTimeout(move, 30)

    def _filter_later(self, text):
        if not is_none(self._filter_timer):
            clearTimeout(self._filter_timer)

        def apply():
            self._filter_timer = None
            spec = None
            if len(text) > 0:
                spec = {"field": self.filter_field, "op": "icontains", "value": text}
            self.cursor.set_filters(spec).then(None, _report)

        self._filter_timer = setTimeout(apply, 150)

    def _sort_by(self, field):
        current = self.cursor.sort
        direction = "asc"
        if len(current) > 0 and current[0].field == field and current[0].dir == "asc":
            direction = "desc"
        self.holder.dataset.sort = f"{field} {direction}"
        self.cursor.set_sort([{"field": field, "dir": direction}]).then(None, _report)

    def _select(self, pk):
        self.cursor.set_current(pk).then(None, _report)

    def close(self):
        if not is_none(self._computation):
            self._computation.stop()
        if not is_none(self.table):
            self.table.destroy()


def _report(error):
    console.error("safety grid:", error)
