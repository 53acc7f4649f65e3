"""Small Promise helpers (JavaScript only)."""

from __globals__ import Promise, setTimeout


def reversed_promise():
    """A Promise with its ``resolve`` and ``reject`` as attributes: the
    browser's ``asyncio.Event``/``Future`` (``ev.resolve()``, ``await ev``)."""
    holder = {}

    def executor(resolve, reject):
        holder["resolve"] = resolve
        holder["reject"] = reject

    promise = Promise(executor)
    promise.resolve = holder["resolve"]
    promise.reject = holder["reject"]
    return promise


def sleep(seconds):
    """A Promise resolved after ``seconds``."""

    def executor(resolve, reject):
        setTimeout(resolve, seconds * 1000)

    return Promise(executor)


__all__ = ["reversed_promise", "sleep"]
