"""Registering controllers: declarations are checked, with clear messages."""

import pytest

from raccoon.context import (
    Action,
    Content,
    ContextError,
    Controller,
    Operation,
    RegistrationError,
    Registry,
)
from raccoon.context import translatable as _
from raccoon.node import call


class Logout(Action):
    ID = "logout"
    CATEGORIES = ("session",)
    LABEL = _("Logout")

    @call
    async def run(self):
        return "bye"


class Help(Action):
    ID = "help"


class Desktop(Controller):
    OPERATION = Operation.VIEW
    CONTENT = Content.source == "auth.users"
    ACTIONS = [Logout]


def test_register_and_introspect():
    registry = Registry()
    assert registry.register(Desktop) is Desktop
    assert Desktop in registry and len(registry) == 1
    assert registry.controllers == (Desktop,) and list(registry) == [Desktop]


def test_register_works_as_decorator():
    registry = Registry()

    @registry.register
    class Viewer(Controller):
        OPERATION = Operation.VIEW

    assert Viewer in registry


def test_registering_twice_fails_naming_both_places():
    registry = Registry([Desktop])
    with pytest.raises(RegistrationError) as info:
        registry.register(Desktop)
    message = str(info.value)
    assert f"{__name__}.Desktop is already registered" in message
    assert message.count("test_registry.py:") == 2
    assert isinstance(info.value, ContextError) and isinstance(info.value, TypeError)


def test_registries_are_independent():
    Registry([Desktop])
    Registry([Desktop])  # no hidden global: no conflict


def _declare(**attrs):
    return type("Bad", (Controller,), {"__module__": __name__, **attrs})


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({}, r"Bad has no OPERATION: declare what it realizes"),
        ({"OPERATION": "frob"}, r"Bad.OPERATION: unknown operation 'frob'"),
        ({"OPERATION": set()}, r"Bad.OPERATION must be an Operation or a non-empty set"),
        ({"OPERATION": "view", "CONTENT": "auth.users"}, r"Bad.CONTENT must be a condition"),
        ({"OPERATION": "view", "CONTENT": set()}, r"it is empty"),
        ({"OPERATION": "view", "CONTENT": {1}}, r"1 is not a condition"),
        ({"OPERATION": "view", "CURSORS": ["user"]}, r"Bad.CURSORS must map cursor names"),
        ({"OPERATION": "view", "CURSORS": {"user": "no good"}}, r"CURSORS\['user'\].*dotted"),
        ({"OPERATION": "view", "CURSORS": {"9x": "a.b"}}, r"cursor name '9x'"),
        ({"OPERATION": "view", "CURSORS": {"describe": "a.b"}}, r"'describe' clashes"),
        ({"OPERATION": "view", "CURSORS": {"actions": "a.b"}}, r"'actions' clashes"),
        ({"OPERATION": "view", "VIEW": "Desktop"}, r"Bad.VIEW must describe the client view"),
        ({"OPERATION": "view", "VIEW": {"f": object()}}, r"VIEW.f must be plain JSON"),
        ({"OPERATION": "view", "PRIORITY": "high"}, r"Bad.PRIORITY must be an int"),
        ({"OPERATION": "view", "PRIORITY": True}, r"Bad.PRIORITY must be an int"),
        ({"OPERATION": "view", "ACTIONS": Logout}, r"Bad.ACTIONS must be a list"),
        ({"OPERATION": "view", "ACTIONS": [str]}, r"<class 'str'> is not an Action subclass"),
    ],
)
def test_bad_declarations_are_refused(attrs, message):
    with pytest.raises(RegistrationError, match=message):
        Registry().register(_declare(**attrs))


def test_not_a_controller_is_refused():
    with pytest.raises(RegistrationError, match="only Controller subclasses"):
        Registry().register(Logout)  # type: ignore[arg-type]


def _action(**attrs):
    return type("BadAction", (Action,), {"__module__": __name__, **attrs})


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({}, r"BadAction \(an action of .*\): ID must be an identifier"),
        ({"ID": "log-out"}, r"ID must be an identifier.*'log-out'"),
        ({"ID": "remote"}, r"ID 'remote' clashes with a node attribute"),
        ({"ID": "x", "CATEGORIES": "session"}, r"CATEGORIES must be a tuple of str"),
        ({"ID": "x", "LABEL": 3}, r"LABEL must be a str or a translatable"),
        ({"ID": "x", "ICON": 3}, r"ICON must be a str"),
    ],
)
def test_bad_actions_are_refused(attrs, message):
    with pytest.raises(RegistrationError, match=message):
        Registry().register(_declare(OPERATION="view", ACTIONS=[_action(**attrs)]))


def test_duplicate_action_ids_are_refused():
    other = _action(ID="logout")
    with pytest.raises(RegistrationError, match=r"both have ID 'logout'"):
        Registry().register(_declare(OPERATION="view", ACTIONS=[Logout, other]))


def test_actions_nested_lists_and_class_bodies_are_collected():
    class WithActions(Controller):
        OPERATION = Operation.VIEW
        ACTIONS = [Logout, [Help, [Logout]]]

        class Refresh(Action):
            ID = "refresh"

    class Child(WithActions):
        class Print(Action):
            ID = "print"

    registry = Registry([WithActions, Child])
    assert registry._spec(WithActions).actions == (Logout, Help, WithActions.Refresh)
    assert registry._spec(Child).actions == (Logout, Help, WithActions.Refresh, Child.Print)
