"""The rules the model aggregate enforces, one behaviour per test."""

from __future__ import annotations

import pytest

from domain.commands import (
    Activate,
    ApproveRelease,
    ApproveTargets,
    ChangePolicy,
    CloseBreach,
    Deactivate,
    OpenBreach,
    RaiseBiasFlag,
    RegisterVersion,
    RejectRelease,
    ResolveBiasFlag,
    RetireVersion,
    RollBack,
    SetTarget,
    SignOff,
)
from domain.errors import (
    ActivationRefusedError,
    AlreadyDecidedError,
    BiasFlagAlreadyResolvedError,
    BreachAlreadyClosedError,
    BreachAlreadyOpenError,
    EnvironmentNotAllowedError,
    FourEyesError,
    InvalidValueError,
    NotActiveError,
    ReasonRequiredError,
    RollbackRefusedError,
    StaleTargetsRevisionError,
    TargetNotCrossedError,
    TargetNotFoundError,
    TargetStillCrossedError,
    VersionNotFoundError,
    VersionRejectedError,
    VersionRetiredError,
    VersionStillActiveError,
)
from domain.model import Model
from tests.factories import by, card, new_model, ready_version


def _event_names(model: Model) -> list[str]:
    return [type(event).__name__ for event in model.collect_events()]


def test_the_principal_who_registered_a_version_cannot_approve_its_release() -> None:
    model = new_model()
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("ds"))
    with pytest.raises(FourEyesError, match="another person must approve"):
        model.approve_release(ApproveRelease(name=model.name, version=version), by("ds"))


def test_four_eyes_ignores_the_case_of_the_principal_id() -> None:
    model = new_model()
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("ds"))
    with pytest.raises(FourEyesError):
        model.approve_release(
            ApproveRelease(name=model.name, version=version), by("DS", role="data_scientist")
        )


def test_the_same_principal_cannot_approve_a_release_twice() -> None:
    model = new_model()
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    model.approve_release(ApproveRelease(name=model.name, version=version), by("ds"))
    with pytest.raises(AlreadyDecidedError):
        model.approve_release(ApproveRelease(name=model.name, version=version), by("ds"))


def test_activating_a_second_version_records_the_first_ones_deactivation() -> None:
    model = new_model()
    first, second = ready_version(model), ready_version(model)
    model.activate(Activate(name=model.name, version=first, environment="production"), by("ops"))
    model.collect_events()
    model.activate(Activate(name=model.name, version=second, environment="production"), by("ops"))
    events = model.collect_events()
    assert [type(e).__name__ for e in events] == ["VersionDeactivated", "VersionActivated"]
    deactivated = events[0]
    assert isinstance(deactivated, Model.VersionDeactivated)
    assert (deactivated.version, deactivated.reason) == (first, f"superseded by version {second}")
    assert model.active == {"production": second}


def test_one_active_version_per_environment_but_environments_are_independent() -> None:
    model = new_model()
    first, second = ready_version(model), ready_version(model)
    model.activate(Activate(name=model.name, version=first, environment="production"), by("ops"))
    model.activate(Activate(name=model.name, version=second, environment="staging"), by("ops"))
    assert model.active == {"production": first, "staging": second}


def test_activating_the_already_active_version_records_nothing() -> None:
    model = new_model()
    version = ready_version(model)
    model.activate(Activate(name=model.name, version=version, environment="production"), by("ops"))
    model.collect_events()
    model.activate(Activate(name=model.name, version=version, environment="production"), by("ops"))
    assert model.collect_events() == []


def test_an_environment_the_policy_does_not_name_is_refused() -> None:
    model = new_model()
    version = ready_version(model)
    with pytest.raises(EnvironmentNotAllowedError, match="staging, production"):
        model.activate(Activate(name=model.name, version=version, environment="canary"), by("ops"))


def test_a_rejected_version_cannot_be_activated_even_with_every_gate_met() -> None:
    model = new_model()
    version = ready_version(model)
    model.reject_release(
        RejectRelease(name=model.name, version=version), by("co", "uses a proxy for ethnicity")
    )
    with pytest.raises(VersionRejectedError, match="rejected by co"):
        model.activate(
            Activate(name=model.name, version=version, environment="production"), by("ops")
        )


