"""The conflict dialog: the user's values, the ones saved meanwhile, and a choice
(JavaScript only).

``await ConflictDialog(rows, labels=..., texts=...).ask(parent)`` shows, for
each conflicting field (``rows``: ``[{field, yours, theirs}]``, see
:func:`.formstate.conflict_fields`), the user's value and the current one
with a yours/theirs choice, and three buttons: keep yours, take theirs,
merge (the per-field choices). It resolves to ``{'resolution': 'yours' |
'theirs' | 'merge', 'choices': {field: 'yours' | 'theirs'}}``.

DOM hooks: ``div[data-dialog=conflict]``; one ``tr[data-field=<name>]`` per
field with ``td[data-side=yours]``, ``td[data-side=theirs]`` and radio
inputs ``input[data-choice=<name>][value=yours|theirs]``; buttons
``button[data-resolve=yours|theirs|merge]``.
"""

from __globals__ import Promise

from raccoon.view import element

from .texts import text

__all__ = ["ConflictDialog"]


class ConflictDialog:
    def __init__(self, rows, *, labels=None, texts=None):
        self.rows = rows
        self.labels = {} if labels is None else labels
        self.texts = texts
        self.element = None

    def ask(self, parent):
        """Show the dialog in ``parent``; a Promise of the user's decision."""
        return Promise(lambda resolve, reject: self._show(parent, resolve))

    def _show(self, parent, resolve):
        texts = self.texts
        body = element("tbody")
        radios = []
        for row in self.rows:
            name = row["field"]
            choice = element("td", {"class": "raccoon-choice"})
            for side in ["yours", "theirs"]:
                radio = element(
                    "input",
                    {
                        "type": "radio",
                        "name": f"raccoon-choice-{name}",
                        "value": side,
                        "data-choice": name,
                    },
                )
                radio.checked = side == "yours"
                radios.append(radio)
                choice.appendChild(element("label", None, [radio, text(texts, side)]))
            body.appendChild(
                element(
                    "tr",
                    {"data-field": name},
                    [
                        element("th", None, [self.labels.get(name, name)]),
                        element("td", {"data-side": "yours"}, [row["yours"]]),
                        element("td", {"data-side": "theirs"}, [row["theirs"]]),
                        choice,
                    ],
                )
            )
        head = element(
            "tr",
            None,
            [
                element("th", None, [text(texts, "field")]),
                element("th", None, [text(texts, "yours")]),
                element("th", None, [text(texts, "theirs")]),
                element("th", None, [text(texts, "merge")]),
            ],
        )
        buttons = element("div", {"class": "raccoon-dialog-buttons"})
        dialog = element(
            "div",
            {
                "class": "raccoon-dialog",
                "data-dialog": "conflict",
                "role": "dialog",
                "aria-modal": "true",
            },
            [
                element("h3", None, [text(texts, "conflict_title")]),
                element("p", None, [text(texts, "conflict_intro")]),
                element("table", None, [element("thead", None, [head]), body]),
                buttons,
            ],
        )

        def decide(resolution):
            def on_click(event):
                event.preventDefault()
                choices = {}
                for radio in radios:
                    if radio.checked:
                        choices[radio.dataset.choice] = radio.value
                self.close()
                resolve({"resolution": resolution, "choices": choices})

            return on_click

        for pair in [["yours", "keep_yours"], ["theirs", "take_theirs"], ["merge", "merge"]]:
            button = element(
                "button", {"type": "button", "data-resolve": pair[0]}, [text(texts, pair[1])]
            )
            button.addEventListener("click", decide(pair[0]))
            buttons.appendChild(button)
        self.element = dialog
        parent.appendChild(dialog)

    def close(self):
        if self.element is not None and self.element.parentNode is not None:
            self.element.parentNode.removeChild(self.element)
        self.element = None
