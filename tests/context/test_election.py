"""Intent election over a table of controllers."""

import pytest

from raccoon.context import (
    OPERATIONS,
    AmbiguousIntent,
    Candidate,
    Content,
    Controller,
    ElectionError,
    InvalidIntent,
    NoController,
    Operation,
    Registry,
)


class Desktop(Controller):
    OPERATION = OPERATIONS.VIEW
    CONTENT = {(Content.source == "auth.users") & (Content.len == 1)}
    CURSORS = {"user": "auth.users"}
    VIEW = {"type": "Desktop"}


class AnyUsers(Controller):
    """Less specific than Desktop: any users content."""

    OPERATION = Operation.VIEW
    CONTENT = Content.source == "auth.users"


class Generic(Controller):
    """Views anything: CONTENT left out, specificity 0."""

    OPERATION = Operation.VIEW


class UserEditor(Controller):
    OPERATION = {Operation.EDIT, Operation.CREATE}
    CONTENT = {
        (Content.source == "auth.users") & (Content.len == 1),
        (Content.source == "auth.users") & (Content.len == None),  # noqa: E711
    }


class BulkEditor(Controller):
    OPERATION = Operation.EDIT
    CONTENT = (Content.source == "auth.users") & (Content.len > 1)


class AuthPicker(Controller):
    OPERATION = "pick"
    CONTENT = Content.source.startswith("auth.") | Content.source.in_(["people", "staff"])


class NotAuthDeleter(Controller):
    OPERATION = Operation.DELETE
    CONTENT = ~Content.source.startswith("auth.")


class ReportViewer(Controller):
    OPERATION = Operation.VIEW
    CONTENT = (Content.source == "reports") & (Content.attrs.kind == "pdf")


class ReportViewerPreferred(Controller):
    OPERATION = Operation.VIEW
    CONTENT = (Content.source == "reports") & (Content.attrs.kind == "pdf")
    PRIORITY = 5


REGISTRY = Registry(
    [Desktop, AnyUsers, Generic, UserEditor, BulkEditor, AuthPicker, NotAuthDeleter, ReportViewer]
)


def users(*ids):
    return Content("auth.users", ids=list(ids))


@pytest.mark.parametrize(
    ("operation", "content", "expected"),
    [
        # the most specific wins: Desktop (2 tests) over AnyUsers (1) over Generic (0)
        (Operation.VIEW, users(7), Desktop),
        ("view", users(7, 8), AnyUsers),
        (
            "VIEW",
            Content("auth.users", filters={"field": "name", "op": "=", "value": "x"}),
            AnyUsers,
        ),
        ("view", Content("sales.orders", ids=[1]), Generic),
        # a set of alternatives: either may match
        ("edit", users(7), UserEditor),
        ("create", Content("auth.users"), UserEditor),
        ("edit", users(1, 2, 3), BulkEditor),
        # | and ~
        ("pick", Content("auth.groups"), AuthPicker),
        ("pick", Content("staff", ids=[1]), AuthPicker),
        ("delete", Content("sales.orders", ids=[1]), NotAuthDeleter),
        # extra attributes
        ("view", Content("reports", attrs={"kind": "pdf"}), ReportViewer),
        ("view", Content("reports", attrs={"kind": "csv"}), Generic),
        ("view", Content("reports"), Generic),
    ],
)
def test_election_table(operation, content, expected):
    assert REGISTRY.elect(operation, content) is expected


@pytest.mark.parametrize(
    ("operation", "content"),
    [
        ("pick", Content("sales.orders")),  # | branches both false
        ("delete", Content("auth.users", ids=[1])),  # ~ excludes it
        ("create", users(1, 2)),  # operation matches UserEditor, content does not
        ("edit", Content("sales.orders", ids=[1])),
    ],
)
def test_no_candidate(operation, content):
    with pytest.raises(NoController) as info:
        REGISTRY.elect(operation, content)
    assert isinstance(info.value, ElectionError)
    assert info.value.operation == Operation.parse(operation)
    assert info.value.content == content


