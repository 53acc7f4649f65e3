"""Exceptions of the client build.

::

    BuildError          the build could not be done (a refused module, a
    │                   missing tool, webpack failed); the message says why
    └── CheckFailed     the checker rejected client code; .violations
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from raccoon.build._checker import Violation

__all__ = ["BuildError", "CheckFailed"]


class BuildError(Exception):
    """The client build failed; the message says what and what to do."""


class CheckFailed(BuildError):
    """Client code uses constructs JavaScripthon refuses or mistranslates."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        lines = "\n".join(str(v) for v in self.violations)
        super().__init__(
            f"{len(self.violations)} construct(s) JavaScripthon refuses or mistranslates:\n{lines}"
        )
