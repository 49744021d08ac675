"""Portfolio compliance findings and exposure durations, on scripted histories with known answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.portfolio import UsageWindow, compliance_findings, exposure, incidents_of
from domain.commands import (
    Activate,
    ApproveRelease,
    ChangePolicy,
    Deactivate,
    RaiseBiasFlag,
    RegisterVersion,
    ResolveBiasFlag,
)
from domain.record import monitoring_record
from tests.factories import by, card, later, new_model


def test_a_stricter_policy_shows_an_active_version_missing_gates() -> None:
    model = new_model("low")
    version = model.register_version(
        RegisterVersion(name=model.name, card=card()), by("eng", at=later(1))
    )
    model.approve_release(ApproveRelease(name=model.name, version=version), by("ds", at=later(2)))
    model.activate(
        Activate(name=model.name, version=version, environment="production"), by("ops", at=later(3))
    )
    model.change_policy(
        ChangePolicy(name=model.name, risk_tier="high", policy=None),
        by("co", "regulator", at=later(4)),
    )
    findings = compliance_findings(model, now=later(5))
    assert [f["finding"] for f in findings] == ["active_version_missing_gates", "targets_missing"]
    assert "compliance_signoff" in findings[0]["gates"]
    assert findings[1]["dimensions"] == ["performance", "accuracy", "governance", "cost"]


def test_a_bias_flag_open_longer_than_the_policy_allows_is_overdue() -> None:
    model = new_model("low")
    version = model.register_version(
        RegisterVersion(name=model.name, card=card()), by("eng", at=later(1))
    )
    model.raise_bias_flag(
        RaiseBiasFlag(
            name=model.name,
            version=version,
            attribute="age",
            metric="dpd",
            value=0.3,
            threshold=0.1,
        ),
        by("ds", at=later(2)),
    )
    assert [f["finding"] for f in compliance_findings(model, now=later(2 + 24 * 14))] == [
        "targets_missing"
    ]
    overdue = compliance_findings(model, now=later(2 + 24 * 15))
    assert overdue[0]["finding"] == "bias_flag_overdue" and overdue[0]["flag_id"] == "BF-1"


def test_exposure_is_the_time_the_flagged_version_served_while_the_flag_was_open() -> None:
    model = new_model("low")
    version = model.register_version(
        RegisterVersion(name=model.name, card=card()), by("eng", at=later(1))
    )
    model.approve_release(ApproveRelease(name=model.name, version=version), by("ds", at=later(1)))
    model.activate(
        Activate(name=model.name, version=version, environment="production"), by("ops", at=later(2))
    )
    model.raise_bias_flag(
        RaiseBiasFlag(
            name=model.name,
            version=version,
            attribute="age",
            metric="dpd",
            value=0.3,
            threshold=0.1,
        ),
        by("ds", at=later(5)),
    )
    model.deactivate(
        Deactivate(name=model.name, version=version, environment="production"),
        by("ops", "flag", at=later(8)),
    )
    model.resolve_bias_flag(
        ResolveBiasFlag(name=model.name, flag_id="BF-1", resolution="retrain"),
        by("ds", "retrain", at=later(20)),
    )
    windows = [
        UsageWindow(version=1, environment="production", started_at=later(2), ended_at=later(8)),
        UsageWindow(version=1, environment="staging", started_at=later(0), ended_at=None),
    ]
    [flag] = exposure(incidents_of(monitoring_record(model.pending_events)), windows, now=later(30))
    assert flag["served_seconds"] == {
        "production": timedelta(hours=3).total_seconds(),  # 5h to 8h
        "staging": timedelta(hours=15).total_seconds(),  # 5h to 20h, still serving in staging
    }
    assert not flag["open"]


def test_an_active_version_without_figures_within_the_policy_window_is_a_finding() -> None:
    model = new_model("low")
    version = model.register_version(
        RegisterVersion(name=model.name, card=card()), by("eng", at=later(1))
    )
    model.approve_release(ApproveRelease(name=model.name, version=version), by("ds", at=later(1)))
    model.activate(
        Activate(name=model.name, version=version, environment="production"), by("ops", at=later(2))
    )
    assert model.policy.monitoring_window_hours == 24

    def findings(last: dict[tuple[int, str], datetime], hours: float) -> list[str]:
        found = compliance_findings(model, now=later(hours), last_observed=last)
        return [f["finding"] for f in found if f["finding"] == "no_monitoring_data"]

    assert findings({}, 3) == ["no_monitoring_data"]  # nothing ever observed
    assert findings({(1, "production"): later(10)}, 34) == []  # 24 h after the last figure
    assert findings({(1, "production"): later(10)}, 34.5) == ["no_monitoring_data"]
    assert findings({(1, "staging"): later(33)}, 34) == ["no_monitoring_data"]  # wrong place
    # Without observations to look at (a report built from events alone), no such finding.
    without = compliance_findings(model, now=later(100))
    assert "no_monitoring_data" not in [f["finding"] for f in without]
