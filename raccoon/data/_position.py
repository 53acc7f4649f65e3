"""Where a change feed stands: transaction snapshots and :class:`FeedPosition`.

See :mod:`raccoon.data._feed` for the rule these serve: a feed has delivered
every change visible in its last snapshot, and — during a read step towards
a newer snapshot — that step's changes up to a cursor id.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FeedPosition"]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """A parsed ``txid_snapshot``: ``xmin:xmax:xip,...``."""

    text: str
    xmax: int
    xip: list[int]

    @classmethod
    def parse(cls, text: str) -> _Snapshot:
        try:
            _xmin, xmax, xip = text.split(":")
            return cls(text, int(xmax), [int(x) for x in xip.split(",") if x])
        except ValueError:
            raise ValueError(f"{text!r} is not a txid_snapshot ('xmin:xmax:xip,...')") from None


@dataclass(frozen=True, slots=True)
class FeedPosition:
    """Where a feed stands: everything up to it has been delivered, nothing after it.

    ``str(position)`` is a compact text to store; :meth:`parse` reads it
    back for ``ChangeFeed.start(position=...)``. ``target`` and ``cursor``
    describe a read that was interrupted half-way (normally ``None`` and 0).
    """

    last_id: int
    snapshot: str
    target: str | None = None
    cursor: int = 0

    def __str__(self) -> str:
        return f"{self.last_id}/{self.snapshot}/{self.target or ''}/{self.cursor}"

    @classmethod
    def parse(cls, text: str) -> FeedPosition:
        """The position ``str(position)`` wrote."""
        try:
            last_id, snapshot, target, cursor = text.split("/")
            position = cls(int(last_id), snapshot, target or None, int(cursor))
            _Snapshot.parse(position.snapshot)
            if position.target is not None:
                _Snapshot.parse(position.target)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a change-feed position; use the text of str(feed.position)"
            ) from None
        return position


@dataclass(slots=True)
class _Progress:
    """Everything delivered so far: rows visible in ``snapshot``, plus — during a
    read step towards ``target`` — that step's rows with ids up to ``cursor``."""

    snapshot: _Snapshot
    last_id: int
    target: _Snapshot | None = None
    cursor: int = 0
    step_last_id: int = 0  # `last_id` when the step began: its query uses that


def _progress_from(position: FeedPosition) -> _Progress:
    if not isinstance(position, FeedPosition):
        raise TypeError(f"position must be a FeedPosition, got {position!r}")
    return _Progress(
        _Snapshot.parse(position.snapshot),
        position.last_id,
        None if position.target is None else _Snapshot.parse(position.target),
        position.cursor,
        position.last_id,
    )
