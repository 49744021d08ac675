"""Activation gates by risk tier: a refusal lists every unmet gate, and only those."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.commands import (
    Activate,
    ApproveRelease,
    ApproveTargets,
    ChangePolicy,
    RaiseBiasFlag,
    RecordValidation,
    RegisterVersion,
    RetireVersion,
    SetTarget,
    SignOff,
)
from domain.errors import ActivationRefusedError, EnvironmentNotAllowedError, InvalidValueError
from domain.model import Model
from domain.policy import GATES_BY_TIER, NO_OPEN_BIAS_FLAG
from domain.rules import activation_shortfalls
from domain.values import RISK_TIERS
from tests.factories import by, card, new_model, ready_version, set_targets_on_all_dimensions

EVIDENCE = (
    "ds_approval",
    "bo_approval",
    "validation",
    "targets",
    "targets_approved_ds",
    "targets_approved_bo",
    "signoff",
    "open_bias_flag",
)


def _record(model: Model, version: int, evidence: frozenset[str]) -> None:
    if "ds_approval" in evidence:
        model.approve_release(ApproveRelease(name=model.name, version=version), by("ds"))
    if "bo_approval" in evidence:
        model.approve_release(ApproveRelease(name=model.name, version=version), by("bo"))
    if "validation" in evidence:
        model.record_validation(
            RecordValidation(
                name=model.name,
                version=version,
                kind="ab_test",
                dataset="holdout",
                metrics={"auc": 0.8},
                passed=True,
            ),
            by("eng"),
        )
    if "targets" in evidence:
        set_targets_on_all_dimensions(model)
        if "targets_approved_ds" in evidence:
            model.approve_targets(
                ApproveTargets(name=model.name, revision=model.targets_revision), by("ds")
            )
        if "targets_approved_bo" in evidence:
            model.approve_targets(
                ApproveTargets(name=model.name, revision=model.targets_revision), by("bo")
            )
    if "signoff" in evidence:
        model.sign_off(SignOff(name=model.name, version=version), by("co"))
    if "open_bias_flag" in evidence:
        model.raise_bias_flag(
            RaiseBiasFlag(
                name=model.name,
                version=version,
                attribute="age",
                metric="dpd",
                value=0.3,
                threshold=0.1,
            ),
            by("ds"),
        )


def _expected_unmet(tier: str, evidence: frozenset[str]) -> set[str]:
    """The gates, worked out independently of the domain's own evaluation."""
    have = {
        "data_scientist_release_approval": "ds_approval" in evidence,
        "validation_evidence": "validation" in evidence,
        "targets_on_all_dimensions": "targets" in evidence,
        "targets_approved": {"targets", "targets_approved_ds", "targets_approved_bo"} <= evidence,
        "compliance_signoff": "signoff" in evidence,
        "distinct_approvers": {"ds_approval", "bo_approval"} <= evidence,
    }
    unmet = {gate for gate in GATES_BY_TIER[tier] if not have[gate]}
    if "open_bias_flag" in evidence:
        unmet.add(NO_OPEN_BIAS_FLAG)
    return unmet


@given(tier=st.sampled_from(RISK_TIERS), evidence=st.frozensets(st.sampled_from(EVIDENCE)))
def test_activation_is_refused_exactly_when_a_gate_is_unmet_and_names_every_one(
    tier: str, evidence: frozenset[str]
) -> None:
    model = new_model(tier)
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    _record(model, version, evidence)
    expected = _expected_unmet(tier, evidence)
    # What `modelgov gate` answers is exactly what the activation refuses for.
    shortfalls = activation_shortfalls(model, version=version, environment="production")
    assert {gate.gate for gate in shortfalls} == expected
    if expected:
        with pytest.raises(ActivationRefusedError) as refusal:
            model.activate(
                Activate(name=model.name, version=version, environment="production"), by("ops")
            )
        assert {gate.gate for gate in refusal.value.unmet_gates} == expected
        assert model.active == {}
    else:
        model.activate(
            Activate(name=model.name, version=version, environment="production"), by("ops")
        )
        assert model.active == {"production": version}


