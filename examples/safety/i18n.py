"""The register's strings in Italian (English is the message id)."""

from __future__ import annotations

from raccoon.context import Catalog

ITALIAN = {
    # desktop and actions
    "Workplace safety": "Sicurezza sul lavoro",
    "Companies": "Aziende",
    "Companies, their workplaces and their risk assessments.": (
        "Aziende, i loro luoghi di lavoro e le valutazioni dei rischi."
    ),
    "Assessments": "Valutazioni",
    "Every risk assessment of your organisation, in one register.": (
        "Tutte le valutazioni dei rischi della tua organizzazione, in un solo registro."
    ),
    "Logout": "Esci",
    "Leave this session.": "Chiudi questa sessione.",
    # views
    "Workplaces": "Luoghi di lavoro",
    "Risk assessments": "Valutazioni dei rischi",
    "Assessment": "Valutazione",
    "All risk assessments": "Tutte le valutazioni dei rischi",
    "assessments": "valutazioni",
    # columns and fields
    "Company": "Azienda",
    "Workplace": "Luogo di lavoro",
    "Name": "Nome",
    "City": "Città",
    "Employees": "Dipendenti",
    "Department": "Reparto",
    "Hazard": "Pericolo",
    "Severity": "Gravità",
    "Probability": "Probabilità",
    "Measures": "Misure",
    "Due date": "Scadenza",
    "Owner": "Responsabile",
    # widgets
    "filter": "filtra",
    "Save": "Salva",
    "Cancel": "Annulla",
    "Saved.": "Salvato.",
    "Unsaved changes": "Modifiche non salvate",
    "must be a number": "deve essere un numero",
    "must be a whole number": "deve essere un numero intero",
    "must be a date (YYYY-MM-DD)": "deve essere una data (AAAA-MM-GG)",
    "Some values are not valid: nothing was saved.": (
        "Alcuni valori non sono validi: non è stato salvato nulla."
    ),
    "Saving failed:": "Salvataggio non riuscito:",
    "Someone else changed this record": "Qualcun altro ha modificato questo record",
    "The record was saved by someone else while you were editing it.": (
        "Il record è stato salvato da qualcun altro mentre lo modificavi."
    ),
    "Field": "Campo",
    "Yours": "I tuoi",
    "Theirs": "I loro",
    "Keep yours": "Mantieni i tuoi",
    "Take theirs": "Prendi i loro",
    "Merge": "Unisci",
    "History": "Cronologia",
    "No changes recorded.": "Nessuna modifica registrata.",
    "created": "ha creato",
    "changed": "ha modificato",
    "deleted": "ha eliminato",
    # the server's validation messages
    "must be 1 to 4": "deve essere tra 1 e 4",
    "is required: it may not be null": "è obbligatorio",
}

CATALOG = Catalog({"it": ITALIAN})
