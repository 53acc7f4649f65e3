"""One WAMP session kept alive, over autobahn-js (JavaScript only).

The browser's counterpart of the server's ``raccoon.node.Connection``:

- **reconnection is ours**: autobahn-js stops retrying for good after any
  ABORT or GOODBYE, so every attempt is a fresh autobahn ``Connection`` with
  its own retries off, and this class reopens with backoff (``retry_initial``
  growing by ``retry_growth`` to ``retry_max`` seconds, with jitter) —
  unless the router refused us for good (unknown realm, bad credentials:
  ``connect()`` fails with :class:`NotConnected`) or :meth:`close` was
  called;
- on every join it registers and subscribes again everything its nodes
  had, before waiting calls proceed;
- calls and events between nodes of the same connection are dispatched in
  process, without serialization (the router would not send a session its
  own events);
- calls wait for the session (within their timeout) while disconnected;
  events published while disconnected are dropped with a warning.

Wire compatibility: positional and keyword arguments travel as WAMP
``args``/``kwargs``; registered objects (nodes, proxies, paths) as
``{"__raccoon__": tag, "value": ...}``; errors as WAMP errors whose first
argument is the message (``RPCError`` on both sides).
"""

from __globals__ import Error, Math, Promise, clearTimeout, console, setTimeout
from autobahn import __default__ as autobahn

from .compat import index_of
from .context import NodeContext
from .errors import NodeError, NotConnected, RPCError, rpc_error_from_wamp
from .signal import call_handler, log_error
from .state import RemoteState
from .wamp import default_serialization

FATAL_ABORTS = {
    "wamp.error.no_such_realm": True,
    "wamp.error.authentication_failed": True,
    "wamp.error.not_authorized": True,
    "wamp.error.no_auth_method": True,
    "wamp.error.no_such_role": True,
    "raccoon.error.logout": True,
}

# Tries to restore registrations and subscriptions after a join (about 15 s).
_RESTORE_ATTEMPTS = 12

NEW = "new"
CONNECTING = "connecting"
JOINED = "joined"
CLOSING = "closing"
CLOSED = "closed"


