"""Hostile values for the fuzz suite (``test_fuzz.py``): a seeded generator of our own.

Why not hypothesis: every case here is a round trip through a real router
and service (milliseconds each), the cases must run inside one event loop
next to a victim client, and what we want is breadth over known classes of
hostile input (types, depth, size, unicode, argument shapes) rather than
shrinking. A fixed list of classes plus seeded random structures gives
that, reproducibly: ``RACCOON_FUZZ_SEED`` replays a run.
"""

from __future__ import annotations

import datetime
import decimal
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Case", "cases_for", "cbor_values", "has_surrogate", "hostile_values", "nested"]

#: Strings an attacker tries: control and odd unicode, injection-looking text.
ODD_STRINGS = (
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202e\u200b\ufeff",
    "\U0010ffff" * 8,
    "%s%n%x",
    "'; DROP TABLE raccoon_changes; --",
    "__proto__",
    "constructor",
    "../../etc/passwd",
    "wamp.session.kill",
    " " * 70,
)


def nested(depth: int, kind: str = "list") -> Any:
    """A value nested *depth* levels deep (built without recursion)."""
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


def _filter_chain(depth: int) -> Any:
    """A filter expression nested *depth* levels deep, alternating constructs."""
    value: Any = {"field": "name", "op": "eq", "value": "x"}
    for level in range(depth):
        if level % 3 == 0:
            value = {"and": [value]}
        elif level % 3 == 1:
            value = [value]
        else:
            value = {"not": value}
    return value


def _random_json(rng: random.Random, depth: int) -> Any:
    choice = rng.randrange(8 if depth > 0 else 5)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False, 0, -1, 2**63, -(2**63) - 1, 2**70, 1.5, -0.0, 1e308])
    if choice == 2:
        return rng.choice(ODD_STRINGS)
    if choice == 3:
        return "".join(
            chr(rng.choice([rng.randrange(32, 0x7F), rng.randrange(0xA0, 0xD7FF)]))
            for _ in range(rng.randrange(40))
        )
    if choice == 4:
        return rng.randrange(-(10**6), 10**6)
    if choice in (5, 6):
        return [_random_json(rng, depth - 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(["id", "name", "field", "op", "value", "and", "or", "not", "x" * 70, "\x00"]): (
            _random_json(rng, depth - 1)
        )
        for _ in range(rng.randrange(4))
    }


def hostile_values(rng: random.Random, randoms: int = 12) -> list[tuple[str, Any]]:
    """``(label, value)`` pairs: every class once, then *randoms* random structures.

    The largest value stays well under the browsers' message limit, so the
    router delivers each one (an oversized message is the router's to refuse,
    and test_inputs/test_wire_limits cover that)."""
    values: list[tuple[str, Any]] = [
        ("None", None),
        ("True", True),
        ("-1", -1),
        ("2**63", 2**63),
        ("-2**63-1", -(2**63) - 1),
        ("2**100", 2**100),
        ("1e308", 1e308),
        ("-0.0", -0.0),
        ("600 KB string", "x" * 600_000),
        ("100,000 ints", list(range(100_000))),
        ("20,000 keys", {f"k{i}": i for i in range(20_000)}),
        ("long key", {"k" * 100_000: 1}),
        ("filter 11 deep", _filter_chain(11)),
        ("filter 60 deep", _filter_chain(60)),
        ("filter 300 deep", _filter_chain(300)),
    ]
    values += [(f"string {s!r}"[:40], s) for s in ODD_STRINGS]
    values += [
        (f"{kind} {d} deep", nested(d, kind)) for kind in ("list", "dict") for d in (33, 420)
    ]
    values += [
        ("filter NUL", {"field": "name", "op": "eq", "value": "\x00"}),
        ("filter surrogate field", {"field": "\ud800", "op": "eq", "value": 1}),
        ("record NUL", {"name": "a\x00b"}),
        ("record surrogate", {"name": "\ud800"}),
        ("record unknown", {"evil": 1, "__proto__": {}}),
    ]
    values += [(f"random {i}", _random_json(rng, 5)) for i in range(randoms)]
    return values


def cbor_values() -> list[tuple[str, Any]]:
    """Values only a binary serializer carries: bytes and CBOR's tagged types."""
    return [
        ("bytes", b"\x00\xff" * 100),
        ("datetime", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)),
        ("decimal", decimal.Decimal("1e999")),
        ("decimal NaN", decimal.Decimal("NaN")),
        ("uuid", uuid.UUID(int=1)),
        ("set", {1, 2, 3}),
        ("nan", float("nan")),
        ("inf", float("inf")),
        # Not 400+ levels: the router's own CBOR decoder refuses those and closes
        # the sender's connection (the JSON cases reach the backend that deep).
        ("list 300 deep", nested(300)),
    ]


def has_surrogate(value: Any) -> bool:
    """Whether *value* holds a lone surrogate anywhere (keys included), walked
    without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= c <= "\udfff" for c in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


@dataclass(frozen=True)
class Case:
    """One call: ``uri(*args, **kwargs)``, labelled for the failure message."""

    uri: str
    label: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def cases_for(uri: str, values: list[tuple[str, Any]], rng: random.Random) -> Iterator[Case]:
    """Each hostile value once, in an argument shape drawn at random (the only
    argument, the second one, or a keyword), then the shapes that are hostile
    by themselves.

    Never a bare call with no argument: for ``logout`` or ``close`` that is a
    legitimate request, not an attack."""
    for label, value in values:
        shape = rng.randrange(3)
        if shape == 0:
            yield Case(uri, f"{label} as the only argument", (value,), {})
        elif shape == 1:
            yield Case(uri, f"{label} as the second argument", ("1", value), {})
        else:
            yield Case(uri, f"{label} as a keyword", (), {"values": value})
    yield Case(uri, "50 arguments", tuple(range(50)), {})
    yield Case(uri, "200 keywords", (), {f"k{i}": i for i in range(200)})
    yield Case(uri, "an odd, long keyword name", (), {"\u202e" + "k" * 300: rng.random()})
