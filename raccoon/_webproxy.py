"""The public port's reverse proxy to the service's HTTP server, inside the Crossbar router worker.

Crossbar serves the browsers' websocket at ``/ws`` and hands every other
path of the public port to this Twisted resource (a web path of type
``resource``, see ``raccoon.service.router``)::

    "/": {"type": "resource", "classname": "raccoon._webproxy.ApiProxy",
          "extra": {"upstream": "http://127.0.0.1:8000", "max_body": 65536}}

Why not Crossbar's own ``reverseproxy`` service: it keeps the whole request
body in memory before anything looks at its size (a 50 MB POST cost the
router ~100 MB before the service answered 413), and it forwards a chunked
body already de-chunked but still labelled ``Transfer-Encoding: chunked``,
which the service cannot parse (and answered with the body quoted back in
plain text). This proxy:

- refuses a body over ``max_body`` **while receiving it**: by its
  ``Content-Length`` before a byte of it is read, a chunked one as soon as
  the running total exceeds the limit. Twisted buffers a request body
  before any resource sees the request, so the cap sits in the request's
  ``gotLength`` (see :func:`_install`); a refused body is read and
  discarded, never stored, so the client gets its answer;
- forwards the body it accepted with a ``Content-Length`` and without
  hop-by-hop headers (``Transfer-Encoding``, ``Connection``…), so chunked
  requests work;
- overwrites ``X-Forwarded-For`` and ``X-Real-IP`` with the peer's
  address (the service trusts ``X-Real-IP`` from loopback only), and sets
  ``X-Forwarded-Host``, ``-Port`` and ``-Proto``;
- answers every failure of its own — malformed HTTP, a body too large, the
  service unreachable or silent — with the API's JSON error
  ``{"error", "message"}``, never quoting the request.

Like :mod:`raccoon._authenticator`, this module runs in the router worker
under Twisted: it imports Twisted only, never asyncio-flavoured autobahn
or :mod:`raccoon.service`.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import http, server
from twisted.web.client import Agent, ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.web.iweb import IBodyProducer, IResponse
from twisted.web.resource import Resource
from zope.interface import implementer  # type: ignore[import-untyped]

__all__ = [
    "CONNECT_TIMEOUT",
    "LINGER",
    "MAX_HEADER_LINE",
    "MAX_TARGET",
    "RESPONSE_TIMEOUT",
    "ApiProxy",
]

#: Seconds to connect to the service before answering 502.
CONNECT_TIMEOUT = 10.0
#: Seconds the service may take to start its answer before 504 (a dev-reload poll holds 20 s).
RESPONSE_TIMEOUT = 60.0
#: Seconds a refused body is still read (and discarded) so the client can read its 413.
LINGER = 10.0
#: The longest request target (path and query) forwarded. The service's HTTP
#: parser (aiohttp) refuses a request line over 8,190 bytes and logs each one as
#: an error with a traceback: anyone could fill the log, so the proxy answers
#: 414 itself, under that line.
MAX_TARGET = 8000
#: Likewise for one header line (name and value): aiohttp's limit is 8,190.
MAX_HEADER_LINE = 8000

# Connection-level headers of one hop (RFC 9110 7.6.1), never forwarded; the
# body's framing is the proxy's own (Content-Length), and so is Host.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"expect",
        b"content-length",
        b"host",
        # Set by the proxy itself: a client must not choose what the service trusts.
        b"x-forwarded-for",
        b"x-real-ip",
        b"x-forwarded-host",
        b"x-forwarded-port",
        b"x-forwarded-proto",
    }
)
_log = Logger()

# Twisted's request, channel and transport are zope interfaces that mypy cannot follow.
_Request = Any
_UPSTREAM = re.compile(r"http://([^/:]+):(\d{1,5})/?\Z")
_BODY_METHODS = frozenset({b"POST", b"PUT", b"PATCH"})


def _reactor() -> Any:
    # Imported late: the module must not install a reactor when merely imported.
    from twisted.internet import reactor

    return reactor


def _error_response(status: int, reason: bytes, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 error response (for answers given outside Twisted's request cycle)."""
    body = json.dumps({"error": code, "message": message}).encode("utf-8")
    head = (
        b"HTTP/1.1 %d %s\r\n"
        b"Content-Type: application/json; charset=utf-8\r\n"
        b"Content-Length: %d\r\n"
        b"Cache-Control: no-store\r\n"
        b"X-Content-Type-Options: nosniff\r\n"
        b"Connection: close\r\n\r\n"
    ) % (status, reason, len(body))
    return head + body


