"""The widgets' user-visible strings (single-source).

English defaults; an application passes its own (already translated, e.g.
from the server's view spec, see ``docs/client-python.md``) as ``texts``,
and what it leaves out falls back to these. ``messages`` may map the
server's English validation messages to translated ones.
"""

__all__ = ["DEFAULT_TEXTS", "message", "text"]

DEFAULT_TEXTS = {
    "filter": "filter",
    "rows": "rows",
    "save": "Save",
    "cancel": "Cancel",
    "saved": "Saved.",
    "saving": "Saving…",
    "unsaved": "Unsaved changes",
    "no_record": "No record selected.",
    "not_a_number": "must be a number",
    "not_an_integer": "must be a whole number",
    "not_a_date": "must be a date (YYYY-MM-DD)",
    "invalid": "Some values are not valid: nothing was saved.",
    "save_failed": "Saving failed:",
    "conflict_title": "Someone else changed this record",
    "conflict_intro": "The record was saved by someone else while you were editing it.",
    "field": "Field",
    "yours": "Yours",
    "theirs": "Theirs",
    "keep_yours": "Keep yours",
    "take_theirs": "Take theirs",
    "merge": "Merge",
    "history": "History",
    "no_history": "No changes recorded.",
    "created": "created",
    "updated": "changed",
    "deleted": "deleted",
}


def text(texts, key):
    """``texts[key]``, else the English default, else the key itself."""
    if texts is not None and key in texts:
        return texts[key]
    return DEFAULT_TEXTS.get(key, key)


def message(texts, original):
    """A server message (English) in the user's language, when ``texts.messages``
    has it; otherwise the message as it came."""
    if texts is None or "messages" not in texts:
        return original
    table = texts["messages"]
    if original in table:
        return table[original]
    return original
