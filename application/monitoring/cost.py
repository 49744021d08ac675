"""Cost against budget: each month's reported cost judged against the cost targets, and showback.

A target on the cost dimension is a monthly budget (e.g. `monthly_cost_eur <= 12000`, unit EUR).
When a month's cost is reported, the month's total in the target's currency is judged against
the budget in force at the report's effective time: over budget opens a breach on the version
serving in production (or the version the report names), back under budget closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from application.monitoring.evaluation import Judgement, describe
from domain.events import CostReported
from domain.model import Model
from domain.values import satisfies


def month_total(model: Model, period: str, currency: str) -> Decimal:
    month = model.cost_months.get(period)
    return month.total(currency) if month else Decimal(0)


def judge_costs(model: Model, event: CostReported) -> list[Judgement]:
    """Breaches to open or close after a cost report, one per cost target it concerns.

    Only a report for the latest month reported judges: a late report for an earlier month
    neither opens nor closes a breach about the current one.
    """
    if any(period > event.period for period in model.cost_months):
        return []
    environments = model.policy.environments
    environment = "production" if "production" in environments else environments[-1]
    # The version that served that month (a cost entered late belongs to it, not to today's).
    version = model.version_serving_at(environment, event.effective_at, named=event.version)
    if version is None:
        return []
    open_keys = {(b.version, b.environment, b.dimension, b.metric) for b in model.open_breaches()}
    total = month_total(model, event.period, event.currency)
    judgements = []
    for target in sorted(model.targets.values(), key=lambda t: t.metric):
        if target.dimension != "cost" or target.unit not in ("", event.currency):
            continue
        in_force = model.target_in_force("cost", target.metric, at=event.effective_at)
        if in_force is None:
            continue
        within = satisfies(float(total), in_force.comparator, in_force.threshold)
        key = (version, environment, "cost", target.metric)
        if within == (key not in open_keys):
            continue
        note = (
            f"{event.period} cost {total} {event.currency} "
            f"{'meets' if within else 'fails'} the budget {describe(in_force)}"
        )
        judgements.append(
            Judgement("open" if not within else "close", *key, value=float(total),
                      at=event.effective_at, target=in_force, note=note,
                      correlation=f"cost:{event.period}")
        )  # fmt: skip
    return judgements


@dataclass(frozen=True)
class ShowbackLine:
    """One month's cost for one business unit, with the month's total and budget beside it."""

    period: str
    business_unit: str
    currency: str
    amount: Decimal
    month_total: Decimal
    budget: float | None  # the budget in force at the end of the latest report of the month

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and float(self.month_total) > self.budget


def showback(model: Model) -> list[ShowbackLine]:
    """Cost per month and business unit, oldest month first, with the month's budget."""
    amounts = {
        (month.period, unit, currency): amount
        for month in model.cost_months.values()
        for currency, by_unit in month.amounts.items()
        for unit, amount in by_unit.items()
    }
    lines = []
    for period, unit, currency in sorted(amounts):
        budgets = [
            t.threshold
            for t in (
                model.target_in_force(
                    "cost", target.metric, at=model.cost_months[period].latest_effective_at
                )
                for target in model.targets.values()
                if target.dimension == "cost" and target.unit in ("", currency)
            )
            if t is not None
        ]
        lines.append(
            ShowbackLine(
                period=period, business_unit=unit, currency=currency,
                amount=amounts[(period, unit, currency)],
                month_total=month_total(model, period, currency),
                budget=min(budgets) if budgets else None,
            )
        )  # fmt: skip
    return lines
