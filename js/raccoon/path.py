"""Dotted paths on the WAMP realm, with a base for relative resolution.

The same semantics as the server's ``raccoon.node.Path``: ``Path('test')`` is
a root path and its own base; adding fragments keeps the base, so ``'@x'``
resolves against it; ``'#name.rest'`` resolves through the node context.

JavaScript has no operator overloading, so ``base + 'first'`` cannot build a
``Path`` there. It builds a string instead — ``'test:first'``, the base, a
colon, the fragments below it — that every API taking a path accepts (and
``Path(base + 'first')`` turns back into the path with its base). Under
CPython ``+`` returns a ``Path`` directly. ``path.add('first')`` returns a
``Path`` in both.
"""

from __globals__ import Object, Symbol

from .compat import IS_JS, concat, is_fragment
from .errors import PathError


def _split(text):
    if not isinstance(text, str):
        raise PathError("a path must be a str or Path, got " + _type_name(text))
    if text == "":
        raise PathError("a path cannot be empty")
    parts = text.split(".")
    for part in parts:
        if not is_fragment(part):
            raise PathError(
                f"invalid path '{text}': fragment '{part}' must be letters, digits or "
                "underscores, separated by single dots"
            )
    return parts


def _type_name(value):
    if value is None:
        return "None"
    if IS_JS:
        return typeof(value)
    return _py_type_name(value)


def _py_type_name(value):
    return type(value).__name__


def _same_parts(a, b):
    if len(a) != len(b):
        return False
    for i in range(len(a)):
        if a[i] != b[i]:
            return False
    return True


class Path:
    """A dotted path such as ``test.first.second``, with a *base*."""

    def __init__(self, path, base=None):
        base_len = -1
        if isinstance(path, Path):
            parts = path._parts
            if base is None:
                base_len = path._base_len
        elif isinstance(path, str):
            colon = path.split(":")
            if len(colon) == 2:
                # The string form of `path + 'x'` in JavaScript: 'base:rest'.
                rest = colon[1]
                if rest.endswith("."):
                    rest = rest[0:-1]
                base_parts = _split(colon[0])
                parts = base_parts if rest == "" else concat(base_parts, _split(rest))
                base_len = len(base_parts)
            else:
                parts = _split(path)
        elif isinstance(path, (list, tuple)):
            for part in path:
                if not isinstance(part, str):
                    raise PathError("path fragments must be strings")
            parts = _split(".".join(path))
        else:
            raise PathError("a path must be a str or Path, got " + _type_name(path))
        if base is not None:
            base_parts = base._parts if isinstance(base, Path) else _split(base)
            if not _same_parts(parts[0 : len(base_parts)], base_parts):
                raise PathError(
                    f"base '{'.'.join(base_parts)}' is not a prefix of '{'.'.join(parts)}'"
                )
            base_len = len(base_parts)
        self._parts = parts
        self._base_len = len(parts) if base_len < 0 else base_len
        self._str = ".".join(parts)

    # -- structure -------------------------------------------------------------------
    @property
    def base(self):
        """The path relative fragments (``'@x'``) resolve against."""
        return _make(self._parts[0 : self._base_len], self._base_len)

    @property
    def parts(self):
        """The fragments, e.g. ``['test', 'first']``."""
        return self._parts[0:]

    @property
    def name(self):
        """The last fragment."""
        return self._parts[-1]

    @property
    def parent(self):
        """The path without its last fragment (``None`` for a single fragment)."""
        count = len(self._parts)
        if count == 1:
            return None
        base_len = self._base_len
        if base_len > count - 1:
            base_len = count - 1
        return _make(self._parts[0 : count - 1], base_len)

    def is_prefix_of(self, other):
        """True when ``other`` is this path or lies below it (by whole fragments)."""
        parts = other._parts if isinstance(other, Path) else Path(other)._parts
        return _same_parts(parts[0 : len(self._parts)], self._parts)

    def relative_to(self, ancestor):
        """The fragments of this path below ``ancestor``."""
        anc = ancestor if isinstance(ancestor, Path) else Path(ancestor)
        if not anc.is_prefix_of(self):
            raise PathError(f"'{self._str}' is not below '{anc._str}'")
        count = len(anc._parts)
        return self._parts[count:]

    # -- arithmetic ------------------------------------------------------------------
    def add(self, other):
        """This path + ``other`` (a fragment string or a Path), keeping the base."""
        extra = other._parts if isinstance(other, Path) else _split(other)
        return _make(concat(self._parts, extra), self._base_len)

    def resolve(self, fragment, context=None):
        """Resolve ``fragment`` relative to this path.

        ``'@x.y'`` → the base + ``x.y``; ``'#name.rest'`` → the path of the
        node (or proxy) stored in ``context`` under ``name``, + ``rest``
        (``'#'`` alone: the context's ``root``); anything else is absolute.
        """
        if isinstance(fragment, Path):
            return fragment
        if not isinstance(fragment, str):
            raise PathError("cannot resolve a " + _type_name(fragment) + " as a path")
        if fragment.startswith("@"):
            rest = fragment[1:]
            return self.base.add(rest) if rest != "" else self.base
        if fragment.startswith("#"):
            return _resolve_in_context(fragment, context)
        return Path(fragment)

    # -- comparison ------------------------------------------------------------------
    def equals(self, other):
        """Whether ``other`` (a Path or a dotted string) is the same path."""
        if isinstance(other, Path):
            return other._str == self._str
        if isinstance(other, str):
            return other == self._str
        return False

    def __str__(self):
        return self._str

    def __repr__(self):
        if self._base_len == len(self._parts):
            return f"Path('{self._str}')"
        return f"Path('{self._str}', base='{'.'.join(self._parts[0 : self._base_len])}')"

    def _primitive(self, hint):
        if hint == "string":
            return self._str
        # `path + 'x'` in JavaScript: keep the base in the string (see above).
        base = ".".join(self._parts[0 : self._base_len])
        base_len = self._base_len
        rest = ".".join(self._parts[base_len:])
        return base + ":" + rest + ("." if rest != "" else "")

    # CPython protocol (JavaScript uses add/equals and the string form).
    def __add__(self, other):
        return self.add(other)

    def __eq__(self, other):
        return self.equals(other)

    def __hash__(self):
        return hash(self._str)  # pj: ignore[PJ209]

    def __len__(self):
        # JavaScripthon turns __len__ into a `length` getter: len(path) works in both.
        return len(self._parts)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)  # pj: ignore[PJ207]
        return self.add(name)


def _make(parts, base_len):
    path = Path(parts)
    path._base_len = base_len
    return path


def _resolve_in_context(fragment, context):
    names = fragment[1:].split(".")
    key = names[0] if names[0] != "" else "root"
    rest = ".".join(names[1:])
    if context is None:
        raise PathError(f"cannot resolve '{fragment}': no node context to look '{key}' up in")
    target = context.get(key)
    if target is None:
        raise PathError(f"cannot resolve '{fragment}': the node context has nothing under '{key}'")
    target_path = target.node_path if hasattr(target, "node_path") else None
    if not isinstance(target_path, Path):
        raise PathError(
            f"cannot resolve '{fragment}': context['{key}'] is not a bound node or proxy"
        )
    return target_path.add(rest) if rest != "" else target_path


def _install_to_primitive():
    def to_primitive(hint):
        # A JavaScript `function`: `self` is the path `+` is applied to.
        return self._primitive(hint)

    Object.defineProperty(Path.prototype, Symbol.toPrimitive, {"value": to_primitive})


if IS_JS:
    _install_to_primitive()


__all__ = ["Path"]
