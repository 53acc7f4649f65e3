"""The serializers of a connection, made to survive what a peer sends.

Autobahn drops the whole connection when one incoming message cannot be
decoded — cbor2 refuses values nested deeper than 400 levels, for one — and
the router drops it when one outgoing message exceeds its size limit. For a
service's backend, one session that serves every browser, either would be an
outage that any logged-in user could cause at will (issue 10). So the
serializers of a :class:`~raccoon.node.Connection` wrap autobahn's:

- A message they cannot decode is not fatal: its type and first ids are
  read from the header — JSON ``[68,<request>,<registration>,…``, CBOR and
  MessagePack an array header then integers — and the session gets
  something it can answer. An INVOCATION arrives with one :class:`Undecodable`
  argument, which the endpoint refuses (``raccoon.error.invalid_arguments``);
  a RESULT or an ERROR becomes an ERROR ``raccoon.error.undecodable`` for
  that request; an EVENT is dropped. Anything else (a WELCOME, a GOODBYE…)
  is still a protocol error.
- A message bigger than ``max_message_size`` is not sent. A YIELD becomes an
  ERROR ``raccoon.error.result_too_large`` for that invocation, an ERROR a
  short one with the same URI; anything else (a CALL, a PUBLISH) raises
  :class:`MessageTooLarge` to whoever sent it.
- Every ERROR that goes out has a bounded message and bounded data
  (_limits.py), whoever built it: autobahn's own "could not be serialized"
  errors quote the whole value.
"""

from __future__ import annotations

import logging
import re
import struct
from typing import Any

import txaio

txaio.use_asyncio()

from autobahn.wamp import message  # noqa: E402
from autobahn.wamp import serializer as wamp_serializers  # noqa: E402
from autobahn.wamp.exception import ApplicationError, ProtocolError  # noqa: E402

from ._limits import (  # noqa: E402
    MAX_ERROR_MESSAGE,
    RESULT_TOO_LARGE,
    UNDECODABLE,
    Undecodable,
    bounded_data,
    bounded_message,
)
from ._lograte import PeerWarnings  # noqa: E402

__all__ = ["MessageTooLarge", "guarded_serializer", "read_header"]

log = logging.getLogger("raccoon.node.wire")
# What a peer's messages make us log: rate-limited, or a peer could fill the log.
peer_warnings = PeerWarnings(log)

_CLASSES = {
    "json": wamp_serializers.JsonSerializer,
    "msgpack": wamp_serializers.MsgPackSerializer,
    "cbor": wamp_serializers.CBORSerializer,
}
_JSON_HEADER = re.compile(rb"\s*\[\s*(\d{1,17})\s*(?:,\s*(\d{1,17})\s*)?(?:,\s*(\d{1,17}))?")
# WAMP ids are integers below 2**53.
_MAX_ID = 2**53


