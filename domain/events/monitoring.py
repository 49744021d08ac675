"""Events of a model in production: breaches, bias flags, costs, the game plan, pages."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.entities import BiasFlag, Breach, CostReport
from domain.events.base import Event

if TYPE_CHECKING:
    from domain.model import Model


class BreachOpened(Event):
    """A target crossed; `target` is the target in force when it was crossed."""

    TOPIC = "modelgov/Model.BreachOpened"
    breach_id: str
    version: int
    environment: str
    dimension: str
    metric: str
    observed_value: float
    target: dict[str, Any]

    def apply(self, model: Model) -> None:
        model.breaches[self.breach_id] = Breach(
            breach_id=self.breach_id,
            version=self.version,
            environment=self.environment,
            dimension=self.dimension,
            metric=self.metric,
            observed_value=self.observed_value,
            target=dict(self.target),
            opened_at=self.effective_at,
        )


class BreachClosed(Event):
    TOPIC = "modelgov/Model.BreachClosed"
    breach_id: str
    observed_value: float

    def apply(self, model: Model) -> None:
        breach = model.breaches[self.breach_id]
        breach.closed_at = self.effective_at
        breach.closing_value = self.observed_value


class BiasFlagRaised(Event):
    """Version 2 added `evidence`: the per-group figures behind a flag raised by monitoring."""

    TOPIC = "modelgov/Model.BiasFlagRaised"
    class_version = 2
    flag_id: str
    version: int
    attribute: str
    metric: str
    value: float
    threshold: float
    evidence: dict[str, Any]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["evidence"] = {}

    def apply(self, model: Model) -> None:
        model.bias_flags[self.flag_id] = BiasFlag(
            flag_id=self.flag_id,
            version=self.version,
            attribute=self.attribute,
            metric=self.metric,
            value=self.value,
            threshold=self.threshold,
            raised_at=self.effective_at,
            raised_by=self.actor,
            evidence=dict(self.evidence),
        )


class BiasFlagResolved(Event):
    """Resolved with a decision; the justification is the event's `reason`."""

    TOPIC = "modelgov/Model.BiasFlagResolved"
    flag_id: str
    resolution: str

    def apply(self, model: Model) -> None:
        flag = model.bias_flags[self.flag_id]
        flag.resolution = self.resolution
        flag.justification = self.reason
        flag.resolved_by = self.actor
        flag.resolved_at = self.effective_at


class CostReported(Event):
    TOPIC = "modelgov/Model.CostReported"
    period: str
    amount: Decimal
    currency: str
    business_unit: str
    version: int | None

    def apply(self, model: Model) -> None:
        model.cost_reports.append(
            CostReport(
                period=self.period,
                amount=self.amount,
                currency=self.currency,
                business_unit=self.business_unit,
                version=self.version,
                effective_at=self.effective_at,
            )
        )


class GamePlanChanged(Event):
    """The model's game plan: where its events are notified, and what monitoring may do on its own."""

    TOPIC = "modelgov/Model.GamePlanChanged"
    game_plan: dict[str, Any]
    previous: dict[str, Any]

    def apply(self, model: Model) -> None:
        model.game_plan = dict(self.game_plan)


class OnCallPaged(Event):
    """Someone must act: an automated response could not do what the game plan asked."""

    TOPIC = "modelgov/Model.OnCallPaged"
    breach_id: str
    version: int
    environment: str
    message: str

    def apply(self, model: Model) -> None:
        pass  # a page changes nothing in the model; it is kept for the record and the notifications