def test_a_retired_version_cannot_be_activated() -> None:
    model = new_model()
    version = ready_version(model)
    model.retire_version(RetireVersion(name=model.name, version=version), by("eng", "superseded"))
    with pytest.raises(VersionRetiredError):
        model.activate(
            Activate(name=model.name, version=version, environment="production"), by("ops")
        )


def test_an_active_version_cannot_be_retired_or_rejected() -> None:
    model = new_model()
    version = ready_version(model)
    model.activate(Activate(name=model.name, version=version, environment="production"), by("ops"))
    with pytest.raises(VersionStillActiveError, match="production"):
        model.retire_version(RetireVersion(name=model.name, version=version), by("eng", "old"))
    with pytest.raises(VersionStillActiveError):
        model.reject_release(
            RejectRelease(name=model.name, version=version), by("co", "late doubts")
        )


def test_a_version_with_an_open_bias_flag_cannot_be_activated() -> None:
    model = new_model()
    version = ready_version(model)
    flag = model.raise_bias_flag(
        RaiseBiasFlag(
            name=model.name,
            version=version,
            attribute="sex",
            metric="dir",
            value=0.6,
            threshold=0.8,
        ),
        by("ds"),
    )
    with pytest.raises(ActivationRefusedError, match=flag):
        model.activate(
            Activate(name=model.name, version=version, environment="production"), by("ops")
        )


def test_deactivating_needs_the_version_to_be_active_there() -> None:
    model = new_model()
    version = ready_version(model)
    with pytest.raises(NotActiveError, match="no version is"):
        model.deactivate(
            Deactivate(name=model.name, version=version, environment="production"),
            by("ops", "maintenance"),
        )
    model.activate(Activate(name=model.name, version=version, environment="production"), by("ops"))
    model.deactivate(
        Deactivate(name=model.name, version=version, environment="production"),
        by("ops", "maintenance"),
    )
    assert model.active == {}


def _two_served_versions(model: Model) -> tuple[int, int]:
    first, second = ready_version(model), ready_version(model)
    model.activate(Activate(name=model.name, version=first, environment="production"), by("ops"))
    model.activate(Activate(name=model.name, version=second, environment="production"), by("ops"))
    return first, second


def test_rolling_back_makes_the_earlier_version_active_again() -> None:
    model = new_model()
    first, second = _two_served_versions(model)
    model.roll_back(
        RollBack(name=model.name, environment="production", to_version=first),
        by("ops", "accuracy breach"),
    )
    assert model.active == {"production": first}
    rolled = model.collect_events()[-1]
    assert isinstance(rolled, Model.RolledBack)
    assert (rolled.from_version, rolled.to_version) == (second, first)


def test_rolling_back_to_a_version_never_active_in_that_environment_is_refused() -> None:
    model = new_model()
    first = ready_version(model)
    model.activate(Activate(name=model.name, version=first, environment="staging"), by("ops"))
    second = ready_version(model)
    model.activate(Activate(name=model.name, version=second, environment="production"), by("ops"))
    with pytest.raises(RollbackRefusedError, match="never active in production"):
        model.roll_back(
            RollBack(name=model.name, environment="production", to_version=first),
            by("ops", "breach"),
        )


def test_rolling_back_to_a_retired_flagged_or_unapproved_version_names_each_problem() -> None:
    model = new_model()
    first, second = _two_served_versions(model)
    model.raise_bias_flag(
        RaiseBiasFlag(
            name=model.name, version=first, attribute="age", metric="dpd", value=0.2, threshold=0.1
        ),
        by("ds"),
    )
    model.retire_version(RetireVersion(name=model.name, version=first), by("eng", "old"))
    with pytest.raises(RollbackRefusedError) as refusal:
        model.roll_back(
            RollBack(name=model.name, environment="production", to_version=first),
            by("ops", "breach"),
        )
    assert "retired" in str(refusal.value)
    assert "open bias flag" in str(refusal.value)
    assert model.active == {"production": second}


