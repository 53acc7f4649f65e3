"""What a record form holds, without the DOM (single-source).

A :class:`FormState` keeps the record as the server sent it (``original``,
with its primary key and version) and the text of each input; it knows
which fields the user changed (``dirty``), turns texts into typed values
(with the problems a client can see by itself: "abc" is not a number), and
maps the server's validation errors to fields. The conflict helpers compute
what differs between the user's values and the record as it is now, and
the values to write for each resolution.
"""

from __globals__ import JS

__all__ = [
    "FormState",
    "choices_for",
    "conflict_fields",
    "field_kind",
    "format_value",
    "merge_values",
    "parse_value",
    "server_errors",
]

_IS_JS = JS("true")


def _js_to_number(text):
    return JS("Number(text)")


def _py_to_number(text):
    try:
        return float(text)
    except ValueError:
        return float("nan")


_to_number = _js_to_number if _IS_JS else _py_to_number


def _js_is_finite(value):
    return JS("Number.isFinite(value)")


def _py_is_finite(value):
    return value == value and abs(value) != float("inf")


_is_finite = _js_is_finite if _IS_JS else _py_is_finite


def _js_whole(value):
    return JS("Number.isInteger(value) ? value : null")


def _py_whole(value):
    if float(value).is_integer():
        return int(value)
    return None


def _js_trim(text):
    return text.trim()


def _py_trim(text):
    return text.strip()


_trim = _js_trim if _IS_JS else _py_trim


_whole = _js_whole if _IS_JS else _py_whole


def field_kind(field):
    """The kind of a field description (``integer``, ``text``, ``date``…)."""
    kind = field.get("type", None)
    if isinstance(kind, dict):
        return kind.get("kind", "text")
    return "text" if kind is None else kind


def format_value(field, value):
    """The text an input shows for ``value``."""
    if value is None:
        return ""
    kind = field_kind(field)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "date" and len(value) > 10:
        return value[0:10]
    return str(value)


def parse_value(field, text):
    """``[value, problem]``: the typed value of an input's text, and the key
    of a problem text (``not_a_number``…) or None. An empty input is None."""
    kind = field_kind(field)
    if kind == "boolean":
        return [text == "true", None]
    trimmed = _trim(text)
    if len(trimmed) == 0:
        return [None, None]
    if kind == "integer" or kind == "float" or kind == "numeric":
        number = _to_number(trimmed)
        if not _is_finite(number):
            return [None, "not_a_number"]
        if kind == "integer":
            whole = _whole(number)
            if whole is None:
                return [None, "not_an_integer"]
            return [whole, None]
        return [number, None]
    if kind == "date":
        if len(trimmed) != 10 or trimmed[4] != "-" or trimmed[7] != "-":
            return [None, "not_a_date"]
        return [trimmed, None]
    return [text, None]


def server_errors(data):
    """``{field: message}`` from a ``validation_failed`` error's data
    (``errors: [{field, message, code}]``); a record-level error is under ``""``."""
    found = {}
    listed = data.get("errors", None) if isinstance(data, dict) else None
    if listed is None:
        return found
    for item in listed:
        name = item.get("field", None)
        name = "" if name is None else name
        text = item.get("message", "invalid")
        if name in found:
            found[name] = found[name] + "; " + text
        else:
            found[name] = text
    return found


class FormState:
    """The state of a form over ``fields`` (field descriptions of the source)."""

    def __init__(self, fields, pk_name="id", version_name="version"):
        self.fields = fields
        self.pk_name = pk_name
        self.version_name = version_name
        self.pk = None
        self.version = None
        self.original = None
        self.texts = {}
        self.errors = {}

    def field(self, name):
        for described in self.fields:
            if described.get("name", None) == name:
                return described
        return None

    @property
    def names(self):
        found = []
        for described in self.fields:
            found.append(described["name"])
        return found

    @property
    def loaded(self):
        return self.original is not None

    def load(self, record):
        """Show ``record`` (a row as the server sends it): clean, no errors."""
        self.original = record
        self.errors = {}
        self.texts = {}
        if record is None:
            self.pk = None
            self.version = None
            return
        self.pk = record.get(self.pk_name, None)
        self.version = record.get(self.version_name, None)
        for name in self.names:
            self.texts[name] = format_value(self.field(name), record.get(name, None))

    def edit(self, name, text):
        """The user typed ``text`` in ``name``; its error is no longer current."""
        self.texts[name] = text
        if name in self.errors:
            del self.errors[name]

    def original_text(self, name):
        if self.original is None:
            return ""
        return format_value(self.field(name), self.original.get(name, None))

    def is_changed(self, name):
        return self.loaded and self.texts.get(name, "") != self.original_text(name)

    @property
    def changed_names(self):
        found = []
        for name in self.names:
            if self.is_changed(name):
                found.append(name)
        return found

    @property
    def dirty(self):
        return len(self.changed_names) > 0

    def changes(self):
        """``[values, problems]``: the typed values of the changed fields, and
        ``{field: problem key}`` for those that do not parse (then nothing
        should be sent). ``problems`` also become the form's ``errors``."""
        values = {}
        problems = {}
        for name in self.changed_names:
            parsed = parse_value(self.field(name), self.texts[name])
            if parsed[1] is None:
                values[name] = parsed[0]
            else:
                problems[name] = parsed[1]
        return [values, problems]

    def values(self):
        """The form's values as a record: the original with the user's changes."""
        record = {}
        for name in self.names:
            record[name] = self.original.get(name, None) if self.loaded else None
        changed = self.changes()[0]
        for name in changed:
            record[name] = changed[name]
        return record

    def set_errors(self, errors):
        self.errors = errors

    def rebase(self, current):
        """Keep the user's edits over ``current`` (the record as it is now):
        the form becomes an edit of the new version."""
        edited = {}
        for name in self.changed_names:
            edited[name] = self.texts[name]
        self.load(current)
        for name in edited:
            self.texts[name] = edited[name]


def conflict_fields(state, current):
    """The fields both sides changed, differently: the user (since the form
    was loaded) and whoever saved ``current`` (the record now). What the
    conflict dialog asks about, as ``[{field, yours, theirs}]`` (texts as
    the inputs show them). A field only one side changed is no conflict:
    the merge keeps that side's value."""
    found = []
    for name in state.changed_names:
        yours = state.texts[name]
        theirs = format_value(state.field(name), current.get(name, None))
        if theirs != state.original_text(name) and yours != theirs:
            found.append({"field": name, "yours": yours, "theirs": theirs})
    return found


def merge_values(state, current, choices):
    """The values to write over ``current`` for a resolution.

    ``choices`` maps each conflicting field to ``'yours'`` or ``'theirs'``;
    a changed field not in ``choices`` keeps the user's value (it does not
    conflict). Fields the user did not touch keep their current value
    (nothing is sent for them). Returns only the fields to write."""
    values = {}
    yours = state.changes()[0]
    for name in yours:
        choice = choices.get(name, "yours")
        if choice == "theirs":
            continue
        theirs = format_value(state.field(name), current.get(name, None))
        if format_value(state.field(name), yours[name]) != theirs:
            values[name] = yours[name]
    return values


def choices_for(rows, choice):
    """Every conflicting field of ``rows`` resolved the same way."""
    found = {}
    for row in rows:
        found[row["field"]] = choice
    return found
