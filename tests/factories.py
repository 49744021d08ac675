"""Builders for test data: attributions, model cards, and models brought to a given point of their life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from application.demo.simulation import Attributions, production_targets
from application.governance import Governance
from application.transcodings import register_state_transcodings
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
    RegisterModel,
    RegisterVersion,
    ReportCost,
    ResolveBiasFlag,
    RollBack,
    SetTarget,
    SignOff,
)
from domain.model import Model
from domain.record import MonitoringRecord, monitoring_record
from domain.values import DIMENSIONS, Attribution

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

ROLE_OF = {
    "eng": "ml_engineer",
    "eng2": "ml_engineer",
    "ds": "data_scientist",
    "ds2": "data_scientist",
    "bo": "business_owner",
    "co": "compliance_officer",
    "ops": "devops_engineer",
    "itops": "itops_engineer",
    "de": "data_engineer",
    "admin": "admin",
    "val": "validator",
    "val2": "validator",
    "auditor": "auditor",
    "policy": "policy",
}
_attributions = Attributions(ROLE_OF, prefix="req-")


def by(
    principal: str, reason: str = "", *, role: str | None = None, at: datetime = T0
) -> Attribution:
    return _attributions.by(principal, reason, at=at, role=role)


def card(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "artifact_uri": "s3://models/churn/model.onnx",
        "artifact_sha256": "ab" * 32,
        "features": ["tenure", "balance"],
        "labels": ["churned"],
        "training_data": ["warehouse://churn/2026-01"],
        "assumptions": ["stable customer mix"],
        "documentation_url": "https://wiki.example/churn",
        "provenance": {"git_commit": "abc1234", "pull_request": "PR-7", "pipeline_run": "run-9"},
    }
    base.update(overrides)
    return base


def registration(name: str, tier: str) -> RegisterModel:
    """The command that registers a model named `name` in `tier` (an engineer sends it: `by("eng")`)."""
    return RegisterModel(
        name=name,
        description="Predicts churn",
        owner="Retail",
        business_objective="Keep customers",
        risk_tier=tier,
        stakeholders=[
            {"name": "Ann Lee", "email": "ann.lee@bank.example", "role": "business_owner"}
        ],
    )


def new_model(tier: str = "low", name: str = "churn") -> Model:
    return Model.register(registration(name, tier), by("eng"))


def satisfy_all_gates(model: Model, version: int) -> None:
    """Record everything the strictest (regulated) default policy asks of a version."""
    model.approve_release(
        ApproveRelease(name=model.name, version=version), by("ds", "evidence reviewed")
    )
    model.approve_release(
        ApproveRelease(name=model.name, version=version), by("bo", "value case holds")
    )
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
    set_targets_on_all_dimensions(model)
    model.approve_targets(
        ApproveTargets(name=model.name, revision=model.targets_revision), by("ds")
    )
    model.approve_targets(
        ApproveTargets(name=model.name, revision=model.targets_revision), by("bo")
    )
    model.sign_off(SignOff(name=model.name, version=version), by("co", "model risk review passed"))


def set_targets_on_all_dimensions(model: Model) -> None:
    for dimension in DIMENSIONS:
        model.set_target(
            SetTarget(
                name=model.name,
                dimension=dimension,
                metric=f"{dimension}_metric",
                comparator="<=",
                threshold=1.0,
                severity="critical",
            ),
            by("ds"),
        )


def ready_version(model: Model) -> int:
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    satisfy_all_gates(model, version)
    return version


def seed_app_model(app: Governance, *, name: str = "churn", tier: str = "low") -> int:
    """Register a model through the application with one approved version; returns the version."""
    app.handle(registration(name, tier), by=by("eng"))
    version = app.handle(RegisterVersion(name=name, card=card()), by=by("eng")).value
    app.handle(ApproveRelease(name=name, version=version), by=by("ds", "looks right"))
    return version


def record_of(app: Governance, name: str = "churn") -> MonitoringRecord:
    """Every breach, bias flag and cost report of a stored model, folded from its events."""
    return monitoring_record(app.model_events(name))


def later(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def as_an_earlier_release_wrote_it(
    principal: str, reason: str = "", *, at: datetime
) -> Attribution:
    """An attribution whose effective_at keeps the caller's offset, as events recorded before
    input was turned into UTC at the edge hold it (Attribution now converts it)."""
    attribution = by(principal, reason, at=at)
    object.__setattr__(attribution, "effective_at", at)
    return attribution


def offset_history(app: Governance) -> None:
    """`churn`, partly as an earlier release stored it: v1 enters staging at 15:00+05:00 (10:00Z)
    and leaves at 04:00-08:00 (12:00Z); v2 enters production at 11:00Z. As the text stored
    then, 11:00+00:00 sorts before 15:00+05:00."""
    plus_5, minus_8 = timezone(timedelta(hours=5)), timezone(timedelta(hours=-8))
    seed_app_model(app)  # registered, version 1 registered and approved at T0 (09:00Z)
    second = app.handle(RegisterVersion(name="churn", card=card()), by=by("eng")).value
    app.handle(ApproveRelease(name="churn", version=second), by=by("ds"))
    app.handle(
        Activate(name="churn", version=1, environment="staging"),
        by=as_an_earlier_release_wrote_it("ops", at=datetime(2026, 1, 5, 15, tzinfo=plus_5)),
    )
    app.handle(
        Activate(name="churn", version=second, environment="production"),
        by=by("ops", at=datetime(2026, 1, 5, 11, tzinfo=UTC)),
    )
    app.handle(
        Deactivate(name="churn", version=1, environment="staging"),
        by=as_an_earlier_release_wrote_it(
            "ops", "staging done", at=datetime(2026, 1, 5, 4, tzinfo=minus_8)
        ),
    )


def at_hours(
    principal: str, hours: float, reason: str = "", *, recorded: float | None = None
) -> Attribution:
    """`by(principal)` effective `hours` after T0 and recorded then (or at `recorded` hours: backdated)."""
    return _attributions.by(
        principal,
        reason,
        at=later(hours),
        recorded_at=later(hours if recorded is None else recorded),
    )


def audited_history(app: Governance, *, name: str = "scorer") -> None:
    """A medium-tier model's first 120 hours with one of everything an audit report shows.

    v1 goes live with one approver; v2 (one approval entered a day late) replaces it; the accuracy
    floor is loosened 10 hours before v2 breaches it; production rolls back to v1; a bias flag on v1
    is accepted rather than retrained; two months' costs (one over budget); then the model is moved
    to the regulated tier, whose policy wants two distinct approvers.
    """
    h = at_hours
    app.handle(registration(name, "medium"), by=h("eng", 0))
    for target in production_targets(cost_ceiling=1000.0, window="last", severity="critical"):
        app.handle(SetTarget(name=name, **target), by=h("ds", 1, "targets"))
    app.handle(ApproveTargets(name=name, revision=4), by=h("ds", 2, "targets reviewed"))
    app.handle(ApproveTargets(name=name, revision=4), by=h("bo", 2, "value case holds"))
    for version, start in ((1, 3), (2, 24)):
        app.handle(
            RegisterVersion(name=name, card=card(artifact_sha256=f"{version:02d}" * 32)),
            by=h("eng", start),
        )
        app.handle(
            RecordValidation(
                name=name,
                version=version,
                kind="ab_test",
                dataset="holdout",
                metrics={"auc": 0.82},
                passed=True,
            ),
            by=h("eng", start + 1),
        )
        app.handle(
            ApproveRelease(name=name, version=version), by=h("ds", start + 2, "evidence reviewed")
        )
    app.handle(Activate(name=name, version=1, environment="production"), by=h("ops", 6))
    app.handle(
        ApproveRelease(name=name, version=2), by=h("bo", 27, "agreed in the review", recorded=50)
    )
    app.handle(Activate(name=name, version=2, environment="production"), by=h("ops", 51))
    app.handle(
        SetTarget(
            name=name,
            dimension="accuracy",
            metric="auc",
            comparator=">=",
            threshold=0.75,
            severity="critical",
        ),
        by=h("ds", 60, "seasonal dip expected"),
    )
    app.handle(
        OpenBreach(
            name=name,
            version=2,
            environment="production",
            dimension="accuracy",
            metric="auc",
            observed_value=0.7,
        ),
        by=h("itops", 70),
    )
    app.handle(
        RollBack(name=name, environment="production", to_version=1),
        by=h("ops", 71, "accuracy breach B-1"),
    )
    app.handle(CloseBreach(name=name, breach_id="B-1", observed_value=0.78), by=h("itops", 80))
    app.handle(
        RaiseBiasFlag(
            name=name, version=1, attribute="age", metric="dpd", value=0.15, threshold=0.1
        ),
        by=h("ds", 90),
    )
    app.handle(
        ResolveBiasFlag(name=name, flag_id="BF-1", resolution="accept_risk"),
        by=h("co", 100, "impact immaterial"),
    )
    for period, amount, hours in (("2026-01", "1200.00", 110), ("2025-12", "800.00", 111)):
        app.handle(
            ReportCost(
                name=name, period=period, amount=amount, currency="EUR", business_unit="Retail"
            ),
            by=h("bo", hours),
        )
    app.handle(
        ChangePolicy(name=name, risk_tier="regulated", policy=None),
        by=h("admin", 120, "lending decisions"),
    )


_state_transcoder = JSONTranscoder()
for _transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
    _state_transcoder.register(_transcoding)
register_state_transcodings(_state_transcoder)


def state_bytes(model: Model | None) -> bytes | None:
    """Everything a model holds, every entry to its last field, as a snapshot encodes it (before
    encryption); None for no model."""
    return None if model is None else _state_transcoder.encode(Snapshot.take(model).state)


def cost_report(amount: str, name: str = "churn") -> ReportCost:
    """A month's cost for `name` (any number of them: costs are not checked against each other)."""
    return ReportCost(
        name=name, period="2026-10", amount=Decimal(amount), currency="EUR", business_unit="Retail"
    )
