"""One logging setup for every ``raccoon`` command and the service: readable or JSON lines.

::

    configure_logging("info")                  # text, on stderr
    configure_logging("debug", "json")         # one JSON object per line

    log.info("session built", extra={"prefix": prefix, "user": "ann"})

Text lines are ``<time> <level> <logger>: <message> key=value ...``, the
keys being the record's ``extra`` fields (values with spaces are quoted),
then the traceback, if any, indented. JSON lines carry ``time``, ``level``,
``logger``, ``message``, the extras, and ``exception`` (the formatted
traceback). Times are UTC, to the millisecond.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

__all__ = ["LOG_FORMATS", "LogFormatter", "configure_logging", "console_threshold"]

#: The log formats :func:`configure_logging` knows.
LOG_FORMATS = ("text", "json")

# The attributes every LogRecord has; anything else came in through `extra`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
_HANDLER_NAME = "raccoon"


class LogFormatter(logging.Formatter):
    """Formats records as readable ``key=value`` lines (``text``) or JSON objects (``json``)."""

    def __init__(self, fmt: str = "text") -> None:
        if fmt not in LOG_FORMATS:
            raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")
        super().__init__()
        self.fmt = fmt

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line (text: plus an indented traceback)."""
        message = record.getMessage()
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        stamp = _timestamp(record.created)
        exception = self.formatException(record.exc_info) if record.exc_info else None
        if record.stack_info:
            exception = (exception + "\n" if exception else "") + self.formatStack(
                record.stack_info
            )
        if self.fmt == "json":
            body: dict[str, Any] = {
                "time": stamp,
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": message,
            }
            for key, value in extras.items():
                body.setdefault(key, value)
            if exception:
                body["exception"] = exception
            return json.dumps(body, default=repr, ensure_ascii=False)
        line = f"{stamp} {record.levelname.lower():<7} {record.name}: {message}"
        if extras:
            line += " " + " ".join(f"{key}={_value(value)}" for key, value in extras.items())
        if exception:
            line += "\n" + "\n".join("    " + part for part in exception.splitlines())
        return line


def _timestamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=repr)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def configure_logging(
    level: str | int = "info", fmt: str = "text", *, stream: TextIO | None = None
) -> logging.Handler:
    """Send every log record of level *level* and above to *stream* (stderr) in *fmt*.

    Idempotent: a second call replaces the handler the first one installed
    (other handlers, say pytest's, are left alone). Returns the handler.
    """
    if isinstance(level, str):
        numeric = logging.getLevelName(level.upper())
        if not isinstance(numeric, int):
            raise ValueError(f"unknown log level {level!r}: use debug, info, warning or error")
        level = numeric
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(LogFormatter(fmt))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries below us chatter at INFO (asyncio, aiohttp access logs are
    # off anyway); keep them at WARNING unless debugging.
    quiet = logging.DEBUG if level <= logging.DEBUG else logging.WARNING
    for name in ("asyncio", "aiohttp", "alembic", "txaio"):
        logging.getLogger(name).setLevel(quiet)
    return handler


def console_threshold(level: int) -> int:
    """Let only records of *level* and above through the handler
    :func:`configure_logging` installed; returns the threshold it had.

    ``raccoon run`` raises it to WARNING while it starts and stops, so that its
    summary is not interleaved with routine INFO lines; other handlers and the
    loggers' levels are untouched. Without our handler, nothing happens.
    """
    previous = logging.NOTSET
    for handler in logging.getLogger().handlers:
        if handler.get_name() == _HANDLER_NAME:
            previous = handler.level
            handler.setLevel(level)
    return previous
