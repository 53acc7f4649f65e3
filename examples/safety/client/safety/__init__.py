"""The browser side of the workplace-risk register."""

from raccoon.session import boot

from .views import AssessmentsView, CompaniesView, DesktopView

VIEWS = {"Desktop": DesktopView, "Companies": CompaniesView, "Assessments": AssessmentsView}

boot(VIEWS)

__all__ = ["VIEWS", "AssessmentsView", "CompaniesView", "DesktopView"]
