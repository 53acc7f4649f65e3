"""Prototype-like namespaces carried down the node tree.

A :class:`NodeContext` carries what a request object carries elsewhere: the
WAMP connection (``wamp``), the paired ``controller`` and ``view``… A child
made with :meth:`NodeContext.new_child` sees every key of its parent and may
shadow them without changing the parent::

    root = NodeContext(user='ann')
    child = root.new_child(language='it')
    child.user, child.language          # 'ann', 'it'
    root.get('language')                # None

In JavaScript this *is* prototype inheritance: a child is
``Object.create(parent)`` with its own keys assigned, so ``child.user`` is a
plain property read. Under CPython the same reads go through a chain of
dicts. (The server's ``NodeContext.new()`` is ``new_child()`` here:
JavaScripthon refuses ``.new`` as an attribute name.) Keys must not be the
names of the methods below.
"""

from __globals__ import Object

from .compat import IS_JS


class JSNodeContext:
    """A namespace that inherits every key it lacks from its parent."""

    def __init__(self, **values):
        Object.assign(self, values)

    def new_child(self, **values):
        """A child context that inherits from this one."""
        child = Object.create(self)
        Object.assign(child, values)
        return child

    @property
    def parent(self):
        """The context this one inherits from (``None`` for a root)."""
        proto = Object.getPrototypeOf(self)
        # The root's prototype is the class prototype, not a context instance.
        if isinstance(proto, JSNodeContext):
            return proto
        return None

    def get(self, key, fallback=None):
        """The value of ``key`` here or in the nearest ancestor, else ``fallback``."""
        value = self[key]
        if value is None or value is JSNodeContext.prototype[key]:  # methods are no keys
            return fallback
        return value

    def set(self, key, value):
        """Set ``key`` on this context (its children see it, its parent does not)."""
        self[key] = value

    def has(self, key):
        """Whether ``key`` is visible from this context."""
        return self.get(key) is not None

    def own_keys(self):
        """The keys set on this context itself."""
        return Object.keys(self)

    def all_keys(self):
        """Every key visible from this context, sorted."""
        found = []
        ctx = self
        while ctx is not None:
            for key in Object.keys(ctx):
                if key not in found:
                    found.append(key)
            ctx = ctx.parent
        return sorted(found)


class _PyNodeContext:
    """A namespace that inherits every key it lacks from its parent (the
    CPython half: the checker skips ``_Py*`` classes)."""

    def __init__(self, **values):
        object.__setattr__(self, "_parent", None)
        object.__setattr__(self, "_values", dict(values))

    def new_child(self, **values):
        """A child context that inherits from this one."""
        child = _PyNodeContext()
        child._values.update(values)
        object.__setattr__(child, "_parent", self)
        return child

    @property
    def parent(self):
        """The context this one inherits from (``None`` for a root)."""
        return self._parent

    def get(self, key, fallback=None):
        """The value of ``key`` here or in the nearest ancestor, else ``fallback``."""
        ctx = self
        while ctx is not None:
            if key in ctx._values:
                return ctx._values[key]
            ctx = ctx._parent
        return fallback

    def set(self, key, value):
        """Set ``key`` on this context (its children see it, its parent does not)."""
        self._values[key] = value

    def has(self, key):
        """Whether ``key`` is visible from this context."""
        return self.get(key) is not None

    def own_keys(self):
        """The keys set on this context itself."""
        return list(self._values)

    def all_keys(self):
        """Every key visible from this context, sorted."""
        found = []
        ctx = self
        while ctx is not None:
            for key in list(ctx._values):
                if key not in found:
                    found.append(key)
            ctx = ctx._parent
        return sorted(found)

    def __getattr__(self, key):
        if key[0:1] == "_":
            raise AttributeError(key)
        ctx = self
        while ctx is not None:
            if key in ctx._values:
                return ctx._values[key]
            ctx = ctx._parent
        raise AttributeError(f"the node context has no '{key}' (nor any of its parents)")

    def __setattr__(self, key, value):
        self._values[key] = value

    def __contains__(self, key):
        return self.has(key)

    def __repr__(self):
        return "NodeContext(" + ", ".join(self.all_keys()) + ")"


if IS_JS:
    NodeContext = JSNodeContext
else:
    NodeContext = _PyNodeContext


__all__ = ["NodeContext"]
