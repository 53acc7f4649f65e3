"""A record form bound to a cursor's current record (JavaScript only).

``RecordForm(cursor, ['hazard', 'severity'], labels={...}, texts={...})``
shows the current record's fields with inputs typed from the source's
description (``cursor.fields``), marks itself dirty as soon as a value
differs from the record (and tells the server: ``cursor.set_dirty``),
saves the changed fields with the version it was loaded at
(``cursor.update(pk, values, version)``), and shows the server's
validation errors next to their fields; on invalid input nothing is
saved. A save over a version someone else saved meanwhile is merged: the
user's changes go over the new version, and when both changed a field
differently the :class:`~.dialog.ConflictDialog` asks first (keep yours,
take theirs, merge).

While the form is clean it follows the cursor: a new current record, or
the current one changed live by someone else, is shown at once. While it
is dirty nothing the cursor does overwrites the user's edits — not a live
change (the save will then meet a conflict), not a new current record, not
a reconnection; Save or Cancel make it follow again.

DOM hooks: ``form.raccoon-form[data-form=<source>]`` with ``data-dirty``
(``true``/``false``), ``data-record`` (the pk), ``data-state`` (``empty``,
``ready``, ``saving``, ``saved``, ``invalid``, ``conflict``, ``error``);
one ``[data-field=<name>]`` input per field (``data-changed`` when
edited), ``[data-error=<name>]`` next to it, ``[data-error=""]`` for the
record, ``button[data-form-action=save|cancel]``.
"""

from __globals__ import Error, console

from raccoon.errors import RPCError
from raccoon.tracker import autorun
from raccoon.view import element

from . import styles
from .dialog import ConflictDialog
from .formstate import FormState, choices_for, conflict_fields, merge_values, server_errors
from .texts import message, text

__all__ = ["RecordForm"]

_VALIDATION = "raccoon.error.validation_failed"
_CONFLICT = "raccoon.error.conflict"
# Inputs by field kind; anything else is a text input.
_INPUT_TYPES = {"date": "date", "boolean": "checkbox"}
_LONG_TEXT = 200


