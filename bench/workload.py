"""What the simplest benchmarks record: a benchmark model, attributions stamped now, the n-th
target change and a month's cost; built from the demo's history generator (application/demo/simulation.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from application.demo.simulation import STAKEHOLDERS, Attributions, person_in
from domain.commands import ReportCost
from domain.values import DIMENSIONS, Attribution

_attributions = Attributions(prefix="bench-")


def bench_by(role: str, *, at: datetime | None = None) -> Attribution:
    """The demo's person in `role`, effective `at` or now; a new correlation id each time, as a
    request to the service would carry."""
    return _attributions.by(person_in(role), at=at or datetime.now(UTC))


def registration(name: str, *, objective: str) -> dict[str, Any]:
    """A low-tier benchmark model: `register_model`'s arguments but `by`, and the body of
    `POST /v1/models`."""
    return {
        "name": name,
        "description": "Benchmark model",
        "owner": "Bench",
        "business_objective": objective,
        "risk_tier": "low",
        "stakeholders": STAKEHOLDERS,
    }


def target_change(n: int) -> dict[str, Any]:
    """The n-th TargetSet: the dimension cycles (so the model stays small), the threshold moves.
    `set_target`'s arguments but `by`, and the body of `POST /v1/models/{name}/targets`."""
    return {
        "dimension": DIMENSIONS[n % len(DIMENSIONS)],
        "metric": "latency_ms",
        "comparator": "<=",
        "threshold": float(n),
        "unit": "ms",
    }


def cost_report(
    name: str, *, period: str, amount: Decimal, business_unit: str, version: int | None = None
) -> ReportCost:
    """A month's cost in euros, as a business owner reports it."""
    return ReportCost(
        name=name,
        period=period,
        amount=amount,
        currency="EUR",
        business_unit=business_unit,
        version=version,
    )