def test_rolling_back_needs_the_approvals_the_current_policy_asks_for() -> None:
    model = new_model("low")
    first = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    model.approve_release(ApproveRelease(name=model.name, version=first), by("ds"))
    second = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    model.approve_release(ApproveRelease(name=model.name, version=second), by("ds"))
    model.activate(Activate(name=model.name, version=first, environment="production"), by("ops"))
    model.activate(Activate(name=model.name, version=second, environment="production"), by("ops"))
    model.change_policy(
        ChangePolicy(name=model.name, risk_tier="high", policy=None),
        by("co", "now feeds regulators"),
    )
    with pytest.raises(RollbackRefusedError, match="no compliance officer sign-off"):
        model.roll_back(
            RollBack(name=model.name, environment="production", to_version=first),
            by("ops", "breach"),
        )
    model.sign_off(SignOff(name=model.name, version=first), by("co"))
    model.roll_back(
        RollBack(name=model.name, environment="production", to_version=first), by("ops", "breach")
    )
    assert model.active == {"production": first}


def test_rolling_back_with_nothing_active_is_refused() -> None:
    model = new_model()
    first = ready_version(model)
    model.activate(Activate(name=model.name, version=first, environment="production"), by("ops"))
    model.deactivate(
        Deactivate(name=model.name, version=first, environment="production"), by("ops", "incident")
    )
    with pytest.raises(NotActiveError):
        model.roll_back(
            RollBack(name=model.name, environment="production", to_version=first),
            by("ops", "breach"),
        )


def test_a_bias_flag_is_resolved_once_with_a_decision_and_a_justification() -> None:
    model = new_model()
    version = ready_version(model)
    flag = model.raise_bias_flag(
        RaiseBiasFlag(
            name=model.name,
            version=version,
            attribute="age",
            metric="dpd",
            value=0.2,
            threshold=0.1,
        ),
        by("ds"),
    )
    with pytest.raises(ReasonRequiredError):
        model.resolve_bias_flag(
            ResolveBiasFlag(name=model.name, flag_id=flag, resolution="accept_risk"), by("ds")
        )
    with pytest.raises(InvalidValueError, match="resolution"):
        model.resolve_bias_flag(
            ResolveBiasFlag(name=model.name, flag_id=flag, resolution="ignore"), by("ds", "because")
        )
    model.resolve_bias_flag(
        ResolveBiasFlag(name=model.name, flag_id=flag, resolution="retrain"),
        by("ds", "retrain without age"),
    )
    assert model.bias_flag_by_id(flag).justification == "retrain without age"
    with pytest.raises(BiasFlagAlreadyResolvedError, match="retrain"):
        model.resolve_bias_flag(
            ResolveBiasFlag(name=model.name, flag_id=flag, resolution="accept_risk"),
            by("co", "accepted"),
        )


def _serving(model: Model) -> int:
    version = ready_version(model)  # targets: <dimension>_metric <= 1.0 on every dimension
    model.activate(Activate(name=model.name, version=version, environment="production"), by("ops"))
    return version


def test_a_breach_opens_only_for_a_value_that_fails_the_target_in_force() -> None:
    model = new_model()
    version = _serving(model)
    with pytest.raises(TargetNotFoundError):
        model.open_breach(
            OpenBreach(
                name=model.name,
                version=version,
                environment="production",
                dimension="accuracy",
                metric="auc",
                observed_value=0.5,
            ),
            by("ops"),
        )
    with pytest.raises(TargetNotCrossedError, match="meets the target"):
        model.open_breach(
            OpenBreach(
                name=model.name,
                version=version,
                environment="production",
                dimension="accuracy",
                metric="accuracy_metric",
                observed_value=0.9,
            ),
            by("ops"),
        )
    breach = model.open_breach(
        OpenBreach(
            name=model.name,
            version=version,
            environment="production",
            dimension="accuracy",
            metric="accuracy_metric",
            observed_value=1.7,
        ),
        by("ops"),
    )
    assert model.breach_by_id(breach).target["threshold"] == 1.0
    with pytest.raises(BreachAlreadyOpenError):
        model.open_breach(
            OpenBreach(
                name=model.name,
                version=version,
                environment="production",
                dimension="accuracy",
                metric="accuracy_metric",
                observed_value=1.9,
            ),
            by("ops"),
        )


