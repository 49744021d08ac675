"""What the reports call out for a human look, judged on events built in memory (no store)."""

from __future__ import annotations

from typing import Any

import reports
from domain.commands import (
    Activate,
    ApproveRelease,
    ChangePolicy,
    OpenBreach,
    RaiseBiasFlag,
    RegisterVersion,
    ResolveBiasFlag,
    SetTarget,
)
from domain.events import Event as ModelEvent
from domain.model import Model
from reports import Integrity, build_model_report
from reports.findings import loosened, review_findings
from tests.factories import at_hours, card, registration

INTEGRITY = Integrity(tree_size=1, root="00" * 32, timestamp="2026-02-04T09:00:00+00:00",
                      key_id="k", signature="", verified=True)  # fmt: skip


def lived(*steps: Any) -> tuple[Model, list[ModelEvent]]:
    """A low-tier model with one version serving, targets set at hour 1, then `steps(model)`."""
    model = Model.register(registration("scorer", "low"), at_hours("eng", 0))
    model.set_target(
        SetTarget(
            name=model.name,
            dimension="accuracy",
            metric="auc",
            comparator=">=",
            threshold=0.8,
            severity="critical",
        ),
        at_hours("ds", 1),
    )
    model.register_version(RegisterVersion(name=model.name, card=card()), at_hours("eng", 2))
    model.approve_release(ApproveRelease(name=model.name, version=1), at_hours("ds", 3))
    model.activate(
        Activate(name=model.name, version=1, environment="production"), at_hours("ops", 4)
    )
    for step in steps:
        step(model)
    return model, list(model.collect_events())


def set_floor(threshold: float, hours: float) -> Any:
    return lambda m: m.set_target(
        SetTarget(
            name=m.name,
            dimension="accuracy",
            metric="auc",
            comparator=">=",
            threshold=threshold,
            severity="critical",
        ),
        at_hours("ds", hours),
    )


def breach(hours: float) -> Any:
    return lambda m: m.open_breach(
        OpenBreach(
            name=m.name,
            version=1,
            environment="production",
            dimension="accuracy",
            metric="auc",
            observed_value=0.5,
        ),
        at_hours("ops", hours),
    )


def kinds(events: list[ModelEvent], model: Model) -> list[str]:
    return [f["finding"] for f in review_findings(events, policy=model.policy)]


def test_a_lower_floor_is_loosened_a_higher_one_is_not() -> None:
    _, events = lived(set_floor(0.7, 10), set_floor(0.9, 11))
    changes = [e for e in events if isinstance(e, Model.TargetSet)]
    assert [loosened(e) for e in changes] == [False, True, False]


def test_a_breach_within_thirty_days_of_a_loosening_is_called_out_one_later_is_not() -> None:
    model, events = lived(set_floor(0.7, 10), breach(10 + 24 * 29))
    assert kinds(events, model) == ["threshold_loosened_before_breach"]
    model, events = lived(set_floor(0.7, 10), breach(10 + 24 * 31))
    assert kinds(events, model) == []


def test_a_bias_flag_resolved_other_than_by_retraining_is_called_out() -> None:
    def flag_and_resolve(resolution: str) -> Any:
        def step(m: Model) -> None:
            flag = m.raise_bias_flag(
                RaiseBiasFlag(
                    name=m.name, version=1, attribute="age", metric="dpd", value=0.2, threshold=0.1
                ),
                at_hours("ds", 20),
            )
            m.resolve_bias_flag(
                ResolveBiasFlag(name=m.name, flag_id=flag, resolution=resolution),
                at_hours("co", 21, "why"),
            )

        return step

    model, events = lived(flag_and_resolve("retrain"))
    assert kinds(events, model) == []
    model, events = lived(flag_and_resolve("change_features"))
    assert kinds(events, model) == ["bias_flag_resolved_without_retrain"]


def test_an_activation_with_fewer_approvers_than_the_current_policy_wants_is_called_out() -> None:
    model, events = lived()
    assert kinds(events, model) == []
    model, events = lived(
        lambda m: m.change_policy(
            ChangePolicy(name=m.name, risk_tier="regulated", policy=None),
            at_hours("admin", 30, "lending"),
        )
    )
    assert kinds(events, model) == ["activation_with_too_few_approvers"]


def test_an_approval_entered_days_after_it_was_given_is_called_out() -> None:
    model, events = lived(
        lambda m: m.approve_release(
            ApproveRelease(name=m.name, version=1), at_hours("bo", 5, "ok", recorded=80)
        )
    )
    (finding,) = review_findings(events, policy=model.policy)
    assert finding["finding"] == "backdated_approval"
    assert "effective 3 day(s) earlier" in finding["detail"]


def test_a_report_is_built_from_a_plain_list_of_events() -> None:
    _, events = lived(set_floor(0.7, 10), breach(12))
    document = build_model_report(events, integrity=INTEGRITY)
    assert document["breaches"][0]["target_in_force"]["threshold"] == 0.7
    assert document["usage"][0]["duration_seconds"] == (30 * 24 - 4) * 3600


def test_the_public_surface_is_what_all_says() -> None:
    assert len(set(reports.__all__)) == len(reports.__all__)
    assert all(hasattr(reports, name) for name in reports.__all__)
