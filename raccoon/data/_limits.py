"""Bounds on what clients send to the data layer and what it answers.

A client's argument is checked for size and shape *before* any work on it
(no recursion into it, no SQL, no full ``repr()``), and an error quotes at
most a short, escaped piece of it: a refusal must travel as surely as an
answer. Answers are bounded by bytes as well as by rows, because the router
refuses (or the backend's transport drops) a message over its payload
limit — 1 MiB for browsers' transports.

Text must also be storable: PostgreSQL's text has no NUL character, and an
unpaired surrogate (``"\\ud800"``, legal in JSON and in a Python ``str``)
cannot be encoded as UTF-8 at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MAX_ID_CHARS",
    "MAX_QUOTED_CHARS",
    "MAX_QUOTED_NAMES",
    "MAX_RECORD_BYTES",
    "MAX_RECORD_KEYS",
    "MAX_RESULT_BYTES",
    "fit",
    "id_problem",
    "json_size",
    "quote",
    "safe_name",
    "text_problem",
]

#: The most bytes (as compact UTF-8 JSON) one answer's rows or entries may
#: take: a bulk read, a window, a history page, one record. Half the
#: browsers' 1 MiB payload limit, so the message around it always fits.
MAX_RESULT_BYTES = 512 * 1024
#: The most bytes (as compact UTF-8 JSON) of one record written through the
#: data layer — the values sent, and the record as stored. So a record
#: written here can always be read back, and a conflict (the current record
#: and the values attempted) fits one message.
MAX_RECORD_BYTES = 128 * 1024
#: The most keys in the values of one write (far above any table's width).
MAX_RECORD_KEYS = 1000
#: The longest text primary key (or id argument) accepted.
MAX_ID_CHARS = 256
#: How much of a client's string an error message quotes.
MAX_QUOTED_CHARS = 64
#: How many of a client's unknown names an error lists before "and N more".
MAX_QUOTED_NAMES = 5

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """What makes ``value`` unstorable as text, or ``None``."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "contains an unpaired surrogate"


def quote(value: Any, limit: int = MAX_QUOTED_CHARS) -> str:
    """A short, printable rendering of a client's value for an error message.

    Strings are cut to ``limit`` characters before ``repr()`` (which escapes
    NULs and surrogates); containers are described, never rendered.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}... ({len(value)} characters)"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} items"
    if isinstance(value, Mapping):
        return f"an object with {len(value)} keys"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {len(str(value)) if value.bit_length() < 4000 else 'many'} digits"
    shown = repr(value)
    return shown if len(shown) <= limit else f"{shown[:limit]}..."


def safe_name(name: Any) -> str:
    """A client's key as a field name an error may carry: a string of at
    most :data:`MAX_QUOTED_CHARS` characters, valid UTF-8, no NUL."""
    text = name if isinstance(name, str) else quote(name)
    if len(text) > MAX_QUOTED_CHARS:
        text = text[: MAX_QUOTED_CHARS - 3] + "..."
    if _BAD_TEXT.search(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a record id at all (before typing it), or ``None``.

    An id is one scalar: containers, over-long strings and unstorable text
    are refused here, so no later message or query ever holds them.
    """
    if isinstance(value, list | tuple | set | frozenset | Mapping | bytes | bytearray):
        return f"expected one id value, got {quote(value)}"
    if isinstance(value, str):
        if len(value) > MAX_ID_CHARS:
            return f"too long: {len(value)} characters, at most {MAX_ID_CHARS}"
        return text_problem(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"out of range: {quote(value)}"
    return None


def json_size(value: Any) -> int:
    """The size of ``value`` as compact UTF-8 JSON, which bounds what any of
    the transport's serializers (JSON, CBOR, MessagePack) makes of it.

    Values that are not JSON (dates, decimals from Python callers) count as
    their ``str()``; a structure too deep to serialize counts as infinite.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (RecursionError, ValueError, TypeError):
        return 2**62
    return len(text.encode("utf-8", "surrogatepass"))


def fit(items: Iterable[Any], budget: int = MAX_RESULT_BYTES) -> tuple[list[Any], bool]:
    """The leading ``items`` whose JSON fits ``budget`` bytes, and whether
    some were left out."""
    listed = list(items)
    if json_size(listed) <= budget:  # the usual case: one C-speed pass
        return listed, False
    used = 2  # the brackets
    for index, item in enumerate(listed):
        used += json_size(item) + 1  # and a comma
        if used > budget:
            return listed[:index], True
    return listed, False
