"""The browser's session: login, the WAMP join, the session tree's views (JavaScript only).

What happens (``docs/security.md``, ``docs/sessions.md``):

1. the login form posts to ``/api/login`` and gets a join token, the
   session id and the session's URI prefix;
2. the :class:`~.connection.Connection` joins with WAMP ticket auth: the
   first time with that token, on every reconnection with a fresh one from
   ``/api/token`` (the cookie proves it is the same browser). It reopens
   by itself with backoff after any ABORT; a refused refresh (logged out,
   expired, revoked) or a logout ends it and shows the login form again;
3. ``raccoon.public.session.ready()`` answers the session's description
   once its tree is built; the client makes a :class:`~.view.View` for each
   open context (the first is the desktop), binds it at the context's view
   path, and follows ``<prefix>.on_open`` / ``on_close`` / ``on_end``.
   After a reconnection within the grace period the tree is the same
   (``resumed``) and so are the views; otherwise they are made again;
4. a reload of the page continues the tab's login (:meth:`ClientSession.resume`:
   the login id kept in ``sessionStorage`` plus the cookie get a fresh
   token) and shows the contexts that were open; after a logout, or once
   the login expired, the login form shows instead;
5. the tab also keeps the intent (operation, content) of each context it
   shows (``sessionStorage``, with the login id). When ``ready()`` answers
   with a tree that lacks some of them — a fresh tree, because the service
   restarted (``raccoon dev`` after a server-side edit, a deployment) — they
   are opened again, in their order, so the page comes back to the screens
   it had, as after a reload within the grace period. A context that can no
   longer be opened (its controller is gone) is left out, with a warning.

The page (``/``) carries the configuration in ``#raccoon-config``;
:func:`boot` reads it and starts everything::

    boot({'Desktop': DesktopView, 'Companies': CompaniesView})

``root.dataset.state`` says where the session is: ``login``,
``connecting`` (also while a lost connection comes back), ``ready``,
``lost``.
"""

from __globals__ import JSON, Error, Math, console, document, fetch, window

from .connection import Connection
from .errors import NodeError
from .promise import sleep
from .view import View, element

__all__ = ["READY", "ClientSession", "HttpError", "boot", "post_json", "read_config"]

READY = "raccoon.public.session.ready"
# Refresh answers that mean the login is over: show the form again.
_ENDED = {401: True, 403: True, 404: True, 410: True}
# Seconds a reloaded page keeps trying to reach the server to continue its login.
_RESUME_PATIENCE = 60
# Tries of ready() after a reconnection before giving up (about half a minute).
_READY_ATTEMPTS = 10


class HttpError(Error):
    """An API answer with an error status: ``status``, ``code``, ``message``."""

    def __init__(self, message, status, code):
        super().__init__(message)
        self.name = "HttpError"
        self.status = status
        self.code = code


async def post_json(url, body):
    """POST ``body`` as JSON to ``url``; the answer's JSON, or an :class:`HttpError`."""
    response = await fetch(
        url,
        {
            "method": "POST",
            "headers": {"Content-Type": "application/json"},
            "body": JSON.stringify(body),
            "credentials": "same-origin",
        },
    )
    answer = None
    try:
        answer = await response.json()
    except Error:
        answer = {"error": "malformed", "message": f"{url}: HTTP {response.status}"}
    if not response.ok:
        raise HttpError(answer.get("message", "refused"), response.status, answer.get("error", ""))
    return answer


