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

from application.governance import Governance
from application.monitoring.cost import judge_costs
from application.monitoring.evaluation import Evaluator, HistoryLoader, Judgement, open_breach_on
from application.monitoring.fairness import FlagJudgement, judge_fairness
from application.monitoring.observations import Observation
from application.retry import RETRIES
from domain.commands import CloseBreach, OpenBreach, RaiseBiasFlag
from domain.errors import DomainError
from domain.events import BreachOpened, CostReported, RolledBack, VersionDeactivated
from domain.events import Event as ModelEvent
from domain.game_plan import response_for
from domain.model import Model
from domain.values import Attribution

log = logging.getLogger("modelgov.monitoring")
POLICY_ROLE = "policy"


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
    """Judges observations against the targets in force and reacts to events by the game plan.

    Whatever one batch or one event makes of a model is recorded on it together (one save), in
    the order it was judged; a conflict with another writer judges it again on the model read
    afresh.
    """

    def __init__(self, governance: Governance) -> None:
        self.governance = governance
        self.evaluator = Evaluator()

    def evaluate(
        self, name: str, observations: Sequence[Observation], history: HistoryLoader
    ) -> Outcome:
        """Judge a batch of one model's observations and record the breaches and bias flags."""

        def judge(model: Model, outcome: Outcome) -> None:
            for judgement in self.evaluator.judge(model, observations, history):
                self._apply(model, judgement, outcome)  # before the next value is judged
            for flag in judge_fairness(model, observations):
                self._attempt(
                    model, outcome, outcome.bias_flags, partial(self._raise_flag, model, flag)
                )

        # The first try moved the windows on: the next restores them from the stored observations.
        return self._record(name, judge, before_retry=partial(self.evaluator.forget, name))

    @staticmethod
    def _raise_flag(model: Model, flag: FlagJudgement) -> str:
        by = policy_attribution(
            model.name,
            at=flag.at,
            correlation_id=f"observation:{flag.position}",
            reason=f"{flag.metric} {flag.value:.4g} on {flag.attribute} fails its target "
            f"({flag.evidence['target']})",
        )
        command = RaiseBiasFlag(
            name=model.name, version=flag.version, attribute=flag.attribute, metric=flag.metric,
            value=flag.value, threshold=flag.threshold, evidence=flag.evidence,
        )  # fmt: skip
        return model.handle(command, by)

    # The topics of the events `react` makes anything of: a follower of the log reads only these.
    REACTS_TO = (BreachOpened.TOPIC, CostReported.TOPIC)

    def react(self, name: str, event: ModelEvent) -> Outcome:
        """What the game plan and the cost budget make of a newly recorded event (of a kind in
        `REACTS_TO`; any other makes nothing)."""
        if isinstance(event, BreachOpened):
            return self._record(name, partial(self._respond, event))
        if isinstance(event, CostReported):

            def judge(model: Model, outcome: Outcome) -> None:
                for judgement in judge_costs(model, event):
                    self._apply(model, judgement, outcome)

            return self._record(name, judge)
        return Outcome()

    def _respond(self, event: BreachOpened, model: Model, outcome: Outcome) -> None:
        if (
            not model.breach_is_open(event.breach_id)
            or model.active.get(event.environment) != event.version
        ):
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
            model.name,
            at=datetime.now(UTC),
            correlation_id=f"breach:{event.breach_id}",
            reason=f"game plan: {action.replace('_', ' ')} on a {severity} {event.dimension} "
            f"breach ({event.breach_id}, {event.metric} = {event.observed_value:g})",
        )
        self._attempt(
            model,
            outcome,
            outcome.responses,
            lambda: (
                f"{event.breach_id}: "
                + model.respond_to_breach(breach_id=event.breach_id, action=action, by=by)
            ),
        )

    def _apply(self, model: Model, judgement: Judgement, outcome: Outcome) -> None:
        """Record a judgement on the model (not yet saved)."""
        by = policy_attribution(
            model.name,
            at=judgement.at,
            correlation_id=judgement.correlation,
            reason=judgement.note,
        )
        if judgement.kind == "open":
            self._attempt(
                model,
                outcome,
                outcome.breaches_opened,
                lambda: model.handle(OpenBreach(
                    name=model.name, version=judgement.version, environment=judgement.environment,
                    dimension=judgement.dimension, metric=judgement.metric,
                    observed_value=judgement.value,
                ), by),
            )  # fmt: skip
            return
        breach = open_breach_on(model, judgement.key)
        if breach is None or judgement.at < breach.opened_at:
            return  # its opening was refused, someone closed it, or a later breach is open
        breach_id = breach.breach_id

        def close() -> str:
            command = CloseBreach(
                name=model.name, breach_id=breach_id, observed_value=judgement.value
            )
            model.handle(command, by)
            return breach_id

        self._attempt(model, outcome, outcome.breaches_closed, close)

    @staticmethod
    def _attempt(
        model: Model, outcome: Outcome, into: list[str], record: Callable[[], str]
    ) -> None:
        """Record on the model, and note what as "<model> <what>"; the rules' refusals (final:
        nothing is recorded then) are logged and noted instead."""
        pending = len(model.pending_events)
        try:
            into.append(f"{model.name} {record()}")
        except DomainError as error:
            if len(model.pending_events) != pending:
                raise  # refused halfway: nothing of this batch is saved, it is judged again
            # The code, not the message: a refusal's message can name a person (four eyes).
            log.warning("monitoring: not recorded for %s: refused (%s)", model.name, error.code)
            outcome.refused.append(f"{model.name}: {error}")

    def _record(
        self,
        name: str,
        decide: Callable[[Model, Outcome], None],
        *,
        before_retry: Callable[[], None] = lambda: None,
    ) -> Outcome:
        """Let `decide` record on the model, then save what it recorded, together.

        A conflict with another writer of the model decides again on the model read afresh, as
        the one retry policy says (application/retry.py); the last conflict is raised (the batch
        is judged again later).
        """
        return RETRIES.run(lambda: self._decide_and_save(name, decide), before_again=before_retry)

    def _decide_and_save(self, name: str, decide: Callable[[Model, Outcome], None]) -> Outcome:
        outcome = Outcome()
        model = self.governance.get_model(name)
        decide(model, outcome)
        recorded = list(model.pending_events)
        self.governance.save_changes(model)
        for event in recorded:  # saved: now they are facts, and the log may say so
            _log_recorded(name, event)
        return outcome


