"""The desktop: the actions its controller offers, as buttons (JavaScript only).

A session's first context is its desktop (``docs/intents.md``): the server
describes its actions (id, label, hint, icon — already in the user's
language) and the view shows a button each. A click runs the action on the
server (``View.run_action``); an action that opens a context returns its
description, and the view for it is made; ``logout`` ends the login::

    class OrdersDesktop(DesktopView):
        def title_class(self):
            return "raccoon-title orders-title"

DOM hooks: ``h1`` with :meth:`DesktopView.title_class`;
``button.raccoon-action[data-action=<id>]`` with ``data-icon`` and the hint
as ``title``.
"""

from __globals__ import console

from raccoon.view import View, element

__all__ = ["DesktopView"]


class DesktopView(View):
    """The actions the desktop controller offers, as buttons."""

    def title_class(self):
        """The title's CSS classes (subclasses add their own)."""
        return "raccoon-title"

    async def render(self, holder):
        title = self.description.view_spec.title
        holder.appendChild(element("h1", {"class": self.title_class()}, [title or "Desktop"]))
        for action in self.description.actions:
            button = element(
                "button",
                {
                    "class": "raccoon-action",
                    "data-action": action.id,
                    "data-icon": action.icon or "",
                    "title": action.hint or "",
                },
                [action.label or action.id],
            )
            button.addEventListener("click", self._runner(action.id))
            holder.appendChild(button)

    def _runner(self, action_id):
        def run(event):
            self.activate(action_id).then(None, lambda error: console.error(action_id, error))

        return run

    async def activate(self, action_id):
        """Run the action ``action_id``: log out, or open the context it describes."""
        if action_id == "logout":
            await self.session.logout()
            return None
        described = await self.run_action(action_id)
        return await self.session._opened(described)
