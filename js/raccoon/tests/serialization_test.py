"""Serialization: the server's wire format for registered objects (single-source)."""

from ..path import Path
from ..serialization import MARKER, Serialization


class Money:
    def __init__(self, amount, currency):
        self.amount = amount
        self.currency = currency


def _registry():
    registry = Serialization()
    registry.register(
        Money,
        "money",
        lambda money: [money.amount, money.currency],
        lambda value, context: Money(value[0], value[1]),
    )
    registry.register(Path, "path", lambda path: f"{path}", lambda value, context: Path(value))
    return registry


def test_plain_values_travel_as_they_are():
    registry = _registry()
    assert registry.encode(1) == 1
    assert registry.encode("x") == "x"
    assert registry.encode(None) is None
    encoded = registry.encode({"a": [1, 2], "b": {"c": True}})
    assert encoded["a"][1] == 2 and encoded["b"]["c"] is True


def test_registered_objects_travel_marked():
    registry = _registry()
    encoded = registry.encode([Money(5, "EUR"), {"where": Path("a.b")}])
    assert encoded[0][MARKER] == "money"
    assert encoded[0]["value"][1] == "EUR"
    assert encoded[1]["where"][MARKER] == "path"
    assert encoded[1]["where"]["value"] == "a.b"
    decoded = registry.decode(encoded, None)
    assert isinstance(decoded[0], Money) and decoded[0].amount == 5
    assert isinstance(decoded[1]["where"], Path)
    assert decoded[1]["where"].equals("a.b")


def test_unknown_tags_stay_plain():
    registry = _registry()
    value = registry.decode({MARKER: "unknown", "value": 1}, None)
    assert value[MARKER] == "unknown"
