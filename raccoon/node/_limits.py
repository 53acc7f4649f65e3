"""The bounds on what crosses the node layer's door, in both directions.

A service's backend is one WAMP session shared by every browser: what one
browser sends reaches it, and what it answers goes back through one router
message. So, for every call that arrives from the wire — before any
application code or any registered decoder runs — the arguments are
measured: nesting depth, length of each collection and string, the length
of keyword names, and an estimate of the total size. Going over a limit is
answered with :class:`InvalidArguments` naming the argument and the limit.
And whatever goes back out as an error — message and data — is bounded, so
that no error can quote a client's input back in full (the message would not
fit the transport, or would leak what it quotes).

The numbers are documented in docs/nodes.md ("Limits"); tests import them
from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._adapt import DETAILS
from ._errors import InvalidArguments

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "MAX_ARGUMENTS_SIZE",
    "MAX_ARGUMENT_DEPTH",
    "MAX_COLLECTION_LENGTH",
    "MAX_ERROR_DATA",
    "MAX_ERROR_MESSAGE",
    "MAX_NAME_LENGTH",
    "MAX_QUOTE",
    "MAX_STRING_LENGTH",
    "MESSAGE_TOO_LARGE",
    "RESULT_TOO_LARGE",
    "UNDECODABLE",
    "Undecodable",
    "bounded_data",
    "bounded_message",
    "check_arguments",
    "quote",
]

#: The largest WAMP message a connection sends unless told otherwise (bytes):
#: what the router's backend transport accepts (``BACKEND_MAX_MESSAGE_SIZE``
#: in raccoon.service.router). A bigger message would make the router close
#: the connection, so the node layer answers with an error instead.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024

#: How deeply an argument may nest lists and dicts (the argument itself is
#: level 1). Real arguments are records and filters a few levels deep; a deep
#: one only costs recursion in whatever walks it. Room for a record holding
#: a JSON value of the data layer's deepest (64 levels), far below cbor2's
#: fixed 400 and Python's recursion limit.
MAX_ARGUMENT_DEPTH = 100
#: The most items in one list or dict of an argument.
MAX_COLLECTION_LENGTH = 100_000
#: The longest string (characters) or bytes value anywhere in the arguments.
MAX_STRING_LENGTH = 256 * 1024
#: The longest keyword argument name, and dict key counted as a name.
MAX_NAME_LENGTH = 256
#: The most the arguments of one call may weigh, estimated as encoded bytes.
MAX_ARGUMENTS_SIZE = 4 * 1024 * 1024

#: The longest error message sent to a caller (characters, "…" included).
MAX_ERROR_MESSAGE = 1000
#: The most the data attached to an error may weigh (estimated bytes); what
#: does not fit is dropped and ``truncated: True`` says so.
MAX_ERROR_DATA = 4096
#: How much of a value an error message quotes.
MAX_QUOTE = 80

#: The error URIs of the limits.
RESULT_TOO_LARGE = "raccoon.error.result_too_large"
MESSAGE_TOO_LARGE = "raccoon.error.message_too_large"
UNDECODABLE = "raccoon.error.undecodable"

_SCALARS = frozenset({int, float, bool, type(None)})
# Depth to which error data is kept (it is for the caller's code to read).
_ERROR_DATA_DEPTH = 8


class Undecodable:
    """Stands in for the arguments of an INVOCATION the serializer could not
    decode (raccoon/node/_wire.py): the endpoint refuses it at the door."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = bounded_message(reason, 200)

    def __repr__(self) -> str:
        return f"Undecodable({self.reason!r})"


