"""A model's state stays bounded while monitoring goes on: its snapshot does not grow with its
history (the figure at 100,000 events is bench/snapshot.py's)."""

from __future__ import annotations

from domain.commands import (
    Activate,
    CloseBreach,
    OpenBreach,
    RaiseBiasFlag,
    ReportCost,
    ResolveBiasFlag,
    SetTarget,
)
from domain.model import Model
from domain.record import monitoring_record
from domain.state import RECENTLY_CLOSED_KEPT
from tests.factories import by, later, new_model, ready_version, state_bytes


def _snapshot_bytes(model: Model) -> int:
    """The snapshot's state as the store encodes it (before encryption)."""
    return len(state_bytes(model) or b"")


def _monitored_model() -> Model:
    model = new_model("high")
    version = ready_version(model)
    model.activate(Activate(name=model.name, version=version, environment="production"), by("ops"))
    return model


def _monitor(model: Model, *, until: int) -> None:
    """Monitoring until the model has `until` events: a breach opened and closed, a bias flag
    raised and resolved, a month's cost (twelve months in turn), the accuracy target retuned."""
    while model.version < until:
        cycle = model.breaches_opened + 1
        at = later(cycle)
        breach = model.open_breach(
            OpenBreach(name=model.name, version=1, environment="production",
                       dimension="accuracy", metric="accuracy_metric", observed_value=2.0),
            by("policy", at=at),
        )  # fmt: skip
        model.close_breach(
            CloseBreach(name=model.name, breach_id=breach, observed_value=0.5), by("policy", at=at)
        )
        flag = model.raise_bias_flag(
            RaiseBiasFlag(name=model.name, version=1, attribute="age_band", metric="dpd_gap",
                          value=0.2, threshold=0.1),
            by("ds", at=at),
        )  # fmt: skip
        model.resolve_bias_flag(
            ResolveBiasFlag(name=model.name, flag_id=flag, resolution="accept_risk"),
            by("co", "within the fairness board's tolerance", at=at),
        )
        model.report_cost(
            ReportCost(name=model.name, period=f"2026-{cycle % 12 + 1:02d}", amount="120.50",
                       currency="EUR", business_unit="retail"),
            by("bo", at=at),
        )  # fmt: skip
        if cycle % 10 == 0:
            model.set_target(
                SetTarget(name=model.name, dimension="accuracy", metric="accuracy_metric",
                          comparator="<=", threshold=1.0 + cycle / 1000, severity="critical"),
                by("ds", at=at),
            )  # fmt: skip


def test_the_snapshot_stops_growing_once_what_monitoring_keeps_is_full() -> None:
    model = _monitored_model()
    sizes = {}
    for events in (200, 2_000, 4_000):
        _monitor(model, until=events)
        sizes[events] = _snapshot_bytes(model)
    # From 200 to 2,000 events the kept targets, closed breaches and resolved flags fill up...
    assert sizes[2_000] < 2 * sizes[200]
    # ...then twice the history is the same size (a few more digits in the counts).
    assert sizes[4_000] - sizes[2_000] < 100


def test_the_events_keep_every_breach_and_flag_the_state_no_longer_holds() -> None:
    model = _monitored_model()
    _monitor(model, until=1_000)
    record = monitoring_record(model.pending_events)
    assert len(record.breaches) == model.breaches_opened > RECENTLY_CLOSED_KEPT
    assert len(record.bias_flags) == model.bias_flags_raised > RECENTLY_CLOSED_KEPT
    assert len(model.breaches_recently_closed) == RECENTLY_CLOSED_KEPT
    kept = [breach.breach_id for breach in model.breaches_recently_closed]
    assert kept == list(record.breaches)[-RECENTLY_CLOSED_KEPT:]
    totals = sum(month.total("EUR") for month in model.cost_months.values())
    assert totals == sum(report.amount for report in record.cost_reports)
