"""The register's data sources: who may see and change what.

Everyone logged in sees their own tenant's records (the ``tenant`` column
scopes every query); the ``safety_officer`` role may create, edit and
delete; ``viewer`` only reads.
"""

from __future__ import annotations

from raccoon.data import Catalog, Check, Permissions, Source

from .tables import assessments, companies, workplaces

#: The role that edits the register.
OFFICER = "safety_officer"

_EDIT = Permissions(
    {
        "view": ["everyone"],
        "create": [f"role:{OFFICER}"],
        "edit": [f"role:{OFFICER}"],
        "delete": [f"role:{OFFICER}"],
    }
)

COMPANIES = Source("safety.companies", companies, permissions=_EDIT)
WORKPLACES = Source("safety.workplaces", workplaces, permissions=_EDIT)
ASSESSMENTS = Source(
    "safety.assessments",
    assessments,
    permissions=_EDIT,
    checks=[
        Check({"field": "severity", "op": "between", "value": [1, 4]}, "must be 1 to 4"),
        Check({"field": "probability", "op": "between", "value": [1, 4]}, "must be 1 to 4"),
    ],
)

SOURCES = Catalog([COMPANIES, WORKPLACES, ASSESSMENTS])
