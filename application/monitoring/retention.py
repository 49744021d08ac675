"""Which months of the stored observations a purge drops, model by model, and why each other is
kept: the model's policy and legal hold applied through the one rule (domain/retention.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from application.errors import ModelNotFoundError
from application.governance import Governance
from domain.instants import utc_text
from domain.model import Model
from domain.retention import MIN_LOG_MONTHS, kept_until, months_past_retention


@dataclass(frozen=True)
class StoredMonth:
    """A model's observations in one month (`YYYY-MM`, UTC): how many, and the last one's position."""

    model: str
    month: str
    observations: int
    last_position: int


@dataclass(frozen=True)
class MonthDecision:
    """What a purge does with a stored month: `drop`, or keep it for the reason `why`."""

    stored: StoredMonth
    drop: bool
    why: str
    retention_months: int


def retention_months_of(model: Model) -> int:
    """The months the model's observations are kept: its policy's, never under six."""
    return max(model.policy.observation_retention_months, MIN_LOG_MONTHS)


def may_drop(model: Model, month: str, *, now: datetime) -> bool:
    """Whether the month may go now, under the model's policy and hold as they stand."""
    return month in months_past_retention(
        [month],
        retention_months=retention_months_of(model),
        held=model.legal_hold is not None,
        now=now,
    )


def retention_plan(
    governance: Governance, stored: Iterable[StoredMonth], *, now: datetime, judged_up_to: int
) -> list[MonthDecision]:
    """A decision per stored month, by model then month. A month is dropped when the rule lets
    it go and monitoring has judged all of it (positions up to `judged_up_to`)."""
    by_model: dict[str, list[StoredMonth]] = defaultdict(list)
    for month in stored:
        by_model[month.model].append(month)
    decisions = []
    for name in sorted(by_model):
        months = sorted(by_model[name], key=lambda m: m.month)
        try:
            model = governance.get_model(name)
        except ModelNotFoundError:
            decisions += [MonthDecision(m, False, "no model of that name", 0) for m in months]
            continue
        decisions += _decide(model, months, now=now, judged_up_to=judged_up_to)
    return decisions


def _decide(
    model: Model, months: list[StoredMonth], *, now: datetime, judged_up_to: int
) -> list[MonthDecision]:
    retention = retention_months_of(model)
    hold = model.legal_hold
    past = set(
        months_past_retention(
            [m.month for m in months], retention_months=retention, held=hold is not None, now=now
        )
    )
    decisions = []
    for month in months:
        drop = False
        if hold is not None:
            matter = f", {hold.matter}" if hold.matter else ""
            why = f"under legal hold since {utc_text(hold.placed_at)} ({hold.placed_by}{matter})"
        elif month.month not in past:
            until = utc_text(kept_until(month.month, retention_months=retention))
            why = f"within {retention} months' retention until {until}"
        elif month.last_position > judged_up_to:
            why = "not yet judged by monitoring"
        else:
            drop, why = True, f"all of it past {retention} months' retention"
        decisions.append(MonthDecision(month, drop, why, retention))
    return decisions
