"""compat: the helpers mean the same in both languages (single-source)."""

from ..compat import (
    IS_JS,
    concat,
    copy,
    ends_with,
    index_of,
    insert,
    is_list,
    is_object,
    items,
    join,
    keys,
    remove_at,
    same,
    sort_strings,
    starts_with,
    to_str,
    update,
    values,
)


def test_objects():
    obj = {"a": 1}
    assert "a" in obj and "toString" not in obj
    assert obj.get("a", 0) == 1 and obj.get("b", 0) == 0
    update(obj, {"b": 2})
    assert len(keys(obj)) == 2 and values(obj)[1] == 2
    assert items(obj)[1][0] == "b"
    clone = copy(obj)
    clone["c"] = 3
    assert "c" not in obj
    assert is_object(obj) and not is_object([]) and not is_object(None)


def test_lists():
    xs = [1, 2]
    xs.append(3)
    insert(xs, 0, 0)
    assert len(xs) == 4 and xs[0] == 0
    assert index_of(xs, 2) == 2 and index_of(xs, 9) == -1
    assert remove_at(xs, 0) == 0 and len(xs) == 3
    both = concat(xs, [4])
    assert len(both) == 4 and len(xs) == 3
    assert is_list(xs) and not is_list({})
    names = sort_strings(["b", "a", "c"])
    assert join(names, ",") == "a,b,c"


def test_strings_and_none():
    assert starts_with("abc", "ab") and ends_with("abc", "bc")
    assert to_str(None) == "null" and to_str(1) == "1" and to_str(True) == "true"
    assert None is None
    assert same(1, 1) and same("a", "a") and not same([], [])
    assert IS_JS is True or IS_JS is False
