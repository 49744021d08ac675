"""The parts of a registered model's state: versions, decisions, targets, breaches, bias flags, costs.

They are plain dataclasses of JSON-friendly fields so that snapshots can store them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.incidents import SeriousIncident, Submission


@dataclass
class Decision:
    """A person's decision (approval, rejection, sign-off) with when it took effect and why."""

    principal: str
    role: str
    effective_at: datetime
    comment: str = ""


@dataclass
class Validation:
    """Validation evidence for a version, e.g. an A/B test against another version."""

    kind: str
    dataset: str
    metrics: dict[str, float]
    passed: bool
    compared_to: int | None
    recorded_by: str
    effective_at: datetime
    parameters: dict[str, str] = field(default_factory=dict)  # what it was produced with
    # The recorder's role (a `validator`'s evidence may count as independent: domain/independence.py);
    # "" for one read from a snapshot taken before validations kept it (none was a validator's).
    role: str = ""


@dataclass
class Version:
    """One registered version of a model, with its model card and what was decided about it."""

    number: int
    card: dict[str, Any]
    registered_by: str
    registered_at: datetime
    validations: list[Validation] = field(default_factory=list)
    release_approvals: list[Decision] = field(default_factory=list)
    release_rejections: list[Decision] = field(default_factory=list)
    compliance_signoffs: list[Decision] = field(default_factory=list)
    environments_served: list[str] = field(default_factory=list)
    retired: bool = False
    # When the version last stopped serving in each environment (to find the last good version),
    # and when it last started (to tell which version served at a past moment; empty in a
    # snapshot taken before it was kept).
    served_until: dict[str, datetime] = field(default_factory=dict)
    served_since: dict[str, datetime] = field(default_factory=dict)

    @property
    def rejected(self) -> bool:
        return bool(self.release_rejections)

    @property
    def distinct_approvers(self) -> set[str]:
        return {decision.principal for decision in self.release_approvals}


@dataclass
class TargetFields:
    """What a target says, declared once for the `Target` and the `TargetSet` event that sets it."""

    dimension: str
    metric: str
    comparator: str
    threshold: float
    window: str
    severity: str
    unit: str


@dataclass
class Target(TargetFields):
    """A production target: `metric comparator threshold` over a window, on one dimension."""

    set_by: str
    effective_at: datetime
    # Against flapping: a crossing counts only once it has lasted `min_duration_seconds`, and a
    # breach closes only once the value is back inside by `hysteresis` (in the metric's unit).
    hysteresis: float = 0.0
    min_duration_seconds: int = 0


@dataclass
class BreachFields:
    """What a breach is when opened, declared once for the `Breach` and the `BreachOpened` event."""

    breach_id: str
    version: int
    environment: str
    dimension: str
    metric: str
    observed_value: float
    target: dict[str, Any]


@dataclass
class Breach(BreachFields):
    """A target crossed by a version in an environment; open until `closed_at`."""

    opened_at: datetime
    closed_at: datetime | None = None
    closing_value: float | None = None


@dataclass
class BiasFlagFields:
    """What a bias flag is when raised, declared once for the `BiasFlag` and `BiasFlagRaised`."""

    flag_id: str
    version: int
    attribute: str
    metric: str
    value: float
    threshold: float


@dataclass
class BiasFlag(BiasFlagFields):
    """A fairness indicator beyond its threshold for a version; open until resolved."""

    raised_at: datetime
    raised_by: str
    evidence: dict[str, Any] = field(default_factory=dict)
    resolution: str = ""
    justification: str = ""
    resolved_by: str = ""
    resolved_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass
class CostReport:
    """Cost of running the model for one month and business unit."""

    period: str
    amount: Decimal
    currency: str
    business_unit: str
    version: int | None
    effective_at: datetime


@dataclass
class CostMonth:
    """One month's reported cost: the amounts by currency and business unit, and when the latest
    report of the month took effect (the budget in force then is the month's)."""

    period: str
    amounts: dict[str, dict[str, Decimal]]  # currency -> business unit -> amount
    latest_effective_at: datetime

    def added(self, report: CostReport) -> CostMonth:
        """The month with `report` counted: a new month sharing what the report does not change,
        this one as it was (a model's state is copy-on-write, domain/state.py)."""
        by_unit = dict(self.amounts.get(report.currency, {}))
        by_unit[report.business_unit] = (
            by_unit.get(report.business_unit, Decimal(0)) + report.amount
        )
        latest = max(self.latest_effective_at, report.effective_at)
        return CostMonth(self.period, {**self.amounts, report.currency: by_unit}, latest)

    def total(self, currency: str) -> Decimal:
        return sum(self.amounts.get(currency, {}).values(), Decimal(0))


def add_to_month(months: dict[str, CostMonth], report: CostReport) -> None:
    """Count a cost report in its month's totals (the month starts with its first report)."""
    month = months.get(report.period) or CostMonth(report.period, {}, report.effective_at)
    months[report.period] = month.added(report)


@dataclass
class ExternalAlias:
    """An alias another registry (MLflow) points at one of the model's versions, as last recorded."""

    source: str
    alias: str
    version: int
    external_version: str
    environment: str | None  # where the alias says the version serves; None: no environment
    set_at: datetime
    set_by: str


@dataclass
class LegalHold:
    """A legal hold on the model: nothing of its observations is dropped while it stands."""

    placed_at: datetime
    placed_by: str
    role: str
    reason: str
    matter: str = ""


STATE_TYPES: tuple[type, ...] = (
    Decision,
    Validation,
    Version,
    Target,
    Breach,
    BiasFlag,
    CostReport,
    CostMonth,
    ExternalAlias,
    SeriousIncident,
    Submission,
    LegalHold,
)
