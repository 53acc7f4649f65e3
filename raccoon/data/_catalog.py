"""The registry of an application's sources: :class:`Catalog`.

Explicit, not global: the application builds one and hands it to what needs
it (the cursor node, RPCs), so two applications or two tests never share
registrations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from raccoon.data._source import Source

__all__ = ["Catalog"]


class Catalog:
    """The sources of an application, by name (an explicit registry, not a global).

    ::

        catalog = Catalog([orders, customers])
        catalog.add(Source("crm.notes", notes_table, permissions=...))
        source = catalog["crm.orders"]
    """

    def __init__(self, sources: Iterable[Source] = ()) -> None:
        self._sources: dict[str, Source] = {}
        for source in sources:
            self.add(source)

    def add(self, source: Source) -> Source:
        """Register ``source``; a second source with the same name is refused."""
        if not isinstance(source, Source):
            raise TypeError(f"expected a Source, got {source!r}")
        existing = self._sources.get(source.name)
        if existing is not None:
            raise ValueError(
                f"a source named {source.name!r} is already registered (defined at "
                f"{existing.defined_at}); this one is defined at {source.defined_at}"
            )
        self._sources[source.name] = source
        return source

    def __getitem__(self, name: str) -> Source:
        try:
            return self._sources[name]
        except KeyError:
            known = ", ".join(sorted(self._sources)) or "none"
            raise KeyError(f"no source named {name!r}; registered sources: {known}") from None

    def get(self, name: str) -> Source | None:
        """The source named ``name``, or ``None``."""
        return self._sources.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __iter__(self) -> Iterator[Source]:
        return iter(self._sources.values())

    def __len__(self) -> int:
        return len(self._sources)

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._sources)
