"""The register's controllers: the desktop, and companies with master-detail cursors."""

from __future__ import annotations

from typing import Any

from raccoon.context import OPERATIONS, Action, Content, Controller
from raccoon.context import translatable as _
from raccoon.data import ChangeFeed, Cursor, Database, DetailCursor
from raccoon.node import Node, call
from raccoon.service import Logout

from .sources import SOURCES

COMPANIES_CONTENT = "safety.companies"


class OpenCompanies(Action):
    """Open the companies register."""

    ID = "companies"
    CATEGORIES = ("registers",)
    LABEL = _("Companies")
    HINT = _("Companies, their workplaces and their risk assessments.")
    ICON = "building"

    @call
    async def run(self) -> dict[str, Any]:
        """Open (or reuse) the companies context; returns its description."""
        context = await self.start_context(OPERATIONS.VIEW, Content(COMPANIES_CONTENT))
        return context.describe()


class SafetyDesktop(Controller):
    """The desktop: what the user can open, and logout."""

    OPERATION = OPERATIONS.VIEW
    CONTENT = {(Content.source == "auth.users") & (Content.len == 1)}
    VIEW = {"type": "Desktop", "title": "Workplace safety"}
    ACTIONS = [OpenCompanies, Logout]


class Companies(Controller):
    """Companies → their workplaces → the workplace's risk assessments."""

    OPERATION = OPERATIONS.VIEW
    CONTENT = {Content.source == COMPANIES_CONTENT}
    CURSORS = {
        "companies": "safety.companies",
        "workplaces": "safety.workplaces",
        "assessments": "safety.assessments",
    }
    VIEW = {"type": "Companies"}

    async def make_cursor(self, name: str, source_name: str, content: Content) -> Node | None:
        """Companies sorted by name; each detail follows its master's current record."""
        ctx = self.node_context
        assert ctx is not None and self.node_path is not None
        db: Database = ctx.get("db")
        principal = ctx.get("principal")
        feed: ChangeFeed = ctx.get("feed")  # the service's, shared by every cursor
        source = SOURCES[source_name]
        base = str(self.node_path)
        if name == "companies":
            return Cursor(source, db, feed, principal, sort=["name"], limit=40)
        if name == "workplaces":
            return DetailCursor(
                source,
                db,
                feed,
                principal,
                master=f"{base}.companies",
                link="company_id",
                sort=["name"],
                limit=40,
            )
        return DetailCursor(
            source,
            db,
            feed,
            principal,
            master=f"{base}.workplaces",
            link="workplace_id",
            sort=["due_date"],
            limit=40,
        )


CONTROLLERS = [SafetyDesktop, Companies]
