"""What the simplest benchmarks record: a benchmark model, attributions stamped now, and the n-th
target change; built from the demo's history generator (application/demo/simulation.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from application.demo.simulation import STAKEHOLDERS, Attributions, person_in
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
