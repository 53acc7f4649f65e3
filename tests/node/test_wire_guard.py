"""No message a peer sends, and no answer an endpoint gives, drops a connection.

Over a real router: a value nested deeper than the CBOR decoder goes (cbor2
stops at 400 levels), a result bigger than the transport carries, a call or
publication too big to send, an error that would quote a huge argument back.
Each ends as a clear, bounded error for that one call (or a dropped event),
and the connection keeps its WAMP session (its id does not change).
"""

from __future__ import annotations

import logging
from typing import Any

import cbor2
import msgpack
import pytest
import pytest_asyncio

from raccoon.node import (
    DEFAULT_MAX_MESSAGE_SIZE,
    MAX_ARGUMENT_DEPTH,
    MAX_ERROR_MESSAGE,
    MESSAGE_TOO_LARGE,
    RESULT_TOO_LARGE,
    UNDECODABLE,
    InvalidArguments,
    Path,
    RPCError,
    WAMPNode,
    _wire,
    call,
)
from raccoon.node._errors import rpc_error_from_wamp
from raccoon.node._limits import (
    MAX_COLLECTION_LENGTH,
    MAX_STRING_LENGTH,
    bounded_data,
    check_arguments,
    quote,
)
from raccoon.node._lograte import BURST, PeerWarnings
from raccoon.node._wire import read_header
from raccoon.testing import eventually
from raccoon.testing.connections import open_connection

#: Beyond cbor2's fixed decoding depth (400).
UNDECODABLE_DEPTH = 420
#: More than the test router's transport carries (RouterSettings' default).
OVERSIZED = DEFAULT_MAX_MESSAGE_SIZE + 1024


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


class Service(WAMPNode):
    def __init__(self) -> None:
        self.seen: list[Any] = []

    @call
    async def echo(self, value: Any = None) -> Any:
        self.seen.append(value)
        return value

    @call
    async def huge(self, size: int) -> str:
        return "x" * size

    @call
    async def deep(self) -> Any:
        return nested(UNDECODABLE_DEPTH)

    @call
    async def refuses(self, value: str) -> None:
        # An application error that quotes its input, as validation errors do.
        raise RPCError(f"not a valid code: {value!r}", uri="app.error.code", got=value)


async def bind(node: WAMPNode, path: str, connection: Any) -> Any:
    await node.node_bind(Path(path, base="test"), connection.new_context())
    return node


@pytest_asyncio.fixture
async def json_connection(crossbar: Any) -> Any:
    """A session whose router link is JSON: the router re-encodes what it
    sends as CBOR for the others, however deep it is."""
    connection = await open_connection(crossbar, "json", serializers=("json",))
    yield connection
    await connection.close()


@pytest.mark.asyncio
async def test_an_undecodable_invocation_is_refused_and_the_callee_stays(
    connection1: Any, json_connection: Any
) -> None:
    service = await bind(Service(), "test.wire", connection1)
    session = connection1.session_id
    try:
        with pytest.raises(InvalidArguments) as err:
            await json_connection.call("test.wire.echo", [nested(UNDECODABLE_DEPTH)], timeout=10)
        assert "could not be decoded" in str(err.value)
        assert len(str(err.value)) <= MAX_ERROR_MESSAGE
        # Decodable, but deeper than the door lets in: refused before the method ran.
        with pytest.raises(InvalidArguments, match="nested more than"):
            await json_connection.call("test.wire.echo", [nested(MAX_ARGUMENT_DEPTH + 1)])
        assert service.seen == []
        assert connection1.session_id == session and connection1.is_connected
        assert await json_connection.call("test.wire.echo", ["still here"]) == "still here"
    finally:
        await service.node_unbind()


@pytest.mark.asyncio
async def test_an_undecodable_event_is_dropped_and_the_subscriber_stays(
    connection1: Any, json_connection: Any
) -> None:
    got: list[Any] = []
    session = connection1.session_id
    subscription = await connection1.subscribe("test.wire.on_event", got.append)
    try:
        await json_connection.publish("test.wire.on_event", [nested(UNDECODABLE_DEPTH)])
        await json_connection.publish("test.wire.on_event", [nested(MAX_ARGUMENT_DEPTH + 5)])
        await json_connection.publish("test.wire.on_event", ["fine"], acknowledge=True)
        # "fine" is the sentinel: published after the two refused ones by the
        # same session, it arrives after them had they been delivered.
        await eventually(lambda: got, what="the event after the refused ones")
        assert got == ["fine"]
        assert connection1.session_id == session and connection1.is_connected
    finally:
        await connection1.unsubscribe(subscription)


