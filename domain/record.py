"""A model's whole monitoring record, folded from its events: every breach and bias flag with how
it ended, and every cost report.

The model itself keeps only what its rules need (domain/state.py), so that its state, and its
snapshots, stay small however long it lives; what shows the record (the state document, the diff,
the reports) folds it from the same events the model was folded from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.entities import BiasFlag, Breach, CostReport
from domain.events import (
    BiasFlagRaised,
    BiasFlagResolved,
    BreachClosed,
    BreachOpened,
    CostReported,
    Event,
)


@dataclass
class MonitoringRecord:
    """Breaches and bias flags by id, in the order they were opened; cost reports as reported."""

    breaches: dict[str, Breach] = field(default_factory=dict)
    bias_flags: dict[str, BiasFlag] = field(default_factory=dict)
    cost_reports: list[CostReport] = field(default_factory=list)

    def add(self, event: Event) -> None:
        """Take one event into the record (the events of other kinds change nothing here)."""
        if isinstance(event, BreachOpened):
            self.breaches[event.breach_id] = event.breach()
        elif isinstance(event, BreachClosed):
            event.close(self.breaches[event.breach_id])
        elif isinstance(event, BiasFlagRaised):
            self.bias_flags[event.flag_id] = event.flag()
        elif isinstance(event, BiasFlagResolved):
            event.resolve(self.bias_flags[event.flag_id])
        elif isinstance(event, CostReported):
            self.cost_reports.append(event.report())

    def closed_breaches(self) -> list[Breach]:
        return [breach for breach in self.breaches.values() if breach.closed_at is not None]

    def resolved_bias_flags(self) -> list[BiasFlag]:
        return [flag for flag in self.bias_flags.values() if not flag.is_open]


def monitoring_record(events: Iterable[Event]) -> MonitoringRecord:
    """The record of a model's events, taken in the order given (recorded or effective)."""
    record = MonitoringRecord()
    for event in events:
        record.add(event)
    return record
