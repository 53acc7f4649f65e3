"""Helpers for client tests under node (``node --test``).

Single-source tests use plain ``assert``; these helpers cover what ``==``
cannot say in JavaScript (it is identity for lists and objects) and the
router-backed tests run by pytest (``RACCOON_TEST_ROUTER_URL`` and
``RACCOON_TEST_ROUTER_REALM`` name the router the pytest fixture started).
"""

from __globals__ import JSON, Error, clearTimeout, process, setTimeout

from .connection import Connection
from .promise import reversed_promise, sleep
from .tracker import autorun


def deep_equal(actual, expected):
    """Structural equality of JSON-like values (lists and plain objects)."""
    if isinstance(actual, (list, tuple)) or isinstance(expected, (list, tuple)):
        if (
            not isinstance(actual, (list, tuple))
            or not isinstance(expected, (list, tuple))
            or len(actual) != len(expected)
        ):
            return False
        for i in range(len(actual)):
            if not deep_equal(actual[i], expected[i]):
                return False
        return True
    if isinstance(actual, dict) or isinstance(expected, dict):
        if not isinstance(actual, dict) or not isinstance(expected, dict):
            return False
        names = sorted(actual)
        if not deep_equal(names, sorted(expected)):
            return False
        for name in names:
            if not deep_equal(actual[name], expected[name]):
                return False
        return True
    return actual == expected


def assert_equal(actual, expected, what="value"):
    """Fail with both values shown unless they are structurally equal."""
    if not deep_equal(actual, expected):
        raise Error(f"{what}: expected {JSON.stringify(expected)}, got {JSON.stringify(actual)}")


def until(predicate, timeout=5):
    """A Promise resolved with the value of the reactive expression
    ``predicate()`` once it is true (at once if it already is); it rejects
    after ``timeout`` seconds."""
    done = reversed_promise()
    state = {"comp": None, "timer": None}

    def watch():
        value = predicate()
        if value:
            done.resolve(value)

    def expire():
        done.reject(Error(f"until(): the condition did not hold within {timeout} s"))

    state["comp"] = autorun(watch)
    state["timer"] = setTimeout(expire, timeout * 1000)

    def cleanup(value):
        state["comp"].stop()
        clearTimeout(state["timer"])
        return value

    def failed(error):
        state["comp"].stop()
        raise error

    return done.then(cleanup, failed)


def router_from_env():
    """``[url, realm]`` of the router of a pytest-driven run; fails clearly
    when the test is run without one."""
    url = process.env.RACCOON_TEST_ROUTER_URL
    realm = process.env.RACCOON_TEST_ROUTER_REALM
    if url is None or realm is None:
        raise Error(
            "RACCOON_TEST_ROUTER_URL / RACCOON_TEST_ROUTER_REALM are not set: router tests "
            "are run by pytest (tests/js/test_router_suite.py), which starts the router"
        )
    return [url, realm]


_OPEN = []


async def connect_from_env(name="test"):
    """A joined :class:`Connection` to the router of a pytest-driven run
    (closed by :func:`close_connections`, whatever the test did)."""
    where = router_from_env()
    conn = Connection(where[0], where[1], name=name)
    _OPEN.append(conn)
    await conn.connect(20)
    return conn


async def close_connections():
    """Close every connection :func:`connect_from_env` opened: export it as
    ``teardown`` from a router test module so node can exit after a failure."""
    while len(_OPEN) > 0:
        conn = _OPEN.pop()
        await conn.close()


def env(name, fallback=None):
    """An environment variable of the node process."""
    value = process.env[name]
    return fallback if value is None else str(value)


__all__ = [
    "assert_equal",
    "close_connections",
    "connect_from_env",
    "deep_equal",
    "env",
    "reversed_promise",
    "router_from_env",
    "sleep",
    "until",
]