@pytest.mark.parametrize(
    ("tier", "gates"),
    [
        ("low", ["data_scientist_release_approval"]),
        (
            "medium",
            [
                "data_scientist_release_approval",
                "validation_evidence",
                "targets_on_all_dimensions",
                "targets_approved",
            ],
        ),
        (
            "high",
            [
                "data_scientist_release_approval",
                "validation_evidence",
                "targets_on_all_dimensions",
                "targets_approved",
                "compliance_signoff",
            ],
        ),
        (
            "regulated",
            [
                "data_scientist_release_approval",
                "validation_evidence",
                "targets_on_all_dimensions",
                "targets_approved",
                "compliance_signoff",
                "distinct_approvers",
            ],
        ),
    ],
)
def test_a_bare_version_is_refused_with_every_gate_of_its_tier(tier: str, gates: list[str]) -> None:
    model = new_model(tier)
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    with pytest.raises(ActivationRefusedError) as refusal:
        model.activate(
            Activate(name=model.name, version=version, environment="production"), by("ops")
        )
    assert [gate.gate for gate in refusal.value.unmet_gates] == gates
    assert all(gate.detail for gate in refusal.value.unmet_gates)


def test_changing_a_target_withdraws_the_target_approvals() -> None:
    model = new_model("medium")
    version = ready_version(model)
    model.set_target(
        SetTarget(
            name=model.name,
            dimension="accuracy",
            metric="auc",
            comparator=">=",
            threshold=0.9,
            window="moving_average:100",
            severity="critical",
        ),
        by("ds"),
    )
    with pytest.raises(ActivationRefusedError) as refusal:
        model.activate(
            Activate(name=model.name, version=version, environment="production"), by("ops")
        )
    assert [gate.gate for gate in refusal.value.unmet_gates] == ["targets_approved"]


def test_a_stricter_policy_applies_to_the_next_activation() -> None:
    model = new_model("low")
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    model.approve_release(ApproveRelease(name=model.name, version=version), by("ds"))
    model.activate(Activate(name=model.name, version=version, environment="staging"), by("ops"))
    model.change_policy(
        ChangePolicy(name=model.name, risk_tier="high", policy=None),
        by("co", "now feeds regulatory reports"),
    )
    with pytest.raises(ActivationRefusedError) as refusal:
        model.activate(
            Activate(name=model.name, version=version, environment="production"), by("ops")
        )
    assert "compliance_signoff" in {gate.gate for gate in refusal.value.unmet_gates}


def test_an_explicit_policy_adds_gates_and_environments_to_the_tier() -> None:
    model = new_model("low")
    model.change_policy(
        ChangePolicy(
            name=model.name,
            risk_tier="low",
            policy={
                "required_gates": ["data_scientist_release_approval", "compliance_signoff"],
                "environments": ["canary", "production"],
            },
        ),
        by("admin", "board decision 2026-07"),
    )
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    model.approve_release(ApproveRelease(name=model.name, version=version), by("ds"))
    with pytest.raises(ActivationRefusedError, match="compliance_signoff"):
        model.activate(Activate(name=model.name, version=version, environment="canary"), by("ops"))
    model.sign_off(SignOff(name=model.name, version=version), by("co"))
    model.activate(Activate(name=model.name, version=version, environment="canary"), by("ops"))
    assert model.active == {"canary": version}


def test_an_explicit_policy_cannot_drop_a_gate_of_its_tier() -> None:
    model = new_model("regulated")
    with pytest.raises(InvalidValueError, match="must keep the regulated tier's gates"):
        model.change_policy(
            ChangePolicy(name=model.name, risk_tier="regulated", policy={"required_gates": []}),
            by("admin", "speed up"),
        )
    assert model.policy.required_gates == list(GATES_BY_TIER["regulated"])


def test_the_gate_names_every_refusal_where_the_activation_stops_at_the_first() -> None:
    model = new_model("low")
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    model.retire_version(RetireVersion(name=model.name, version=version), by("eng", "superseded"))
    shortfalls = activation_shortfalls(model, version=version, environment="moon")
    assert [gate.gate for gate in shortfalls] == [
        "environment_allowed",
        "not_retired",
        "data_scientist_release_approval",
    ]
    assert all(gate.detail for gate in shortfalls)
    with pytest.raises(EnvironmentNotAllowedError, match="allows only"):
        model.activate(Activate(name=model.name, version=version, environment="moon"), by("ops"))
