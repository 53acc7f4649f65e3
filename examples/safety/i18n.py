"""The register's strings in Italian (English is the message id)."""

from __future__ import annotations

from raccoon.context import Catalog

CATALOG = Catalog(
    {
        "it": {
            "Companies": "Aziende",
            "Companies, their workplaces and their risk assessments.": (
                "Aziende, i loro luoghi di lavoro e le valutazioni dei rischi."
            ),
            "Logout": "Esci",
            "Leave this session.": "Chiudi questa sessione.",
        }
    }
)
