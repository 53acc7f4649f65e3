"""Content: wire round trip, validation, and symbolic conditions."""

import math

import pytest

from raccoon.context import Condition, Content, InvalidIntent, Operation, Term


@pytest.mark.parametrize(
    "content",
    [
        Content("auth.users"),
        Content("auth.users", ids=[1, 2, 3]),
        Content("sales.order_lines", ids=[[1, "a"], [2, "b"]]),
        Content(
            "auth.users",
            filters={"or": [{"field": "name", "op": "=", "value": "ann"}, {"not": {"field": "x"}}]},
        ),
        Content("reports", attrs={"kind": "pdf", "pages": [1, 2], "opts": {"a": None}}),
        Content("a", ids=[], attrs={"flag": True, "ratio": 0.5}),
    ],
)
def test_wire_round_trip(content):
    wire = content.to_wire()
    assert Content.from_wire(wire) == content
    assert Content.from_wire(wire).to_wire() == wire
    assert hash(Content.from_wire(wire)) == hash(content)


def test_wire_form_and_len():
    assert Content("auth.users", ids=[42]).to_wire() == {"source": "auth.users", "ids": [42]}
    assert Content("auth.users", ids=[42]).len == 1
    assert Content("auth.users", ids=[]).len == 0
    assert Content("auth.users").len is None
    assert Content("auth.users", filters={"field": "a", "op": "=", "value": 1}).len is None
    composite = Content("t", ids=[(1, "a")])
    assert composite.ids == ((1, "a"),) and composite.to_wire()["ids"] == [[1, "a"]]


def test_content_is_immutable_and_copies_its_input():
    filters = {"field": "a", "op": "=", "value": [1]}
    content = Content("t", filters=filters, attrs={"k": "v"})
    filters["value"].append(2)
    assert content.filters["value"] == [1]
    with pytest.raises(AttributeError, match="immutable"):
        content.source = "other"
    with pytest.raises(TypeError):
        content.attrs["k"] = "changed"


@pytest.mark.parametrize(
    ("wire", "field", "message"),
    [
        ("auth.users", "content", "a content must be an object"),
        (None, "content", "got null"),
        ({}, "source", "needs a 'source'"),
        ({"source": 5}, "source", "dotted name such as 'auth.users', got int"),
        ({"source": "auth..users"}, "source", "got 'auth..users'"),
        ({"source": "a b"}, "source", "dotted name"),
        ({"source": "a", "ids": 5}, "ids", "list of primary keys, got int"),
        ({"source": "a", "ids": "123"}, "ids", "list of primary keys, got str"),
        ({"source": "a", "ids": [1, None]}, "ids[1]", "ids[1] must be a primary key"),
        ({"source": "a", "ids": [True]}, "ids[0]", "got bool"),
        ({"source": "a", "ids": [1.5]}, "ids[0]", "got float"),
        ({"source": "a", "ids": [[]]}, "ids[0]", "empty composite key"),
        ({"source": "a", "ids": [[1, {}]]}, "ids[0]", "got dict"),
        ({"source": "a", "filters": []}, "filters", "filters must be an object"),
        ({"source": "a", "filters": {"value": math.nan}}, "filters.value", "finite number"),
        ({"source": "a", "filters": {"and": [{1: 2}]}}, "filters.and[0]", "string keys"),
        ({"source": "a", "ids": [1], "filters": {}}, "filters", "ids or filters, not both"),
        ({"source": "a", "attrs": []}, "attrs", "attrs must be an object"),
        ({"source": "a", "attrs": {"bad-name": 1}}, "attrs.bad-name", "identifier"),
        ({"source": "a", "attrs": {"_private": 1}}, "attrs._private", "not starting with '_'"),
        ({"source": "a", "attrs": {"x": {1, 2}}}, "attrs.x", "plain JSON, got set"),
        ({"source": "a", "kind": "pdf"}, "kind", "unknown content field 'kind'"),
    ],
)
def test_from_wire_validation_names_the_field(wire, field, message):
    with pytest.raises(InvalidIntent) as info:
        Content.from_wire(wire)
    assert info.value.field == field
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_describe_and_repr():
    content = Content("auth.users", ids=[1], attrs={"kind": "x"})
    assert content.describe() == "source='auth.users' len=1 kind='x'"
    assert repr(content) == "<Content source='auth.users' len=1 kind='x'>"
    long = Content("a", filters={"field": "f", "op": "=", "value": "x" * 200})
    assert long.describe().endswith("...") and len(long.describe()) < 120


def test_operation_parse_and_wire_form():
    assert Operation.parse("VIEW") is Operation.VIEW
    assert Operation.parse(Operation.PICK) is Operation.PICK
    assert Operation.EDIT == "edit" and str(Operation.EDIT) == "edit"
    with pytest.raises(InvalidIntent, match="unknown operation 'print'") as info:
        Operation.parse("print")
    assert info.value.field == "operation"
    with pytest.raises(InvalidIntent, match="unknown operation a int"):
        Operation.parse(3)


