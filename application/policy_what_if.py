"""What-if replay of a policy: every past activation a candidate policy would have refused, and why.

Each model's recorded history is replayed event by event (application/as_of.py); at each
activation the model as it stood just before it is judged by the checks an activation applies
(domain/rules.py `activation_shortfalls`: the policy's environments, a retired or rejected
version, every gate), with the candidate policy in place of the one recorded then. Nothing is
recorded: a compliance officer's question before tightening a tier.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

from application.as_of import judged_activations
from application.governance import Governance
from application.views import revision_fields
from domain.events import Event as ModelEvent
from domain.events import VersionActivated
from domain.instants import utc_text
from domain.model import Model
from domain.policy import Policy, policy_for_tier
from domain.rules import activation_shortfalls


@dataclass(frozen=True)
class CandidatePolicy:
    """A risk tier and its policy, in the shape `ChangePolicy` takes, checked as it checks them."""

    risk_tier: str
    policy: Policy

    @classmethod
    def stated(cls, risk_tier: object, policy: object) -> CandidatePolicy:
        """From a client's description: InvalidValueError naming the field that is wrong."""
        tier, checked = policy_for_tier(risk_tier, policy)
        return cls(risk_tier=tier, policy=checked)

    def as_dict(self) -> dict[str, Any]:
        return {"risk_tier": self.risk_tier, "policy": self.policy.as_dict()}


def refused_activations(
    name: str, events: list[ModelEvent], candidate: CandidatePolicy
) -> tuple[int, list[dict[str, Any]]]:
    """How many activations the model's history holds, and those the candidate would have refused."""

    def judge(model: Model, event: VersionActivated) -> dict[str, Any] | None:
        trial = copy.copy(model)  # the model as it stood, its policy swapped; the fold goes on
        trial.policy = candidate.policy
        unmet = activation_shortfalls(trial, version=event.version, environment=event.environment)
        if not unmet:
            return None
        return {
            "model": name, **revision_fields(event.originator_version),
            "version": event.version, "environment": event.environment,
            "effective_at": utc_text(event.effective_at), "recorded_at": utc_text(event.timestamp),
            "actor": event.actor, "role": event.role, "risk_tier_then": model.risk_tier,
            "gates_checked_then": list(event.gates_checked),
            "unmet_gates": [asdict(gate) for gate in unmet],
        }  # fmt: skip

    _, judged = judged_activations(events, judge)
    return len(judged), [refusal for refusal in judged if refusal is not None]


def policy_what_if(
    governance: Governance, candidate: CandidatePolicy, *, model: str | None = None
) -> dict[str, Any]:
    """The candidate's verdict on every past activation of one model (or of every model): the
    activations replayed and those it would have refused, with each unmet gate."""
    names = [model] if model is not None else governance.registered_model_names()
    replayed = 0
    refused: list[dict[str, Any]] = []
    for name in names:
        count, refusals = refused_activations(name, governance.model_events(name), candidate)
        replayed += count
        refused += refusals
    return {
        "candidate": candidate.as_dict(),
        "models": sorted(names),
        "activations_replayed": replayed,
        "refused": refused,
    }
