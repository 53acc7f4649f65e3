"""Ordinary Python, lowered by the build (raccoon/build/_lower.py), means
the same under CPython and node; so do compat's remaining helpers
(single-source). Lists are compared through str(): in JavaScript `==` is
identity for lists and dicts."""

from ..compat import IS_JS, concat, index_of, is_int, same


def _nothing():
    pass


def _numbers():
    yield 1
    yield 2


def test_none_and_undefined():
    record = {"a": None}
    assert record["a"] is None and _nothing() is None and record.get("zz") is None
    assert not (_nothing() is not None)
    zero = 0
    empty = ""
    nothing = []
    assert zero is not None and empty is not None and nothing is not None


def test_dicts():
    obj = {"a": 1}
    assert "a" in obj and "toString" not in obj and "constructor" not in obj
    assert obj.get("a", 0) == 1 and obj.get("b", 0) == 0 and obj.get("b") is None
    obj.update({"b": 2})
    assert len(obj) == 2 and list(obj.values())[1] == 2
    assert list(obj.items())[1][0] == "b"
    clone = obj.copy()
    clone["c"] = 3
    assert "c" not in obj and len(clone) == 3 and len(dict(clone)) == 3
    seen = []
    for key, value in obj.items():
        seen.append(f"{key}={value}")
    assert ",".join(seen) == "a=1,b=2"
    assert str([k for k in obj]) == "['a', 'b']" and str(list(obj.keys())) == "['a', 'b']"
    for key in list(clone):
        del clone[key]
    assert len(clone) == 0 and len({}) == 0
    nested = {"inner": {"x": [1, None]}}
    assert nested["inner"].get("x")[1] is None and "x" in nested["inner"]
    assert isinstance(obj, dict) and not isinstance([], dict) and not isinstance(None, dict)


def test_lists():
    xs = [1, 2]
    xs.append(3)
    xs.append([4])
    assert len(xs) == 4 and 3 in xs and 5 not in xs and str(xs) == "[1, 2, 3, [4]]"
    assert index_of(xs, 2) == 1 and index_of(xs, 9) == -1
    assert xs.pop(0) == 1 and len(xs) == 3 and str(xs.pop()) == "[4]" and xs.index(3) == 1
    xs.append([4])
    both = concat(xs, [4])
    assert len(both) == 4 and len(xs) == 3
    assert isinstance(xs, list) and not isinstance({}, list)
    names = sorted(["b", "a", "c"])
    assert ",".join(names) == "a,b,c"
    assert str([n * 10 for n in _numbers()]) == "[10, 20]"
    total = 0
    for n in _numbers():
        total += n
    assert total == 3 and len([]) == 0 and str(list("ab")) == "['a', 'b']"


def test_strings_and_numbers():
    assert "abc".startswith("ab") and "abc".endswith("bc") and "b" in "abc"
    assert str(None) == "None" and str(1) == "1" and str(True) == "True" and str(-2.5) == "-2.5"
    assert str({"k": [1, "x"]}) == "{'k': [1, 'x']}"
    assert (
        f"{None}|{False}|{3.14159:.2f}|{42:>5}|{7:03d}|{'ab'!r}" == "None|False|3.14|   42|007|'ab'"
    )
    assert int("12") == 12 and int(" -7 ") == -7 and int(3.9) == 3 and float("1.5") == 1.5
    assert len("héllo") == 5
    assert same(1, 1) and same("a", "a") and not same([], [])
    assert is_int(3) and not is_int(True) and not is_int(2.5)
    assert sum([1, 2]) == 3 and max([1, 5, 2]) == 5 and min("b", "a") == "a"
    assert any([0, "x"]) and not any([[], {}, ""]) and all([1, [0]]) and round(2.5) == 2
    assert str(sorted(["bb", "a"], key=len, reverse=True)) == "['bb', 'a']"
    assert str([list(pair) for pair in enumerate("ab")]) == "[[0, 'a'], [1, 'b']]"
    assert IS_JS is True or IS_JS is False
