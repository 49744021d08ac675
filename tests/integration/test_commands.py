"""Every command through the application, stored and read back, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from application.errors import (
    EffectiveTimeInFutureError,
    ModelAlreadyRegisteredError,
    ModelNotFoundError,
    ModelVersionOutOfRangeError,
    StaleVersionError,
)
from application.governance import Governance
from domain.commands import (
    Activate,
    ApproveRelease,
    ApproveTargets,
    ChangePolicy,
    CloseBreach,
    Deactivate,
    OpenBreach,
    RaiseBiasFlag,
    RecordValidation,
    RegisterVersion,
    RejectRelease,
    ReportCost,
    ResolveBiasFlag,
    RetireVersion,
    RollBack,
    SetTarget,
    SignOff,
)
from domain.errors import ActivationRefusedError
from tests.factories import by, card, later, record_of, seed_app_model


def test_a_full_lifecycle_is_stored_and_replays_to_the_same_state(app: Governance) -> None:
    v1 = seed_app_model(app, name="credit", tier="regulated")
    app.handle(
        ChangePolicy(name="credit", risk_tier="regulated", policy=None),
        by=by("co", "annual review"),
    )
    app.handle(
        RecordValidation(
            name="credit",
            version=v1,
            kind="ab_test",
            dataset="holdout",
            metrics={"auc": 0.82},
            passed=True,
        ),
        by=by("eng"),
    )
    for dimension in ("performance", "accuracy", "governance", "cost"):
        revision = app.handle(
            SetTarget(
                name="credit", dimension=dimension, metric="m", comparator="<=", threshold=1.0
            ),
            by=by("ds"),
        ).value
    app.handle(ApproveTargets(name="credit", revision=revision), by=by("ds"))
    app.handle(ApproveTargets(name="credit", revision=revision), by=by("bo"))
    app.handle(ApproveRelease(name="credit", version=v1), by=by("bo", "value case holds"))
    app.handle(SignOff(name="credit", version=v1), by=by("co", "review MR-1"))
    app.handle(Activate(name="credit", version=v1, environment="production"), by=by("ops"))
    v2 = app.handle(RegisterVersion(name="credit", card=card()), by=by("eng")).value
    app.handle(ApproveRelease(name="credit", version=v2), by=by("ds"))
    app.handle(ApproveRelease(name="credit", version=v2), by=by("bo"))
    app.handle(SignOff(name="credit", version=v2), by=by("co"))
    app.handle(
        RecordValidation(
            name="credit",
            version=v2,
            kind="ab_test",
            dataset="holdout",
            metrics={"auc": 0.85},
            passed=True,
            compared_to=v1,
        ),
        by=by("eng"),
    )
    app.handle(Activate(name="credit", version=v2, environment="production"), by=by("ops"))
    breach = app.handle(
        OpenBreach(
            name="credit",
            version=v2,
            environment="production",
            dimension="accuracy",
            metric="m",
            observed_value=3.0,
        ),
        by=by("itops"),
    ).value
    app.handle(
        RollBack(name="credit", environment="production", to_version=v1),
        by=by("ops", f"breach {breach}"),
    )
    app.handle(CloseBreach(name="credit", breach_id=breach, observed_value=0.5), by=by("itops"))
    flag = app.handle(
        RaiseBiasFlag(
            name="credit", version=v2, attribute="age", metric="dpd", value=0.2, threshold=0.1
        ),
        by=by("ds"),
    ).value
    app.handle(
        ResolveBiasFlag(name="credit", flag_id=flag, resolution="change_features"),
        by=by("ds", "drop age band"),
    )
    app.handle(
        ReportCost(
            name="credit",
            period="2026-10",
            amount="1234.50",
            currency="EUR",
            business_unit="Retail",
            version=v1,
        ),
        by=by("bo"),
    )
    v3 = app.handle(RegisterVersion(name="credit", card=card()), by=by("eng")).value
    app.handle(RejectRelease(name="credit", version=v3), by=by("co", "postcode proxy"))
    app.handle(
        Deactivate(name="credit", version=v1, environment="production"),
        by=by("ops", "decommission"),
    )
    app.handle(RetireVersion(name="credit", version=v2), by=by("eng", "superseded"))

    model = app.get_model("credit")
    assert model.active == {}
    assert [v.number for v in model.versions] == [1, 2, 3]
    assert model.versions[1].retired and model.versions[2].rejected
    assert not model.breach_is_open(breach)
    assert model.breach_by_id(breach).closed_at is not None
    assert model.bias_flag_by_id(flag).resolution == "change_features"
    record = record_of(app, "credit")
    assert record.breaches[breach].closed_at is not None
    assert record.bias_flags[flag].resolution == "change_features"
    assert record.cost_reports[0].amount == Decimal("1234.50")
    names = [type(e).__name__ for e in app.model_events("credit")]
    for expected in (
        "Registered",
        "PolicyChanged",
        "VersionRegistered",
        "ValidationRecorded",
        "TargetSet",
        "TargetsApproved",
        "ReleaseApproved",
        "ReleaseRejected",
        "ComplianceSignedOff",
        "VersionActivated",
        "VersionDeactivated",
        "RolledBack",
        "VersionRetired",
        "BreachOpened",
        "BreachClosed",
        "BiasFlagRaised",
        "BiasFlagResolved",
        "CostReported",
    ):
        assert expected in names, expected


def test_every_event_carries_its_attribution(app: Governance) -> None:
    seed_app_model(app)
    approval = next(e for e in app.model_events("churn") if type(e).__name__ == "ReleaseApproved")
    assert (approval.actor, approval.role, approval.reason) == (
        "ds",
        "data_scientist",
        "looks right",
    )
    assert approval.correlation_id.startswith("req-")
    assert approval.effective_at.tzinfo is not None and approval.timestamp.tzinfo is not None


def test_a_refused_command_records_nothing(app: Governance) -> None:
    seed_app_model(app, tier="high")
    before = app.get_model("churn").version
    with pytest.raises(ActivationRefusedError):
        app.handle(Activate(name="churn", version=1, environment="production"), by=by("ops"))
    assert app.get_model("churn").version == before


def test_a_name_registers_once(app: Governance) -> None:
    seed_app_model(app)
    with pytest.raises(ModelAlreadyRegisteredError, match="churn"):
        seed_app_model(app)


def test_an_unknown_model_is_reported_by_name(app: Governance) -> None:
    with pytest.raises(ModelNotFoundError, match="'nope'"):
        app.handle(ApproveRelease(name="nope", version=1), by=by("ds"))


def test_a_stale_expected_version_records_nothing(app: Governance) -> None:
    seed_app_model(app)
    current = app.get_model("churn").version
    with pytest.raises(StaleVersionError, match=f"at revision {current}, not {current - 1}"):
        app.handle(
            Activate(name="churn", version=1, environment="staging"),
            by=by("ops"),
            expected_revision=current - 1,
        )
    recorded = app.handle(
        Activate(name="churn", version=1, environment="staging"),
        by=by("ops"),
        expected_revision=current,
    )
    assert recorded.model_revision == current + 1


def test_registered_model_names_lists_every_model(app: Governance) -> None:
    for name in ("alpha", "beta", "gamma"):
        seed_app_model(app, name=name)
    assert app.registered_model_names() == ["alpha", "beta", "gamma"]


def test_the_model_as_of_a_version_known_time_and_effective_time(app: Governance) -> None:
    seed_app_model(app)  # events 1-3: registered, version registered, approved (effective T0)
    app.handle(
        Activate(name="churn", version=1, environment="production"), by=by("ops", at=later(2))
    )
    known_when_activated = app.get_model("churn").modified_on
    # Entered afterwards, but it happened at hour 3: a backdated deactivation.
    app.handle(
        Deactivate(name="churn", version=1, environment="production"),
        by=by("ops", "outage", at=later(3)),
    )

    assert app.get_model("churn", revision=1).versions == []
    assert app.get_model("churn", revision=4).active == {"production": 1}
    assert app.model_as_known_at("churn", known_when_activated).active == {"production": 1}
    assert app.model_as_effective_at("churn", later(2.5)).active == {"production": 1}
    assert app.model_as_effective_at("churn", later(3)).active == {}
    assert app.model_as_effective_at("churn", later(1)).active == {}
    with pytest.raises(ModelNotFoundError, match="not yet registered"):
        app.model_as_effective_at("churn", later(-24))


@pytest.mark.parametrize("version", [0, 5, 10**30])
def test_a_replay_beyond_the_models_versions_says_which_exist(
    app: Governance, version: int
) -> None:
    seed_app_model(app)
    with pytest.raises(ModelVersionOutOfRangeError, match="has revisions 1 to 3"):
        app.get_model("churn", revision=version)


def test_an_event_cannot_take_effect_in_the_future(app: Governance) -> None:
    seed_app_model(app)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(EffectiveTimeInFutureError, match="after the moment it is recorded"):
        app.handle(
            Activate(name="churn", version=1, environment="staging"), by=by("ops", at=tomorrow)
        )
    assert app.get_model("churn").version == 3
