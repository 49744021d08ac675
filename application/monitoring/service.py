"""Monitoring's use cases: record what the evaluator judged, and carry out the game plan.

Everything monitoring records is an ordinary lifecycle event, attributed to the model's policy
(principal `policy/<model>`, role `policy`) and checked by the same domain rules as people's
commands. A refusal (say, a breach for a version that never served in that environment) is
logged and counted, never half-recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from application.errors import ApplicationError, ConcurrencyConflictError
from application.governance import Governance
from application.monitoring.cost import judge_costs
from application.monitoring.evaluation import Evaluator, HistoryLoader, Judgement, Key
from application.monitoring.fairness import FlagJudgement, judge_fairness
from application.monitoring.observations import Observation
from domain.entities import Breach
from domain.errors import DomainError
from domain.events import BreachOpened, CostReported
from domain.events import Event as ModelEvent
from domain.game_plan import response_for
from domain.model import Model
from domain.values import Attribution

log = logging.getLogger("modelgov.monitoring")
POLICY_ROLE = "policy"
CONFLICT_ATTEMPTS = 3


def policy_attribution(
    model: str, *, at: datetime, correlation_id: str, reason: str
) -> Attribution:
    """The model's policy acting on its own."""
    return Attribution(
        principal=f"policy/{model}",
        role=POLICY_ROLE,
        correlation_id=correlation_id,
        effective_at=at,
        reason=reason,
    )


@dataclass
class Outcome:
    """What one evaluation or reaction recorded, and what the rules refused."""

    breaches_opened: list[str] = field(default_factory=list)
    breaches_closed: list[str] = field(default_factory=list)
    bias_flags: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def merge(self, other: Outcome) -> None:
        for name in ("breaches_opened", "breaches_closed", "bias_flags", "responses", "refused"):
            getattr(self, name).extend(getattr(other, name))


class Monitoring:
    """Judges observations against the targets in force and reacts to events by the game plan."""

    def __init__(self, governance: Governance) -> None:
        self.governance = governance
        self.evaluator = Evaluator()

    def evaluate(
        self, name: str, observations: Sequence[Observation], history: HistoryLoader
    ) -> Outcome:
        """Judge a batch of one model's observations and record the breaches and bias flags."""
        outcome = Outcome()
        model = self.governance.get_model(name)
        for judgement in self.evaluator.judge(model, observations, history):
            self._record_judgement(name, judgement, outcome)
        for flag in judge_fairness(model, observations):  # flags: unchanged by the breaches
            self._attempt(name, outcome, outcome.bias_flags, partial(self._raise_flag, name, flag))
        return outcome

    def _raise_flag(self, name: str, flag: FlagJudgement) -> str:
        by = policy_attribution(
            name,
            at=flag.at,
            correlation_id=f"observation:{flag.position}",
            reason=f"{flag.metric} {flag.value:.4g} on {flag.attribute} fails its target "
            f"({flag.evidence['target']})",
        )
        return self.governance.raise_bias_flag(
            name, version=flag.version, attribute=flag.attribute, metric=flag.metric,
            value=flag.value, threshold=flag.threshold, evidence=flag.evidence, by=by,
        ).value  # fmt: skip

    def react(self, name: str, event: ModelEvent) -> Outcome:
        """What the game plan and the cost budget make of a newly recorded event."""
        outcome = Outcome()
        if isinstance(event, BreachOpened):
            self._respond(name, event, outcome)
        elif isinstance(event, CostReported):
            for judgement in judge_costs(self.governance.get_model(name), event):
                self._record_judgement(name, judgement, outcome)
        return outcome

    def _respond(self, name: str, event: BreachOpened, outcome: Outcome) -> None:
        model = self.governance.get_model(name)
        breach = model.breach_by_id(event.breach_id)
        if breach.closed_at is not None or model.active.get(event.environment) != event.version:
            return  # over by now (read again after a restart, say): nothing to answer
        severity = str(event.target.get("severity", "info"))
        action = response_for(
            model.game_plan,
            dimension=event.dimension,
            environment=event.environment,
            severity=severity,
        )
        if action is None:
            return
        by = policy_attribution(
            name,
            at=datetime.now(UTC),
            correlation_id=f"breach:{event.breach_id}",
            reason=f"game plan: {action.replace('_', ' ')} on a {severity} {event.dimension} "
            f"breach ({event.breach_id}, {event.metric} = {event.observed_value:g})",
        )
        self._attempt(
            name,
            outcome,
            outcome.responses,
            lambda: (
                f"{event.breach_id}: "
                + self.governance.respond_to_breach(
                    name, breach_id=event.breach_id, action=action, by=by
                ).value
            ),
        )

    def _record_judgement(self, name: str, judgement: Judgement, outcome: Outcome) -> None:
        by = policy_attribution(
            name,
            at=judgement.at,
            correlation_id=judgement.correlation,
            reason=judgement.note,
        )
        if judgement.kind == "open":
            self._attempt(
                name,
                outcome,
                outcome.breaches_opened,
                lambda: self.governance.open_breach(
                    name, version=judgement.version, environment=judgement.environment,
                    dimension=judgement.dimension, metric=judgement.metric,
                    observed_value=judgement.value, by=by,
                ).value,
            )  # fmt: skip
            return
        breach = _open_breach_on(self.governance.get_model(name), judgement.key)
        if breach is None or judgement.at < breach.opened_at:
            return  # its opening was refused, someone closed it, or a later breach is open
        breach_id = breach.breach_id

        def close() -> str:
            self.governance.close_breach(
                name, breach_id=breach_id, observed_value=judgement.value, by=by
            )
            return breach_id

        self._attempt(name, outcome, outcome.breaches_closed, close)

    @staticmethod
    def _attempt(
        name: str, outcome: Outcome, into: list[str], record: Callable[[], object]
    ) -> None:
        """Record, and note what was recorded as "<model> <what>"; a refusal is noted instead.

        A conflict with another writer of the model is tried again (the command reads the model
        afresh each time); the rules' refusals are final.
        """
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                into.append(f"{name} {record()}")
                return
            except ConcurrencyConflictError:
                if attempt == CONFLICT_ATTEMPTS:
                    raise
            except (DomainError, ApplicationError) as error:
                log.warning("monitoring: not recorded for %s: %s", name, error)
                outcome.refused.append(f"{name}: {error}")
                return


def _open_breach_on(model: Model, key: Key) -> Breach | None:
    for breach in model.open_breaches():
        if (breach.version, breach.environment, breach.dimension, breach.metric) == key:
            return breach
    return None
