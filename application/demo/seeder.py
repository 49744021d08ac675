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

from application.demo.simulation import STAKEHOLDERS, Attributions, model_card, production_targets
from application.governance import Governance
from domain.commands import (
    ApproveTargets,
    Command,
    RecordValidation,
    RegisterModel,
    RegisterVersion,
    SetTarget,
)
from domain.errors import ActivationRefusedError
from domain.values import Attribution


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

    def register_model(
        self, day: float, name: str, *, tier: str, description: str, objective: str, owner: str
    ) -> None:
        registration = RegisterModel(
            name=name,
            description=description,
            owner=owner,
            business_objective=objective,
            risk_tier=tier,
            stakeholders=STAKEHOLDERS,
        )
        self.summary.models.append(name)
        self.do(day, registration, by="marco.bianchi", reason="onboarded into modelgov")

    def register_version(
        self, day: float, name: str, *, number: int, commit: str, features: list[str], note: str
    ) -> None:
        card = model_card(name, number=number, commit=commit, features=features, note=note)
        self.do(day, RegisterVersion(name=name, card=card), by="marco.bianchi")

    def targets(self, day: float, name: str, *, accuracy_floor: float) -> None:
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

    def ab_test(
        self, day: float, name: str, *, version: int, against: int | None, auc: float, passed: bool
    ) -> None:
        metrics = {"auc": auc, "uplift_pct": round((auc - 0.8) * 100, 2)}
        validation = RecordValidation(
            name=name, version=version, kind="ab_test", dataset="holdout-2026-q3",
            metrics=metrics, passed=passed, compared_to=against,
        )  # fmt: skip
        self.do(day, validation, by="marco.bianchi")

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