class MessageTooLarge(Exception):
    """An outgoing message exceeds the transport's limit; it was not sent."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the message is {size} bytes; the transport carries at most {limit}")
        self.size = size
        self.limit = limit


def read_header(serializer_id: str, payload: bytes) -> list[int]:
    """The leading integers (up to three) of a WAMP message that could not be
    decoded whole: the message type, then its first ids. Empty when even
    that cannot be read."""
    try:
        if serializer_id == "json":
            match = _JSON_HEADER.match(payload[:64])
            return [int(g) for g in match.groups() if g is not None] if match else []
        if serializer_id == "cbor":
            return _binary_header(payload, _cbor_int, _cbor_array)
        if serializer_id == "msgpack":
            return _binary_header(payload, _msgpack_int, _msgpack_array)
    except (IndexError, struct.error):
        pass
    return []


def _binary_header(payload: bytes, read_int: Any, read_array: Any) -> list[int]:
    pos = read_array(payload)
    if pos is None:
        return []
    values: list[int] = []
    while len(values) < 3:
        item = read_int(payload, pos)
        if item is None:
            break
        value, pos = item
        values.append(value)
    return values


def _cbor_array(payload: bytes) -> int | None:
    """Where the first item of a CBOR array starts (major type 4)."""
    head = payload[0]
    if head >> 5 != 4:
        return None
    info = head & 0x1F
    if info < 24 or info == 31:  # short length, or indefinite
        return 1
    extra = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    return None if extra is None else 1 + extra


def _cbor_int(payload: bytes, pos: int) -> tuple[int, int] | None:
    """An unsigned CBOR integer (major type 0) at ``pos``, and what follows."""
    head = payload[pos]
    if head >> 5 != 0:
        return None
    info = head & 0x1F
    if info < 24:
        return info, pos + 1
    fmt = {24: ">B", 25: ">H", 26: ">I", 27: ">Q"}.get(info)
    if fmt is None:
        return None
    size = struct.calcsize(fmt)
    return struct.unpack_from(fmt, payload, pos + 1)[0], pos + 1 + size


def _msgpack_array(payload: bytes) -> int | None:
    head = payload[0]
    if 0x90 <= head <= 0x9F:
        return 1
    return {0xDC: 3, 0xDD: 5}.get(head)


def _msgpack_int(payload: bytes, pos: int) -> tuple[int, int] | None:
    head = payload[pos]
    if head <= 0x7F:
        return head, pos + 1
    fmt = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q"}.get(head)
    if fmt is None:
        return None
    return struct.unpack_from(fmt, payload, pos + 1)[0], pos + 1 + struct.calcsize(fmt)


class _Guard:
    """Mixed in before an autobahn serializer class (see :func:`guarded_serializer`)."""

    SERIALIZER_ID: str
    max_message_size: int

    def unserialize(self, payload: bytes, isBinary: bool | None = None) -> list[Any]:
        try:
            return super().unserialize(payload, isBinary)  # type: ignore[misc]
        except ProtocolError as exc:
            replacement = self._stand_in(payload, exc)
            if replacement is None:
                raise
            return replacement

    def _stand_in(self, payload: bytes, exc: ProtocolError) -> list[Any] | None:
        """What the session gets instead of a message it could not decode."""
        header = read_header(self.SERIALIZER_ID, payload)
        if len(header) < 2 or any(not 0 <= value < _MAX_ID for value in header):
            return None
        reason = _reason(exc)
        kind = header[0]
        try:
            if kind == message.Invocation.MESSAGE_TYPE and len(header) == 3:
                peer_warnings.warning(
                    "undecodable invocation",
                    "an invocation (request %s) could not be decoded: %s",
                    header[1],
                    reason,
                )
                return [message.Invocation(header[1], header[2], args=[Undecodable(reason)])]
            if kind == message.Event.MESSAGE_TYPE:
                peer_warnings.warning(
                    "undecodable event",
                    "an event (subscription %s) could not be decoded and was dropped: %s",
                    header[1],
                    reason,
                )
                return []
            if kind == message.Result.MESSAGE_TYPE:
                request_type, request = message.Call.MESSAGE_TYPE, header[1]
            elif kind == message.Error.MESSAGE_TYPE and len(header) == 3:
                request_type, request = header[1], header[2]
            else:
                return None
            peer_warnings.warning(
                "undecodable answer",
                "an answer (request %s) could not be decoded: %s",
                request,
                reason,
            )
            return [
                message.Error(
                    request_type,
                    request,
                    UNDECODABLE,
                    args=[f"the answer could not be decoded ({reason})"],
                )
            ]
        except Exception:  # the header made no valid message: a protocol error after all
            log.debug("no stand-in for an undecodable message", exc_info=True)
            return None

    def serialize(self, msg: Any) -> tuple[bytes, bool]:
        if isinstance(msg, message.Error):
            msg = _bounded_error(msg)
        data, binary = super().serialize(msg)  # type: ignore[misc]
        limit = self.max_message_size
        if len(data) <= limit:
            return data, binary
        if isinstance(msg, message.Yield):
            log.error(
                "the result of invocation %s is %d bytes, over the transport's %d: "
                "answered with %s",
                msg.request,
                len(data),
                limit,
                RESULT_TOO_LARGE,
            )
            reply = message.Error(
                message.Invocation.MESSAGE_TYPE,
                msg.request,
                RESULT_TOO_LARGE,
                args=[
                    f"the result is {len(data)} bytes; one message carries at most {limit}: "
                    "ask for less at a time"
                ],
                kwargs={"size": len(data), "limit": limit},
            )
            return super().serialize(reply)  # type: ignore[misc]
        if isinstance(msg, message.Error):
            reply = message.Error(
                msg.request_type,
                msg.request,
                msg.error,
                args=[f"the error is {len(data)} bytes; one message carries at most {limit}"],
            )
            return super().serialize(reply)  # type: ignore[misc]
        raise MessageTooLarge(len(data), limit)


def _reason(exc: ProtocolError) -> str:
    text = str(exc.args[0] if exc.args else exc)
    return bounded_message(text.removeprefix("invalid serialization of WAMP message: "), 200)


def _bounded_error(msg: Any) -> Any:
    """``msg`` (an ERROR) with its message and data bounded; itself when they are."""
    args, kwargs = msg.args, msg.kwargs
    if msg.error == ApplicationError.INVALID_PAYLOAD:
        # Autobahn's text quotes the value it could not serialize, whole: it
        # may be large, and it is the callee's data, not the caller's.
        log.error("%s", bounded_message(str(args[0]) if args else msg.error))
        args, kwargs = ["the answer holds a value that cannot be sent; see the server log"], None
    short = not args or (
        len(args) == 1 and type(args[0]) is str and len(args[0]) <= MAX_ERROR_MESSAGE
    )
    if short and not kwargs and args is msg.args:
        return msg
    first = args[0] if args else None
    text = first if type(first) is str else (repr(first) if args else None)
    return message.Error(
        msg.request_type,
        msg.request,
        msg.error if len(msg.error) <= MAX_ERROR_MESSAGE else "raccoon.error.application",
        args=[bounded_message(text)] if text is not None else None,
        kwargs=bounded_data(kwargs) if kwargs else None,
    )


_GUARDED: dict[str, type] = {}


def guarded_serializer(name: str, max_message_size: int) -> Any:
    """A new serializer ``name`` (``json``, ``msgpack``, ``cbor``) for one
    connection, guarded as this module says."""
    cls = _GUARDED.get(name)
    if cls is None:
        base = _CLASSES[name]
        cls = _GUARDED[name] = type(f"Guarded{base.__name__}", (_Guard, base), {})
    serializer = cls()
    serializer.max_message_size = max_message_size
    return serializer