def test_no_controller_message_names_intent_and_registered():
    with pytest.raises(NoController) as info:
        REGISTRY.elect("edit", Content("x", ids=[1]))
    message = str(info.value)
    assert "nothing can EDIT content source='x' len=1" in message
    assert "registered for EDIT:" in message
    assert f"{__name__}.UserEditor" in message and f"{__name__}.BulkEditor" in message
    assert "Content.len > 1" in message


def test_no_controller_for_the_operation_at_all():
    registry = Registry([Desktop])
    with pytest.raises(NoController, match=r"no controller is registered for PICK.*VIEW"):
        registry.elect("pick", users(1))


def test_operation_mismatch_is_not_a_candidate():
    registry = Registry([Desktop])
    assert registry.candidates("edit", users(1)) == []
    assert [c.controller for c in registry.candidates("view", users(1))] == [Desktop]


def test_candidates_are_listed_best_first():
    found = REGISTRY.candidates("view", users(1))
    assert found == [
        Candidate(Desktop, 2, 0),
        Candidate(AnyUsers, 1, 0),
        Candidate(Generic, 0, 0),
    ]
    assert found[0].name == f"{__name__}.Desktop"


def test_tie_raises_naming_every_candidate_and_the_intent():
    class Twin(Controller):
        OPERATION = Operation.VIEW
        CONTENT = (Content.len == 1) & (Content.source.startswith("auth"))

    registry = Registry([Desktop, Twin, Generic])
    with pytest.raises(AmbiguousIntent) as info:
        registry.elect("view", users(1))
    message = str(info.value)
    assert f"{__name__}.Desktop" in message
    assert f"{__name__}.test_tie_raises_naming_every_candidate_and_the_intent.<locals>.Twin" in (
        message
    )
    assert "VIEW content source='auth.users' len=1" in message
    assert "PRIORITY" in message
    assert {c.controller for c in info.value.candidates} == {Desktop, Twin}


def test_priority_breaks_a_tie():
    registry = Registry([ReportViewer, ReportViewerPreferred])
    content = Content("reports", attrs={"kind": "pdf"})
    assert registry.elect("view", content) is ReportViewerPreferred
    with pytest.raises(AmbiguousIntent):
        Registry([ReportViewer, ReportViewer2]).elect("view", content)


class ReportViewer2(ReportViewer):
    pass


def test_specificity_beats_priority():
    class LoudGeneric(Controller):
        OPERATION = Operation.VIEW
        PRIORITY = 100

    registry = Registry([Desktop, LoudGeneric])
    assert registry.elect("view", users(1)) is Desktop
    assert registry.elect("view", users(1, 2)) is LoudGeneric


def test_specificity_of_alternatives_is_the_best_matching_one():
    class Alternatives(Controller):
        OPERATION = Operation.VIEW
        CONTENT = {
            Content.source == "auth.users",
            (Content.source == "auth.users") & (Content.len == 1) & Content.ids.contains(1),
        }

    registry = Registry([Alternatives, Desktop])
    assert registry.candidates("view", users(1))[0] == Candidate(Alternatives, 3, 0)
    assert registry.elect("view", users(1)) is Alternatives
    # the 3-test alternative does not hold for id 2: only the 1-test one does
    assert registry.candidates("view", users(2))[0] == Candidate(Desktop, 2, 0)


def test_or_counts_its_laxer_branch():
    class Either(Controller):
        OPERATION = Operation.VIEW
        CONTENT = ((Content.source == "auth.users") & (Content.len == 1)) | (
            Content.source == "auth.users"
        )

    registry = Registry([Either, AnyUsers])
    # Either is as specific as AnyUsers (min(2, 1) = 1): a tie
    with pytest.raises(AmbiguousIntent):
        registry.elect("view", users(1))


def test_elect_validates_the_intent():
    with pytest.raises(InvalidIntent) as info:
        REGISTRY.elect("frobnicate", users(1))
    assert info.value.field == "operation"
    assert "view, create, edit, pick, delete" in str(info.value)
    with pytest.raises(InvalidIntent) as info:
        REGISTRY.elect("view", {"source": "not a name"})
    assert info.value.field == "source"
    # a wire dict is accepted as content
    assert REGISTRY.elect("view", {"source": "auth.users", "ids": [1]}) is Desktop
