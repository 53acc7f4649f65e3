"""The filter language: compiled SQL and parameters, errors naming their path,
Python evaluation agreeing with PostgreSQL, and hostile input staying inert."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sources_support import ANN, checksum, orders_source, scratch_schema

from raccoon.data import Database, FilterError, Source, read
from raccoon.data._database import compile_statement

UNIT = orders_source("s")


def sql(filters: Any, source: Source = UNIT, **kw: Any) -> tuple[str, list[Any]]:
    text, params = compile_statement(source.select(ANN, filters, **kw))
    return " ".join(text.split()), params


def where(filters: Any) -> tuple[str, list[Any]]:
    text, params = sql(filters)
    clause = text.split(" WHERE ", 1)[1].split(" ORDER BY ")[0]
    return clause, params


def problem(filters: Any) -> FilterError:
    with pytest.raises(FilterError) as caught:
        UNIT.filter(filters)
    return caught.value


# -- compiled SQL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "fragment", "params"),
    [
        ("eq", 3, "s.orders.qty = $2::INTEGER", [3]),
        ("ne", 3, "s.orders.qty != $2::INTEGER", [3]),
        ("lt", 3, "s.orders.qty < $2::INTEGER", [3]),
        ("le", 3, "s.orders.qty <= $2::INTEGER", [3]),
        ("gt", 3, "s.orders.qty > $2::INTEGER", [3]),
        ("ge", 3.0, "s.orders.qty >= $2::INTEGER", [3]),
        ("in", [1, 2], "s.orders.qty IN ($2::INTEGER, $3::INTEGER)", [1, 2]),
        ("not_in", [1], "(s.orders.qty NOT IN ($2::INTEGER))", [1]),
        ("between", [1, 9], "s.orders.qty BETWEEN $2::INTEGER AND $3::INTEGER", [1, 9]),
        ("is_null", True, "s.orders.qty IS NULL", []),
        ("is_null", False, "s.orders.qty IS NOT NULL", []),
    ],
)
def test_comparison_operators_compile_to_bound_parameters(op, value, fragment, params):
    clause, bound = where({"field": "qty", "op": op, "value": value})
    # The client's filter is always one parenthesized term after the scope.
    assert clause == f"s.orders.tenant = $1::VARCHAR AND ({fragment})"
    assert bound == ["acme", *params]


@pytest.mark.parametrize(
    ("op", "value", "fragment", "param"),
    [
        ("like", "a%", "s.orders.name LIKE $2::VARCHAR", "a%"),
        ("ilike", "a%", "s.orders.name ILIKE $2::VARCHAR", "a%"),
        (
            "contains",
            "50%_/",
            "s.orders.name LIKE '%' || $2::VARCHAR || '%' ESCAPE '/'",
            "50/%/_//",
        ),
        ("icontains", "a_", "s.orders.name ILIKE '%' || $2::VARCHAR || '%' ESCAPE '/'", "a/_"),
        ("startswith", "a%", "s.orders.name LIKE $2::VARCHAR || '%' ESCAPE '/'", "a/%"),
        ("istartswith", "a", "s.orders.name ILIKE $2::VARCHAR || '%' ESCAPE '/'", "a"),
        ("endswith", "z", "s.orders.name LIKE '%' || $2::VARCHAR ESCAPE '/'", "z"),
        ("iendswith", "z", "s.orders.name ILIKE '%' || $2::VARCHAR ESCAPE '/'", "z"),
    ],
)
def test_pattern_operators_escape_substrings(op, value, fragment, param):
    clause, bound = where({"field": "name", "op": op, "value": value})
    assert (
        clause.replace("(", "").replace(")", "") == f"s.orders.tenant = $1::VARCHAR AND {fragment}"
    )
    assert bound == ["acme", param]


def test_combinators_nest_inside_the_tenant_scope():
    clause, bound = where(
        {
            "or": [
                {"field": "name", "op": "eq", "value": "a"},
                {
                    "and": [
                        {"field": "qty", "op": "gt", "value": 1},
                        {"not": {"field": "active", "op": "eq", "value": True}},
                    ]
                },
            ]
        }
    )
    # AND binds tighter than OR: no parentheses are needed inside.
    assert clause == (
        "s.orders.tenant = $1::VARCHAR AND (s.orders.name = $2::VARCHAR "
        "OR s.orders.qty > $3::INTEGER AND s.orders.active != true)"
    )
    assert bound == ["acme", "a", 1]


def test_a_client_or_cannot_reach_around_the_tenant_condition():
    # The classic trick: "... OR 1=1"-like alternatives in the filter.
    clause, _ = where(
        {"or": [{"field": "id", "op": "gt", "value": 0}, {"field": "id", "op": "le", "value": 0}]}
    )
    assert clause == (
        "s.orders.tenant = $1::VARCHAR AND "
        "(s.orders.id > $2::INTEGER OR s.orders.id <= $3::INTEGER)"
    )


def test_a_list_is_an_and_and_empty_filters_match_everything():
    assert where(
        [{"field": "qty", "op": "eq", "value": 1}, {"field": "qty", "op": "ne", "value": 2}]
    )[0] == (
        "s.orders.tenant = $1::VARCHAR AND "
        "(s.orders.qty = $2::INTEGER AND s.orders.qty != $3::INTEGER)"
    )
    assert where(None) == ("s.orders.tenant = $1::VARCHAR", ["acme"])
    assert where([]) == ("s.orders.tenant = $1::VARCHAR", ["acme"])
    assert where({"or": []})[0] == "s.orders.tenant = $1::VARCHAR AND false"


def test_values_are_coerced_to_the_column_type():
    import datetime as dt
    from decimal import Decimal

    _, bound = where(
        [
            {"field": "created", "op": "ge", "value": "2024-02-29"},
            {"field": "stamp", "op": "lt", "value": "2024-01-01T10:00:00Z"},
            {"field": "price", "op": "eq", "value": "12.5"},
            {"field": "price", "op": "lt", "value": 0.1},
            {"field": "kind", "op": "in", "value": ["retail"]},
        ]
    )
    assert bound[1:5] == [
        dt.date(2024, 2, 29),
        dt.datetime(2024, 1, 1, 10, tzinfo=dt.UTC),
        Decimal("12.5"),
        Decimal("0.1"),
    ]
    assert bound[5] == "retail"


def test_hostile_values_are_only_ever_parameters():
    hostile = "'; DROP TABLE s.orders; --"
    text, bound = sql({"field": "name", "op": "eq", "value": hostile})
    assert "DROP" not in text
    assert bound == ["acme", hostile]
    text, bound = sql({"field": "name", "op": "in", "value": [hostile, "x') OR ('1'='1"]})
    assert "DROP" not in text and "'1'" not in text


# -- errors: what and where ------------------------------------------------------------


def test_unknown_fields_are_rejected_and_the_known_ones_listed():
    error = problem(
        {
            "and": [
                {"field": "qty", "op": "eq", "value": 1},
                {"field": "nope", "op": "eq", "value": 1},
            ]
        }
    )
    assert error.path == "filter.and[1].field"
    assert "unknown field 'nope'" in str(error)
    assert str(error).endswith(
        "are: active, code, created, id, kind, name, note, owner, price, qty, stamp, version"
    )
    assert error.to_dict() == {
        "code": "invalid_filter",
        "message": str(error),
        "details": {"path": "filter.and[1].field", "problem": error.problem},
    }


def test_the_tenant_column_is_not_filterable_unless_exposed():
    error = problem({"field": "tenant", "op": "eq", "value": "globex"})
    assert "unknown field 'tenant'" in str(error)
    assert "tenant" not in str(error).split("are:")[1]


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        (
            {"field": "qty", "op": "nope", "value": 1},
            "filter.op",
            "unknown operator 'nope'; use one of: eq, ne",
        ),
        (
            {"field": "qty", "op": "eq", "value": "abc"},
            "filter.value",
            "field 'qty': expected an integer, got 'abc' (a string)",
        ),
        (
            {"field": "qty", "op": "eq", "value": True},
            "filter.value",
            "expected an integer, got True (a boolean)",
        ),
        (
            {"field": "qty", "op": "eq", "value": 2**40},
            "filter.value",
            "out of range for a 32-bit integer",
        ),
        (
            {"field": "qty", "op": "like", "value": "1%"},
            "filter.op",
            "operator 'like' does not apply to field 'qty' (integer)",
        ),
        (
            {"field": "active", "op": "lt", "value": True},
            "filter.op",
            "operator 'lt' does not apply to field 'active' (boolean)",
        ),
        (
            {"field": "kind", "op": "contains", "value": "x"},
            "filter.op",
            "does not apply to field 'kind' (enum)",
        ),
        (
            {"field": "kind", "op": "eq", "value": "nope"},
            "filter.value",
            "expected one of 'retail', 'wholesale', 'internal'",
        ),
        (
            {"field": "created", "op": "eq", "value": "2024-13-01"},
            "filter.value",
            "expected a date 'YYYY-MM-DD'",
        ),
        (
            {"field": "stamp", "op": "eq", "value": "yesterday"},
            "filter.value",
            "expected an ISO 8601 timestamp",
        ),
        ({"field": "price", "op": "eq", "value": "1e999999999"}, "filter.value", "out of range"),
        (
            {"field": "price", "op": "eq", "value": "NaN"},
            "filter.value",
            "expected a finite number",
        ),
        ({"field": "name", "op": "eq", "value": "a\x00b"}, "filter.value", "NUL"),
        (
            {"field": "name", "op": "eq", "value": None},
            "filter.value",
            "use the operator 'is_null'",
        ),
        (
            {"field": "name", "op": "eq", "value": {"$ne": 1}},
            "filter.value",
            "expected a string, got {'$ne': 1} (an object)",
        ),
        (
            {"field": "name", "op": "is_null", "value": "yes"},
            "filter.value",
            "is_null takes true or false",
        ),
        (
            {"field": "qty", "op": "between", "value": [1]},
            "filter.value",
            "between takes [low, high], got 1 items",
        ),
        (
            {"field": "qty", "op": "in", "value": 1},
            "filter.value",
            "in takes a list, got 1 (an integer)",
        ),
        ({"field": "qty", "op": "in", "value": [1, None]}, "filter.value[1]", "is_null"),
        (
            {"field": "name", "op": "like", "value": "abc\\"},
            "filter.value",
            "ends with an escape character",
        ),
        ({"field": "qty", "op": "eq"}, "filter", "a condition needs 'value'"),
        ({"field": "qty", "op": "eq", "value": 1, "sql": "x"}, "filter", "unknown key 'sql'"),
        ({"and": [], "or": []}, "filter", "must have no other key"),
        ({"and": {"field": "qty"}}, "filter.and", "expected a list of filters"),
        ({"not": "x"}, "filter.not", "expected a condition object"),
        ("qty = 1", "filter", "expected a condition object"),
        (42, "filter", "got 42 (an integer)"),
        ({"field": 1, "op": "eq", "value": 1}, "filter.field", "unknown field 1"),
    ],
)
def test_malformed_filters_say_what_is_wrong_where(spec, path, message):
    error = problem(spec)
    assert error.path == path
    assert message in error.problem


def test_sizes_are_bounded():
    assert "too long: 10241 characters, at most 10240" in str(
        problem({"field": "name", "op": "eq", "value": "x" * 10241})
    )
    UNIT.filter({"field": "name", "op": "eq", "value": "x" * 10240})
    error = problem({"field": "qty", "op": "in", "value": list(range(1001))})
    assert "at most 1000 values" in str(error)
    UNIT.filter({"field": "qty", "op": "in", "value": list(range(1000))})
    error = problem({"or": [{"field": "qty", "op": "eq", "value": 1}] * 1001})
    assert error.path == "filter.or" and "at most 1000 items" in str(error)
    error = problem({"or": [{"field": "qty", "op": "eq", "value": 1}] * 201})
    assert "at most 200 conditions" in str(error)


def test_nesting_is_bounded():
    def nest(depth: int) -> Any:
        spec: Any = {"field": "qty", "op": "eq", "value": 1}
        for _ in range(depth - 1):
            spec = {"not": spec}
        return spec

    UNIT.filter(nest(10))
    error = problem(nest(11))
    assert "at most 10 levels deep" in str(error)
    assert error.path == "filter" + ".not" * 10


# -- sorting and windows ---------------------------------------------------------------


def test_sort_specs_end_with_the_primary_key():
    text, _ = sql(
        None, sort=["-price", {"field": "created", "dir": "asc", "nulls": "first"}, "name"]
    )
    assert text.endswith(
        "ORDER BY s.orders.price DESC, s.orders.created ASC NULLS FIRST, s.orders.name ASC, "
        "s.orders.id ASC"
    )
    text, _ = sql(None, sort=[{"field": "qty", "dir": "desc", "nulls": "last"}, "-id"])
    assert text.endswith("ORDER BY s.orders.qty DESC NULLS LAST, s.orders.id DESC")
    assert sql(None)[0].endswith("ORDER BY s.orders.id ASC")
    assert UNIT.sort(["name"]).to_spec()[-1] == {"field": "id", "dir": "asc", "nulls": "last"}


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        ("name", "sort", "expected a list of sort items"),
        (["tenant"], "sort[0]", "unknown field 'tenant'"),
        (["name; DROP TABLE x"], "sort[0]", "unknown field"),
        ([{"field": "name", "dir": "up"}], "sort[0].dir", "expected 'asc' or 'desc'"),
        ([{"field": "name", "nulls": "middle"}], "sort[0].nulls", "expected 'first' or 'last'"),
        ([{"field": "name", "how": "asc"}], "sort[0]", "unknown key 'how'"),
        (["name", "-name"], "sort[1]", "sorted on twice"),
        ([3], "sort[0]", "expected a field name"),
    ],
)
def test_malformed_sorts_are_rejected(spec, path, message):
    with pytest.raises(FilterError) as caught:
        UNIT.sort(spec)
    assert caught.value.path == path
    assert message in caught.value.problem


@pytest.mark.parametrize(
    ("kw", "path"),
    [
        ({"offset": -1}, "offset"),
        ({"offset": "0"}, "offset"),
        ({"limit": -5}, "limit"),
        ({"limit": True}, "limit"),
        ({"after": {"id": 1}, "before": {"id": 2}}, "before"),
        ({"after": {"version": 1}}, "after.id"),
        ({"after": {"id": "x"}}, "after.id"),
        ({"after": [1]}, "after"),
    ],
)
def test_bad_windows_are_rejected(kw, path):
    with pytest.raises(FilterError) as caught:
        UNIT.select(ANN, **kw)
    assert caught.value.path == path


def test_keyset_conditions():
    text, bound = sql(None, sort=["name"], after={"id": 5, "name": "b"}, limit=10)
    assert "(s.orders.name, s.orders.id) > ($2::VARCHAR, $3::INTEGER)" in text
    assert bound == ["acme", "b", 5, 10]
    text, _ = sql(None, sort=["-qty"], after={"id": 5, "qty": 3})
    # qty may be NULL: NULLs come first when descending, so none come after 3
    assert (
        "(s.orders.qty < $2::INTEGER OR s.orders.qty = $3::INTEGER AND s.orders.id > $4::INTEGER)"
        in text
    )
    text, _ = sql(None, sort=["qty"], after={"id": 5, "qty": 3})
    assert "s.orders.qty > $2::INTEGER OR s.orders.qty IS NULL" in text


# -- Python evaluation -----------------------------------------------------------------


def test_matches_uses_sql_three_valued_logic():
    row = {"id": 1, "qty": None, "name": "Acme 50%", "created": "2024-01-02", "price": 3.5}
    f = UNIT.filter
    assert not f({"field": "qty", "op": "gt", "value": 1}).matches(row)
    assert not f({"not": {"field": "qty", "op": "gt", "value": 1}}).matches(row)
    assert not f({"field": "qty", "op": "ne", "value": 1}).matches(row)
    assert f({"field": "qty", "op": "is_null", "value": True}).matches(row)
    assert f(
        {"or": [{"field": "qty", "op": "gt", "value": 1}, {"field": "id", "op": "eq", "value": 1}]}
    ).matches(row)
    assert f({"field": "name", "op": "contains", "value": "50%"}).matches(row)
    assert not f({"field": "name", "op": "contains", "value": "5_%"}).matches(row)
    assert f({"field": "name", "op": "like", "value": "A%5_\\%"}).matches(row)
    assert f({"field": "name", "op": "ilike", "value": "acme%"}).matches(row)
    assert f({"field": "created", "op": "between", "value": ["2024-01-01", "2024-01-31"]}).matches(
        row
    )
    assert f({"field": "price", "op": "eq", "value": "3.50"}).matches(row)
    assert f({"field": "qty", "op": "not_in", "value": []}).matches(row)  # as SQLAlchemy renders it
    assert not f({"field": "id", "op": "in", "value": []}).matches(row)


# -- against PostgreSQL: 100,000 rows --------------------------------------------------

BIG_ROWS = """
INSERT INTO {s}.orders (tenant, name, qty, price, active, created, stamp, kind, note, owner, code)
SELECT CASE WHEN i % 10 = 0 THEN 'globex' ELSE 'acme' END,
       'Item ' || i || CASE WHEN i % 7 = 0 THEN ' 50%_off' ELSE '' END,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 7919) % 1000 END,
       CASE WHEN i % 13 = 0 THEN NULL ELSE ((i::bigint * 104729) % 100000) / 100.0 END,
       i % 3 <> 0,
       DATE '2020-01-01' + (i % 1500),
       TIMESTAMPTZ '2020-01-01 00:00+00' + i * INTERVAL '17 minutes',
       (ARRAY['retail', 'wholesale', 'internal'])[1 + i % 3]::{s}.kind,
       CASE WHEN i % 5 = 0 THEN NULL ELSE md5(i::text) END,
       'user' || (i % 17),
       'C' || i