_BAD_REQUEST = _error_response(
    400,
    b"Bad Request",
    "bad_request",
    "the request is not valid HTTP/1.1 (request line, headers, body framing, "
    "or headers over 16 KiB)",
)


def _too_large(limit: int) -> bytes:
    return _error_response(
        413,
        b"Payload Too Large",
        "payload_too_large",
        f"the request body is larger than {limit} bytes",
    )


class ApiProxy(Resource):
    """The root resource of the public port: everything but ``/ws`` goes to *upstream*.

    Crossbar constructs it with the path's ``extra``: ``upstream``
    (``http://host:port``), ``max_body`` (bytes) and optionally
    ``response_timeout`` (seconds, :data:`RESPONSE_TIMEOUT`). Its named children
    (the websocket) are looked up first; any other path is forwarded whole.
    """

    def __init__(self, extra: Mapping[str, Any]) -> None:
        super().__init__()
        upstream = extra.get("upstream")
        match = _UPSTREAM.match(upstream) if isinstance(upstream, str) else None
        if match is None:
            raise ValueError(f"ApiProxy needs upstream='http://host:port', got {upstream!r}")
        max_body = extra.get("max_body")
        if not isinstance(max_body, int) or isinstance(max_body, bool) or max_body < 0:
            raise ValueError(f"ApiProxy needs max_body, a number of bytes, got {max_body!r}")
        timeout = extra.get("response_timeout", RESPONSE_TIMEOUT)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError(f"ApiProxy's response_timeout is seconds, got {timeout!r}")
        self.host, self.port = match.group(1), int(match.group(2))
        self.max_body = max_body
        self.response_timeout = float(timeout)
        self._agent: Agent | None = None
        self._origin = f"http://{self.host}:{self.port}".encode("ascii")
        self._forward = _Forward(self)
        _install()

    def getChild(self, path: bytes, request: _Request) -> Resource:
        return self._forward

    def render(self, request: _Request) -> Any:
        return self._forward.render(request)


class _Forward(Resource):
    """Forwards one request, whatever its path, to the proxy's upstream."""

    isLeaf = True

    def __init__(self, proxy: ApiProxy) -> None:
        super().__init__()
        self.proxy = proxy

    def render(self, request: _Request) -> Any:
        if getattr(request, "_raccoon_refused", False):
            # Answered (413) while the body arrived; now that it is drained, hang up.
            request.channel.loseConnection()
            return server.NOT_DONE_YET
        try:
            return self._start(request)
        except ValueError:
            # Twisted's client refuses what it cannot send (method, URI characters).
            return _answer(request, 400, "bad_request", "the request line is not valid")
        except Exception:
            # Twisted's own answer would be an HTML page; the API's is JSON.
            _log.failure("raccoon: proxying {uri!r} failed", uri=request.uri)
            return _answer(request, 500, "internal", "internal error in the router's proxy")

    def _start(self, request: _Request) -> Any:
        reactor = _reactor()
        proxy = self.proxy
        if not request.uri.startswith(b"/"):
            return _answer(request, 400, "bad_request", "the request target must be a path")
        if len(request.uri) > MAX_TARGET:
            return _answer(
                request,
                414,
                "uri_too_long",
                f"the request target is longer than {MAX_TARGET} bytes",
            )
        for name, values in request.requestHeaders.getAllRawHeaders():
            if any(len(name) + len(value) + 2 > MAX_HEADER_LINE for value in values):
                return _answer(
                    request,
                    431,
                    "header_too_large",
                    f"a request header is longer than {MAX_HEADER_LINE} bytes",
                )
        body = request.content.getvalue() if isinstance(request.content, io.BytesIO) else b""
        headers = Headers()
        dropped = _connection_tokens(request)
        for name, values in request.requestHeaders.getAllRawHeaders():
            lowered = name.lower()
            if lowered not in _HOP_BY_HOP and lowered not in dropped:
                headers.setRawHeaders(name, list(values))
        client = request.getClientAddress()
        address = getattr(client, "host", None)
        if isinstance(address, str) and address:
            headers.setRawHeaders(b"X-Forwarded-For", [address.encode("ascii")])
            headers.setRawHeaders(b"X-Real-IP", [address.encode("ascii")])
        original_host = request.getHeader(b"host")
        if original_host:
            headers.setRawHeaders(b"X-Forwarded-Host", [original_host])
        headers.setRawHeaders(b"X-Forwarded-Port", [b"%d" % request.getHost().port])
        headers.setRawHeaders(b"X-Forwarded-Proto", [b"https" if request.isSecure() else b"http"])
        producer = None
        if body or request.method in _BODY_METHODS:
            producer = _BytesProducer(body)
        if proxy._agent is None:
            # A fresh connection per request (Agent's default), like Crossbar's
            # proxy: a pooled one the service closed meanwhile would fail a
            # POST, which cannot be retried.
            proxy._agent = Agent(reactor, connectTimeout=CONNECT_TIMEOUT)
        body_producer: Any = producer
        pending: Deferred[IResponse] = proxy._agent.request(
            request.method, proxy._origin + request.uri, headers, body_producer
        )
        relay = _Relay(request, pending, proxy.response_timeout)
        timer = reactor.callLater(proxy.response_timeout, relay.timeout)
        pending.addBoth(_cancel_timer, timer)
        request.notifyFinish().addErrback(lambda _: relay.client_gone())
        pending.addCallbacks(relay.respond, relay.failed)
        return server.NOT_DONE_YET


