"""What a report is built from: the events covered by one signed tree head, and that head's integrity.

Infrastructure implements `ReportSource` over the ledger (infrastructure/ledger/report_source.py); tests can
implement it over a list of events. Everything a report says derives from what the source gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Protocol

from domain.events import Event as ModelEvent


@dataclass(frozen=True)
class Integrity:
    """The signed tree head a report was built from, and whether the log up to it verified."""

    tree_size: int
    root: str
    timestamp: str
    key_id: str
    signature: str
    verified: bool
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class ReportSource(Protocol):
    """The events covered by one signed tree head."""

    @property
    def integrity(self) -> Integrity: ...

    def model_events(self, name: str) -> list[ModelEvent]:
        """One model's events covered by the head, in recorded order; ModelNotFoundError if none."""
        ...

    def feed(self) -> Iterator[tuple[int, str, ModelEvent]]:
        """Every event covered by the head in commit order: (notification id, model name, event)."""
        ...