def _log_recorded(model: str, event: object) -> None:
    """The line an operator watches for: a breach opened, the game plan acting on its own."""
    if isinstance(event, BreachOpened):
        severity = str(event.target.get("severity", "info"))
        log.warning(
            "breach opened: %s version %d in %s, %s %s = %g (%s, %s)", model, event.version,
            event.environment, event.dimension, event.metric, event.observed_value, severity,
            event.breach_id,
            extra={"model": model, "version": event.version, "environment": event.environment,
                   "breach_id": event.breach_id, "dimension": event.dimension,
                   "metric": event.metric, "observed_value": event.observed_value,
                   "severity": severity},
        )  # fmt: skip
    elif isinstance(event, RolledBack) and event.role == POLICY_ROLE:
        log.warning(
            "automated rollback: %s in %s from version %d to version %d (%s)", model,
            event.environment, event.from_version, event.to_version, event.reason,
            extra={"model": model, "environment": event.environment,
                   "from_version": event.from_version, "to_version": event.to_version,
                   "breach": event.correlation_id.removeprefix("breach:")},
        )  # fmt: skip
    elif isinstance(event, VersionDeactivated) and event.role == POLICY_ROLE:
        log.warning(
            "automated deactivation: %s version %d in %s (%s)", model, event.version,
            event.environment, event.reason,
            extra={"model": model, "version": event.version, "environment": event.environment,
                   "breach": event.correlation_id.removeprefix("breach:")},
        )  # fmt: skip
