"""What a projection is: the tables it keeps, and the row changes each event makes in them.

Projections are pure: an event in, row changes out (changes.py); a value that is personal data is
marked `Personal(...)` and written sealed (personal.py). Infrastructure (infrastructure/
projections/) creates the tables, turns the changes into SQL and writes a batch's changes and
the projection's tracking position in one transaction, so each event is applied exactly once,
whatever restarts or re-deliveries happen.
"""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.changes import RowChange
from application.projections.folds import ModelFolds
from domain.events import Event as ModelEvent


class Projection:
    """Most projections turn each event into row changes and keep no state between batches."""

    name: str
    tables: Sequence[str]  # the tables its changes touch, emptied on rebuild

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        raise NotImplementedError

    def attach(self, folds: ModelFolds) -> None:
        """Given, by the runner that applies it, the models its projections fold (folds.py),
        which load a model from the event store when they do not hold it."""

    def batch_end(self) -> list[RowChange]:
        """Changes after a batch's events, in the same transaction (e.g. one row per model)."""
        return []

    def reset(self) -> None:
        """Forget what is held in memory: the batch did not commit, or the tables were dropped."""
