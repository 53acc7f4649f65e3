"""The register's controllers: the desktop, companies with master-detail cursors,
and the register of every assessment."""

from __future__ import annotations

from raccoon.context import OPERATIONS, Content, Controller, OpenAction
from raccoon.context import translatable as _
from raccoon.data import ChangeFeed, Cursor, Database, DetailCursor
from raccoon.node import Node
from raccoon.service import Logout

from .sources import SOURCES
from .ui import ASSESSMENTS_VIEW, COMPANIES_VIEW, DESKTOP_VIEW

COMPANIES_CONTENT = "safety.companies"
ASSESSMENTS_CONTENT = "safety.assessments"


class OpenCompanies(OpenAction):
    """Open the companies register."""

    ID = "companies"
    CATEGORIES = ("registers",)
    LABEL = _("Companies")
    HINT = _("Companies, their workplaces and their risk assessments.")
    ICON = "building"
    CONTENT = Content(COMPANIES_CONTENT)


class OpenAssessments(OpenAction):
    """Open the register of all the tenant's risk assessments."""

    ID = "assessments"
    CATEGORIES = ("registers",)
    LABEL = _("Assessments")
    HINT = _("Every risk assessment of your organisation, in one register.")
    ICON = "list"
    CONTENT = Content(ASSESSMENTS_CONTENT)


class SafetyDesktop(Controller):
    """The desktop: what the user can open, and logout."""

    OPERATION = OPERATIONS.VIEW
    CONTENT = {(Content.source == "auth.users") & (Content.len == 1)}
    VIEW = DESKTOP_VIEW
    ACTIONS = [OpenCompanies, OpenAssessments, Logout]


class Companies(Controller):
    """Companies → their workplaces → the workplace's risk assessments."""

    OPERATION = OPERATIONS.VIEW
    CONTENT = {Content.source == COMPANIES_CONTENT}
    CURSORS = {
        "companies": "safety.companies",
        "workplaces": "safety.workplaces",
        "assessments": "safety.assessments",
    }
    VIEW = COMPANIES_VIEW

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


class Assessments(Controller):
    """Every risk assessment of the tenant (100,000 for acme): a grid to scroll,
    sort and filter; only the visible window travels."""

    OPERATION = OPERATIONS.VIEW
    CONTENT = {Content.source == ASSESSMENTS_CONTENT}
    CURSORS = {"assessments": "safety.assessments"}
    VIEW = ASSESSMENTS_VIEW

    async def make_cursor(self, name: str, source_name: str, content: Content) -> Node | None:
        """All of the tenant's assessments (the source scopes them), by due date."""
        ctx = self.node_context
        assert ctx is not None
        return Cursor(
            SOURCES[source_name],
            ctx.get("db"),
            ctx.get("feed"),
            ctx.get("principal"),
            sort=["due_date"],
            limit=40,
        )


CONTROLLERS = [SafetyDesktop, Companies, Assessments]