@pytest.mark.asyncio
async def test_an_undecodable_result_is_an_error_for_that_call(
    connection1: Any, json_connection: Any
) -> None:
    service = await bind(Service(), "test.wire", json_connection)
    session = connection1.session_id
    try:
        with pytest.raises(RPCError) as err:
            await connection1.call("test.wire.deep", timeout=10)
        assert err.value.uri == UNDECODABLE
        assert connection1.session_id == session and connection1.is_connected
        assert await connection1.call("test.wire.echo", [1]) == 1
    finally:
        await service.node_unbind()


@pytest.mark.asyncio
async def test_a_result_too_large_for_the_transport_is_an_error_not_a_disconnection(
    connection1: Any, connection2: Any
) -> None:
    service = await bind(Service(), "test.wire", connection1)
    session = connection1.session_id
    try:
        with pytest.raises(RPCError) as err:
            await connection2.call("test.wire.huge", [OVERSIZED], timeout=20)
        assert err.value.uri == RESULT_TOO_LARGE
        assert err.value.data["limit"] == DEFAULT_MAX_MESSAGE_SIZE
        assert len(str(err.value)) <= MAX_ERROR_MESSAGE
        assert connection1.session_id == session and connection1.is_connected
        assert await connection2.call("test.wire.huge", [10]) == "x" * 10
    finally:
        await service.node_unbind()


@pytest.mark.asyncio
async def test_a_call_or_event_too_large_to_send_is_refused_on_this_side(
    connection1: Any, connection2: Any, caplog: pytest.LogCaptureFixture
) -> None:
    service = await bind(Service(), "test.wire", connection1)
    session = connection2.session_id
    big = "x" * OVERSIZED
    try:
        with pytest.raises(RPCError) as err:
            await connection2.call("test.wire.echo", [big], timeout=20)
        assert err.value.uri == MESSAGE_TOO_LARGE
        with pytest.raises(RPCError) as err:
            await connection2.publish("test.wire.on_big", [big])
        assert err.value.uri == MESSAGE_TOO_LARGE
        caplog.set_level(logging.ERROR, logger="raccoon.node.connection")
        connection2.publish_nowait("test.wire.on_big", [big])  # logged, not raised
        assert "dropped" in caplog.text
        assert connection2.session_id == session and connection2.is_connected
        assert await connection2.call("test.wire.echo", ["ok"]) == "ok"
    finally:
        await service.node_unbind()


@pytest.mark.asyncio
async def test_errors_do_not_quote_huge_arguments_back(connection1: Any, connection2: Any) -> None:
    service = await bind(Service(), "test.wire", connection1)
    huge = "y" * 200_000
    try:
        with pytest.raises(RPCError) as err:
            await connection2.call("test.wire.refuses", [huge], timeout=10)
        assert err.value.uri == "app.error.code"
        assert len(err.value.message) <= MAX_ERROR_MESSAGE
        assert err.value.message.endswith("…")
        assert len(err.value.data.get("got", "")) <= MAX_ERROR_MESSAGE
        # An unexpected keyword's name is quoted by the signature check: cut too.
        with pytest.raises(InvalidArguments) as err:
            await connection2.call("test.wire.echo", [], {"k" * 250: 1}, timeout=10)
        assert len(str(err.value)) <= MAX_ERROR_MESSAGE
        with pytest.raises(InvalidArguments, match="keyword argument name"):
            await connection2.call("test.wire.echo", [], {"k" * 100_000: 1}, timeout=10)
    finally:
        await service.node_unbind()


# -- the pieces, without a router ---------------------------------------------------------


def test_the_header_of_an_undecodable_message_is_read_in_every_serialization() -> None:
    invocation = [68, 7, 9_007_199_254_740_000, {}, nested(5)]
    assert read_header("json", b"[68, 7,9007199254740000, {}, [[[") == invocation[:3]
    assert read_header("cbor", cbor2.dumps(invocation)) == invocation[:3]
    assert read_header("msgpack", msgpack.packb(invocation)) == invocation[:3]
    assert read_header("cbor", cbor2.dumps([50, 300, {}])) == [50, 300]
    for junk in (b"", b"{}", b'["x"]', b"\xff\xff"):
        assert read_header("json", junk) == []
        assert read_header("cbor", junk) == []
        assert read_header("msgpack", junk) == []


