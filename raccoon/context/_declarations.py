"""Checking the class-level declarations of controllers and actions.

Done once, when a controller is registered, so that a mistake in a
declaration fails at start-up with the class named, not when a user first
opens a context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._action import Action, ActionSet
from ._condition import Condition, normalize_conditions
from ._content import _check_source, _json_copy
from ._errors import InvalidIntent, RegistrationError
from ._operation import Operation
from ._translation import Translatable

if TYPE_CHECKING:
    from ._controller import Controller

__all__ = ["ControllerSpec", "class_name", "controller_spec"]

_FRAGMENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def class_name(cls: type) -> str:
    """``module.QualName``, how messages name a class."""
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass(frozen=True)
class ControllerSpec:
    """A controller class's declarations, checked and normalized."""

    cls: type[Controller]
    name: str
    operations: frozenset[Operation]
    conditions: tuple[Condition, ...] | None
    cursors: Mapping[str, str]
    view: Mapping[str, Any]
    actions: tuple[type[Action], ...]
    priority: int

    def describe_content(self) -> str:
        """The CONTENT declaration for messages."""
        if self.conditions is None:
            return "any content"
        return " or ".join(repr(c) for c in self.conditions)


def controller_spec(cls: type[Controller]) -> ControllerSpec:
    """Check ``cls``'s declarations; :class:`RegistrationError` names the
    class and the declaration at fault."""
    from ._controller import Controller  # the controller module builds on this one

    if not isinstance(cls, type) or not issubclass(cls, Controller):
        raise RegistrationError(f"only Controller subclasses can be registered, got {cls!r}")
    name = class_name(cls)
    return ControllerSpec(
        cls=cls,
        name=name,
        operations=_operations(name, cls.OPERATION),
        conditions=normalize_conditions(name, cls.CONTENT),
        cursors=_cursors(name, cls),
        view=_view(name, cls.VIEW),
        actions=_actions(name, cls),
        priority=_priority(name, cls.PRIORITY),
    )


def _operations(name: str, declared: object) -> frozenset[Operation]:
    if declared is None:
        raise RegistrationError(
            f"{name} has no OPERATION: declare what it realizes, e.g. "
            "OPERATION = Operation.VIEW (or a set of operations)"
        )
    items = [declared] if isinstance(declared, str) else declared
    if not isinstance(items, (set, frozenset, list, tuple)) or not items:
        raise RegistrationError(
            f"{name}.OPERATION must be an Operation or a non-empty set of them, got {declared!r}"
        )
    try:
        return frozenset(Operation.parse(item) for item in items)
    except InvalidIntent as exc:
        raise RegistrationError(f"{name}.OPERATION: {exc}") from None


def _cursors(name: str, cls: type[Controller]) -> Mapping[str, str]:
    declared = cls.CURSORS
    if not isinstance(declared, Mapping):
        raise RegistrationError(
            f"{name}.CURSORS must map cursor names to source names, e.g. "
            f"{{'user': 'auth.users'}}, got {type(declared).__name__}"
        )
    cursors: dict[str, str] = {}
    for cursor, source in declared.items():
        if not isinstance(cursor, str) or not _FRAGMENT.match(cursor):
            raise RegistrationError(
                f"{name}.CURSORS: cursor name {cursor!r} must be an identifier (it becomes "
                "a path fragment under the controller)"
            )
        # The cursor becomes an attribute of the controller when bound.
        if cursor == "actions" or hasattr(cls, cursor):
            raise RegistrationError(
                f"{name}.CURSORS: cursor name {cursor!r} clashes with an attribute of the "
                "controller; choose another name"
            )
        try:
            cursors[cursor] = _check_source(source)
        except InvalidIntent as exc:
            raise RegistrationError(f"{name}.CURSORS[{cursor!r}]: {exc}") from None
    return cursors


