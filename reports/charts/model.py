"""A model's charts, from its audit report's document (targets with their in-force periods,
breaches) and its observations: one per monitored metric and environment, and cost by month."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from application.monitoring.cost import ShowbackLine
from reports.charts.cost import MonthCost, cost_chart
from reports.charts.metric import BreachPeriod, Chart, TargetPeriod, metric_chart

# Observed values per (environment, metric), oldest first.
Series = Mapping[tuple[str, str], Sequence[tuple[datetime, float]]]


def monitored_metrics(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(dimension, metric) of every target that is judged against observations (not cost)."""
    return sorted({(t["dimension"], t["metric"]) for t in report["targets"]
                   if t["dimension"] != "cost"})  # fmt: skip


def metric_charts(report: Mapping[str, Any], series: Series, *, now: datetime) -> list[Chart]:
    """A chart per monitored metric in each environment it was observed or breached in (one
    without an environment when neither), in the policy's order of environments."""
    order = list(report["model"]["policy"].get("environments", []))
    charts = []
    for dimension, metric in monitored_metrics(report):
        targets = [_period(t) for t in report["targets"]
                   if (t["dimension"], t["metric"]) == (dimension, metric)]  # fmt: skip
        breaches = [b for b in report["breaches"]
                    if (b["dimension"], b["metric"]) == (dimension, metric)]  # fmt: skip
        seen = {environment for environment, name in series if name == metric}
        seen |= {b["environment"] for b in breaches}
        environments: list[str | None] = sorted(
            seen, key=lambda e: (order.index(e) if e in order else len(order), e)
        )
        for environment in environments or [None]:
            charts.append(metric_chart(
                metric=metric, environment=environment,
                points=series.get((environment, metric), []) if environment else [],
                targets=targets,
                breaches=[_breach(b) for b in breaches if b["environment"] == environment],
                now=now,
            ))  # fmt: skip
    return charts


def cost_charts(showback: Sequence[ShowbackLine]) -> list[Chart]:
    """A chart per currency costs were reported in (usually one), from the showback lines."""
    months: dict[str, dict[str, MonthCost]] = {}
    for line in showback:
        months.setdefault(line.currency, {})[line.period] = MonthCost(
            period=line.period, total=Decimal(line.month_total), budget=line.budget
        )
    return [
        cost_chart(list(by_period.values()), currency=currency)
        for currency, by_period in sorted(months.items())
    ]


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _period(target: Mapping[str, Any]) -> TargetPeriod:
    start = _instant(target["in_force_from"])
    assert start is not None
    return TargetPeriod(
        comparator=target["comparator"], threshold=float(target["threshold"]), start=start,
        end=_instant(target["in_force_until"]), unit=target.get("unit") or "",
    )  # fmt: skip


def _breach(breach: Mapping[str, Any]) -> BreachPeriod:
    opened = _instant(breach["opened_at"])
    assert opened is not None
    return BreachPeriod(breach_id=breach["breach_id"], start=opened,
                        end=_instant(breach.get("closed_at")))  # fmt: skip