def _cancel_timer(result: Any, timer: Any) -> Any:
    if timer.active():
        timer.cancel()
    return result


@implementer(IBodyProducer)
class _BytesProducer:
    """The accepted request body (in memory, at most ``max_body`` bytes), sent at once."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.length = len(body)

    def startProducing(self, consumer: Any) -> Deferred[None]:
        consumer.write(self.body)
        return succeed(None)

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        pass


class _Relay:
    """Copies the service's answer to the client's request."""

    def __init__(self, request: _Request, pending: Deferred[IResponse], timeout: float) -> None:
        self.request = request
        self.pending = pending
        self.timeout_seconds = timeout
        self.finished = False
        self.timed_out = False
        self.body: _BodyCopy | None = None

    def timeout(self) -> None:
        self.timed_out = True
        self.pending.cancel()

    def client_gone(self) -> None:
        self.finished = True
        if not self.pending.called:
            self.pending.cancel()
        elif self.body is not None:
            self.body.stop()

    def respond(self, response: Any) -> None:
        if self.finished:
            return
        request = self.request
        request.setResponseCode(response.code, response.phrase)
        dropped = {
            token.strip().lower()
            for value in response.headers.getRawHeaders(b"connection", [])
            for token in value.split(b",")
        }
        for name, values in response.headers.getAllRawHeaders():
            lowered = name.lower()
            if lowered in _HOP_BY_HOP - {b"content-length"} or lowered in dropped:
                continue
            # Twisted sets its own Server and Date defaults: the service's replace them.
            request.responseHeaders.setRawHeaders(name, list(values))
        self.body = _BodyCopy(self)
        response.deliverBody(self.body)

    def failed(self, failure: Failure) -> None:
        if self.finished:
            return
        if failure.check(ValueError):
            # Twisted's client refused what it cannot send (method, URI characters).
            _answer(self.request, 400, "bad_request", "the request line is not valid")
        elif self.timed_out:
            _answer(
                self.request,
                504,
                "upstream_timeout",
                f"the service did not answer within {self.timeout_seconds:g} s",
            )
        else:
            _answer(
                self.request,
                502,
                "upstream_unavailable",
                "the service is not reachable (starting or restarting?); try again shortly",
            )
        self.finished = True

    def done(self, reason: Failure) -> None:
        if self.finished:
            return
        self.finished = True
        if reason.check(ResponseDone, PotentialDataLoss):
            self.request.finish()
        else:
            # Cut off mid-answer: the client must not take a truncated body for a whole one.
            self.request.channel.transport.abortConnection()


class _BodyCopy(Protocol):
    def __init__(self, relay: _Relay) -> None:
        self.relay = relay

    def dataReceived(self, data: bytes) -> None:
        if not self.relay.finished:
            self.relay.request.write(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.relay.done(reason)

    def stop(self) -> None:
        transport: Any = self.transport
        if transport is not None:
            transport.stopProducing()


def _connection_tokens(request: _Request) -> set[bytes]:
    """Headers the client named in ``Connection`` (hop-by-hop by declaration)."""
    return {
        token.strip().lower()
        for value in request.requestHeaders.getRawHeaders(b"connection", [])
        for token in value.split(b",")
    }


def _answer(request: _Request, status: int, code: str, message: str) -> Any:
    """The JSON error as the body of a normal Twisted response."""
    body = json.dumps({"error": code, "message": message}).encode("utf-8")
    request.setResponseCode(status)
    request.responseHeaders.setRawHeaders(b"Content-Type", [b"application/json; charset=utf-8"])
    request.responseHeaders.setRawHeaders(b"Cache-Control", [b"no-store"])
    request.responseHeaders.setRawHeaders(b"X-Content-Type-Options", [b"nosniff"])
    request.responseHeaders.setRawHeaders(b"Content-Length", [b"%d" % len(body)])
    if not request.finished and not request._disconnected:
        request.write(body)
        request.finish()
    return server.NOT_DONE_YET


# -- the body limit, while the body arrives ----------------------------------------------------


class _Body(io.BytesIO):
    """A request body kept in memory up to *limit* bytes; past it, refused and discarded."""

    def __init__(self, request: _Request, limit: int) -> None:
        super().__init__()
        self.request = request
        self.limit = limit
        self.refused = False

    def write(self, data: Any) -> int:
        if self.refused:
            return len(data)
        if self.tell() + len(data) > self.limit:
            self.refused = True
            self.seek(0)
            self.truncate(0)
            _refuse(self.request, self.limit)
            return len(data)
        return super().write(data)


def _proxy_of(channel: Any) -> ApiProxy | None:
    """The proxy serving *channel*'s site, or ``None`` for any other Twisted site."""
    site = getattr(channel, "site", None)
    resource = getattr(site, "resource", None)
    return resource if isinstance(resource, ApiProxy) else None


