"""The history of the current record: who changed it, when, and what
(JavaScript only).

``HistoryPanel(cursor, labels=..., texts=...).mount(parent)`` follows the
cursor's current record and reads ``cursor.history(pk)`` when it changes
and whenever the record's version does (a save here or anyone's save seen
live); ``refresh()`` reads it again.

DOM hooks: ``div[data-history]`` (``data-record``, ``data-count``), one
``li[data-history-entry]`` per change, newest first (``data-op``,
``data-who``), with ``span[data-change=<field>]`` per changed field.
"""

from __globals__ import Date, console

from raccoon.tracker import autorun, nonreactive
from raccoon.view import element

from . import styles
from .texts import text

__all__ = ["HistoryPanel"]

_OPS = {"insert": "created", "update": "updated", "delete": "deleted"}


class HistoryPanel:
    def __init__(self, cursor, *, labels=None, texts=None):
        self.cursor = cursor
        self.labels = {} if labels is None else labels
        self.texts = texts
        self.holder = None
        self.list = None
        self.pk = None
        self._computation = None
        self._asked = 0  # answers to older questions are dropped
        self._marker = None  # what was read last: "<pk>@<version>"

    def mount(self, parent):
        styles.install()
        texts = self.texts
        self.list = element("ol", {"class": "raccoon-history-list"})
        self.holder = element(
            "div",
            {"class": "raccoon-history", "data-history": "", "data-count": "0"},
            [element("h3", None, [text(texts, "history")]), self.list],
        )
        parent.appendChild(self.holder)

        def follow(computation):
            pk = self.cursor.current_id
            row = None if pk is None else self.cursor.row(pk)
            version = None if row is None else row.get("version", None)
            self.pk = pk
            self.holder.dataset.record = "" if pk is None else pk
            marker = f"{pk}@{version}"
            if marker != self._marker:
                nonreactive(lambda: self._load(pk, marker))

        self._computation = autorun(follow)
        return self

    def refresh(self):
        """Read the history of the current record again."""
        self._load(self.pk, f"{self.pk}@refresh")

    def _load(self, pk, marker):
        self._marker = marker
        self._asked = self._asked + 1
        asked = self._asked
        if pk is None:
            self._show([])
            return

        def shown(entries):
            if asked == self._asked:
                self._show(entries)

        self.cursor.history(pk).then(shown, _report)

    def _show(self, entries):
        self.list.innerHTML = ""
        self.holder.dataset.count = len(entries)
        if len(entries) == 0:
            empty = element("li", {"class": "raccoon-empty"}, [text(self.texts, "no_history")])
            self.list.appendChild(empty)
            return
        for entry in entries:
            push_changes = []
            for change in entry.changes:
                label = self.labels.get(change.field, change.field)
                before = _shown(change.old)
                after = _shown(change["new"])  # `.new` is refused by JavaScripthon
                push_changes.append(
                    element(
                        "span",
                        {"data-change": change.field, "class": "raccoon-change"},
                        [f"{label}: {before} → {after}"],
                    )
                )
            when = Date(entry.at).toLocaleString()
            what = text(self.texts, _OPS.get(entry.op, entry.op))
            item = element(
                "li",
                {"data-history-entry": "", "data-op": entry.op, "data-who": entry.who or ""},
                [element("strong", None, [f"{entry.who or '?'}"]), f" {what}, {when} "],
            )
            for span in push_changes:
                item.appendChild(span)
            self.list.appendChild(item)

    def close(self):
        if self._computation is not None:
            self._computation.stop()
        if self.holder is not None and self.holder.parentNode is not None:
            self.holder.parentNode.removeChild(self.holder)


def _shown(value):
    return "—" if value is None else f"{value}"


def _report(error):
    console.error("raccoon history:", error)