class RecordForm:
    def __init__(self, cursor, fields, *, labels=None, texts=None):
        self.cursor = cursor
        self.names = fields
        self.labels = {} if labels is None else labels
        self.texts = texts
        self.state = None
        self.holder = None
        self.inputs = {}
        self.messages = {}
        self.record_error = None
        self.save_button = None
        self.cancel_button = None
        self.dialog = None
        self._saved_callbacks = []
        self._computation = None
        self._fetching = None
        self._told_dirty = False

    # -- building ----------------------------------------------------------------------
    def mount(self, parent):
        """Draw the form into ``parent`` and start following the current record."""
        styles.install()
        texts = self.texts
        holder = element(
            "form",
            {
                "class": "raccoon-form",
                "data-dirty": "false",
                "data-state": "empty",
                "novalidate": "",
            },
        )
        self.holder = holder
        self.record_error = element("p", {"class": "raccoon-error", "data-error": ""})
        holder.appendChild(self.record_error)
        for name in self.names:
            holder.appendChild(self._field_row(name))
        self.save_button = element(
            "button", {"type": "submit", "data-form-action": "save"}, [text(texts, "save")]
        )
        self.cancel_button = element(
            "button", {"type": "button", "data-form-action": "cancel"}, [text(texts, "cancel")]
        )
        self.dirty_mark = element("span", {"class": "raccoon-dirty"}, [text(texts, "unsaved")])
        holder.appendChild(
            element(
                "div",
                {"class": "raccoon-form-buttons"},
                [self.save_button, self.cancel_button, self.dirty_mark],
            )
        )
        holder.addEventListener("submit", lambda event: self._submitted(event))
        self.cancel_button.addEventListener("click", lambda event: self.cancel())
        parent.appendChild(holder)
        self._show_dirty()
        self._computation = autorun(lambda computation: self._follow())
        return self

    def _field_row(self, name):
        label = self.labels.get(name, name)
        kind = "text"
        described = self.cursor.field(name)
        if described is not None:
            kind = described.type.kind
        long_text = kind == "text" and (
            described is None
            or described.type.max_length is None
            or described.type.max_length > _LONG_TEXT
        )
        if long_text:
            control = element("textarea", {"name": name, "data-field": name, "rows": "2"})
        else:
            control = element(
                "input",
                {"name": name, "data-field": name, "type": _INPUT_TYPES.get(kind, "text")},
            )
            if kind == "integer" or kind == "float" or kind == "numeric":
                control.setAttribute("inputmode", "numeric" if kind == "integer" else "decimal")
        if described is not None and described.readonly:
            control.dataset.readonly = "true"
        control.disabled = True  # until a record is loaded
        control.addEventListener("input", lambda event: self._typed(name))
        control.addEventListener("change", lambda event: self._typed(name))
        self.inputs[name] = control
        problem = element("span", {"class": "raccoon-field-error", "data-error": name})
        self.messages[name] = problem
        return element(
            "label",
            {"class": "raccoon-field", "data-label": name},
            [element("span", {"class": "raccoon-label"}, [label]), control, problem],
        )

    # -- following the cursor ------------------------------------------------------------
    def _ensure_state(self):
        if self.state is None:
            described = self.cursor.fields
            if len(described) == 0:
                return False
            self.state = FormState(described, self.cursor.pk_name, self.cursor.version_name)
        return True

    def _follow(self):
        """(autorun) Show the current record, unless the user is editing."""
        pk = self.cursor.current_id
        row = None if pk is None else self.cursor.row(pk)
        if not self._ensure_state() or self.is_dirty:
            return  # a dirty form keeps the user's edits, whatever the cursor does
        if pk is None:
            self._load(None)
            return
        if row is not None:
            if not self._is_older(row):
                self._load(row)
            return
        # The current record is not in the window (the grid scrolled away):
        # read it once.
        if self._fetching == pk or (self.state.original is not None and self.state.pk == pk):
            return
        self._fetching = pk

        def fetched(record):
            self._fetching = None
            if not self.is_dirty and self.cursor.current_id == pk:
                self._load(record)

        def failed(error):
            self._fetching = None
            _report(error)

        self.cursor.get_record(pk).then(fetched, failed)

    def _is_older(self, row):
        """Whether ``row`` is an older version of the record the form shows: the
        window may still hold it right after a save (the save's answer comes
        before the cursor's reload)."""
        state = self.state
        if not state.loaded or row.get(state.pk_name, None) != state.pk:
            return False
        version_name = state.version_name
        if version_name is None or state.version is None:
            return False
        version = row.get(version_name, None)
        return version is not None and version < state.version

    def _load(self, record):
        previous = self.state.pk
        self.state.load(record)
        for name in self.names:
            control = self.inputs[name]
            control.disabled = record is None or "readonly" in control.dataset
            value = self.state.texts.get(name, "")
            if control.type == "checkbox":
                control.checked = value == "true"
            else:
                control.value = value
        self._show_errors()
        self._show_dirty()
        if record is None:
            self._set_state("empty")
        elif previous != self.state.pk or self.holder.dataset.state == "empty":
            self._set_state("ready")
        self.holder.dataset.record = "" if record is None else self.state.pk

    # -- editing ---------------------------------------------------------------------------
    @property
    def is_dirty(self):
        return self.state is not None and self.state.dirty

    def _typed(self, name):
        if self.state is None or not self.state.loaded:
            return
        control = self.inputs[name]
        typed = (
            ("true" if control.checked else "false")
            if control.type == "checkbox"
            else control.value
        )
        self.state.edit(name, typed)
        self._show_errors()
        self._show_dirty()

    def _show_dirty(self):
        dirty = self.is_dirty
        self.holder.dataset.dirty = "true" if dirty else "false"
        self.save_button.disabled = not dirty
        self.cancel_button.disabled = not dirty
        self.dirty_mark.hidden = not dirty
        for name in self.names:
            changed = self.state is not None and self.state.is_changed(name)
            if changed:
                self.inputs[name].dataset.changed = "true"
            elif "changed" in self.inputs[name].dataset:
                del self.inputs[name].dataset.changed
        if dirty != self._told_dirty:
            self._told_dirty = dirty
            self.cursor.set_dirty(dirty).then(None, _report)

    def _show_errors(self):
        errors = {} if self.state is None else self.state.errors
        for name in self.names:
            shown = errors.get(name, "")
            self.messages[name].textContent = shown
            if len(shown) > 0:
                self.inputs[name].setAttribute("aria-invalid", "true")
            else:
                self.inputs[name].removeAttribute("aria-invalid")
        self.record_error.textContent = errors.get("", "")

    def _set_state(self, state):
        self.holder.dataset.state = state

    # -- saving ------------------------------------------------------------------------------
    def after_save(self, callback):
        """Call ``callback(record)`` after every successful save."""
        self._saved_callbacks.append(callback)

    def _submitted(self, event):
        event.preventDefault()
        self.save().then(None, _report)

    async def save(self):
        """Save the changed fields; True when saved (or nothing to save)."""
        if self.state is None or not self.state.dirty:
            return True
        values, problems = self.state.changes()
        if len(problems) > 0:
            errors = {"": text(self.texts, "invalid")}
            for name in problems:
                errors[name] = text(self.texts, problems[name])
            self.state.set_errors(errors)
            self._show_errors()
            self._set_state("invalid")
            return False
        return await self._write(values, self.state.version)

    async def _write(self, values, version):
        self._set_state("saving")
        self.save_button.disabled = True
        try:
            record = await self.cursor.update(self.state.pk, values, version)
        except RPCError as error:
            return await self._refused(error)
        except Error as error:
            self._fail(error)
            return False
        self._saved(record)
        return True

    def _saved(self, record):
        self._load(record)
        self._set_state("saved")
        for callback in self._saved_callbacks:
            callback(record)
        self._follow_now()

    def _fail(self, error):
        self.state.set_errors({"": f"{text(self.texts, 'save_failed')} {error.message}"})
        self._show_errors()
        self._show_dirty()
        self._set_state("error")

    async def _refused(self, error):
        if error.uri == _VALIDATION:
            errors = server_errors(error.data)
            for name in errors:
                errors[name] = message(self.texts, errors[name])
            if "" not in errors:
                errors[""] = text(self.texts, "invalid")
            self.state.set_errors(errors)
            self._show_errors()
            self._show_dirty()
            self._set_state("invalid")
            return False
        if error.uri == _CONFLICT and error.data.get("current", None) is not None:
            return await self._conflict(error.data.current)
        self._fail(error)
        return False

    async def _conflict(self, current):
        """Someone saved the record meanwhile: ask the user what to keep."""
        self._set_state("conflict")
        rows = conflict_fields(self.state, current)
        choices = {}
        if len(rows) > 0:
            self.dialog = ConflictDialog(rows, labels=self.labels, texts=self.texts)
            decision = await self.dialog.ask(self.holder)
            self.dialog = None
            if decision.resolution == "theirs":
                self._load(current)
                self._follow_now()
                return True
            choices = decision.choices
            if decision.resolution == "yours":
                choices = choices_for(rows, "yours")
        # else: the two sides changed different fields; the merge is obvious.
        values = merge_values(self.state, current, choices)
        self.state.rebase(current)
        if len(values) == 0:
            self._saved(current)
            return True
        version_name = self.state.version_name
        return await self._write(values, current[version_name])

    def _follow_now(self):
        if self._computation is not None:
            self._computation.invalidate()

    # -- cancelling --------------------------------------------------------------------------
    def cancel(self):
        """Drop the edits: show the record as it was loaded, then follow the cursor."""
        if self.state is None:
            return
        self._load(self.state.original)
        self._follow_now()

    def close(self):
        if self._computation is not None:
            self._computation.stop()
        if self.dialog is not None:
            self.dialog.close()
        if self.holder is not None and self.holder.parentNode is not None:
            self.holder.parentNode.removeChild(self.holder)


def _report(error):
    console.error("raccoon form:", error)