class _OverLimit(Exception):
    """Raised by :func:`_measure`: which limit (``kind``), and a message that
    completes "argument X ..."."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _measure(
    value: Any,
    *,
    depth: int = MAX_ARGUMENT_DEPTH,
    length: int = MAX_COLLECTION_LENGTH,
    string: int = MAX_STRING_LENGTH,
    budget: int = MAX_ARGUMENTS_SIZE,
) -> int:
    """The estimated encoded size of ``value``, or :class:`_OverLimit`.

    Iterative, and it stops at the first excess: it must not be the thing
    that recurses too deeply or walks a huge value whole.
    """
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        cls = type(item)
        if cls is str or cls is bytes or cls is bytearray:
            if len(item) > string:
                raise _OverLimit(
                    "string_length",
                    f"holds a {'string' if cls is str else 'bytes value'} of {len(item)} "
                    f"{'characters' if cls is str else 'bytes'}; at most {string} are accepted",
                )
            size += len(item) + 2
        elif cls is int:
            size += 1 + item.bit_length() // 8
        elif cls in _SCALARS:
            size += 8
        elif cls is list or cls is tuple or cls is dict:
            if level > depth:
                raise _OverLimit("depth", f"is nested more than {depth} levels deep")
            if len(item) > length:
                raise _OverLimit(
                    "length", f"holds a collection of {len(item)} items; at most {length}"
                )
            size += 2 + len(item)
            if cls is dict:
                for key, sub in item.items():
                    stack.append((key, level + 1))
                    stack.append((sub, level + 1))
            else:
                for sub in item:
                    stack.append((sub, level + 1))
        elif cls is Undecodable:
            raise _OverLimit("undecodable", f"could not be decoded ({item.reason})")
        else:  # what a decoder may build (a big int's subclass, a CBOR tag): opaque, small
            size += 8
        if size > budget:
            raise _OverLimit("size", f"weighs more than {budget} bytes")
    return size


def check_arguments(
    uri: str, args: Sequence[Any], kwargs: Mapping[str, Any], names: Sequence[str] = ()
) -> None:
    """Refuse a call whose arguments exceed the limits, naming the argument.

    ``names`` are the endpoint's parameter names, to name positional
    arguments. Raises :class:`InvalidArguments` with ``argument`` and
    ``limit`` data; its message quotes nothing of the value.
    """
    budget = MAX_ARGUMENTS_SIZE
    names = [name for name in names if name != DETAILS]
    named: list[tuple[str, Any]] = [
        (names[i] if i < len(names) else f"#{i + 1}", value) for i, value in enumerate(args)
    ]
    for key, value in kwargs.items():
        if type(key) is not str or len(key) > MAX_NAME_LENGTH:
            raise InvalidArguments(
                f"{uri}: a keyword argument name is {len(key)} characters long; "
                f"names are at most {MAX_NAME_LENGTH}",
                limit="name_length",
            )
        named.append((key, value))
    for name, value in named:
        if type(value) in _SCALARS:
            budget -= 8
            continue
        try:
            budget -= _measure(value, budget=budget)
        except _OverLimit as exc:
            if type(value) is Undecodable:
                raise InvalidArguments(
                    f"{uri}: the arguments could not be decoded ({value.reason}); arguments "
                    f"may be nested at most {MAX_ARGUMENT_DEPTH} levels deep",
                    limit="undecodable",
                ) from None
            raise InvalidArguments(
                f"{uri}: argument {quote(name)} {exc}", argument=quote(name), limit=exc.kind
            ) from None
        if budget < 0:
            raise InvalidArguments(
                f"{uri}: the arguments weigh more than {MAX_ARGUMENTS_SIZE} bytes",
                argument=quote(name),
                limit="size",
            )


def bounded_message(text: str, limit: int = MAX_ERROR_MESSAGE) -> str:
    """``text``, cut to ``limit`` characters with "…" when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(value: Any, limit: int = MAX_QUOTE) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters.

    A long string is cut before ``repr`` runs: quoting a megabyte to keep 80
    characters of it would cost the megabyte.
    """
    if type(value) is str and len(value) > limit:
        return repr(value[:limit])[:-1] + "…" + repr(value[:limit])[-1]
    try:
        text = repr(value)
    except Exception:  # a repr that fails must not turn a refusal into a crash
        text = f"<{type(value).__name__}>"
    return bounded_message(text, limit)


def bounded_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The data of an error as sent to a caller: long strings cut, values too
    deep or too big dropped (``truncated: True`` then says so), at most
    :data:`MAX_ERROR_DATA` bytes in all."""
    out: dict[str, Any] = {}
    total = 0
    truncated = False
    for key, value in data.items():
        if type(key) is not str or len(key) > MAX_NAME_LENGTH:
            truncated = True
            continue
        if type(value) is str and len(value) > MAX_ERROR_MESSAGE:
            value = bounded_message(value)
        try:
            size = _measure(
                value,
                depth=_ERROR_DATA_DEPTH,
                length=MAX_ERROR_DATA,
                string=MAX_ERROR_MESSAGE,
                budget=MAX_ERROR_DATA - total,
            )
        except _OverLimit:
            truncated = True
            continue
        out[key] = value
        total += size + len(key)
    if truncated:
        out["truncated"] = True
    return out
