"""The default desktop: the controller every session opens first.

Each session starts by asking to ``VIEW`` the content made of the user who
logged in (``Content('auth.users', ids=[user_id])``). An application
registers its own desktop controller for that intent; this one is used
when it registers none, and loses any tie to one it does (``PRIORITY -1``).
"""

from __future__ import annotations

from raccoon.context import OPERATIONS, Action, Content, Controller
from raccoon.context import translatable as _
from raccoon.node import call

__all__ = ["DESKTOP_SOURCE", "Desktop", "Logout", "desktop_content"]

#: The data source name of users: the desktop's content is one of its records.
DESKTOP_SOURCE = "auth.users"


def desktop_content(user_id: int) -> Content:
    """The content whose ``VIEW`` is the desktop of *user_id*."""
    return Content(DESKTOP_SOURCE, ids=[user_id])


class Logout(Action):
    """Ends the session: the login is closed, the tree torn down, the browser disconnected."""

    ID = "logout"
    CATEGORIES = ("session",)
    LABEL = _("Logout")
    HINT = _("Leave this session.")
    ICON = "sign-out"

    @call
    async def run(self) -> None:
        """End the session this action belongs to."""
        session = self.node_context.get("session") if self.node_context is not None else None
        if session is not None:
            await session.end("logout")


class Desktop(Controller):
    """The default desktop: ``VIEW`` of one ``auth.users`` record, with a logout action."""

    OPERATION = OPERATIONS.VIEW
    CONTENT = {(Content.source == DESKTOP_SOURCE) & (Content.len == 1)}
    VIEW = {"type": "Desktop"}
    ACTIONS = [Logout]
    PRIORITY = -1
