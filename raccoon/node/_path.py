"""Dotted paths on the WAMP realm, with a base for relative resolution."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Union

from ._errors import PathError

if TYPE_CHECKING:
    from ._context import NodeContext

__all__ = ["Path", "PathLike"]

# WAMP "loose" URIs allow more, but fragments that are identifiers (letters,
# digits, underscore) are valid in every router mode and as JS attributes.
_FRAGMENT = re.compile(r"[A-Za-z0-9_]+\Z")

PathLike = Union["Path", str]


def _split(path: str) -> tuple[str, ...]:
    if not isinstance(path, str):
        raise PathError(f"a path must be a str or Path, got {type(path).__name__}")
    if not path:
        raise PathError("a path cannot be empty")
    parts = tuple(path.split("."))
    for part in parts:
        if not _FRAGMENT.match(part):
            raise PathError(
                f"invalid path {path!r}: fragment {part!r} must be letters, digits or "
                "underscores, separated by single dots"
            )
    return parts


class Path:
    """A dotted path such as ``test.first.second``, with a *base*.

    ``Path('test')`` is a root path and its own base. Adding fragments keeps
    the base, so relative fragments resolve against it::

        >>> base = Path('test')
        >>> first = base + 'first'          # or base.first
        >>> first, first.base
        (Path('test.first'), Path('test'))
        >>> first.resolve('@third.rpc')
        Path('test.third.rpc')

    Paths compare equal to their dotted string and hash like it.
    """

    __slots__ = ("_base_len", "_parts", "_str")

    def __init__(self, path: PathLike | Iterable[str], base: PathLike | None = None) -> None:
        if isinstance(path, Path):
            parts = path._parts
            base_len = path._base_len if base is None else None
        elif isinstance(path, str):
            parts = _split(path)
            base_len = None
        elif isinstance(path, (list, tuple)) and all(isinstance(p, str) for p in path):
            parts = _split(".".join(path))
            base_len = None
        else:
            raise PathError(f"a path must be a str or Path, got {type(path).__name__}")
        if base is not None:
            base_parts = base._parts if isinstance(base, Path) else _split(base)
            if parts[: len(base_parts)] != base_parts:
                raise PathError(
                    f"base {'.'.join(base_parts)!r} is not a prefix of {'.'.join(parts)!r}"
                )
            base_len = len(base_parts)
        self._parts: tuple[str, ...] = parts
        self._base_len: int = len(parts) if base_len is None else base_len
        self._str = ".".join(parts)

    @classmethod
    def _make(cls, parts: tuple[str, ...], base_len: int) -> Path:
        self = cls.__new__(cls)
        self._parts = parts
        self._base_len = base_len
        self._str = ".".join(parts)
        return self

    # -- structure ---------------------------------------------------------
    @property
    def base(self) -> Path:
        """The path relative fragments (``'@x'``) resolve against."""
        return Path._make(self._parts[: self._base_len], self._base_len)

    @property
    def parts(self) -> tuple[str, ...]:
        """The fragments, e.g. ``('test', 'first')``."""
        return self._parts

    @property
    def name(self) -> str:
        """The last fragment."""
        return self._parts[-1]

    @property
    def parent(self) -> Path | None:
        """The path without its last fragment (``None`` for a single fragment)."""
        if len(self._parts) == 1:
            return None
        return Path._make(self._parts[:-1], min(self._base_len, len(self._parts) - 1))

    def is_prefix_of(self, other: PathLike) -> bool:
        """True when ``other`` is this path or lies below it (by whole fragments)."""
        parts = other._parts if isinstance(other, Path) else _split(other)
        return parts[: len(self._parts)] == self._parts

    def relative_to(self, ancestor: PathLike) -> tuple[str, ...]:
        """The fragments of this path below ``ancestor``."""
        anc = ancestor if isinstance(ancestor, Path) else Path(ancestor)
        if not anc.is_prefix_of(self):
            raise PathError(f"{self._str!r} is not below {anc._str!r}")
        return self._parts[len(anc._parts) :]

    # -- arithmetic --------------------------------------------------------
    def __add__(self, other: PathLike) -> Path:
        extra = other._parts if isinstance(other, Path) else _split(other)
        return Path._make(self._parts + extra, self._base_len)

    def __getattr__(self, name: str) -> Path:
        # Only called for missing attributes: `base.first` is `base + 'first'`.
        if name.startswith("_"):
            raise AttributeError(name)
        return self + name

    def resolve(self, fragment: PathLike, context: NodeContext | None = None) -> Path:
        """Resolve ``fragment`` relative to this path.

        - ``'@x.y'`` → the base of this path + ``x.y``;
        - ``'#name.rest'`` → the path of the node (or proxy) stored in
          ``context`` under ``name``, + ``rest``; ``'#'`` alone is the
          context's ``root`` node;
        - anything else is absolute (its own base).
        """
        if isinstance(fragment, Path):
            return fragment
        if not isinstance(fragment, str):
            raise PathError(f"cannot resolve a {type(fragment).__name__} as a path")
        if fragment.startswith("@"):
            rest = fragment[1:]
            return self.base + rest if rest else self.base
        if fragment.startswith("#"):
            return _resolve_in_context(fragment, context)
        return Path(fragment)

    # -- comparison --------------------------------------------------------
    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        if self._base_len == len(self._parts):
            return f"Path({self._str!r})"
        return f"Path({self._str!r}, base={'.'.join(self._parts[: self._base_len])!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Path):
            return self._parts == other._parts
        if isinstance(other, str):
            return self._str == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._str)

    def __len__(self) -> int:
        return len(self._parts)

    def __iter__(self) -> Any:
        return iter(self._parts)

    def __getstate__(self) -> tuple[tuple[str, ...], int]:
        return (self._parts, self._base_len)

    def __setstate__(self, state: tuple[tuple[str, ...], int]) -> None:
        self._parts, self._base_len = state
        self._str = ".".join(self._parts)


def _resolve_in_context(fragment: str, context: NodeContext | None) -> Path:
    name, _, rest = fragment[1:].partition(".")
    key = name or "root"
    if context is None:
        raise PathError(f"cannot resolve {fragment!r}: no node context to look {key!r} up in")
    target = context.get(key)
    if target is None:
        raise PathError(f"cannot resolve {fragment!r}: the node context has nothing under {key!r}")
    target_path = getattr(target, "node_path", None)
    if not isinstance(target_path, Path):
        raise PathError(
            f"cannot resolve {fragment!r}: context[{key!r}] is {type(target).__name__}, "
            "not a bound node or proxy"
        )
    return target_path + rest if rest else target_path