FROM generate_series(1, 100000) AS i
"""

pytestmark_db = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def big(database: str) -> AsyncIterator[tuple[Database, Source]]:
    async with Database(database, max_size=4) as db:
        async with scratch_schema(db) as schema:
            await db.execute(BIG_ROWS.format(s=schema))
            await db.execute(f"ANALYZE {schema}.orders")
            yield db, orders_source(schema)


async def ids(db: Database, statement: Any) -> list[int]:
    return [row["id"] for row in await db.fetch(statement)]


CASES = [
    ({"field": "qty", "op": "eq", "value": 7}, "qty = 7"),
    ({"field": "qty", "op": "ne", "value": 7}, "qty <> 7"),
    ({"field": "qty", "op": "lt", "value": 100}, "qty < 100"),
    ({"field": "price", "op": "ge", "value": "990.5"}, "price >= 990.5"),
    ({"field": "qty", "op": "in", "value": [1, 2, 3, 500]}, "qty IN (1, 2, 3, 500)"),
    ({"field": "kind", "op": "not_in", "value": ["retail"]}, "kind NOT IN ('retail')"),
    ({"field": "name", "op": "like", "value": "Item 1%"}, "name LIKE 'Item 1%'"),
    ({"field": "name", "op": "ilike", "value": "item 99%"}, "name ILIKE 'item 99%'"),
    ({"field": "name", "op": "contains", "value": "50%_"}, "strpos(name, '50%_') > 0"),
    ({"field": "name", "op": "icontains", "value": "0%_OFF"}, "strpos(lower(name), '0%_off') > 0"),
    ({"field": "note", "op": "startswith", "value": "ab"}, "left(note, 2) = 'ab'"),
    ({"field": "note", "op": "is_null", "value": True}, "note IS NULL"),
    (
        {"field": "created", "op": "between", "value": ["2021-01-01", "2021-03-31"]},
        "created BETWEEN '2021-01-01' AND '2021-03-31'",
    ),
    (
        {"field": "stamp", "op": "lt", "value": "2020-02-01T00:00:00+01:00"},
        "stamp < '2020-01-31T23:00:00+00'",
    ),
    ({"not": {"field": "active", "op": "eq", "value": True}}, "NOT active"),
    (
        {
            "or": [
                {"field": "qty", "op": "gt", "value": 990},
                {
                    "and": [
                        {"field": "price", "op": "is_null", "value": True},
                        {"field": "kind", "op": "eq", "value": "internal"},
                    ]
                },
            ]
        },
        "qty > 990 OR (price IS NULL AND kind = 'internal')",
    ),
    (
        {
            "not": {
                "or": [
                    {"field": "qty", "op": "gt", "value": 10},
                    {"field": "owner", "op": "eq", "value": "user3"},
                ]
            }
        },
        "NOT (qty > 10 OR owner = 'user3')",
    ),
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("spec", "raw"), CASES)
async def test_filters_return_exactly_what_sql_returns(big, spec, raw):
    db, source = big
    schema = source.table.schema
    expected = await ids(
        db, f"SELECT id FROM {schema}.orders WHERE tenant = 'acme' AND ({raw}) ORDER BY id"
    )
    assert expected, "the case should select something"
    assert await ids(db, source.select(ANN, spec)) == expected
    assert await db.fetchval(source.count(ANN, spec)) == len(expected)


SORTS = [
    (["-price"], "price DESC NULLS FIRST, id"),
    (["qty", "-created"], "qty NULLS LAST, created DESC, id"),
    ([{"field": "qty", "dir": "desc", "nulls": "last"}, "name"], "qty DESC NULLS LAST, name, id"),
    (["kind", "-id"], "kind, id DESC"),
    ([{"field": "note", "nulls": "first"}], "note NULLS FIRST, id"),
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("sort", "order"), SORTS)
async def test_sorting_and_paging_match_sql(big, sort, order):
    db, source = big
    schema = source.table.schema
    spec = {"field": "owner", "op": "in", "value": ["user1", "user2"]}
    expected = await ids(
        db,
        f"SELECT id FROM {schema}.orders WHERE tenant = 'acme' AND owner IN ('user1', 'user2') "
        f"ORDER BY {order}",
    )
    for offset in (0, 37, len(expected) - 10):
        page = await ids(db, source.select(ANN, spec, sort, offset, 25))
        assert page == expected[offset : offset + 25]
    # Python's order agrees (the sort fields hold no text).
    if "name" not in order and "note" not in order:
        rows = await read(db, source, ANN, filters=spec)
        assert [row["id"] for row in sorted(rows, key=source.sort(sort).key())] == expected
    # Keyset: walk forward with `after` the last row, then back with `before`.
    walked: list[dict[str, Any]] = []
    anchor = None
    while True:
        page = await read(db, source, ANN, filters=spec, sort=sort, limit=500, after=anchor)
        if not page:
            break
        walked += page
        anchor = page[-1]
    assert [row["id"] for row in walked] == expected
    back: list[dict[str, Any]] = []
    anchor = walked[-1]
    back = [anchor]
    while True:
        page = await read(db, source, ANN, filters=spec, sort=sort, limit=700, before=anchor)
        if not page:
            break
        back = page + back
        anchor = page[0]
    assert [row["id"] for row in back] == expected


def random_condition(rng: random.Random) -> dict[str, Any]:
    choice = rng.randrange(9)
    if choice == 0:
        return {
            "field": "qty",
            "op": rng.choice(["eq", "ne", "lt", "le", "gt", "ge"]),
            "value": rng.randrange(1000),
        }
    if choice == 1:
        return {
            "field": "qty",
            "op": rng.choice(["in", "not_in"]),
            "value": rng.sample(range(1000), 20),
        }
    if choice == 2:
        low = rng.randrange(100000) / 100
        return {"field": "price", "op": "between", "value": [low, low + rng.randrange(30000) / 100]}
    if choice == 3:
        return {
            "field": rng.choice(["note", "qty", "price"]),
            "op": "is_null",
            "value": rng.random() < 0.5,
        }
    if choice == 4:
        return {
            "field": "name",
            "op": rng.choice(["contains", "icontains", "startswith", "endswith", "iendswith"]),
            "value": rng.choice(["Item 1", "50%_", "7", "OFF", "item 2"]),
        }
    if choice == 5:
        return {
            "field": "note",
            "op": rng.choice(["like", "ilike"]),
            "value": rng.choice(["a%", "%b_c%", "%0", "_1%"]),
        }
    if choice == 6:
        return {
            "field": "created",
            "op": rng.choice(["lt", "ge"]),
            "value": f"202{rng.randrange(4)}-0{1 + rng.randrange(9)}-1{rng.randrange(9)}",
        }
    if choice == 7:
        return {
            "field": "kind",
            "op": rng.choice(["eq", "ne"]),
            "value": rng.choice(["retail", "wholesale", "internal"]),
        }
    return {"field": "active", "op": "eq", "value": rng.random() < 0.5}


def random_filter(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    if depth >= 3 or rng.random() < 0.4:
        return random_condition(rng)
    kind = rng.choice(["and", "or", "not"])
    if kind == "not":
        return {"not": random_filter(rng, depth + 1)}
    return {kind: [random_filter(rng, depth + 1) for _ in range(rng.randrange(1, 4))]}


@pytest.mark.asyncio(loop_scope="module")
async def test_python_matches_agrees_with_postgresql(big):
    db, source = big
    window = {"field": "id", "op": "le", "value": 6000}
    rows = await read(db, source, ANN, filters=window)  # JSON rows, as a client gets them
    rng = random.Random(20240229)
    for _ in range(60):
        spec = random_filter(rng)
        in_sql = set(await ids(db, source.select(ANN, [window, spec])))
        parsed = source.filter(spec)
        in_python = {row["id"] for row in rows if parsed.matches(row)}
        assert in_python == in_sql, spec


HOSTILE = [
    {"field": "name", "op": "eq", "value": "'; DROP TABLE {s}.orders; --"},
    {"field": "name", "op": "like", "value": "%'; DELETE FROM {s}.orders; --"},
    {"field": "name", "op": "contains", "value": "') OR 1=1; UPDATE {s}.orders SET qty = 0; --"},
    {"field": "name", "op": "in", "value": ["x", "y'); TRUNCATE {s}.orders; --"]},
    {"field": "note", "op": "ilike", "value": "\\'; drop table {s}.orders; --"},
    {"or": [{"field": "name", "op": "eq", "value": "x' OR tenant = 'globex"}]},
]
MALFORMED = [
    {"field": "name; DROP TABLE {s}.orders", "op": "eq", "value": 1},
    {"field": "name", "op": "= 'x' OR 1=1 --", "value": 1},
    {"field": "qty", "op": "eq", "value": "1; DROP TABLE {s}.orders"},
    {"field": "created", "op": "eq", "value": "2020-01-01'; DROP TABLE {s}.orders; --"},
    {"field": "name", "op": "eq", "value": {"sql": "DROP TABLE {s}.orders"}},
    {"field": "name", "op": "eq", "value": "x", "raw": "1=1) OR (1=1"},
]


@pytest.mark.asyncio(loop_scope="module")
async def test_hostile_filters_leave_the_database_unchanged(big):
    import json

    db, source = big
    schema = source.table.schema
    before = await checksum(db, schema)
    for spec in HOSTILE:
        spec = json.loads(json.dumps(spec).replace("{s}", schema))
        assert await read(db, source, ANN, filters=spec) == []
        assert await db.fetchval(source.count(ANN, spec)) == 0
    for spec in MALFORMED:
        spec = json.loads(json.dumps(spec).replace("{s}", schema))
        with pytest.raises(FilterError):
            await read(db, source, ANN, filters=spec)
    for sort in (["name; DROP TABLE x"], [{"field": "name", "dir": "asc; DROP TABLE x"}]):
        with pytest.raises(FilterError):
            await read(db, source, ANN, sort=sort)
    with pytest.raises(FilterError):
        await read(db, source, ANN, sort=["name"], after={"id": 1, "name": 5})
    page = await read(
        db, source, ANN, sort=["name"], limit=3, after={"id": 1, "name": "'; DROP TABLE x; --"}
    )
    assert len(page) == 3
    assert await checksum(db, schema) == before


def test_sort_compare_orders_rows_in_python():
    rows = [
        {"id": 1, "qty": None, "name": "b", "kind": "internal"},
        {"id": 2, "qty": 5, "name": "a", "kind": "retail"},
        {"id": 3, "qty": 5, "name": "c", "kind": None},
        {"id": 4, "qty": 1, "name": "a", "kind": "wholesale"},
    ]

    def order(spec: Any) -> list[int]:
        return [row["id"] for row in sorted(rows, key=UNIT.sort(spec).key())]

    assert order(["qty"]) == [4, 2, 3, 1]  # NULLs last when ascending
    assert order(["-qty"]) == [1, 2, 3, 4]  # and first when descending
    assert order([{"field": "qty", "dir": "desc", "nulls": "last"}, "-name"]) == [3, 2, 4, 1]
    assert order(["kind"]) == [2, 4, 1, 3]  # enums in declaration order
    assert UNIT.sort(["name"]).compare(rows[1], rows[3]) == -1
    assert UNIT.sort(["name"]).compare(rows[1], rows[1]) == 0
