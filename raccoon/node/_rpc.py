"""Registrations and calls of a :class:`~raccoon.node.Connection`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import txaio

txaio.use_asyncio()

from autobahn.wamp.exception import (  # noqa: E402
    ApplicationError,
    SerializationError,
    TransportLost,
)
from autobahn.wamp.types import RegisterOptions  # noqa: E402

from ._context import NodeContext  # noqa: E402
from ._endpoint import INVOKE_POLICIES, Endpoint  # noqa: E402
from ._errors import (  # noqa: E402
    InvalidArguments,
    NodeError,
    NotConnected,
    RPCError,
    rpc_error_from_wamp,
)
from ._limits import (  # noqa: E402
    MAX_NAME_LENGTH,
    MESSAGE_TOO_LARGE,
    bounded_data,
    bounded_message,
    check_arguments,
)
from ._serialization import Serialization  # noqa: E402
from ._session import (  # noqa: E402
    DETAILS_ARG,
    SETTLED,
    LocalCallDetails,
    Registration,
    Session,
    Settled,
)
from ._wire import MessageTooLarge  # noqa: E402

__all__ = ["RPCMixin", "wamp_error"]

log = logging.getLogger("raccoon.node.connection")

# One instance per invocation policy for every registration (autobahn only reads them).
_REGISTER_OPTIONS = {
    policy: RegisterOptions(details_arg=DETAILS_ARG, invoke=None if policy == "single" else policy)
    for policy in INVOKE_POLICIES
}


class RPCMixin:
    """Registering endpoints (again after every join) and calling procedures."""

    name: str
    context: NodeContext
    serialization: Serialization
    call_timeout: float
    _session: Session | None
    _session_id: int | None
    _generation: int
    _joined: asyncio.Event
    _registrations: dict[str, Registration]

    async def _session_within(self, timeout: float | None) -> Session:
        raise NotImplementedError  # provided by Connection, which owns the session

    # -- registrations -----------------------------------------------------
    def registered(self, uri: str) -> Endpoint | None:
        """The local endpoint at ``uri``, if this connection has one."""
        reg = self._registrations.get(uri)
        return reg.endpoint if reg else None

    async def register(self, endpoint: Endpoint) -> None:
        """Register ``endpoint`` now (if joined) and after every reconnect."""
        existing = self._registrations.get(endpoint.uri)
        if existing is not None:
            raise NodeError(
                f"cannot register {endpoint.uri!r} for {endpoint.owner}: "
                f"{existing.endpoint.owner} already registered it on this connection"
            )
        reg = Registration(endpoint)
        self._registrations[endpoint.uri] = reg
        try:
            await self._ensure_registered(reg)
        except BaseException:
            if self._registrations.get(endpoint.uri) is reg:
                del self._registrations[endpoint.uri]
            raise

    async def unregister(self, uri: str) -> None:
        """Stop serving ``uri``; a no-op when it is not registered here."""
        reg = self._registrations.pop(uri, None)
        if reg is None:
            return
        task = reg.task
        if isinstance(task, asyncio.Future) and not task.done():
            try:
                await asyncio.shield(task)
            except Exception:
                return
        session = self._session
        if reg.handle is not None and session is not None and reg.generation == self._generation:
            try:
                await reg.handle.unregister()
            except (ApplicationError, TransportLost) as exc:
                log.debug("%s: unregister %s: %s", self.name, uri, exc)

    async def _ensure_registered(self, reg: Registration) -> None:
        session = self._session
        if session is None:
            return  # registered on the next join
        if reg.generation != self._generation or reg.task is None:
            reg.generation = self._generation
            reg.task = asyncio.ensure_future(self._do_register(session, reg))
        task = reg.task
        if isinstance(task, Settled):
            return
        await asyncio.shield(task)
        if reg.task is task:
            reg.task = SETTLED  # done: no need to keep the task and its coroutine

    async def _do_register(self, session: Session, reg: Registration) -> None:
        endpoint = self._registrations.get(reg.endpoint.uri, reg).endpoint
        if self._registrations.get(endpoint.uri) is not reg:
            return
        invoke = self._remote_invoker(endpoint)
        try:
            options = _REGISTER_OPTIONS[endpoint.invoke_policy]
            reg.handle = await session.register(invoke, endpoint.uri, options=options)
        except ApplicationError as exc:
            if exc.error == "wamp.error.procedure_already_exists":
                raise NodeError(
                    f"cannot register {endpoint.uri!r} for {endpoint.owner}: another "
                    "WAMP session already serves it"
                ) from None
            raise rpc_error_from_wamp(exc.error, exc.args, exc.kwargs) from None
        except TransportLost:
            reg.generation = -1  # try again on the next join

    def _remote_invoker(self, endpoint: Endpoint) -> Callable[..., Awaitable[Any]]:
        return _RemoteInvoker(endpoint, self.serialization, self.context)

    # -- calls -------------------------------------------------------------
    def call(
        self,
        uri: str,
        args: tuple[Any, ...] | list[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        context: NodeContext | None = None,
    ) -> Awaitable[Any]:
        """Call the procedure at ``uri``; in process when it is registered here.

        Returns an awaitable. Failures raise :class:`RPCError` (or a
        subclass); a call that gets no answer within ``timeout`` (default: the
        connection's ``call_timeout``) raises one with uri
        ``raccoon.error.timeout``. While the connection is down the call waits
        for it, within the same timeout.
        """
        kwargs = kwargs or {}
        reg = self._registrations.get(uri)
        if reg is not None:
            return reg.endpoint.invoke(args, kwargs, LocalCallDetails(self._session_id, uri))
        if "options" in kwargs:
            raise InvalidArguments(
                f"{uri}: the keyword argument 'options' is reserved by WAMP clients; rename it"
            )
        timeout = self.call_timeout if timeout is None else timeout
        context = context or self.context
        if self._session is None or not self._joined.is_set():
            return self._call_when_connected(uri, args, kwargs, timeout, context)
        # The common case avoids a coroutine and a task per call: a future
        # completed by callbacks (this path sets the throughput of many
        # concurrent calls, see bench/rpc.py).
        return self._send_call(self._session, uri, args, kwargs, timeout, context)

    def _send_call(
        self,
        session: Session,
        uri: str,
        args: tuple[Any, ...] | list[Any],
        kwargs: dict[str, Any],
        timeout: float,
        context: NodeContext,
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        outer: asyncio.Future[Any] = loop.create_future()
        s = self.serialization
        try:
            inner = session.call(uri, *s.encode_args(args), **s.encode_kwargs(kwargs))
        except TransportLost:
            outer.set_exception(NotConnected(f"{uri}: the connection was lost during the call"))
            return outer
        except SerializationError as exc:
            too_large = exc.__context__
            if not isinstance(too_large, MessageTooLarge):
                raise
            outer.set_exception(
                RPCError(
                    f"{uri}: not called: {too_large}",
                    uri=MESSAGE_TOO_LARGE,
                    size=too_large.size,
                    limit=too_large.limit,
                )
            )
            return outer
        timer = loop.call_later(timeout, _time_out, outer, inner, uri, timeout)

        def done(fut: Any) -> None:
            timer.cancel()
            if outer.done():
                return
            if fut.cancelled():
                outer.cancel()
                return
            exc = fut.exception()
            if exc is None:
                result = fut.result()
                if type(result).__name__ == "CallResult":
                    result = result.results if not result.kwresults else result.kwresults
                try:
                    outer.set_result(s.decode(result, context))
                except Exception as decode_error:
                    outer.set_exception(decode_error)
            elif isinstance(exc, ApplicationError):
                outer.set_exception(rpc_error_from_wamp(exc.error, exc.args, exc.kwargs))
            elif isinstance(exc, TransportLost):
                outer.set_exception(NotConnected(f"{uri}: the connection was lost during the call"))
            else:
                outer.set_exception(exc)

        def cancelled(fut: asyncio.Future[Any]) -> None:
            if fut.cancelled() and not inner.done():
                inner.cancel()

        inner.add_done_callback(done)
        outer.add_done_callback(cancelled)
        return outer

    async def _call_when_connected(
        self,
        uri: str,
        args: tuple[Any, ...] | list[Any],
        kwargs: dict[str, Any],
        timeout: float,
        context: NodeContext,
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            session = await self._session_within(timeout)
        except NotConnected as exc:
            raise NotConnected(f"{uri}: {exc}") from None
        return await self._send_call(
            session, uri, args, kwargs, max(0.0, deadline - loop.time()), context
        )


class _RemoteInvoker:
    """What autobahn calls for a registered endpoint: decodes, invokes, encodes.

    A slotted object rather than a closure: one is kept per registration of
    every bound node, and this is a third of a closure's size.
    """

    __slots__ = ("context", "endpoint", "serialization")

    def __init__(
        self, endpoint: Endpoint, serialization: Serialization, context: NodeContext
    ) -> None:
        self.endpoint = endpoint
        self.serialization = serialization
        self.context = context

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        serialization, context, endpoint = self.serialization, self.context, self.endpoint
        details = kwargs.pop(DETAILS_ARG, None)
        try:
            # At the door, before any decoder or application code sees them:
            # the arguments come from another session, maybe a browser's.
            check_arguments(endpoint.uri, args, kwargs, endpoint.parameter_names)
            try:
                if args:
                    args = tuple(serialization.decode(list(args), context))
                if kwargs:
                    kwargs = serialization.decode(kwargs, context)
            except Exception as exc:  # a registered decoder refused its value
                raise InvalidArguments(
                    f"{endpoint.uri}: an argument could not be decoded: {exc}"
                ) from None
            result = await endpoint.invoke(args, kwargs, details)
        except RPCError as exc:
            raise wamp_error(exc, serialization) from None
        return serialization.encode(result)


def wamp_error(exc: RPCError, serialization: Serialization) -> ApplicationError:
    """The WAMP error a caller gets for ``exc``: its message and data bounded,
    since they may quote what the caller sent (_limits.py)."""
    try:
        data = bounded_data(serialization.encode_kwargs(exc.data))
    except Exception:  # data that cannot even be encoded is not sent
        log.warning("the data of an error for %s could not be encoded", exc.uri, exc_info=True)
        data = {"truncated": True}
    uri = exc.uri if len(exc.uri) <= MAX_NAME_LENGTH else RPCError.default_uri
    return ApplicationError(uri, bounded_message(str(exc.message)), **data)


def _time_out(outer: asyncio.Future[Any], inner: Any, uri: str, timeout: float) -> None:
    if not outer.done():
        outer.set_exception(
            RPCError(f"{uri}: no answer within {timeout} s", uri="raccoon.error.timeout")
        )
    if not inner.done():
        inner.cancel()
