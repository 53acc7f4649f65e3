"""The client side of a server cursor (JavaScript only).

A :class:`CursorProxy` observes the reactive state a server
``raccoon.data.Cursor`` publishes (``docs/cursors.md``) and calls its
endpoints. Every property read is tracked, so an ``autorun`` that reads
``cursor.rows`` runs again when the window changes::

    cursor = CursorProxy(view.remote(description.cursors.companies))
    await cursor.start()
    autorun(lambda: grid.show(cursor.rows, cursor.total))
    await cursor.set_window(200, 40)      # only those 40 rows travel

The client never holds more than the window it asked for.
"""

from .errors import NodeError
from .proxy import is_proxy

__all__ = ["CursorProxy"]


class CursorProxy:
    """A live view of the server cursor behind ``proxy`` (``node.remote(path)``)."""

    def __init__(self, proxy):
        if not is_proxy(proxy):
            raise NodeError("CursorProxy needs a proxy: node.remote(cursor_path)")
        self.proxy = proxy
        self.state = None

    async def start(self):
        """Observe the cursor: after this the properties hold its state."""
        if self.state is None:
            self.state = await self.proxy.observe()
        return self

    async def close(self):
        """Stop observing."""
        if self.state is not None:
            state = self.state
            self.state = None
            await state.close()

    def _get(self, key, fallback=None):
        if self.state is None:
            return fallback
        value = self.state.data.get(key)
        return fallback if value is None else value

    # -- the state (tracked) -------------------------------------------------------
    @property
    def description(self):
        """The source's description: ``{name, pk, version, readonly, fields}``
        (the server's ``fields`` state key)."""
        return self._get("fields", {})

    @property
    def fields(self):
        """The source's fields: ``[{name, type: {kind, ...}, nullable, readonly,
        required}]``."""
        return self.description.get("fields", [])

    @property
    def pk_name(self):
        """The name of the primary key field (``'id'``)."""
        return self.description.get("pk", "id")

    @property
    def version_name(self):
        """The name of the version field (``'version'``), or None."""
        return self.description.get("version", None)

    @property
    def ids(self):
        """The primary keys of the window, in order."""
        return self._get("ids", [])

    @property
    def rows(self):
        """The rows of the window, in order (each a plain object)."""
        found = []
        for pk in self.ids:
            row = self.row(pk)
            if row is not None:
                found.append(row)
        return found

    def row(self, pk):
        """The row ``pk`` of the window, or None."""
        return self._get(f"row:{pk}")

    @property
    def total(self):
        """How many rows match the filters."""
        return self._get("total", 0)

    @property
    def window(self):
        """``{offset, limit}``: what the client looks at."""
        return {"offset": self._get("offset", 0), "limit": self._get("limit", 0)}

    @property
    def filters(self):
        return self._get("filters")

    @property
    def sort(self):
        return self._get("sort", [])

    @property
    def current_id(self):
        return self._get("current_id")

    @property
    def dirty(self):
        return self._get("dirty", False)

    @property
    def status(self):
        """``loading``, ``ready`` or ``error``."""
        return self._get("status", "loading")

    @property
    def error(self):
        return self._get("error")

    @property
    def master_id(self):
        """(detail cursors) the master record the rows belong to."""
        return self._get("master_id")

    def field(self, name):
        """The description of the field ``name``, or None."""
        for described in self.fields:
            if described.get("name", None) == name:
                return described
        return None

    # -- the endpoints ---------------------------------------------------------------
    async def set_window(self, offset, limit):
        return await self.proxy.set_window(offset, limit)

    async def set_filters(self, filters):
        return await self.proxy.set_filters(filters)

    async def set_sort(self, sort):
        return await self.proxy.set_sort(sort)

    async def set_current(self, pk):
        return await self.proxy.set_current(pk)

    async def set_dirty(self, dirty):
        return await self.proxy.set_dirty(dirty)

    async def read_rows(self, offset, limit):
        """Rows ``offset`` to ``offset + limit`` with the cursor's filters and sort,
        read now and not kept live (the window does not move)."""
        return await self.proxy.rows(offset, limit)

    async def get_record(self, pk):
        """The record ``pk`` (read now, not kept live)."""
        return await self.proxy.get(pk)

    async def create(self, values):
        return await self.proxy.create(values)

    async def update(self, pk, values, version):
        """Write ``values`` to ``pk``, which the client saw at ``version``;
        a stale version fails with ``raccoon.error.conflict``."""
        return await self.proxy.update(pk, values, version)

    async def delete(self, pk, version):
        return await self.proxy.delete(pk, version)

    async def history(self, pk):
        """Who changed the record ``pk``, when and how (newest first):
        ``[{at, who, op, changes: [{field, old, new}]}]``."""
        return await self.proxy.history(pk)

    def toString(self):
        return f"<CursorProxy {self.proxy.node_path}>"
