"""What a projection is: its tables, and the statements one event turns into (pure, no I/O).

Statements use `?` placeholders and portable SQL (SQLite and PostgreSQL). The runner executes an
event's statements and advances the projection's tracking position in one transaction, so each
event is applied exactly once, whatever restarts or re-deliveries happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from domain.events import Event as ModelEvent

Statement = tuple[str, Sequence[Any]]


class Projection(Protocol):
    name: str
    tables: Sequence[str]  # table names, dropped on rebuild

    def schema(self) -> Sequence[str]: ...

    def statements(self, *, event: ModelEvent, model: str, position: int) -> list[Statement]: ...
