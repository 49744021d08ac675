"""Simulated lifecycle history: the cast, attributions on a simulated clock, model cards, production
targets and a model's life through the `Model` aggregate.

The demo portfolio, the test factories and the benchmarks build their histories from these pieces.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.commands import (
    Activate,
    ApproveRelease,
    ApproveTargets,
    RecordValidation,
    RegisterModel,
    RegisterVersion,
    RejectRelease,
    SetTarget,
    SignOff,
)
from domain.model import Model
from domain.values import Attribution

# The people of the simulated bank and the role each holds (principal -> role).
PEOPLE = {
    "priya.raman": "data_scientist",
    "tom.becker": "data_scientist",
    "marco.bianchi": "ml_engineer",
    "dana.okafor": "devops_engineer",
    "ops-pipeline": "itops_engineer",
    "jonas.berg": "data_engineer",
    "li.wei": "business_owner",
    "sofia.alvarez": "compliance_officer",
    "nadia.haddad": "validator",  # model risk management: validates what others built
    "governance-admin": "admin",
    "modelgov-policy": "policy",  # the automated responses a policy's game plan takes
    "mlflow-bridge": "integration",  # what the MLflow bridge records (modelgov mlflow import)
}

STAKEHOLDERS = [
    {"name": "Li Wei", "email": "li.wei@northwind-bank.example", "role": "business_owner"},
    {
        "name": "Sofia Alvarez",
        "email": "sofia.alvarez@northwind-bank.example",
        "role": "compliance_officer",
    },
]

BASE_ASSUMPTION = "training population resembles current customers"


def person_in(role: str) -> str:
    """The first of PEOPLE who holds `role`."""
    return next(person for person, held in PEOPLE.items() if held == role)


class Attributions:
    """Attributions as requests carry them: the role the principal holds, the next correlation id
    (`prefix` and a number, zero-padded to `digits`)."""

    def __init__(self, roles: Mapping[str, str] = PEOPLE, *, prefix: str, digits: int = 0) -> None:
        self.roles = roles
        self.prefix = prefix
        self.digits = digits
        self._numbers = itertools.count(1)

    def by(
        self,
        principal: str,
        reason: str = "",
        *,
        at: datetime,
        recorded_at: datetime | None = None,
        role: str | None = None,
    ) -> Attribution:
        """`principal` acting, effective `at`; recorded now unless `recorded_at` says when."""
        return Attribution(
            principal=principal,
            role=role or self.roles[principal],
            correlation_id=f"{self.prefix}{str(next(self._numbers)).zfill(self.digits)}",
            effective_at=at,
            recorded_at=recorded_at,
            reason=reason,
        )


def _an_hour() -> timedelta:
    return timedelta(hours=1)


@dataclass
class Clock:
    """Simulated time: each `tick()` moves it on by `gap()`."""

    now: datetime
    gap: Callable[[], timedelta] = field(default=_an_hour)

    def tick(self) -> datetime:
        self.now += self.gap()
        return self.now


def model_card(
    name: str,
    *,
    number: int,
    commit: str,
    features: Sequence[str],
    note: str = "",
    sha256: str = "",
    extras: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Version `number`'s model card as the bank writes them: artifact, features, training data,
    assumptions (`note` adds one), documentation and CI provenance; `extras`: what else it says
    (the method, the developers)."""
    digest = sha256 or hashlib.sha256(f"{name}:{commit}".encode()).hexdigest()
    return {
        "artifact_uri": f"s3://northwind-models/{name}/{commit}/model.onnx",
        "artifact_sha256": digest,
        "features": list(features),
        "labels": ["outcome"],
        "training_data": [f"warehouse://features/{name}/snapshot-{commit}"],
        "assumptions": [BASE_ASSUMPTION, note] if note else [BASE_ASSUMPTION],
        "documentation_url": f"https://wiki.northwind-bank.example/models/{name}",
        "provenance": {
            "git_commit": commit,
            "pull_request": f"https://git.northwind-bank.example/ml/{name}/pull/{40 + number}",
            "pipeline_run": f"ci-{name}-{number}",
        },
        **({"extras": extras} if extras else {}),
    }


