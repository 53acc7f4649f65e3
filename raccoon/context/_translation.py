"""Lazy translatable strings for labels and hints.

An action's ``LABEL`` is written once, at import time, but shown to many
users in their own language; so it is stored as a :class:`Translatable`
(the message id, English) and resolved late, per language, through a
:class:`Catalog`::

    from raccoon.context import Catalog, translatable as _

    LABEL = _('Logout')
    catalog = Catalog({'it': {'Logout': 'Esci'}})
    catalog.translate(LABEL, 'it')      # 'Esci'
    str(LABEL)                          # 'Logout'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_LANGUAGE", "Catalog", "Translatable", "translatable", "translate_json"]

DEFAULT_LANGUAGE = "en"
"""The language message ids are written in; it needs no catalog."""

# Languages the framework keeps a catalog table for from the start. Italian
# is the language Raccoon was born in; its table fills as strings appear.
_BUILTIN_LANGUAGES = (DEFAULT_LANGUAGE, "it")


class Translatable:
    """A message id to be translated later (like Django's ``gettext_lazy``).

    ``str()`` gives the message id itself, in the default language (English).
    Two translatables are equal when their message ids are.
    """

    __slots__ = ("msgid",)

    def __init__(self, msgid: str) -> None:
        if not isinstance(msgid, str) or not msgid:
            raise TypeError(f"a translatable message id must be a non-empty str, got {msgid!r}")
        self.msgid = msgid

    def translate(self, language: str | None = None, catalog: Catalog | None = None) -> str:
        """The message in ``language`` (via ``catalog``), else the message id."""
        if catalog is None:
            return self.msgid
        return catalog.translate(self, language)

    def __str__(self) -> str:
        return self.msgid

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Translatable):
            return NotImplemented
        return self.msgid == other.msgid

    def __hash__(self) -> int:
        return hash(("translatable", self.msgid))

    def __repr__(self) -> str:
        return f"_({self.msgid!r})"


def translatable(msgid: str) -> Translatable:
    """Mark ``msgid`` for translation; import it as ``_``::

    from raccoon.context import translatable as _
    LABEL = _('Logout')
    """
    return Translatable(msgid)


class Catalog:
    """Translations by language: ``{language: {msgid: text}}``.

    A message missing in a language falls back to the message id (English),
    so an incomplete catalog degrades to English rather than failing. A
    language such as ``'it_CH'`` falls back to ``'it'``. The built-in tables
    (``'en'``, ``'it'``) start empty.
    """

    def __init__(
        self,
        translations: Mapping[str, Mapping[str, str]] | None = None,
        *,
        default_language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.default_language = default_language
        self._tables: dict[str, dict[str, str]] = {lang: {} for lang in _BUILTIN_LANGUAGES}
        for language, messages in (translations or {}).items():
            self.load(language, messages)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this catalog has a table for."""
        return tuple(self._tables)

    def load(self, language: str, messages: Mapping[str, str]) -> None:
        """Add (or replace) translations for ``language``."""
        if not isinstance(language, str) or not language:
            raise TypeError(f"a language must be a code such as 'it', got {language!r}")
        wrong = [k for k, v in messages.items() if not isinstance(k, str) or not isinstance(v, str)]
        if wrong:
            raise TypeError(
                f"catalog {language!r}: message ids and translations must be str; "
                f"{wrong[0]!r} is not"
            )
        self._tables.setdefault(language, {}).update(messages)

    def translate(self, text: str | Translatable, language: str | None = None) -> str:
        """``text`` in ``language`` (default: the catalog's default language)."""
        msgid = text.msgid if isinstance(text, Translatable) else str(text)
        language = language or self.default_language
        for candidate in (language, language.replace("-", "_").split("_")[0]):
            table = self._tables.get(candidate)
            if table is not None and msgid in table:
                return table[msgid]
        return msgid


def translate_json(value: Any, language: str | None, catalog: Catalog | None) -> Any:
    """A copy of the JSON ``value`` (a view spec) with every :class:`Translatable`
    in it translated to ``language`` through ``catalog`` (the message id
    without one), so a client gets its labels in the user's language."""
    if isinstance(value, Translatable):
        return value.translate(language, catalog)
    if isinstance(value, Mapping):
        return {key: translate_json(item, language, catalog) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [translate_json(item, language, catalog) for item in value]
    return value
