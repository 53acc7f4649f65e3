"""Keyboard navigation of the virtually scrolled grid (single-source)."""

from ..widgets.gridnav import first_visible_for, move


def test_arrows_move_one_row_and_stop_at_the_ends():
    assert move(5, "ArrowDown", 100, 10) == 6
    assert move(5, "ArrowUp", 100, 10) == 4
    assert move(0, "ArrowUp", 100, 10) == 0
    assert move(99, "ArrowDown", 100, 10) == 99


def test_pages_home_and_end():
    assert move(5, "PageDown", 100, 10) == 15
    assert move(95, "PageDown", 100, 10) == 99
    assert move(5, "PageUp", 100, 10) == 0
    assert move(50, "Home", 100, 10) == 0
    assert move(50, "End", 100, 10) == 99


def test_no_current_row_starts_at_an_end():
    assert move(None, "ArrowDown", 100, 10) == 0
    assert move(None, "End", 100, 10) == 99


def test_other_keys_and_empty_results_do_nothing():
    assert move(5, "a", 100, 10) is None
    assert move(5, "Enter", 100, 10) is None
    assert move(None, "ArrowDown", 0, 10) is None


def test_scrolling_just_enough_to_show_the_row():
    assert first_visible_for(15, 10, 10) == 10  # visible already
    assert first_visible_for(20, 10, 10) == 11  # one past the bottom
    assert first_visible_for(9, 10, 10) == 9  # one above the top
    assert first_visible_for(50000, 0, 10) == 49991
