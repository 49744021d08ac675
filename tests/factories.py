"""Builders for test data: attributions, model cards, and models brought to a given point of their life."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from application.governance import Governance
from domain.model import Model
from domain.values import DIMENSIONS, Attribution

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_requests = itertools.count(1)

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
    "auditor": "auditor",
    "policy": "policy",
}


def by(
    principal: str, reason: str = "", *, role: str | None = None, at: datetime = T0
) -> Attribution:
    return Attribution(
        principal=principal,
        role=role or ROLE_OF[principal],
        correlation_id=f"req-{next(_requests)}",
        effective_at=at,
        reason=reason,
    )


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


def registration(name: str, tier: str) -> dict[str, Any]:
    """The arguments that register a model named `name` in `tier`."""
    return {
        "name": name,
        "description": "Predicts churn",
        "owner": "Retail",
        "business_objective": "Keep customers",
        "risk_tier": tier,
        "stakeholders": [
            {"name": "Ann Lee", "email": "ann.lee@bank.example", "role": "business_owner"}
        ],
        "by": by("eng"),
    }


def new_model(tier: str = "low", name: str = "churn") -> Model:
    return Model.register(**registration(name, tier))


def satisfy_all_gates(model: Model, version: int) -> None:
    """Record everything the strictest (regulated) default policy asks of a version."""
    model.approve_release(version=version, by=by("ds", "evidence reviewed"))
    model.approve_release(version=version, by=by("bo", "value case holds"))
    model.record_validation(
        version=version,
        kind="ab_test",
        dataset="holdout",
        metrics={"auc": 0.8},
        passed=True,
        compared_to=None,
        by=by("eng"),
    )
    set_targets_on_all_dimensions(model)
    model.approve_targets(revision=model.targets_revision, by=by("ds"))
    model.approve_targets(revision=model.targets_revision, by=by("bo"))
    model.sign_off(version=version, by=by("co", "model risk review passed"))


def set_targets_on_all_dimensions(model: Model) -> None:
    for dimension in DIMENSIONS:
        model.set_target(
            dimension=dimension,
            metric=f"{dimension}_metric",
            comparator="<=",
            threshold=1.0,
            window="last",
            severity="critical",
            unit="",
            by=by("ds"),
        )


def ready_version(model: Model) -> int:
    version = model.register_version(card=card(), by=by("eng"))
    satisfy_all_gates(model, version)
    return version


def seed_app_model(app: Governance, *, name: str = "churn", tier: str = "low") -> int:
    """Register a model through the application with one approved version; returns the version."""
    app.register_model(**registration(name, tier))
    version = app.register_version(name, card=card(), by=by("eng")).value
    app.approve_release(name, version=version, by=by("ds", "looks right"))
    return version


def later(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)