class Connection:
    """A WAMP connection for client nodes, reconnecting by itself::

        conn = Connection('wss://example.org/ws', 'raccoon')
        await conn.connect()
        await node.node_bind('app.view', conn.new_context())

    ``ticket`` (a string, or a function returning a string or a Promise of
    one, called for every join) enables WAMP ticket authentication.
    """

    def __init__(
        self,
        url,
        realm,
        *,
        authid=None,
        ticket=None,
        serialization=None,
        call_timeout=30,
        retry_initial=0.1,
        retry_max=2.0,
        retry_growth=1.5,
        name=None,
    ):
        self.url = url
        self.realm = realm
        self.name = "connection" if name is None else name
        self._authid = authid
        self._ticket = ticket
        self.serialization = default_serialization() if serialization is None else serialization
        self.call_timeout = call_timeout
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._retry_growth = retry_growth
        self._delay = retry_initial
        self.context = NodeContext(wamp=self, remote_state=_remote_state)
        self.state = NEW
        self.session = None
        self.session_id = None
        self.generation = 0
        self._ab = None
        self._retry_timer = None
        self._fatal = None
        self._waiters = []
        self._join_callbacks = []
        self._leave_callbacks = []
        self._registrations = {}
        self._topics = {}

    # -- lifecycle -------------------------------------------------------------------
    @property
    def is_connected(self):
        """Whether a session is joined and everything re-registered."""
        return self.state == JOINED

    def new_context(self, **values):
        """A node context that carries this connection as ``wamp``."""
        # JavaScripthon passes keywords as one trailing object: hand it on.
        return self.context.new_child(values)

    def on_join(self, callback):
        """Call ``callback(session_id)`` on every join (after re-registration);
        returns a function that removes it."""
        callbacks = self._join_callbacks
        callbacks.append(callback)

        def remove():
            index = index_of(callbacks, callback)
            if index >= 0:
                callbacks.pop(index)

        return remove

    def on_leave(self, callback):
        """Call ``callback(reason)`` when a joined session is lost."""
        self._leave_callbacks.append(callback)

    async def connect(self, timeout=30):
        """Start connecting (and reconnecting); wait for the first join."""
        if self.state == CLOSING or self.state == CLOSED:
            raise NodeError(f"{self.name} is closed; make a new Connection")
        if self.state == NEW:
            self.state = CONNECTING
            self._open()
        await self.when_connected(timeout)

    def when_connected(self, timeout=None):
        """A Promise resolved at the next join (at once when joined); it
        rejects with :class:`NotConnected` on timeout, on a refusal for good,
        or when closed."""
        if self.state == JOINED:
            return Promise.resolve(None)
        if self._fatal is not None:
            return Promise.reject(self._fatal)
        if self.state == CLOSED or self.state == CLOSING:
            return Promise.reject(NotConnected(f"{self.name} is closed"))
        if self.state == NEW:
            return Promise.reject(NotConnected(f"{self.name} was never started: call connect()"))
        waiters = self._waiters
        url = self.url
        name = self.name

        def executor(resolve, reject):
            waiter = {"resolve": resolve, "reject": reject, "timer": None}
            if timeout is not None:

                def expire():
                    index = index_of(waiters, waiter)
                    if index >= 0:
                        waiters.pop(index)
                    reject(
                        NotConnected(
                            f"{name}: no WAMP session with {url} within {timeout} s; "
                            "is the router running?"
                        )
                    )

                waiter["timer"] = setTimeout(expire, timeout * 1000)
            waiters.append(waiter)

        return Promise(executor)

    def _settle_waiters(self, error):
        waiters = self._waiters
        self._waiters = []
        for waiter in waiters:
            if waiter["timer"] is not None:
                clearTimeout(waiter["timer"])
            if error is None:
                waiter["resolve"](None)
            else:
                waiter["reject"](error)

    async def close(self):
        """Leave the realm, stop reconnecting and drop all registrations."""
        if self.state == CLOSED:
            return
        self.state = CLOSING
        if self._retry_timer is not None:
            clearTimeout(self._retry_timer)
            self._retry_timer = None
        ab = self._ab
        self._ab = None
        if ab is not None and ab.isOpen:
            try:
                ab.close("wamp.close.normal", "closed by the client")
            except Error as error:
                console.debug(f"{self.name}: close failed", error)
        self.session = None
        self.session_id = None
        self._registrations = {}
        self._topics = {}
        self.state = CLOSED
        self._settle_waiters(NotConnected(f"{self.name} is closed"))

    def drop_transport(self):
        """Cut the network connection abruptly (reconnection follows); for tests."""
        if self.session is not None and self.session._socket is not None:
            self.session._socket.close(1000, "dropped")

    def _open(self):
        if self.state == CLOSING or self.state == CLOSED:
            return
        self._retry_timer = None
        options = {"url": self.url, "realm": self.realm, "max_retries": 0}
        if self._ticket is not None:
            ticket = self._ticket
            options["authmethods"] = ["ticket"]
            options["authid"] = self._authid

            def onchallenge(session, method, extra):
                if method != "ticket":
                    raise NodeError(f"cannot answer a '{method}' challenge")
                return ticket() if typeof(ticket) == "function" else ticket

            options["onchallenge"] = onchallenge
        ab = autobahn.Connection(options)
        self._ab = ab

        def onopen(session, details):
            self._on_open(ab, session)

        def onclose(reason, details):
            return self._on_close(ab, reason, details)

        ab.onopen = onopen
        ab.onclose = onclose
        ab.open()

    def _on_open(self, ab, session):
        if ab is not self._ab:
            return
        self.session = session
        self.session_id = session.id
        self.generation += 1
        self._fatal = None
        self._delay = self._retry_initial
        self._restore(session, self.generation, 0)

    def _restore(self, session, generation, attempt):
        """Register and subscribe again what this connection had, then say
        joined. What fails is tried again with backoff: right after a router
        restart the services may not be back yet (their authorizer neither),
        and a page that said "joined" without its subscriptions would miss
        every change from then on."""
        restore = []
        for uri in self._registrations:
            restore.append(self._ensure_registered(self._registrations[uri]))
        for key in self._topics:
            restore.append(self._ensure_subscribed(self._topics[key]))

        def restored(outcomes):
            if self.session is not session or self.generation != generation:
                return
            failed = []
            for outcome in outcomes:
                if outcome.status == "rejected":
                    failed.append(outcome.reason)
            if len(failed) > 0 and attempt + 1 < _RESTORE_ATTEMPTS:
                delay = Math.min(0.1 * Math.pow(2, attempt), 2)
                console.info(
                    f"{self.name}: {len(failed)} registration(s) or subscription(s) not "
                    f"restored yet, again in {delay} s: {failed[0]}"
                )
                setTimeout(lambda: self._restore(session, generation, attempt + 1), delay * 1000)
                return
            for reason in failed:
                log_error(f"{self.name}: could not restore after join", reason)
            self.state = JOINED
            self._settle_waiters(None)
            for callback in self._join_callbacks[0:]:
                try:
                    callback(session.id)
                except Error as error:
                    log_error(f"{self.name}: an on_join callback failed", error)

        Promise.allSettled(restore).then(restored)

    def _on_close(self, ab, reason, details):
        if ab is not self._ab:
            return True
        was_joined = self.state == JOINED
        self.session = None
        self.session_id = None
        self._ab = None
        if self.state == CLOSING or self.state == CLOSED:
            return True
        why = None if details is None else details.reason
        if why is not None and why in FATAL_ABORTS:
            self._fatal = NotConnected(
                f"the router refused the session: {why} ({details.message})", uri=why
            )
            if self.generation == 0 or why == "raccoon.error.logout":
                self.state = CLOSED
                self._settle_waiters(self._fatal)
                return True
        self.state = CONNECTING
        if was_joined:
            for callback in self._leave_callbacks[0:]:
                try:
                    callback(reason)
                except Error as error:
                    log_error(f"{self.name}: an on_leave callback failed", error)
        jitter = 0.8 + Math.random() * 0.4
        self._retry_timer = setTimeout(lambda: self._open(), self._delay * jitter * 1000)
        self._delay = Math.min(self._delay * self._retry_growth, self._retry_max)
        return True

    # -- registrations -----------------------------------------------------------------
    def registered(self, uri):
        """Whether ``uri`` is registered on this connection."""
        return uri in self._registrations

    async def register(self, uri, endpoint, owner):
        """Serve ``uri`` with ``endpoint(args, kwargs, details)`` now and after
        every reconnect."""
        if uri in self._registrations:
            raise NodeError(
                f"cannot register '{uri}' for {owner}: "
                f"{self._registrations[uri].owner} already registered it on this connection"
            )
        reg = {"uri": uri, "endpoint": endpoint, "owner": owner, "handle": None, "gen": -1}
        self._registrations[uri] = reg
        try:
            await self._ensure_registered(reg)
        except Error as error:
            if uri in self._registrations and self._registrations[uri] is reg:
                del self._registrations[uri]
            raise error

    async def _ensure_registered(self, reg):
        session = self.session
        if session is None or reg["gen"] == self.generation:
            return
        reg["gen"] = self.generation
        done = False  # as in _ensure_subscribed: any failure is tried again
        try:
            reg["handle"] = await session.register(reg["uri"], self._remote_invoker(reg))
            done = True
        except Error as error:
            if error.error == "wamp.error.procedure_already_exists":
                raise NodeError(
                    f"cannot register '{reg['uri']}' for {reg['owner']}: another WAMP session "
                    "already serves it"
                )
            raise _from_wamp(error)
        finally:
            if not done:
                reg["gen"] = -1

    async def unregister(self, uri):
        """Stop serving ``uri``; a no-op when it is not registered here."""
        if uri not in self._registrations:
            return
        reg = self._registrations[uri]
        del self._registrations[uri]
        session = self.session
        if reg["handle"] is not None and session is not None and reg["gen"] == self.generation:
            try:
                await session.unregister(reg["handle"])
            except Error as error:
                console.debug(f"{self.name}: unregister {uri}", error)

    def _remote_invoker(self, reg):
        def invoke(args, kwargs, details):
            context = self.context
            decoded_args = self.serialization.decode([] if args is None else args, context)
            decoded_kwargs = self.serialization.decode({} if kwargs is None else kwargs, context)

            def encode(result):
                return self.serialization.encode(result)

            def fail(error):
                raise _to_wamp(error, reg["uri"])

            return (
                Promise.resolve(None)
                .then(lambda: reg["endpoint"](decoded_args, decoded_kwargs, details))
                .then(encode, fail)
            )

        return invoke

    # -- calls -------------------------------------------------------------------------
    def call(self, uri, args=None, kwargs=None, timeout=None, context=None):
        """Call the procedure at ``uri`` (in process when registered here);
        a Promise. Failures reject with :class:`RPCError` (or a subclass)."""
        args = [] if args is None else args
        kwargs = {} if kwargs is None else kwargs
        if uri in self._registrations:
            endpoint = self._registrations[uri]["endpoint"]
            details = {"procedure": uri, "caller": self.session_id}
            return Promise.resolve(None).then(lambda: endpoint(args, kwargs, details))
        limit = self.call_timeout if timeout is None else timeout
        ctx = self.context if context is None else context
        if self.state == JOINED:
            return self._send_call(uri, args, kwargs, limit, ctx)
        return self.when_connected(limit).then(
            lambda: self._send_call(uri, args, kwargs, limit, ctx),
            lambda error: _reject(NotConnected(f"{uri}: {error.message}")),
        )

    def _send_call(self, uri, args, kwargs, limit, context):
        session = self.session
        if session is None:
            return _reject(NotConnected(f"{uri}: the connection was lost during the call"))
        s = self.serialization

        def executor(resolve, reject):
            def expire():
                reject(RPCError(f"{uri}: no answer within {limit} s", uri="raccoon.error.timeout"))

            timer = setTimeout(expire, limit * 1000)

            def done(result):
                clearTimeout(timer)
                if isinstance(result, autobahn.Result):
                    has_kw = result.kwargs is not None and len(result.kwargs) > 0
                    result = result.kwargs if has_kw else result.args
                try:
                    resolve(s.decode(result, context))
                except Error as error:
                    reject(error)

            def failed(error):
                clearTimeout(timer)
                reject(_from_wamp(error))

            session.call(uri, s.encode(args), s.encode(kwargs)).then(done, failed)

        return Promise(executor)

    # -- pub/sub -----------------------------------------------------------------------
    async def subscribe(self, topic, callback, *, match="exact", raw=False):
        """Deliver events on ``topic`` (or below it, ``match='prefix'``) to
        ``callback``: like a handler (``callback(*args)``), or
        ``callback(args, kwargs, details)`` with ``raw=True``. Returns a
        subscription for :meth:`unsubscribe`."""
        key = match + ":" + topic
        if key not in self._topics:
            self._topics[key] = {
                "topic": topic,
                "match": match,
                "key": key,
                "callbacks": [],
                "handle": None,
                "gen": -1,
            }
        entry = self._topics[key]
        sub = {"entry": entry, "callback": callback, "raw": raw}
        entry["callbacks"].append(sub)
        try:
            await self._ensure_subscribed(entry)
        except Error as error:
            await self.unsubscribe(sub)
            raise error
        return sub

    async def _ensure_subscribed(self, entry):
        session = self.session
        if session is None or entry["gen"] == self.generation:
            return
        entry["gen"] = self.generation

        def on_event(args, kwargs, details):
            context = self.context
            decoded_args = self.serialization.decode([] if args is None else args, context)
            decoded_kwargs = self.serialization.decode({} if kwargs is None else kwargs, context)
            self._deliver(entry, decoded_args, decoded_kwargs, details)

        options = {"match": entry["match"]}
        # autobahn's errors are not JavaScript Errors (`except Error` misses
        # them): `finally` marks the entry to be tried again whatever failed.
        done = False
        try:
            entry["handle"] = await session.subscribe(entry["topic"], on_event, options)
            done = True
        except Error as error:
            raise _from_wamp(error)
        finally:
            if not done:
                entry["gen"] = -1

    async def unsubscribe(self, sub):
        """Stop a delivery made by :meth:`subscribe`."""
        entry = sub["entry"]
        index = index_of(entry["callbacks"], sub)
        if index >= 0:
            entry["callbacks"].pop(index)
        if len(entry["callbacks"]) > 0:
            return
        if entry["key"] in self._topics and self._topics[entry["key"]] is entry:
            del self._topics[entry["key"]]
        session = self.session
        if entry["handle"] is not None and session is not None:
            if entry["gen"] == self.generation:
                try:
                    await session.unsubscribe(entry["handle"])
                except Error as error:
                    console.debug(f"{self.name}: unsubscribe {entry['topic']}", error)

    async def unsubscribe_callback(self, topic, callback, *, match="exact"):
        """Unsubscribe ``callback`` from ``topic``; False if it was not subscribed."""
        key = match + ":" + topic
        if key not in self._topics:
            return False
        for sub in self._topics[key]["callbacks"][0:]:
            if sub["callback"] is callback:
                await self.unsubscribe(sub)
                return True
        return False

    def _deliver(self, entry, args, kwargs, details):
        pending = []
        for sub in entry["callbacks"][0:]:
            try:
                if sub["raw"]:
                    result = sub["callback"](args, kwargs, details)
                else:
                    result = call_handler(sub["callback"], args, kwargs)
            except Error as error:
                log_error(f"{self.name}: a handler of {entry['topic']} failed", error)
                continue
            if result is not None and typeof(result.then) == "function":
                pending.append(result)
        return pending

    async def publish(self, topic, args=None, kwargs=None):
        """Publish an event: subscribers of this connection run first (and are
        awaited), then the router delivers it to the others."""
        args = [] if args is None else args
        kwargs = {} if kwargs is None else kwargs
        pending = self._publish_locally(topic, args, kwargs)
        if len(pending) > 0:
            outcomes = await Promise.allSettled(pending)
            for outcome in outcomes:
                if outcome.status == "rejected":
                    log_error(f"{self.name}: a handler of {topic} failed", outcome.reason)
        session = self.session
        if self.state != JOINED or session is None:
            console.warn(f"raccoon: {self.name} is not connected, event on {topic} dropped")
            return
        s = self.serialization
        session.publish(topic, s.encode(args), s.encode(kwargs), {"exclude_me": True})

    def _publish_locally(self, topic, args, kwargs):
        pending = []
        details = {"topic": topic, "publisher": self.session_id}
        for key in self._topics:
            entry = self._topics[key]
            exact = entry["match"] == "exact" and entry["topic"] == topic
            prefix = entry["match"] == "prefix" and topic.startswith(entry["topic"])
            if exact or prefix:
                for result in self._deliver(entry, args, kwargs, details):
                    pending.append(result)
        return pending

    def toString(self):
        return f"<Connection {self.name} {self.url} realm={self.realm} {self.state}>"


def _remote_state(path, context):
    return RemoteState(path, context)


def _reject(error):
    return Promise.reject(error)


def _from_wamp(error):
    """An RPCError for whatever autobahn rejected with."""
    if isinstance(error, RPCError):
        return error
    if isinstance(error, autobahn.Error):
        return rpc_error_from_wamp(error.error, error.args, error.kwargs)
    message = error.message if error is not None and error.message is not None else "" + error
    return NotConnected(message)


def _to_wamp(error, uri):
    """The autobahn error an endpoint answers with."""
    if isinstance(error, RPCError):
        return autobahn.Error(error.uri, [error.message], error.data)
    log_error(f"endpoint {uri} failed", error)
    message = f"{uri} failed unexpectedly; the details are in the client's console"
    return autobahn.Error("raccoon.error.internal", [message], {})


__all__ = ["CLOSED", "CLOSING", "CONNECTING", "JOINED", "NEW", "Connection"]
