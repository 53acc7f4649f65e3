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
