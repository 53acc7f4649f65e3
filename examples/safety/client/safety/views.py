"""The register's views: the desktop and the companies master-detail."""

from __globals__ import console
from raccoon.compat import push
from raccoon.view import View, element

from .grid import Grid

__all__ = ["CompaniesView", "DesktopView"]


class DesktopView(View):
    """The actions the desktop controller offers, as buttons."""

    async def render(self, holder):
        title = self.description.view_spec.title
        holder.appendChild(element("h1", {"class": "safety-title"}, [title or "Desktop"]))
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
        if action_id == "logout":
            await self.session.logout()
            return None
        described = await self.run_action(action_id)
        return await self.session._opened(described)


class CompaniesView(View):
    """Companies; the current company's workplaces; the current workplace's assessments."""

    async def render(self, holder):
        self.grids = []
        specs = [
            [
                "companies",
                [
                    {"field": "name", "title": "Company"},
                    {"field": "city", "title": "City"},
                    {"field": "employees", "title": "Employees"},
                ],
                "name",
            ],
            [
                "workplaces",
                [
                    {"field": "name", "title": "Workplace"},
                    {"field": "department", "title": "Department"},
                ],
                None,
            ],
            [
                "assessments",
                [
                    {"field": "hazard", "title": "Hazard"},
                    {"field": "severity", "title": "Severity"},
                    {"field": "probability", "title": "Probability"},
                    {"field": "due_date", "title": "Due"},
                    {"field": "owner", "title": "Owner"},
                ],
                "hazard",
            ],
        ]
        for spec in specs:
            name, columns, filter_field = spec
            cursor = await self.cursor(name)
            grid = Grid(name, cursor, columns, filter_field=filter_field)
            holder.appendChild(element("h2", None, [name]))
            grid.mount(holder)
            push(self.grids, grid)

    async def close(self):
        for grid in self.grids:
            grid.close()
        await super().close()
