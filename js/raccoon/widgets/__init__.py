"""Widgets for data-intensive work, driven by cursor proxies.

Import each from its module (the package itself exports nothing, so the
core bundle does not carry Tabulator):

- :mod:`.desktop` — ``DesktopView``: the desktop's actions as buttons;
- :mod:`.grid` — ``Grid``: a cursor's window in a Tabulator table, virtual
  scrolling over the whole result, server-side sort and filter, keyboard
  navigation, selection setting ``current_id``;
- :mod:`.form` — ``RecordForm``: the cursor's current record, with field
  errors, a dirty indicator, save/cancel and the conflict dialog;
- :mod:`.dialog` — ``ConflictDialog``: yours, theirs, merge;
- :mod:`.history` — ``HistoryPanel``: who changed the current record, when,
  and what;
- :mod:`.formstate`, :mod:`.gridnav`, :mod:`.texts` — the logic behind them,
  single-source (tested under CPython and node); :mod:`.styles` — their
  stylesheet.

Stable DOM hooks (for tests and styling; each module details its own):
``[data-grid=<name>]`` (``data-total``, ``data-offset``, ``data-rows``,
``data-current``, ``data-status``, ``data-sort``; rows ``.tabulator-row``
with ``data-id`` and ``data-current``; the filter box
``input[data-filter=<name>]``; the focusable ``.raccoon-scroller``),
``form[data-form]`` (``data-dirty``, ``data-record``, ``data-state``),
``[data-field=<name>]`` inputs (``data-changed``), ``[data-error=<name>]``
messages (``data-error=""`` for the record),
``button[data-form-action=save|cancel]``, ``[data-dialog=conflict]``
(``tr[data-field]``, ``[data-side=yours|theirs]``, radios
``[data-choice=<name>]``, ``button[data-resolve=yours|theirs|merge]``),
``[data-history]`` (``data-record``, ``data-count``; entries
``[data-history-entry]`` with ``data-who``, ``data-op``, and
``[data-change=<field>]``).
"""

__all__ = []
