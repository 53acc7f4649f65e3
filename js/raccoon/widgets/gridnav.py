"""Keyboard navigation over a virtually scrolled grid (single-source).

Positions are row numbers in the whole result (0 … total-1), not in the
window: the grid only holds the window, so moving past its edge scrolls
first and makes the row current when the cursor has sent it.
"""

__all__ = ["KEYS", "first_visible_for", "move"]

#: The keys the grid handles.
KEYS = {"ArrowDown": 1, "ArrowUp": 1, "PageDown": 1, "PageUp": 1, "Home": 1, "End": 1}


def move(position, key, total, page):
    """The row number ``key`` leads to from ``position`` (None: no current row
    yet), clamped to the result; None when there are no rows or the key is
    not a navigation key."""
    if total <= 0 or key not in KEYS:
        return None
    if position is None:
        target = 0 if key != "End" else total - 1
        return target
    target = position
    if key == "ArrowDown":
        target = position + 1
    elif key == "ArrowUp":
        target = position - 1
    elif key == "PageDown":
        target = position + page
    elif key == "PageUp":
        target = position - page
    elif key == "Home":
        target = 0
    elif key == "End":
        target = total - 1
    if target < 0:
        return 0
    if target > total - 1:
        return total - 1
    return target


def first_visible_for(position, first, visible):
    """The first visible row after scrolling just enough to show ``position``
    (``first`` is the current one, ``visible`` how many rows fit)."""
    if position < first:
        return position
    if position > first + visible - 1:
        return position - visible + 1
    return first