def test_arguments_are_measured_before_anything_runs() -> None:
    check_arguments("e", [nested(MAX_ARGUMENT_DEPTH - 1), "x" * 100], {"a": {"b": [1, 2]}})
    cases: list[tuple[list[Any], dict[str, Any], str]] = [
        ([nested(MAX_ARGUMENT_DEPTH + 1)], {}, "depth"),
        ([], {"deep": {"a": nested(MAX_ARGUMENT_DEPTH)}}, "depth"),
        (["x" * (MAX_STRING_LENGTH + 1)], {}, "string_length"),
        ([[{"k" * (MAX_STRING_LENGTH + 1): 1}]], {}, "string_length"),
        ([[0] * (MAX_COLLECTION_LENGTH + 1)], {}, "length"),
        ([["x" * 200_000] * 30], {}, "size"),
    ]
    for args, kwargs, limit in cases:
        with pytest.raises(InvalidArguments) as err:
            check_arguments("app.e", args, kwargs, ("first", "details"))
        assert err.value.data["limit"] == limit
        assert len(str(err.value)) < 200, str(err.value)
    with pytest.raises(InvalidArguments) as err:
        check_arguments("app.e", [1, nested(MAX_ARGUMENT_DEPTH + 1)], {}, ("a", "b"))
    assert err.value.data["argument"] == "'b'"


def test_error_data_and_quotes_are_bounded() -> None:
    data = bounded_data({"short": 1, "long": "z" * 100_000, "deep": nested(50), "n": [0] * 9000})
    assert data["short"] == 1 and len(data["long"]) == MAX_ERROR_MESSAGE
    assert "deep" not in data and "n" not in data and data["truncated"] is True
    assert len(quote("q" * 1_000_000)) <= 83
    error = rpc_error_from_wamp("app.error", ("m" * 10_000,), {"uri": "x", "message": "y"})
    assert len(error.message) == MAX_ERROR_MESSAGE and error.uri == "app.error"
    assert error.data == {"uri": "x", "message": "y"}


def test_the_node_layer_sends_what_the_backend_transport_takes() -> None:
    from raccoon.service import Settings
    from raccoon.service.router import BACKEND_MAX_MESSAGE_SIZE, BROWSER_MAX_MESSAGE_SIZE

    assert DEFAULT_MAX_MESSAGE_SIZE == BACKEND_MAX_MESSAGE_SIZE
    default = Settings.__dataclass_fields__["max_message_size"].default
    assert default == BROWSER_MAX_MESSAGE_SIZE < BACKEND_MAX_MESSAGE_SIZE


@pytest.mark.asyncio
async def test_a_peer_cannot_fill_the_log_with_undecodable_calls(
    connection1: Any,
    json_connection: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fifty undecodable calls in a row: every one is refused, a handful are logged."""
    # A fresh window: earlier tests of this process may have used the last one.
    monkeypatch.setattr(_wire, "peer_warnings", PeerWarnings(_wire.log))
    service = await bind(Service(), "test.wire", connection1)
    try:
        with caplog.at_level("WARNING", logger="raccoon.node.wire"):
            for _ in range(50):
                with pytest.raises(InvalidArguments):
                    await json_connection.call("test.wire.echo", [nested(UNDECODABLE_DEPTH)])
        logged = [r for r in caplog.records if "could not be decoded" in r.getMessage()]
        assert 1 <= len(logged) <= BURST, len(logged)
    finally:
        await service.node_unbind()


def test_peer_warnings_pass_a_burst_per_window_and_count_the_rest() -> None:
    now = [0.0]
    records: list[str] = []

    class Sink(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("test.peer_warnings")
    logger.addHandler(sink := Sink())
    try:
        warnings = PeerWarnings(logger, burst=3, window=60.0, clock=lambda: now[0])
        for i in range(10):
            warnings.warning("kind", "refused %d", i)
        warnings.warning("other", "another kind")  # counted apart
        assert records == ["refused 0", "refused 1", "refused 2", "another kind"]
        now[0] = 61.0
        warnings.warning("kind", "refused %d", 10)
        assert records[-1] == "refused 10 (and 7 more like it held back)"
    finally:
        logger.removeHandler(sink)