class ClientSession:
    """One login of this browser tab, its WAMP connection and its views."""

    def __init__(self, config, views, root=None):
        self.config = config
        self.views = views
        self.root = document.getElementById("raccoon") if root is None else root
        self.grant = None
        self.connection = None
        self.description = None
        self.views_by_context = {}
        self._first_token = None
        self._unsubscribe_join = None
        self.ready_at = None
        # From a join until ready() has rebuilt the views the kept intents are
        # not rewritten (on_open may announce a fresh tree's desktop before
        # ready() answers): a reload in the middle must still find them all.
        self._restoring = False
        # The tree is being torn down for a restart (on_end 'shutdown'): the
        # closes that follow are not the user's, and the views stay until the
        # next ready() replaces them.
        self._tree_ending = False

    # -- state shown to the page (and to the tests) ---------------------------------
    def _set_state(self, state):
        self.root.dataset.state = state

    @property
    def prefix(self):
        return None if self.grant is None else self.grant.prefix

    # -- login -----------------------------------------------------------------------
    def show_login(self, message=None):
        """Replace everything with the login form."""
        self.root.innerHTML = ""
        error = element("p", {"id": "raccoon-login-error", "class": "raccoon-error"})
        if message is not None:
            error.textContent = message
        username = element("input", {"id": "raccoon-username", "name": "username"})
        password = element(
            "input", {"id": "raccoon-password", "name": "password", "type": "password"}
        )
        button = element("button", {"id": "raccoon-login", "type": "submit"}, ["Login"])
        form = element(
            "form",
            {"id": "raccoon-login-form", "class": "raccoon-login"},
            [
                element("label", None, ["Username ", username]),
                element("label", None, ["Password ", password]),
                button,
                error,
            ],
        )

        def submit(event):
            event.preventDefault()
            button.disabled = True

            def failed(problem):
                button.disabled = False
                error.textContent = problem.message

            self.login(username.value, password.value).then(None, failed)

        form.addEventListener("submit", submit)
        self.root.appendChild(form)
        self._set_state("login")
        username.focus()

    async def login(self, username, password):
        """Log in and start the session (``/api/login``, join, ready, views)."""
        self.grant = await post_json(
            self.config.login, {"username": username, "password": password}
        )
        self._first_token = self.grant.token
        _remember(self.grant.session)
        _keep_contexts(self.grant.session, [])  # a new login starts with its desktop
        await self.start()

    async def resume(self):
        """After a reload: continue this tab's login, if it is still live.

        The tab keeps only the login's id (``sessionStorage``, never the
        token); ``/api/token`` also wants the browser's HttpOnly cookie. The
        session tree outlives the old page for the grace period, so its open
        contexts come back as they were. Returns whether it resumed; when
        not, the login form is shown.
        """
        sid = _remembered()
        if sid is None:
            return False
        grant = await self._refresh_after_reload(sid)
        if grant is None:
            return False
        self.grant = grant
        self._first_token = grant.token
        await self.start()
        return True

    async def _refresh_after_reload(self, sid):
        """A grant for the login *sid*, or None when it is over. The server
        may be restarting (``raccoon dev``): unreachable is tried again for
        a while, only a refusal forgets the login."""
        delay = 0.25
        waited = 0
        while waited < _RESUME_PATIENCE:
            try:
                return await post_json(self.config.token, {"session": sid})
            except HttpError as error:
                if error.status in _ENDED:
                    console.info("raccoon: the previous login is over:", error.message)
                    _forget()
                    return None
                console.warn("raccoon: resuming the login failed:", error.message)
            except Error as error:
                console.warn("raccoon: the server is not reachable yet:", error.message)
            await sleep(delay)
            waited += delay
            delay = Math.min(delay * 2, 4)
        return None

    async def fresh_token(self):
        """A new join token for this login (``/api/token``); a refusal ends the session."""
        if self._first_token is not None:
            token = self._first_token
            self._first_token = None
            return token
        try:
            answer = await post_json(self.config.token, {"session": self.grant.session})
        except HttpError as error:
            if error.status in _ENDED:
                self.lost(f"the session has ended: {error.message}")
            raise error
        return answer.token

    # -- the connection --------------------------------------------------------------
    async def start(self):
        """Join the realm and build the views of the session tree."""
        self._set_state("connecting")
        self._restoring = True
        grant = self.grant
        url = grant.url if grant.url is not None else self.config.url
        connection = Connection(
            url,
            grant.realm,
            authid=grant.user.username,
            ticket=lambda: self.fresh_token(),
            name=f"browser-{grant.session}",
        )
        self.connection = connection
        await connection.connect()
        prefix = grant.prefix
        await connection.subscribe(f"{prefix}.on_open", lambda d: self._opened(d))
        await connection.subscribe(f"{prefix}.on_close", lambda cid: self._closed(cid))
        await connection.subscribe(f"{prefix}.on_end", lambda reason: self._ended(reason))
        await self.ready()

        def rejoined(session_id):
            self._ready_again(connection, connection.generation, 0)

        def left(reason):
            # Until ready() answers again: the page keeps everything, but says so.
            if self.connection is connection:
                self._set_state("connecting")
                self._restoring = True

        connection.on_leave(left)

        self._unsubscribe_join = connection.on_join(rejoined)

    def _ready_again(self, connection, generation, attempt):
        """ready() after a reconnection, tried again with backoff while the
        service is not back yet (after a router restart it re-registers)."""

        def failed(error):
            if self.connection is not connection or connection.generation != generation:
                return  # gone, or joined again: that join asks for itself
            if attempt + 1 >= _READY_ATTEMPTS:
                console.error("raccoon: the session did not resume", error)
                return
            delay = Math.min(0.25 * Math.pow(2, attempt), 4)
            console.info(f"raccoon: the session resumes again in {delay} s: {error}")

            def again(ignored):
                self._ready_again(connection, generation, attempt + 1)

            sleep(delay).then(again)

        self.ready().then(None, failed)

    async def ready(self):
        """Ask for the session's description and make the views it lacks; open
        again the contexts this tab showed that the tree lacks (a fresh tree
        after a restart of the service)."""
        description = await self.connection.call(READY)
        previous = self.description
        self.description = description
        self._tree_ending = False
        self._restoring = True
        try:
            wanted = _kept_contexts(self.grant.session)
            if not description.resumed and previous is not None:
                # A fresh tree: views bound for the previous one are stale.
                for cid in self.views_by_context:
                    await self._close_view(cid)
            self._ensure_layout()
            for context in description.contexts:
                await self._opened(context)
            await self._reopen(wanted)
        finally:
            self._restoring = False
        self._keep()
        self._set_state("ready")
        self.ready_at = window.performance.now()
        return description

    async def _reopen(self, wanted):
        """Open the intents of *wanted* that no view shows, in their order."""
        shown = {}
        for cid in self.views_by_context:
            key = _intent_key(self.views_by_context[cid].description)
            shown[key] = True
        for intent in wanted:
            key = _intent_key(intent)
            if key in shown:
                continue
            shown[key] = True
            console.info(f"raccoon: opening again a context this tab showed: {key}")
            try:
                await self.open(intent.operation, intent.content)
            except Error as error:
                console.warn("raccoon: a context of this tab could not be opened again", error)

    def _keep(self):
        """Keep the intents of the shown contexts for a fresh tree (see ready())."""
        if self._restoring or self.grant is None:
            return
        intents = []
        for cid in self.views_by_context:
            described = self.views_by_context[cid].description
            intents.append({"operation": described.operation, "content": described.content})
        _keep_contexts(self.grant.session, intents)

    async def open(self, operation, content):
        """Open a context by intent (``<prefix>.open``); returns its view."""
        described = await self.connection.call(f"{self.prefix}.open", [operation, content])
        return await self._opened(described)

    async def close_context(self, context_id):
        await self.connection.call(f"{self.prefix}.close", [context_id])

    def _ensure_layout(self):
        """The desktop's and the other views' holders (replacing the login form)."""
        if self.root.querySelector("#raccoon-main") is None:
            self.root.innerHTML = ""
            self.root.appendChild(element("nav", {"id": "raccoon-desktop"}))
            self.root.appendChild(element("main", {"id": "raccoon-main"}))

    async def _opened(self, described):
        if described.id in self.views_by_context:
            return self.views_by_context[described.id]
        # `<prefix>.on_open` may announce the desktop before ready() answers.
        self._ensure_layout()
        kind = described.view_spec.type
        ViewClass = self.views.get(kind, View)  # capitalized: JavaScripthon adds `new`
        view = ViewClass(self, described)
        self.views_by_context[described.id] = view
        first = len(self.views_by_context) == 1
        parent_id = "raccoon-desktop" if first else "raccoon-main"
        holder = element(
            "section",
            {"class": "raccoon-view", "data-context": described.id, "data-view": kind},
        )
        document.getElementById(parent_id).appendChild(holder)
        self._keep()
        try:
            await view.attach(self.connection, holder)
        except Error as error:
            holder.textContent = f"{kind}: {error.message}"
            raise error
        return view

    async def _closed(self, context_id):
        if self._tree_ending:
            return  # a restart's teardown: the screen stays, and is opened again
        await self._close_view(context_id)
        self._keep()

    async def _close_view(self, context_id):
        if context_id not in self.views_by_context:
            return
        view = self.views_by_context[context_id]
        del self.views_by_context[context_id]
        try:
            await view.close()
        except Error as error:
            console.warn(f"raccoon: closing the view of {context_id} failed", error)

    def _ended(self, reason):
        if reason == "shutdown":
            # The service process stops (a restart, a deployment): the login
            # is still good; the connection comes back to this or another
            # process, whose ready() builds the tree afresh.
            console.info("raccoon: the server is restarting; the page reconnects by itself")
            self._tree_ending = True
            self._restoring = True
            return
        self.lost("You have been logged out." if reason == "logout" else f"Session {reason}.")

    # -- the end -----------------------------------------------------------------------
    async def logout(self):
        """End the login (``/api/logout``): the server tears the tree down."""
        grant = self.grant
        try:
            await post_json(self.config.logout, {"session": grant.session})
        finally:
            self.lost("You have been logged out.")

    def lost(self, message):
        """Stop the connection, drop the views and show the login form."""
        connection = self.connection
        self.connection = None
        self.description = None
        _forget()
        if self._unsubscribe_join is not None:
            self._unsubscribe_join()
            self._unsubscribe_join = None
        for cid in self.views_by_context:
            self._close_view(cid)
        if connection is not None:
            connection.close()
        self.show_login(message)
        self._set_state("lost")


