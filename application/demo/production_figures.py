"""The demo's production figures: a few days of metrics as a monitoring pipeline would post them.

Latency stays within target everywhere; churn-predictor's AUC sinks over the last two days, so that
monitoring opens a critical accuracy breach and its game plan rolls production back to the
version before. Deterministic (a seeded generator), ending at `now`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from application.monitoring.observations import Observation

EVERY = timedelta(minutes=10)
POINTS = 720  # five days
SINKING = 250  # the last 41 hours of churn-predictor's AUC

# model, version serving in production, metric, typical value, spread
STREAMS = (
    ("credit-risk-scorer", "latency_p99_ms", 140.0, 25.0),
    ("support-ticket-router", "latency_p99_ms", 85.0, 15.0),
    ("churn-predictor", "latency_p99_ms", 95.0, 15.0),
    ("churn-predictor", "auc", 0.752, 0.008),
)


def demo_observations(now: datetime, active: dict[str, int]) -> list[Observation]:
    """Figures for the versions serving in production now (`active`: model -> version)."""
    generator = random.Random(7)
    observations = []
    for model, metric, typical, spread in STREAMS:
        if model not in active:
            continue
        for index in range(POINTS):
            value = typical + generator.uniform(-spread, spread)
            if metric == "auc" and index >= POINTS - SINKING:
                value -= 0.15  # a data drift the model does not survive
            observations.append(
                Observation(
                    model=model,
                    version=active[model],
                    environment="production",
                    metric=metric,
                    value=round(value, 4),
                    observed_at=now - EVERY * (POINTS - index),
                    sample_count=500 if metric == "auc" else None,
                )
            )
    return observations