def test_a_breach_opens_only_where_the_version_has_served() -> None:
    model = new_model()
    version = _serving(model)
    with pytest.raises(NotActiveError, match="never served in staging"):
        model.open_breach(
            OpenBreach(
                name=model.name,
                version=version,
                environment="staging",
                dimension="accuracy",
                metric="accuracy_metric",
                observed_value=1.7,
            ),
            by("ops"),
        )


def test_a_breach_closes_once_and_only_when_the_value_meets_the_target() -> None:
    model = new_model()
    version = _serving(model)
    breach = model.open_breach(
        OpenBreach(
            name=model.name,
            version=version,
            environment="production",
            dimension="cost",
            metric="cost_metric",
            observed_value=3.0,
        ),
        by("ops"),
    )
    with pytest.raises(TargetStillCrossedError, match="stays open"):
        model.close_breach(
            CloseBreach(name=model.name, breach_id=breach, observed_value=1.5), by("ops")
        )
    model.close_breach(
        CloseBreach(name=model.name, breach_id=breach, observed_value=0.9), by("ops")
    )
    assert model.breach_by_id(breach).closing_value == 0.9
    with pytest.raises(BreachAlreadyClosedError):
        model.close_breach(
            CloseBreach(name=model.name, breach_id=breach, observed_value=0.8), by("ops")
        )


def test_changing_a_target_keeps_the_previous_one_in_the_event() -> None:
    model = new_model()
    model.set_target(
        SetTarget(
            name=model.name,
            dimension="accuracy",
            metric="auc",
            comparator=">=",
            threshold=0.8,
            severity="critical",
        ),
        by("ds"),
    )
    model.set_target(
        SetTarget(
            name=model.name,
            dimension="accuracy",
            metric="auc",
            comparator=">=",
            threshold=0.75,
            severity="critical",
        ),
        by("bo"),
    )
    changed = model.collect_events()[-1]
    assert isinstance(changed, Model.TargetSet)
    assert changed.previous is not None
    assert (changed.previous["threshold"], changed.previous["set_by"]) == (0.8, "ds")
    assert changed.threshold == 0.75


def test_approving_a_stale_targets_revision_is_refused() -> None:
    model = new_model()
    model.set_target(
        SetTarget(
            name=model.name,
            dimension="cost",
            metric="eur",
            comparator="<=",
            threshold=10.0,
            severity="info",
            unit="EUR",
        ),
        by("ds"),
    )
    with pytest.raises(StaleTargetsRevisionError, match="revision 1, not 0"):
        model.approve_targets(ApproveTargets(name=model.name, revision=0), by("bo"))


def test_human_decisions_need_a_reason() -> None:
    model = new_model()
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    with pytest.raises(ReasonRequiredError, match="reject release needs a reason"):
        model.reject_release(RejectRelease(name=model.name, version=version), by("co"))


def test_unknown_versions_are_named_in_the_error() -> None:
    model = new_model()
    with pytest.raises(VersionNotFoundError, match="no version 7"):
        model.approve_release(ApproveRelease(name=model.name, version=7), by("ds"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("artifact_sha256", "not-a-digest"),
        ("features", []),
        ("documentation_url", ""),
        ("provenance", {"git_commit": "ZZZ"}),
    ],
)
def test_a_malformed_model_card_is_refused_naming_the_field(field: str, value: object) -> None:
    model = new_model()
    with pytest.raises(InvalidValueError, match=f"card.{field}"):
        model.register_version(
            RegisterVersion(name=model.name, card=card(**{field: value})), by("eng")
        )
    assert _event_names(model) == ["Registered"]
