"""Translatable labels and action descriptions."""

import pytest

from raccoon.context import DEFAULT_LANGUAGE, Action, Catalog, Translatable, translatable

_ = translatable


class Logout(Action):
    ID = "logout"
    CATEGORIES = ("session",)
    LABEL = _("Logout")
    HINT = _("Leave this session.")
    ICON = "sign-out"


def test_translatable_is_lazy_and_english_by_default():
    label = _("Logout")
    assert isinstance(label, Translatable) and label.msgid == "Logout"
    assert str(label) == "Logout" and label.translate("it") == "Logout"
    assert label == _("Logout") and hash(label) == hash(_("Logout"))
    assert repr(label) == "_('Logout')"
    assert DEFAULT_LANGUAGE == "en"
    with pytest.raises(TypeError, match="non-empty str"):
        _("")


def test_catalog_translates_with_fallbacks():
    catalog = Catalog({"it": {"Logout": "Esci"}})
    assert catalog.languages == ("en", "it")
    assert catalog.translate(_("Logout"), "it") == "Esci"
    assert catalog.translate("Logout", "it_CH") == "Esci"  # falls back to 'it'
    assert catalog.translate(_("Logout"), "it-IT") == "Esci"
    assert catalog.translate(_("Logout")) == "Logout"  # English is the msgid
    assert catalog.translate(_("Unknown"), "it") == "Unknown"  # missing: msgid
    catalog.load("de", {"Logout": "Abmelden"})
    assert catalog.translate(_("Logout"), "de") == "Abmelden"
    assert Catalog(default_language="it", translations={"it": {"a": "b"}}).translate("a") == "b"
    with pytest.raises(TypeError, match="must be str"):
        catalog.load("it", {"Logout": 3})


def test_action_describe():
    assert Logout.describe() == {
        "id": "logout",
        "categories": ["session"],
        "label": "Logout",
        "hint": "Leave this session.",
        "icon": "sign-out",
    }
    catalog = Catalog({"it": {"Logout": "Esci", "Leave this session.": "Lascia la sessione."}})
    described = Logout.describe("it", catalog)
    assert described["label"] == "Esci" and described["hint"] == "Lascia la sessione."


def test_translate_json_translates_labels_anywhere_in_a_view_spec():
    from raccoon.context import translate_json

    catalog = Catalog({"it": {"Save": "Salva", "Hazard": "Pericolo"}})
    spec = {
        "type": "Form",
        "texts": {"save": _("Save"), "cancel": _("Cancel")},
        "columns": [{"field": "hazard", "title": _("Hazard")}, {"field": "x", "n": 3}],
    }
    it = translate_json(spec, "it", catalog)
    assert it == {
        "type": "Form",
        "texts": {"save": "Salva", "cancel": "Cancel"},
        "columns": [{"field": "hazard", "title": "Pericolo"}, {"field": "x", "n": 3}],
    }
    assert translate_json(spec, "en", catalog)["texts"]["save"] == "Save"
    assert translate_json(spec, "it", None)["columns"][0]["title"] == "Hazard"
    assert isinstance(spec["texts"]["save"], Translatable)  # the declaration is untouched


def test_a_controller_view_may_hold_translatable_labels_but_nothing_else_odd():
    from raccoon.context import OPERATIONS, Controller, RegistrationError, Registry

    class Labelled(Controller):
        OPERATION = OPERATIONS.VIEW
        VIEW = {"type": "Labelled", "texts": {"save": _("Save")}, "sizes": [1, 2]}

    Registry([Labelled])

    class Odd(Controller):
        OPERATION = OPERATIONS.EDIT
        VIEW = {"type": "Odd", "texts": {"save": object()}}

    with pytest.raises(RegistrationError, match=r"VIEW.texts.save must be plain JSON"):
        Registry([Odd])
