"""Record form state: dirty tracking, parsing, server errors, conflicts (single-source)."""

from ..widgets.formstate import (
    FormState,
    choices_for,
    conflict_fields,
    format_value,
    merge_values,
    parse_value,
    server_errors,
)
from ..widgets.texts import message, text

FIELDS = [
    {"name": "hazard", "type": {"kind": "text", "max_length": 200}},
    {"name": "severity", "type": {"kind": "integer"}},
    {"name": "probability", "type": {"kind": "integer"}},
    {"name": "due_date", "type": {"kind": "date"}},
    {"name": "done", "type": {"kind": "boolean"}},
]


def record(**changes):
    base = {
        "id": 7,
        "version": 3,
        "hazard": "Noise",
        "severity": 2,
        "probability": 1,
        "due_date": "2026-03-01",
        "done": False,
    }
    for name in list(changes):
        base[name] = changes[name]
    return base


def loaded():
    state = FormState(FIELDS)
    state.load(record())
    return state


def test_a_loaded_form_is_clean_and_shows_texts():
    state = loaded()
    assert state.pk == 7 and state.version == 3
    assert not state.dirty
    assert state.texts["severity"] == "2"
    assert state.texts["done"] == "false"
    assert state.texts["due_date"] == "2026-03-01"


def test_editing_makes_it_dirty_and_typing_back_makes_it_clean():
    state = loaded()
    state.edit("severity", "3")
    assert state.dirty
    assert len(state.changed_names) == 1 and state.changed_names[0] == "severity"
    state.edit("severity", "2")
    assert not state.dirty


def test_changes_are_typed_and_only_the_changed_fields():
    state = loaded()
    state.edit("severity", "4")
    state.edit("hazard", "Fire")
    values, problems = state.changes()
    assert len(problems) == 0
    assert values["severity"] == 4
    assert values["hazard"] == "Fire"
    assert "probability" not in values


def test_texts_that_do_not_parse_are_problems_not_values():
    state = loaded()
    state.edit("severity", "abc")
    state.edit("probability", "2.5")
    state.edit("due_date", "tomorrow")
    values, problems = state.changes()
    assert len(values) == 0
    assert problems["severity"] == "not_a_number"
    assert problems["probability"] == "not_an_integer"
    assert problems["due_date"] == "not_a_date"


def test_parse_and_format():
    assert parse_value(FIELDS[1], " 12 ")[0] == 12
    assert parse_value(FIELDS[1], "  ")[0] is None
    assert parse_value(FIELDS[4], "true")[0] is True
    assert format_value(FIELDS[1], None) == ""
    assert format_value(FIELDS[3], "2026-03-01T00:00:00") == "2026-03-01"


def test_server_validation_errors_map_to_fields():
    data = {
        "errors": [
            {"field": "severity", "message": "must be 1 to 4", "code": "check"},
            {"field": None, "message": "the record is locked", "code": "rule"},
            {"field": "severity", "message": "required", "code": "required"},
        ]
    }
    errors = server_errors(data)
    assert errors["severity"] == "must be 1 to 4; required"
    assert errors[""] == "the record is locked"
    assert len(server_errors({})) == 0


def test_editing_a_field_clears_its_error():
    state = loaded()
    state.set_errors({"severity": "must be 1 to 4", "hazard": "too long"})
    state.edit("severity", "3")
    assert "severity" not in state.errors
    assert "hazard" in state.errors


def test_conflicting_fields_are_those_both_sides_changed_differently():
    state = loaded()
    state.edit("severity", "4")  # they set 3: a conflict
    state.edit("hazard", "Fire")  # they set Fire too: no conflict
    state.edit("due_date", "2026-09-09")  # they did not touch it: no conflict
    theirs = record(severity=3, hazard="Fire", probability=4, version=4)
    rows = conflict_fields(state, theirs)
    assert len(rows) == 1
    assert rows[0]["field"] == "severity"
    assert rows[0]["yours"] == "4" and rows[0]["theirs"] == "3"


def test_changes_to_different_fields_merge_without_a_question():
    state = loaded()
    state.edit("severity", "4")
    theirs = record(probability=4, version=4)
    assert len(conflict_fields(state, theirs)) == 0
    values = merge_values(state, theirs, {})
    assert len(values) == 1 and values["severity"] == 4


def test_resolutions():
    state = loaded()
    state.edit("severity", "4")
    state.edit("measures_missing", "x")  # not a field of the form: ignored
    state.edit("due_date", "2026-05-05")
    theirs = record(severity=3, probability=4, version=4)
    rows = conflict_fields(state, theirs)
    yours = merge_values(state, theirs, choices_for(rows, "yours"))
    assert yours["severity"] == 4 and yours["due_date"] == "2026-05-05"
    assert "probability" not in yours  # theirs, untouched by the user
    keep_theirs = merge_values(state, theirs, {"severity": "theirs"})
    assert "severity" not in keep_theirs
    assert keep_theirs["due_date"] == "2026-05-05"  # did not conflict: kept


def test_rebase_keeps_the_edits_over_the_new_version():
    state = loaded()
    state.edit("severity", "4")
    state.rebase(record(probability=3, version=5))
    assert state.version == 5
    assert state.texts["severity"] == "4"
    assert state.texts["probability"] == "3"
    assert state.dirty


def test_texts_fall_back_to_english_and_messages_translate():
    assert text(None, "save") == "Save"
    assert text({"save": "Salva"}, "save") == "Salva"
    assert text({"save": "Salva"}, "cancel") == "Cancel"
    texts = {"messages": {"must be 1 to 4": "deve essere da 1 a 4"}}
    assert message(texts, "must be 1 to 4") == "deve essere da 1 a 4"
    assert message(texts, "required") == "required"
    assert message(None, "required") == "required"
