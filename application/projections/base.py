"""What a projection is: its tables, and the statements one event turns into.

Statements use `?` placeholders and portable SQL (SQLite and PostgreSQL); a parameter that is
personal data is passed as `Personal(...)` and written sealed (application/projections/personal.py).
The runner executes a batch's statements and advances the projection's tracking position in one
transaction, so each event is applied exactly once, whatever restarts or re-deliveries happen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from domain.events import Event as ModelEvent
from domain.model import Model
from domain.record import MonitoringRecord

Statement = tuple[str, Sequence[Any]]
# (model id, aggregate version) -> the model as of that version, and its monitoring record, read
# from the event store (application/as_of.py: loaded_with_record).
Loader = Callable[[UUID, int], tuple[Model, MonitoringRecord]]


class Projection:
    """Most projections turn each event into statements and keep no state between batches."""

    name: str
    tables: Sequence[str]  # table names, dropped on rebuild

    def schema(self) -> Sequence[str]:
        raise NotImplementedError

    def statements(self, *, event: ModelEvent, model: str, position: int) -> list[Statement]:
        raise NotImplementedError

    def attach(self, load: Loader) -> None:
        """Given, by the runner that applies it, a way to load a model from the event store."""

    def batch_end(self) -> list[Statement]:
        """Statements after a batch's events, in the same transaction (e.g. one row per model)."""
        return []

    def reset(self) -> None:
        """Forget what is held in memory: the batch did not commit, or the tables were dropped."""