def _refuse(request: _Request, limit: int) -> None:
    """Answer 413 now and read the rest of the body into nothing.

    The answer goes out at once; the body is still drained (up to
    :data:`LINGER` seconds) because a client that is still sending would
    otherwise get a connection reset instead of the answer.
    """
    request._raccoon_refused = True
    channel = request.channel
    channel.persistent = False
    transport = channel.transport
    if transport is None:
        return
    transport.write(_too_large(limit))

    def hang_up() -> None:
        if getattr(transport, "connected", False):
            transport.loseConnection()

    _reactor().callLater(LINGER, hang_up)


_installed = False


def _install() -> None:
    """Cap request bodies on the sites whose root is an :class:`ApiProxy`.

    Twisted's HTTP channel reads the whole body into ``request.content``
    before the site looks a resource up, so a resource's own check comes
    too late. The channel announces the body's length to the request
    (``gotLength``) right after the headers: that is where the body store
    is chosen, so that is where the cap goes. The channel's bare ``400``
    answers (malformed HTTP) become JSON on those sites too. Every other
    site in the worker keeps Twisted's behaviour.
    """
    global _installed
    if _installed:
        return
    _installed = True
    original_got_length = server.Request.gotLength
    original_bad_request = http.HTTPChannel._respondToBadRequestAndDisconnect
    original_line_too_long = http.HTTPChannel.lineLengthExceeded

    def gotLength(self: _Request, length: int | None) -> None:
        proxy = _proxy_of(self.channel)
        if proxy is None:
            original_got_length(self, length)
            return
        self.content = _Body(self, proxy.max_body)
        if length is not None and length > proxy.max_body:
            # No "100 Continue" for a body that is refused anyway.
            self.requestHeaders.removeHeader(b"expect")
            self.content.refused = True
            _refuse(self, proxy.max_body)

    def respond_bad_request(self: Any) -> None:
        if _proxy_of(self) is None:
            original_bad_request(self)
            return
        current = self.requests[-1] if self.requests else None
        if not getattr(current, "_raccoon_refused", False):
            self.transport.write(_BAD_REQUEST)
        self.loseConnection()

    def line_too_long(self: Any, line: bytes) -> Any:
        if _proxy_of(self) is None:
            return original_line_too_long(self, line)
        respond_bad_request(self)
        return None

    server.Request.gotLength = gotLength  # type: ignore[method-assign]
    http.HTTPChannel._respondToBadRequestAndDisconnect = respond_bad_request  # type: ignore[method-assign]
    http.HTTPChannel.lineLengthExceeded = line_too_long  # type: ignore[method-assign]
