"""The registry of controllers and intent election."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._condition import best_specificity
from ._content import Content
from ._declarations import ControllerSpec, class_name, controller_spec
from ._errors import AmbiguousIntent, NoController, RegistrationError
from ._operation import Operation

if TYPE_CHECKING:
    from ._controller import Controller

__all__ = ["Candidate", "Registry"]


@dataclass(frozen=True)
class Candidate:
    """A controller that can realize an intent, and how well it matches."""

    controller: type[Controller]
    specificity: int
    """Atomic tests of its best matching CONTENT alternative (0: any content)."""
    priority: int
    """Its ``PRIORITY``."""

    @property
    def name(self) -> str:
        """``module.QualName`` of the controller."""
        return class_name(self.controller)

    @property
    def rank(self) -> tuple[int, int]:
        """What election sorts by: more specific first, then higher priority."""
        return (self.specificity, self.priority)


def _caller() -> str:
    """``file:line`` of the first frame outside this module (where the
    application registered something), for conflict messages."""
    frame = sys._getframe(1)
    here = frame.f_code.co_filename
    while frame is not None and frame.f_code.co_filename == here:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:  # pragma: no cover - the registry is always called from somewhere
        return "<unknown>"
    return f"{os.path.relpath(frame.f_code.co_filename)}:{frame.f_lineno}"


class Registry:
    """The controllers an application offers, and the election among them.

    An explicit object — there is no global registry — that the application
    fills at start-up and hands to the session's
    :class:`~raccoon.context.Contexts`::

        registry = Registry([Desktop, UserEditor])
        registry.register(InvoiceList)           # or @registry.register
        registry.elect(Operation.VIEW, Content('auth.users', ids=[42]))  # Desktop

    Election: the candidates are the controllers whose ``OPERATION``
    includes the operation and one of whose ``CONTENT`` alternatives holds;
    the most specific wins, then the highest ``PRIORITY``; a tie raises
    :class:`~raccoon.context.AmbiguousIntent`, no candidate
    :class:`~raccoon.context.NoController`.
    """

    def __init__(self, controllers: Iterable[type[Controller]] = ()) -> None:
        self._specs: dict[type[Controller], ControllerSpec] = {}
        self._where: dict[type[Controller], str] = {}
        for controller in controllers:
            self.register(controller)

    def register(self, controller: type[Controller]) -> type[Controller]:
        """Check ``controller``'s declarations and add it; returns it, so it
        also works as a class decorator. Registering a class twice fails."""
        where = _caller()
        if controller in self._specs:
            raise RegistrationError(
                f"{class_name(controller)} is already registered (at "
                f"{self._where[controller]}); registered again at {where}"
            )
        self._specs[controller] = controller_spec(controller)
        self._where[controller] = where
        return controller

    @property
    def controllers(self) -> tuple[type[Controller], ...]:
        """The registered controllers, in registration order."""
        return tuple(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __iter__(self) -> Iterator[type[Controller]]:
        return iter(tuple(self._specs))

    def __contains__(self, controller: object) -> bool:
        return controller in self._specs

    def _spec(self, controller: type[Controller]) -> ControllerSpec:
        try:
            return self._specs[controller]
        except KeyError:
            raise RegistrationError(f"{class_name(controller)} is not registered") from None

    # -- election -----------------------------------------------------------------
    def candidates(
        self, operation: Operation | str, content: Content | Mapping[str, Any]
    ) -> list[Candidate]:
        """Every controller that can realize the intent, best first."""
        op = Operation.parse(operation)
        content = Content.from_wire(content)
        found = []
        for spec in self._specs.values():
            if op not in spec.operations:
                continue
            specificity = best_specificity(spec.conditions, content)
            if specificity is not None:
                found.append(Candidate(spec.cls, specificity, spec.priority))
        # sorted() is stable: equal ranks keep registration order in listings.
        return sorted(found, key=lambda c: c.rank, reverse=True)

    def elect(
        self, operation: Operation | str, content: Content | Mapping[str, Any]
    ) -> type[Controller]:
        """The controller that realizes ``operation`` on ``content``."""
        op = Operation.parse(operation)
        content = Content.from_wire(content)
        found = self.candidates(op, content)
        if not found:
            raise NoController(self._nothing_message(op, content), operation=op, content=content)
        best = found[0]
        tied = tuple(c for c in found if c.rank == best.rank)
        if len(tied) > 1:
            raise AmbiguousIntent(
                f"{len(tied)} controllers can {op.name} content {content.describe()} equally "
                f"well (specificity {best.specificity}, PRIORITY {best.priority}): "
                f"{', '.join(c.name for c in tied)}; make the CONTENT of the one that should "
                "win more specific, or give it a higher PRIORITY",
                operation=op,
                content=content,
                candidates=tied,
            )
        return best.controller

    def _nothing_message(self, op: Operation, content: Content) -> str:
        same_op = [s for s in self._specs.values() if op in s.operations]
        if same_op:
            listed = "; ".join(f"{s.name} for {s.describe_content()}" for s in same_op)
            known = f"registered for {op.name}: {listed}"
        else:
            ops = sorted({o.name for s in self._specs.values() for o in s.operations})
            known = (
                f"no controller is registered for {op.name} (registered operations: "
                f"{', '.join(ops) or 'none'})"
            )
        return (
            f"nothing can {op.name} content {content.describe()}; {known}. Register a "
            f"controller whose OPERATION includes {op.name} and whose CONTENT matches"
        )