def production_targets(
    *,
    accuracy_floor: float = 0.8,
    cost_ceiling: float = 12_000.0,
    window: str = "",
    severity: str = "",
) -> list[dict[str, Any]]:
    """Targets on the four dimensions, as `set_target` takes them: p99 latency, AUC, disparate
    impact and monthly cost. `window` and `severity`, when given, replace every target's own."""
    targets: list[dict[str, Any]] = [
        {"dimension": "performance", "metric": "latency_p99_ms", "comparator": "<=",
         "threshold": 250.0, "window": "moving_average_minutes:15", "severity": "warning",
         "unit": "ms"},
        {"dimension": "accuracy", "metric": "auc", "comparator": ">=", "threshold": accuracy_floor,
         "window": "moving_average:500", "severity": "critical", "unit": ""},
        {"dimension": "governance", "metric": "disparate_impact_ratio", "comparator": ">=",
         "threshold": 0.8, "window": "moving_average:1000", "severity": "critical", "unit": ""},
        {"dimension": "cost", "metric": "monthly_cost_eur", "comparator": "<=",
         "threshold": cost_ceiling, "window": "last", "severity": "warning", "unit": "EUR"},
    ]  # fmt: skip
    replaced = {key: value for key, value in (("window", window), ("severity", severity)) if value}
    return [{**target, **replaced} for target in targets]


class ModelLife:
    """A model living a simulated life through the `Model` aggregate: each step is taken by the
    person in the role that takes it, at the next tick of the clock. Events are recorded now (as
    in production) unless `record_at_clock`, which stamps the clock's time on them too."""

    def __init__(
        self,
        name: str,
        *,
        tier: str,
        clock: Clock,
        owner: str,
        description: str = "",
        objective: str = "Cut losses while keeping customer outcomes stable.",
        stakeholders: Sequence[Mapping[str, str]] = STAKEHOLDERS,
        record_at_clock: bool = False,
    ) -> None:
        self.clock = clock
        self.record_at_clock = record_at_clock
        self.attributions = Attributions(prefix=f"req-{name}-")
        registration = RegisterModel(
            name=name,
            description=description or f"Scores {name} for the retail bank's decisioning.",
            owner=owner,
            business_objective=objective,
            risk_tier=tier,
            stakeholders=[dict(person) for person in stakeholders],
        )
        self.model = Model.register(registration, self.by("ml_engineer", "onboarded into modelgov"))

    def by(self, role: str, reason: str = "", *, effective: datetime | None = None) -> Attribution:
        """The person in `role`, at the next tick (effective earlier if `effective` says so)."""
        now = self.clock.tick()
        return self.attributions.by(
            person_in(role),
            reason,
            at=effective or now,
            recorded_at=now if self.record_at_clock else None,
        )

    def set_targets(self, targets: Iterable[Mapping[str, Any]], reason: str) -> None:
        for target in targets:
            command = SetTarget(name=self.model.name, **target)
            self.model.set_target(command, self.by("data_scientist", reason))

    def approve_targets(self) -> None:
        """The current targets approved by a data scientist and a business owner."""
        for role, reason in (("data_scientist", "targets reviewed"), ("business_owner", "agreed")):
            revision = self.model.targets_revision
            command = ApproveTargets(name=self.model.name, revision=revision)
            self.model.approve_targets(command, self.by(role, reason))

    def release_version(
        self,
        card: dict[str, Any],
        *,
        dataset: str,
        metrics: dict[str, float],
        passed: bool = True,
        compared_to: int | None = None,
        approvers: Sequence[str] = ("data_scientist", "business_owner"),
        environments: Sequence[str] = ("staging", "production"),
    ) -> int:
        """A new version: its card, an A/B test, then rejected (if the test failed) or approved
        (and signed off in the high and regulated tiers) and activated; returns its number."""
        model, name = self.model, self.model.name
        number = model.register_version(
            RegisterVersion(name=name, card=card), self.by("ml_engineer")
        )
        validation = RecordValidation(
            name=name,
            version=number,
            kind="ab_test",
            dataset=dataset,
            metrics=metrics,
            passed=passed,
            compared_to=compared_to,
        )
        model.record_validation(validation, self.by("data_scientist"))
        if not passed:
            rejection = RejectRelease(name=name, version=number)
            model.reject_release(rejection, self.by("compliance_officer", "A/B test failed"))
            return number
        reasons = {"data_scientist": "evidence reviewed", "business_owner": "value case holds"}
        for role in approvers:
            approval = ApproveRelease(name=name, version=number)
            model.approve_release(approval, self.by(role, reasons.get(role, "")))
        if model.risk_tier in ("high", "regulated"):
            sign_off = SignOff(name=name, version=number)
            model.sign_off(sign_off, self.by("compliance_officer", "model risk review"))
        if model.unmet_gates(number):
            self.approve_targets()
        for environment in environments:
            self.activate(number, environment)
        return number

    def activate(self, number: int, environment: str) -> None:
        command = Activate(name=self.model.name, version=number, environment=environment)
        self.model.activate(command, self.by("devops_engineer", "release"))