def _view(name: str, declared: object) -> Mapping[str, Any]:
    if not isinstance(declared, Mapping):
        raise RegistrationError(
            f"{name}.VIEW must describe the client view as a dict, e.g. {{'type': 'Desktop'}}, "
            f"got {type(declared).__name__}"
        )
    try:
        return _view_copy(declared, "VIEW")
    except InvalidIntent as exc:
        raise RegistrationError(f"{name}: {exc}") from None


def _view_copy(value: Any, field: str) -> Any:
    """Like ``_json_copy``, but translatable labels (``_('Save')``) may appear
    anywhere: contexts translate them for each user when they describe
    themselves."""
    if isinstance(value, Translatable):
        return value
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                return _json_copy(value, field)  # says what is wrong with the key
            copied[key] = _view_copy(item, f"{field}.{key}")
        return copied
    if isinstance(value, list | tuple):
        return [_view_copy(item, f"{field}[{i}]") for i, item in enumerate(value)]
    return _json_copy(value, field)


def _priority(name: str, declared: object) -> int:
    if isinstance(declared, bool) or not isinstance(declared, int):
        raise RegistrationError(f"{name}.PRIORITY must be an int, got {declared!r}")
    return declared


def _flatten(items: object, name: str) -> list[object]:
    if isinstance(items, (list, tuple)):
        return [leaf for item in items for leaf in _flatten(item, name)]
    return [items]


def _actions(name: str, cls: type[Controller]) -> tuple[type[Action], ...]:
    """ACTIONS (nested lists flattened) and the Action classes defined in
    the controller's body (and its bases'), in that order."""
    declared = cls.ACTIONS
    if not isinstance(declared, (list, tuple)):
        raise RegistrationError(
            f"{name}.ACTIONS must be a list of Action classes, got {type(declared).__name__}"
        )
    found: list[object] = _flatten(declared, name)
    for klass in reversed(cls.__mro__):
        found.extend(
            v for v in vars(klass).values() if isinstance(v, type) and issubclass(v, Action)
        )
    actions: list[type[Action]] = []
    by_id: dict[str, type[Action]] = {}
    for action in found:
        if not isinstance(action, type) or not issubclass(action, Action):
            raise RegistrationError(f"{name}.ACTIONS: {action!r} is not an Action subclass")
        if action in actions:
            continue
        _check_action(name, action)
        assert action.ID is not None  # checked above
        other = by_id.get(action.ID)
        if other is not None:
            raise RegistrationError(
                f"{name}: actions {class_name(other)} and {class_name(action)} both have "
                f"ID {action.ID!r}; IDs must be unique within a controller"
            )
        by_id[action.ID] = action
        actions.append(action)
    return tuple(actions)


def _check_action(owner: str, action: type[Action]) -> None:
    name = class_name(action)
    where = f"{name} (an action of {owner})"
    if not isinstance(action.ID, str) or not _FRAGMENT.match(action.ID):
        raise RegistrationError(
            f"{where}: ID must be an identifier such as 'logout' (it becomes a path "
            f"fragment), got {action.ID!r}"
        )
    if hasattr(ActionSet, action.ID):
        raise RegistrationError(
            f"{where}: ID {action.ID!r} clashes with a node attribute; choose another ID"
        )
    categories = action.CATEGORIES
    if not isinstance(categories, (tuple, list)) or not all(isinstance(c, str) for c in categories):
        raise RegistrationError(
            f"{where}: CATEGORIES must be a tuple of str, e.g. ('session',) — got {categories!r}"
        )
    for attr in ("LABEL", "HINT"):
        value = getattr(action, attr)
        if value is not None and not isinstance(value, (str, Translatable)):
            raise RegistrationError(
                f"{where}: {attr} must be a str or a translatable (_('...')), got {value!r}"
            )
    if action.ICON is not None and not isinstance(action.ICON, str):
        raise RegistrationError(f"{where}: ICON must be a str, got {action.ICON!r}")