# -- conditions ---------------------------------------------------------------------
USER = Content("auth.users", ids=[7], attrs={"kind": "staff", "level": 3, "tags": ["a"]})
QUERY = Content("auth.users", filters={"field": "name", "op": "=", "value": "x"})


@pytest.mark.parametrize(
    ("condition", "on_user", "on_query"),
    [
        (Content.source == "auth.users", True, True),
        (Content.source != "auth.users", False, False),
        (Content.len == 1, True, False),
        (Content.len == None, False, True),  # noqa: E711
        (Content.len != 1, False, True),
        (Content.len < 2, True, False),
        (Content.len <= 1, True, False),
        (Content.len > 0, True, False),
        (Content.len >= 2, False, False),
        (Content.source.in_(["auth.users", "x"]), True, True),
        (Content.source.startswith("auth."), True, True),
        (Content.ids == [7], True, False),
        (Content.ids.contains(7), True, False),
        (Content.ids.exists(), True, False),
        (Content.filters.exists(), False, True),
        (Content.filters["op"] == "=", False, True),
        (Content.attrs.kind == "staff", True, False),
        (Content.attrs["kind"].in_({"staff", "boss"}), True, False),
        (Content.attrs.level >= 3, True, False),
        (Content.attrs.tags.contains("a"), True, False),
        ((Content.len == 1) | (Content.len == None), True, True),  # noqa: E711
        (~(Content.len == 1), False, True),
        ((Content.source == "auth.users") & ~Content.attrs.kind.exists(), False, True),
    ],
)
def test_conditions_evaluate(condition, on_user, on_query):
    assert isinstance(condition, Condition)
    assert condition(USER) is on_user
    assert condition(QUERY) is on_query


@pytest.mark.parametrize(
    "condition",
    [
        Content.attrs.missing == "x",
        Content.attrs.missing != "x",
        Content.attrs.missing.exists(),
        Content.attrs.kind.missing_below == 1,  # kind is a str: nothing below it
        Content.attrs.kind > 5,  # str > int: TypeError inside, False outside
        Content.len > "a",
        Content.source.startswith("auth") & (Content.attrs.level < None),
        Content.attrs.tags.in_([["b"], {"x": 1}]),  # lists compare as tuples; no crash
        Content.ids.contains({"unhashable": 1}),
    ],
)
def test_conditions_never_raise_and_missing_is_false(condition):
    assert condition(USER) is False
    assert condition(QUERY) is False
    assert condition(object()) is False
    assert condition({"source": "auth.users"}) is False
    assert condition(None) is False


def test_negated_missing_is_true():
    assert (~(Content.attrs.missing == "x"))(USER) is True


def test_specificity():
    one = Content.source == "a"
    two = one & (Content.len == 1)
    assert one.specificity == 1
    assert two.specificity == 2
    assert (two & Content.attrs.k.exists()).specificity == 3
    assert (two | one).specificity == 1
    assert (two | (two & one)).specificity == 2
    assert (~two).specificity == 2


def test_conditions_hash_and_compare_by_structure():
    a = (Content.source == "auth.users") & (Content.len == 1)
    b = (Content.source == "auth.users") & (Content.len == 1)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != (Content.source == "auth.users") & (Content.len == 2)
    assert (Content.attrs.x == {"a": 1}) == (Content.attrs.x == {"a": 1})  # unhashable operand


def test_condition_repr_reads_like_the_source():
    cond = ((Content.source == "auth.users") & (Content.len == 1)) | ~Content.attrs.kind.in_(["a"])
    assert repr(cond) == (
        "((Content.source == 'auth.users') & (Content.len == 1)) | "
        "(~(Content.attrs.kind.in_(('a',))))"
    )
    assert repr(Content.attrs["odd name"].exists()) == "Content.attrs['odd name'].exists()"


def test_misuse_is_reported():
    with pytest.raises(TypeError, match=r"no truth value.*&, \| and ~"):
        _ = (Content.len == 1) and (Content.source == "x")
    with pytest.raises(TypeError, match="no truth value"):
        1 < Content.len < 3  # noqa: B015
    with pytest.raises(TypeError, match="plain value, not with another attribute"):
        Content.attrs.a == Content.attrs.b  # noqa: B015
    with pytest.raises(TypeError, match="needs a list"):
        Content.source.in_("auth.users")
    with pytest.raises(TypeError, match="needs a str"):
        Content.source.startswith(3)
    with pytest.raises(AttributeError, match=r"only Content\.attrs and Content\.filters"):
        Content.source.foo  # noqa: B018
    with pytest.raises(TypeError):
        (Content.len == 1) & "x"
    with pytest.raises(TypeError):
        hash(Content.source)
    assert isinstance(Content.attrs.kind, Term) and Content.attrs.kind.path == ("attrs", "kind")
