"""Application objects on the wire, compatible with the server's registry.

WAMP carries JSON-like values. A registered object travels as
``{"__raccoon__": tag, "value": ...}`` and is rebuilt on the receiving side,
exactly as ``raccoon.node.Serialization`` does on the server: nodes and
proxies arrive as proxies of their path (``"node"``, ``"proxy"``), paths as
paths (``"path"``). Registration order matters: the first class an object is
an instance of wins, so register subclasses first.
"""

from .errors import NodeError

MARKER = "__raccoon__"


class Serialization:
    """A registry of types that can travel over WAMP::

    registry.register(Money, 'money',
                      lambda m: [m.amount, m.currency],
                      lambda value, context: Money(value[0], value[1]))
    """

    def __init__(self):
        self._entries = []
        self._by_tag = {}

    def register(self, cls, tag, encode, decode):
        """Make instances of ``cls`` (and subclasses) serializable as ``tag``."""
        if tag in self._by_tag and self._by_tag[tag]["cls"] is not cls:
            raise NodeError(f"serialization tag '{tag}' is already used by another class")
        entry = {"cls": cls, "tag": tag, "encode": encode, "decode": decode}
        self._entries.append(entry)
        self._by_tag[tag] = entry

    def register_check(self, check, tag, encode, decode):
        """Like :meth:`register`, with a predicate instead of a class (for
        objects that are no class instances, such as JavaScript proxies)."""
        if tag in self._by_tag and self._by_tag[tag]["check"] is not check:
            raise NodeError(f"serialization tag '{tag}' is already used")
        entry = {"cls": None, "check": check, "tag": tag, "encode": encode, "decode": decode}
        self._entries.append(entry)
        self._by_tag[tag] = entry

    def _entry_for(self, value):
        for entry in self._entries:
            cls = entry["cls"]
            if cls is None:
                if entry["check"](value):
                    return entry
            elif isinstance(value, cls):
                return entry
        return None

    def encode(self, value):
        """The wire form of ``value``."""
        if value is None or isinstance(value, (str, int, float)):
            return value
        if isinstance(value, (list, tuple)):
            return [self.encode(item) for item in value]
        if isinstance(value, dict):
            result = {}
            for key in list(value):
                result[key] = self.encode(value[key])
            return result
        entry = self._entry_for(value)
        if entry is not None:
            return {MARKER: entry["tag"], "value": entry["encode"](value)}
        return value

    def decode(self, value, context):
        """Rebuild registered objects inside a received value."""
        if isinstance(value, (list, tuple)):
            return [self.decode(item, context) for item in value]
        if isinstance(value, dict):
            if MARKER in value and "value" in value:
                tag = value[MARKER]
                if tag in self._by_tag:
                    return self._by_tag[tag]["decode"](value["value"], context)
            result = {}
            for key in list(value):
                result[key] = self.decode(value[key], context)
            return result
        return value


__all__ = ["MARKER", "Serialization"]
