"""The portfolio compliance report (worst first, with totals) and the change report for a period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from infrastructure.ledger.online import Ledger
from infrastructure.ledger.report_source import changes_report, portfolio_report
from reports.errors import ReportPeriodInvalidError
from tests.factories import later


def test_portfolio_lists_every_model_worst_findings_first_with_totals(ledger: Ledger) -> None:
    report = portfolio_report(ledger, as_of_head=None)
    rows = [(m["model"], m["status"], m["active"], [f["severity"] for f in m["findings"]])
            for m in report["models"]]  # fmt: skip
    assert rows == [
        ("scorer", "active", {"production": 1}, ["critical"]),
        ("router", "inactive", {}, ["medium"]),
        ("draft-model", "draft", {}, []),
    ]
    scorer = report["models"][0]
    assert scorer["exposure_seconds"] == 3600 + 10 * 3600
    assert len(scorer["review_findings"]) == 4
    assert report["totals"] == {
        "models": 3, "active_models": 1, "models_with_findings": 2, "findings": 2,
        "findings_by_severity": {"critical": 1, "medium": 1}, "review_findings": 4,
        "exposure_seconds": 11 * 3600,
    }  # fmt: skip


def test_change_report_lists_the_period_s_events_by_model_with_actors(ledger: Ledger) -> None:
    report = changes_report(ledger, since=later(50), until=later(72), as_of_head=None)
    (scorer,) = report["models"]
    assert [e["event"] for e in scorer["events"]] == [
        "VersionDeactivated", "VersionActivated", "TargetSet", "BreachOpened", "RolledBack",
    ]  # fmt: skip
    assert scorer["actors"] == [
        {"actor": "ds", "role": "data_scientist", "events": 1},
        {"actor": "itops", "role": "itops_engineer", "events": 1},
        {"actor": "ops", "role": "devops_engineer", "events": 3},
    ]
    assert report["totals"]["events"] == 5


def test_change_report_goes_by_effective_time_so_a_backdated_entry_lands_in_its_period(
    ledger: Ledger,
) -> None:
    report = changes_report(ledger, since=later(27), until=later(28), as_of_head=None)
    (entry,) = report["models"][0]["events"]
    assert (entry["event"], entry["backdated"]) == ("ReleaseApproved", True)
    assert report["totals"]["backdated"] == 1


def test_a_period_that_ends_before_it_starts_is_refused(ledger: Ledger) -> None:
    with pytest.raises(ReportPeriodInvalidError, match="swap since and until"):
        changes_report(
            ledger, since=later(10), until=later(10) - timedelta(seconds=1), as_of_head=None
        )
