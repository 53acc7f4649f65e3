"""Operations: what a client asks to do with a content."""

from __future__ import annotations

import enum

from ._errors import InvalidIntent

__all__ = ["OPERATIONS", "Operation"]


class Operation(enum.StrEnum):
    """What an intent asks to do with its content.

    An operation *is* its lowercase name (a :class:`str` subclass), so it
    travels over WAMP as ``'view'``, ``'edit'``… with any serializer, and
    compares equal to that string::

        >>> Operation.VIEW == 'view'
        True
        >>> Operation.parse('EDIT')
        <Operation.EDIT: 'edit'>
    """

    VIEW = "view"
    """Show the content (a record, a list, the desktop of a user)."""
    CREATE = "create"
    """Make a new record of the content's source."""
    EDIT = "edit"
    """Change the content's records."""
    PICK = "pick"
    """Let the user choose records of the content and hand them back."""
    DELETE = "delete"
    """Remove the content's records."""

    @classmethod
    def parse(cls, value: object) -> Operation:
        """The operation named ``value`` (an :class:`Operation` or its name in
        any case); :class:`InvalidIntent` with ``field='operation'`` if none."""
        if isinstance(value, Operation):
            return value
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
            shown = repr(value)
        else:
            shown = f"a {type(value).__name__}"
        raise InvalidIntent(
            f"unknown operation {shown}: choose among {', '.join(op.value for op in cls)}",
            field="operation",
        )


OPERATIONS = Operation
"""The seed's spelling: ``OPERATION = OPERATIONS.VIEW``."""
