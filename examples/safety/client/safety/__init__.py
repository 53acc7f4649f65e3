"""The browser side of the workplace-risk register."""

from raccoon.session import boot

from .views import CompaniesView, DesktopView

VIEWS = {"Desktop": DesktopView, "Companies": CompaniesView}

boot(VIEWS)

__all__ = ["VIEWS", "CompaniesView", "DesktopView"]
