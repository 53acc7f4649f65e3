"""The register's views: the desktop, the companies master-detail with the
assessment form and its history, and the register of every assessment.

Every string shown comes from the server's view spec, already in the
user's language (``examples/safety/ui.py``); the widgets come from the
framework (``raccoon.widgets``).
"""

from raccoon.tracker import autorun
from raccoon.view import View, element
from raccoon.widgets.desktop import DesktopView as BaseDesktopView
from raccoon.widgets.form import RecordForm
from raccoon.widgets.grid import Grid
from raccoon.widgets.history import HistoryPanel

__all__ = ["AssessmentsView", "CompaniesView", "DesktopView"]


class DesktopView(BaseDesktopView):
    """The framework's desktop, with the register's title class."""

    def title_class(self):
        return "raccoon-title safety-title"


def _mount_grid(grid, parent):
    grid.mount(parent)
    # The example's own classes, which its tests (and older ones) select on.
    grid.holder.classList.add("safety-grid")
    box = grid.holder.querySelector("input.raccoon-filter")
    if box is not None:
        box.classList.add("safety-filter")
    return grid


class CompaniesView(View):
    """Companies; the current company's workplaces; the current workplace's
    assessments, the current assessment in a form, and its history."""

    async def render(self, holder):
        spec = self.description.view_spec
        self.grids = []
        self.form = None
        self.history = None
        filters = {"companies": "name", "workplaces": None, "assessments": "hazard"}
        for name in ["companies", "workplaces", "assessments"]:
            cursor = await self.cursor(name)
            holder.appendChild(element("h2", {"data-title": name}, [spec.titles.get(name, name)]))
            grid = Grid(
                name,
                cursor,
                spec.columns[name],
                filter_field=filters[name],
                texts=spec.texts,
            )
            self.grids.append(_mount_grid(grid, holder))
        assessments = await self.cursor("assessments")
        editor = element("div", {"class": "safety-editor"})
        editor.appendChild(element("h2", {"data-title": "form"}, [spec.titles.form]))
        holder.appendChild(editor)
        self.form = RecordForm(assessments, spec.form, labels=spec.labels, texts=spec.texts)
        self.form.mount(editor)
        self.form.holder.dataset.form = "assessments"
        self.history = HistoryPanel(assessments, labels=spec.labels, texts=spec.texts)
        self.history.mount(editor)
        self.form.after_save(lambda record: self.history.refresh())

    async def close(self):
        for grid in self.grids:
            grid.close()
        if self.form is not None:
            self.form.close()
        if self.history is not None:
            self.history.close()
        await super().close()


class AssessmentsView(View):
    """Every assessment of the tenant: one grid over the whole register."""

    async def render(self, holder):
        spec = self.description.view_spec
        cursor = await self.cursor("assessments")
        holder.appendChild(element("h2", {"data-title": "assessments"}, [spec.title]))
        count = element("p", {"class": "safety-count"})
        holder.appendChild(count)

        def show_count(computation):
            count.textContent = f"{cursor.total} {spec.total}"

        self.counting = autorun(show_count)
        self.grid = Grid(
            "assessments",
            cursor,
            spec.columns,
            filter_field="hazard",
            visible=15,
            texts=spec.texts,
        )
        _mount_grid(self.grid, holder)

    async def close(self):
        self.counting.stop()
        self.grid.close()
        await super().close()
