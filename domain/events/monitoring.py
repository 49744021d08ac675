"""Events of a model in production: breaches, bias flags, costs, the game plan, pages.

Each event makes or changes its entry (`breach()`, `close(breach)`, ...) in one place, for the
model's bounded state (`apply`) and for the model's whole monitoring record (domain/record.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.entities import (
    BiasFlag,
    BiasFlagFields,
    Breach,
    BreachFields,
    CostReport,
    add_to_month,
)
from domain.events.base import Event, catalogued
from domain.state import BIAS_FLAGS, BREACHES, ModelState


@catalogued
class BreachOpened(BreachFields, Event):
    """A target crossed; `target` is the target in force when it was crossed."""

    TOPIC = "modelgov/Model.BreachOpened"

    def breach(self) -> Breach:
        return self.entity(Breach, opened_at=self.effective_at)

    def apply(self, model: ModelState) -> None:
        BREACHES.open(model, self.breach())


@catalogued
class BreachClosed(Event):
    TOPIC = "modelgov/Model.BreachClosed"
    breach_id: str
    observed_value: float

    def close(self, breach: Breach) -> None:
        breach.closed_at = self.effective_at
        breach.closing_value = self.observed_value

    def apply(self, model: ModelState) -> None:
        BREACHES.end(model, self.breach_id, self.close)


@catalogued
class BiasFlagRaised(BiasFlagFields, Event):
    """Version 2 added `evidence`: the per-group figures behind a flag raised by monitoring."""

    TOPIC = "modelgov/Model.BiasFlagRaised"
    class_version = 2
    evidence: dict[str, Any]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["evidence"] = {}

    def flag(self) -> BiasFlag:
        return self.entity(BiasFlag, raised_at=self.effective_at, raised_by=self.actor)

    def apply(self, model: ModelState) -> None:
        BIAS_FLAGS.open(model, self.flag())


@catalogued
class BiasFlagResolved(Event):
    """Resolved with a decision; the justification is the event's `reason`."""

    TOPIC = "modelgov/Model.BiasFlagResolved"
    flag_id: str
    resolution: str

    def resolve(self, flag: BiasFlag) -> None:
        flag.resolution = self.resolution
        flag.justification = self.reason
        flag.resolved_by = self.actor
        flag.resolved_at = self.effective_at

    def apply(self, model: ModelState) -> None:
        BIAS_FLAGS.end(model, self.flag_id, self.resolve)


@catalogued
class CostReported(Event):
    TOPIC = "modelgov/Model.CostReported"
    period: str
    amount: Decimal
    currency: str
    business_unit: str
    version: int | None

    def report(self) -> CostReport:
        return self.entity(CostReport)

    def apply(self, model: ModelState) -> None:
        """The month's totals, not each report: the record keeps those (domain/record.py)."""
        add_to_month(model.cost_months, self.report())


@catalogued
class GamePlanChanged(Event):
    """The model's game plan: where its events are notified, and what monitoring may do on its own."""

    TOPIC = "modelgov/Model.GamePlanChanged"
    game_plan: dict[str, Any]
    previous: dict[str, Any]

    def apply(self, model: ModelState) -> None:
        model.game_plan = dict(self.game_plan)


@catalogued
class OnCallPaged(Event):
    """Someone must act: an automated response could not do what the game plan asked."""

    TOPIC = "modelgov/Model.OnCallPaged"
    breach_id: str
    version: int
    environment: str
    message: str

    def apply(self, model: ModelState) -> None:
        pass  # a page changes nothing in the model; it is kept for the record and the notifications
