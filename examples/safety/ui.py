"""What the register's views show, as the server describes it to the client.

The strings are translatables: each context describes its view in the
user's language (``i18n.CATALOG``), so the browser gets them translated and
never needs a catalog of its own.
"""

from __future__ import annotations

from typing import Any

from raccoon.context import translatable as _

#: The assessment fields the forms edit, in order.
ASSESSMENT_FORM = ["hazard", "severity", "probability", "measures", "due_date", "owner"]

FIELD_LABELS = {
    "name": _("Name"),
    "city": _("City"),
    "employees": _("Employees"),
    "department": _("Department"),
    "hazard": _("Hazard"),
    "severity": _("Severity"),
    "probability": _("Probability"),
    "measures": _("Measures"),
    "due_date": _("Due date"),
    "owner": _("Owner"),
}

#: The widgets' strings (keys of ``raccoon.widgets.texts.DEFAULT_TEXTS``).
WIDGET_TEXTS: dict[str, Any] = {
    "filter": _("filter"),
    "save": _("Save"),
    "cancel": _("Cancel"),
    "saved": _("Saved."),
    "unsaved": _("Unsaved changes"),
    "not_a_number": _("must be a number"),
    "not_an_integer": _("must be a whole number"),
    "not_a_date": _("must be a date (YYYY-MM-DD)"),
    "invalid": _("Some values are not valid: nothing was saved."),
    "save_failed": _("Saving failed:"),
    "conflict_title": _("Someone else changed this record"),
    "conflict_intro": _("The record was saved by someone else while you were editing it."),
    "field": _("Field"),
    "yours": _("Yours"),
    "theirs": _("Theirs"),
    "keep_yours": _("Keep yours"),
    "take_theirs": _("Take theirs"),
    "merge": _("Merge"),
    "history": _("History"),
    "no_history": _("No changes recorded."),
    "created": _("created"),
    "updated": _("changed"),
    "deleted": _("deleted"),
    # The server's validation messages (English) in the user's language.
    "messages": {
        "must be 1 to 4": _("must be 1 to 4"),
        "is required: it may not be null": _("is required: it may not be null"),
    },
}

ASSESSMENT_COLUMNS = [
    {"field": "hazard", "title": _("Hazard")},
    {"field": "severity", "title": _("Severity")},
    {"field": "probability", "title": _("Probability")},
    {"field": "due_date", "title": _("Due date")},
    {"field": "owner", "title": _("Owner")},
]

COMPANIES_VIEW = {
    "type": "Companies",
    "titles": {
        "companies": _("Companies"),
        "workplaces": _("Workplaces"),
        "assessments": _("Risk assessments"),
        "form": _("Assessment"),
    },
    "columns": {
        "companies": [
            {"field": "name", "title": _("Company")},
            {"field": "city", "title": _("City")},
            {"field": "employees", "title": _("Employees")},
        ],
        "workplaces": [
            {"field": "name", "title": _("Workplace")},
            {"field": "department", "title": _("Department")},
        ],
        "assessments": ASSESSMENT_COLUMNS,
    },
    "form": ASSESSMENT_FORM,
    "labels": FIELD_LABELS,
    "texts": WIDGET_TEXTS,
}

ASSESSMENTS_VIEW = {
    "type": "Assessments",
    "title": _("All risk assessments"),
    "total": _("assessments"),
    "columns": [{"field": "id", "title": "#"}, *ASSESSMENT_COLUMNS],
    "labels": FIELD_LABELS,
    "texts": WIDGET_TEXTS,
}

DESKTOP_VIEW = {"type": "Desktop", "title": _("Workplace safety")}
