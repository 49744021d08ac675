"""The model audit report of a scripted history: every section present, with the known answers."""

from __future__ import annotations

from typing import Any

import pytest

from application.errors import ModelNotFoundError
from infrastructure.ledger.online import Ledger
from infrastructure.ledger.report_source import model_report
from tests.factories import later


@pytest.fixture
def report(ledger: Ledger) -> dict[str, Any]:
    return model_report(ledger, "scorer", as_of_head=None)


def iso(hours: float) -> str:
    """As the report writes an instant: UTC, with `Z` (T0 is in UTC, on whole seconds)."""
    return f"{later(hours):%Y-%m-%dT%H:%M:%S}Z"


def test_identity_and_current_policy(report: dict[str, Any]) -> None:
    model = report["model"]
    assert (model["name"], model["risk_tier"], model["status"]) == ("scorer", "regulated", "active")
    assert (model["owner"], model["business_objective"]) == ("Retail", "Keep customers")
    assert model["active"] == {"production": 1}
    assert model["policy"]["min_distinct_approvers"] == 2


def test_each_version_has_its_card_provenance_and_evidence(report: dict[str, Any]) -> None:
    v1, v2 = report["versions"]
    assert (v1["status"], v2["status"]) == ("active", "registered")
    assert v2["card"]["artifact_sha256"] == "02" * 32
    assert v1["card"]["features"] == ["tenure", "balance"]
    assert v1["card"]["assumptions"] == ["stable customer mix"]
    assert v1["provenance"] == {
        "git_commit": "abc1234",
        "pull_request": "PR-7",
        "pipeline_run": "run-9",
    }
    assert [val["passed"] for val in v1["validations"]] == [True]


def test_approvals_matrix_says_who_approved_what_in_which_role_and_marks_the_backdated_one(
    report: dict[str, Any],
) -> None:
    rows = [(a["decision"], a["subject"], a["principal"], a["role"], a["backdated"])
            for a in report["approvals"]]  # fmt: skip
    assert rows == [
        ("targets approval", "targets revision 4", "ds", "data_scientist", False),
        ("targets approval", "targets revision 4", "bo", "business_owner", False),
        ("release approval", "version 1", "ds", "data_scientist", False),
        ("release approval", "version 2", "ds", "data_scientist", False),
        ("release approval", "version 2", "bo", "business_owner", True),
    ]
    assert report["approvals"][-1]["effective_at"] == iso(27)
    assert report["approvals"][-1]["recorded_at"] == iso(50)


def test_activations_show_the_gates_and_approvers_as_they_stood_then(
    report: dict[str, Any],
) -> None:
    first, second = report["activations"]
    assert (first["version"], first["risk_tier"], first["distinct_approvers"]) == (1, "medium", 1)
    assert (second["version"], second["distinct_approvers"]) == (2, 2)
    assert all(gate["met"] for gate in first["gates"])
    assert [g["gate"] for g in first["gates"]] == [
        "data_scientist_release_approval", "validation_evidence", "targets_on_all_dimensions",
        "targets_approved", "no_open_bias_flag",
    ]  # fmt: skip


def test_usage_windows_per_environment_with_who_ended_them_and_why(report: dict[str, Any]) -> None:
    windows = [
        (w["version"], w["started_at"], w["ended_at"], w["end_reason"]) for w in report["usage"]
    ]
    assert windows == [
        (1, iso(6), iso(51), "superseded by version 2"),
        (2, iso(51), iso(71), "rolled back to version 1: accuracy breach B-1"),
        (1, iso(71), None, ""),
    ]
    assert report["usage"][-1]["duration_seconds"] == (30 * 24 - 71) * 3600


def test_target_history_marks_the_loosened_floor_and_the_breach_is_judged_against_it(
    report: dict[str, Any],
) -> None:
    auc = [(t["threshold"], t["in_force_from"], t["in_force_until"], t["change"])
           for t in report["targets"] if t["metric"] == "auc"]  # fmt: skip
    assert auc == [(0.8, iso(1), iso(60), "new"), (0.75, iso(60), None, "loosened")]
    (breach,) = report["breaches"]
    assert breach["target_in_force"]["threshold"] == 0.75
    assert breach["crossed_target_in_force"] is True
    assert (breach["duration_seconds"], breach["served_seconds"]) == (
        10 * 3600,
        {"production": 3600.0},
    )


def test_bias_flag_with_resolution_justification_duration_and_exposure(
    report: dict[str, Any],
) -> None:
    (flag,) = report["bias_flags"]
    assert (flag["resolution"], flag["justification"], flag["resolved_by"]) == (
        "accept_risk", "impact immaterial", "co",
    )  # fmt: skip
    assert flag["open_seconds"] == 10 * 3600
    assert flag["served_seconds"] == {"production": 10 * 3600.0}


def test_rollbacks_with_reasons_and_costs_against_budget_and_value(report: dict[str, Any]) -> None:
    assert [(r["from_version"], r["to_version"], r["reason"]) for r in report["rollbacks"]] == [
        (2, 1, "accuracy breach B-1")
    ]
    costs = report["costs"]
    assert costs["stated_value"] == "Keep customers"
    assert costs["budget"]["threshold"] == 1000.0
    assert [(c["period"], c["amount"], c["within_budget"]) for c in costs["reports"]] == [
        ("2025-12", "800.00", True), ("2026-01", "1200.00", False),
    ]  # fmt: skip
    assert costs["totals"] == [{"currency": "EUR", "amount": "2000.00"}]


def test_findings_that_need_a_human_look_are_called_out(report: dict[str, Any]) -> None:
    found = [(f["finding"], f["effective_at"]) for f in report["review_findings"]]
    assert found == [
        ("activation_with_too_few_approvers", iso(6)),
        ("backdated_approval", iso(27)),
        ("threshold_loosened_before_breach", iso(60)),
        ("bias_flag_resolved_without_retrain", iso(100)),
    ]


def test_open_compliance_findings_under_the_current_policy(report: dict[str, Any]) -> None:
    (finding,) = report["compliance_findings"]
    assert finding["finding"] == "active_version_missing_gates"
    assert finding["gates"] == ["targets_approved", "compliance_signoff", "distinct_approvers"]


def test_timeline_has_every_event_with_both_times(report: dict[str, Any]) -> None:
    timeline = report["timeline"]
    assert [e["model_revision"] for e in timeline] == list(range(1, 27))
    assert [e["model_revision"] for e in timeline if e["backdated"]] == [15]
    assert all(e["model_version"] == e["model_revision"] for e in timeline)  # old name, one release
    assert timeline[14]["effective_at"] == iso(27) and timeline[14]["recorded_at"] == iso(50)


def test_integrity_names_the_head_and_says_verification_passed(report: dict[str, Any]) -> None:
    integrity = report["integrity"]
    assert integrity["tree_size"] == 26 + 3 + 1  # scorer, router, draft-model
    assert integrity["timestamp"] == "2026-02-04T09:00:00.000Z"  # as signed: UTC, with `Z`
    assert integrity["verified"] is True and integrity["problems"] == []


def test_an_unknown_model_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(ModelNotFoundError, match="no model named 'nope'"):
        model_report(ledger, "nope", as_of_head=None)
