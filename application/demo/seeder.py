"""A scheduler for simulated history: lifecycle commands planned on a day-by-day calendar, run in order.

The demo portfolio's stories are written model by model; the seeder interleaves them so that the
ledger records them in calendar order, as if modelgov had been in use for the whole period.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from application.demo.portfolio import CommonLife, Entry, Validation, VersionLife
from application.demo.simulation import STAKEHOLDERS, Attributions, model_card, production_targets
from application.governance import Governance
from domain.commands import (
    Activate,
    ApproveRelease,
    ApproveTargets,
    Command,
    RecordValidation,
    RegisterModel,
    RegisterVersion,
    ReportCost,
    SetTarget,
    SignOff,
)
from domain.errors import ActivationRefusedError
from domain.values import Attribution

# Who develops the demo's models (their cards say so) and who validates them independently.
DEVELOPERS = ("marco.bianchi", "jonas.berg")
VALIDATOR = "nadia.haddad"


@dataclass
class DemoSummary:
    """What the seeding did, for the CLI to tell the newcomer."""

    models: list[str] = field(default_factory=list)
    events: int = 0
    refusals: list[str] = field(default_factory=list)
    moments: dict[str, datetime] = field(default_factory=dict)
    started: datetime | None = None


@dataclass(frozen=True)
class _Step:
    when: datetime
    order: int
    action: Callable[[], None]


class Seeder:
    """Plans commands at simulated moments (`day` since the start) and runs them in calendar order."""

    def __init__(self, app: Governance, *, start: datetime) -> None:
        self.app = app
        self.start = start
        self.summary = DemoSummary(started=start)
        self._steps: list[_Step] = []
        self._order = itertools.count()
        self._attributions = Attributions(prefix="demo-", digits=4)
        self.now = start

    def at(self, day: float) -> datetime:
        return self.start + timedelta(days=day)

    def do(
        self,
        day: float,
        command: Command[Any],
        *,
        by: str,
        reason: str = "",
        backdated_days: float = 0,
        expect_refusal: bool = False,
    ) -> None:
        """Plan `command` by a person at `day`; effective earlier if backdated."""

        def run() -> None:
            attribution = self._attribution(
                by, reason, recorded_at=self.now, backdated_days=backdated_days
            )
            try:
                self.app.handle(command, by=attribution)
            except ActivationRefusedError as refusal:
                if not expect_refusal:
                    raise
                self.summary.refusals.append(f"{command.name}: {refusal}")

        self._plan(day, run)

    def plan_life(self, life: CommonLife) -> None:
        """Plan a model's common life: its registration, its targets, then each version with its
        A/B test, its independent validation and its release; then the costs reported."""
        self._register_model(life)
        if life.targets is not None:
            day, accuracy_floor = life.targets
            self._set_targets(day, life.name, accuracy_floor=accuracy_floor)
        for version in life.versions:
            self._register_version(life.name, version, method=life.method)
            if version.independent_validation is not None:
                self._validate_independently(
                    life.name, version.number, version.independent_validation
                )
            self._release(life.name, version)
        for cost in life.costs:
            report = ReportCost(
                name=life.name,
                period=cost.period,
                amount=cost.amount,
                currency="EUR",
                business_unit=life.owner,
                version=cost.version,
            )
            self._enter(cost, report)

    def _enter(self, entry: Entry, command: Command[Any]) -> None:
        self.do(
            entry.day,
            command,
            by=entry.by,
            reason=entry.reason,
            backdated_days=entry.backdated_days,
        )

    def _register_model(self, life: CommonLife) -> None:
        registration = RegisterModel(
            name=life.name,
            description=life.description,
            owner=life.owner,
            business_objective=life.objective,
            risk_tier=life.tier,
            stakeholders=STAKEHOLDERS,
        )
        self.summary.models.append(life.name)
        self.do(life.registered, registration, by="marco.bianchi", reason="onboarded into modelgov")

    def _register_version(self, name: str, version: VersionLife, *, method: str) -> None:
        """Register a version, and plan its A/B test when there is one; a card that names its
        `method` names its developers too."""
        extras = {"method": method, "developers": list(DEVELOPERS)} if method else None
        card = model_card(
            name,
            number=version.number,
            commit=version.commit,
            features=version.features,
            note=version.note,
            extras=extras,
        )
        self.do(version.registered, RegisterVersion(name=name, card=card), by="marco.bianchi")
        ab_test = version.ab_test
        if ab_test is not None:
            metrics = {"auc": ab_test.auc, "uplift_pct": round((ab_test.auc - 0.8) * 100, 2)}
            validation = RecordValidation(
                name=name, version=version.number, kind="ab_test", dataset="holdout-2026-q3",
                metrics=metrics, passed=ab_test.passed, compared_to=ab_test.against,
            )  # fmt: skip
            self.do(ab_test.day, validation, by="marco.bianchi")

    def _validate_independently(self, name: str, version: int, independent: Validation) -> None:
        """Model risk management's independent validation of a version (SR 26-2 / OCC 2026-13):
        by a validator who neither registered nor developed it."""
        report = independent.report
        validation = RecordValidation(
            name=name, version=version, kind="independent_validation",
            dataset="holdout-2026-q3 and the validator's own challenger sample",
            metrics={"auc": independent.auc}, passed=independent.passed, parameters={"report": report},
        )  # fmt: skip
        self.do(
            independent.day, validation, by=VALIDATOR, reason=f"independent validation {report}"
        )

    def _release(self, name: str, version: VersionLife) -> None:
        """A version's way out: approvals, the compliance officer's sign-off, then activations by
        the release engineer."""
        number = version.number
        for approval in version.approvals:
            self._enter(approval, ApproveRelease(name=name, version=number))
        if version.sign_off is not None:
            day, reason = version.sign_off
            self.do(day, SignOff(name=name, version=number), by="sofia.alvarez", reason=reason)
        for day, environment in version.activations:
            activation = Activate(name=name, version=number, environment=environment)
            self.do(day, activation, by="dana.okafor")

    def _set_targets(self, day: float, name: str, *, accuracy_floor: float) -> None:
        """Targets on all four dimensions, then approved by a data scientist and a business owner."""
        for target in production_targets(accuracy_floor=accuracy_floor):
            command = SetTarget(name=name, **target)
            self.do(day, command, by="priya.raman", reason="production targets")
        self.approve_targets(day + 1, name)

    def approve_targets(self, day: float, name: str) -> None:
        for person, reason in (("priya.raman", "targets reviewed"), ("li.wei", "value case holds")):

            def run(person: str = person, reason: str = reason) -> None:
                revision = self.app.get_model(name).targets_revision
                self.app.handle(
                    ApproveTargets(name=name, revision=revision),
                    by=self._attribution(person, reason, recorded_at=self.now),
                )

            self._plan(day, run)

    def moment(self, day: float, label: str) -> None:
        self.summary.moments[label] = self.at(day)

    def run(self) -> DemoSummary:
        ordered = sorted(self._steps, key=lambda step: (step.when, step.order))
        for index, step in enumerate(ordered):
            # A second apart, so that every entry has its own recorded moment.
            self.now = step.when + timedelta(seconds=index)
            step.action()
        self.summary.events = sum(self.app.get_model(name).version for name in self.summary.models)
        return self.summary

    def _plan(self, day: float, action: Callable[[], None]) -> None:
        self._steps.append(_Step(self.at(day), next(self._order), action))

    def _attribution(
        self, principal: str, reason: str, *, recorded_at: datetime, backdated_days: float = 0
    ) -> Attribution:
        return self._attributions.by(
            principal,
            reason,
            at=recorded_at - timedelta(days=backdated_days),
            recorded_at=recorded_at,
        )
