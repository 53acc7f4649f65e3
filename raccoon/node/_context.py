"""Prototype-like namespaces carried down the node tree."""

from __future__ import annotations

from typing import Any

__all__ = ["NodeContext"]

_MISSING = object()


class NodeContext:
    """A namespace that inherits every key it lacks from its parent.

    It carries what a request object carries in other frameworks: the WAMP
    connection (``wamp``), the session's user, the paired ``controller`` and
    ``view``… A child made with :meth:`new` sees its parent's keys and may
    shadow them without changing the parent::

        >>> root = NodeContext(user='ann')
        >>> child = root.new(language='it')
        >>> child.user, child.language, 'language' in root
        ('ann', 'it', False)
    """

    __slots__ = ("_parent", "_values")

    def __init__(self, parent: NodeContext | None = None, **values: Any) -> None:
        object.__setattr__(self, "_parent", parent)
        object.__setattr__(self, "_values", values)

    @property
    def parent(self) -> NodeContext | None:
        """The context this one inherits from."""
        return self._parent

    def new(self, **values: Any) -> NodeContext:
        """A child context that inherits from this one."""
        return NodeContext(self, **values)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` here or in the nearest ancestor, else ``default``."""
        ctx: NodeContext | None = self
        while ctx is not None:
            value = ctx._values.get(key, _MISSING)
            if value is not _MISSING:
                return value
            ctx = ctx._parent
        return default

    def __getattr__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise AttributeError(f"the node context has no {key!r} (nor any of its parents)")
        return value

    def __setattr__(self, key: str, value: Any) -> None:
        self._values[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self._values[key]
        except KeyError:
            raise AttributeError(f"{key!r} is not set on this context itself") from None

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key] = value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _MISSING) is not _MISSING

    def keys(self) -> set[str]:
        """Every key visible from this context."""
        keys: set[str] = set()
        ctx: NodeContext | None = self
        while ctx is not None:
            keys.update(ctx._values)
            ctx = ctx._parent
        return keys

    def __repr__(self) -> str:
        return f"NodeContext({', '.join(sorted(self.keys()))})"