# The tab's login id survives a reload in sessionStorage (per tab, gone with it).
_STORAGE_KEY = "raccoon.login"
# ... and so do the intents of the contexts it shows, with that login's id.
_CONTEXTS_KEY = "raccoon.contexts"


def _intent_key(described):
    # The server describes a context's content the same way each time.
    return JSON.stringify([described.operation, described.content])


def _keep_contexts(sid, intents):
    try:
        window.sessionStorage.setItem(
            _CONTEXTS_KEY, JSON.stringify({"session": sid, "contexts": intents})
        )
    except Error as error:
        console.warn("raccoon: cannot keep the open contexts across restarts", error)


def _kept_contexts(sid):
    """The intents kept for the login *sid* (none for another login)."""
    try:
        kept = JSON.parse(window.sessionStorage.getItem(_CONTEXTS_KEY) or "null")
    except Error:
        return []
    if kept is None or kept.session != sid or not isinstance(kept.contexts, (list, tuple)):
        return []
    return kept.contexts


def _remember(sid):
    try:
        window.sessionStorage.setItem(_STORAGE_KEY, sid)
    except Error as error:  # storage disabled: a reload then asks to log in
        console.warn("raccoon: cannot keep the login across reloads", error)


def _remembered():
    try:
        return window.sessionStorage.getItem(_STORAGE_KEY)
    except Error:
        return None


def _forget():
    try:
        window.sessionStorage.removeItem(_STORAGE_KEY)
        window.sessionStorage.removeItem(_CONTEXTS_KEY)
    except Error:
        return None
    return None


def read_config():
    """The page's configuration (``#raccoon-config``)."""
    holder = document.getElementById("raccoon-config")
    if holder is None:
        raise NodeError("the page has no #raccoon-config: is it served by raccoon?")
    return JSON.parse(holder.textContent)


def boot(views):
    """Start the client on this page with ``views`` (view_spec type → View class)."""

    def start():
        session = ClientSession(read_config(), views)
        window.raccoon_session = session

        def resumed(done):
            if not done:
                session.show_login()

        def failed(error):
            console.error("raccoon: resuming the login failed", error)
            session.show_login()

        session._set_state("connecting")
        session.resume().then(resumed, failed)

    if document.readyState == "loading":
        document.addEventListener("DOMContentLoaded", start)
    else:
        start()
