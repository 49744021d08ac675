"""Events of a model's lifecycle: registration, policy, versions and their evidence, targets,
approvals, activations, rollbacks, retirement."""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import Aggregate

from domain.entities import Decision, Target, TargetFields, Validation, Version
from domain.events.base import Event, catalogued
from domain.policy import policy_from, with_revalidation_interval
from domain.state import TARGET_HISTORY_KEPT, ModelState
from domain.values import target_key, with_card_defaults


class Created(Event, Aggregate.Created):
    TOPIC = "modelgov/Model.Created"


@catalogued
class Registered(Created):
    """Version 2 stores stakeholders as {name, email, role}; version 1 stored bare e-mails.
    Version 3's policy says how long an independent validation stands."""

    TOPIC = "modelgov/Model.Registered"
    class_version = 3
    name: str
    description: str
    owner: str
    business_objective: str
    risk_tier: str
    stakeholders: list[dict[str, str]]
    policy: dict[str, Any]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["stakeholders"] = [
            {"name": email, "email": email, "role": "stakeholder"}
            for email in state["stakeholders"]
        ]

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        with_revalidation_interval(state["policy"], risk_tier=state["risk_tier"])

    def apply(self, model: ModelState) -> None:
        model.registered_at = self.effective_at
        model.name = self.name
        model.description = self.description
        model.owner = self.owner
        model.business_objective = self.business_objective
        model.risk_tier = self.risk_tier
        model.stakeholders = list(self.stakeholders)
        model.policy = policy_from(self.policy, risk_tier=self.risk_tier)
        model.versions = []
        model.targets = {}
        model.targets_revision = 0
        model.targets_changed_at = self.effective_at
        model.target_approvals = []
        model.active = {}
        model.active_since = {}
        model.breaches_open = {}
        model.breaches_recently_closed = []
        model.breaches_opened = 0
        model.bias_flags_open = {}
        model.bias_flags_recently_resolved = []
        model.bias_flags_raised = 0
        model.cost_months = {}
        model.target_history = {}
        model.game_plan = {"notifications": [], "responses": []}
        model.external_aliases = {}
        model.external_tags = {}
        model.serious_incidents = {}
        model.legal_hold = None


@catalogued
class PolicyChanged(Event):
    """Version 2's policies say how long an independent validation stands."""

    TOPIC = "modelgov/Model.PolicyChanged"
    class_version = 2
    risk_tier: str
    policy: dict[str, Any]
    previous_risk_tier: str
    previous_policy: dict[str, Any]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        with_revalidation_interval(state["policy"], risk_tier=state["risk_tier"])
        with_revalidation_interval(state["previous_policy"], risk_tier=state["previous_risk_tier"])

    def apply(self, model: ModelState) -> None:
        model.risk_tier = self.risk_tier
        model.policy = policy_from(self.policy, risk_tier=self.risk_tier)


@catalogued
class VersionRegistered(Event):
    """Version 2 cards say what the digest is of (`artifact_sha256_of`) and keep `extras`."""

    TOPIC = "modelgov/Model.VersionRegistered"
    class_version = 2
    version: int
    card: dict[str, Any]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        with_card_defaults(state["card"])

    def apply(self, model: ModelState) -> None:
        model.versions.append(
            self.entity(
                Version,
                number=self.version,
                registered_by=self.actor,
                registered_at=self.effective_at,
            )
        )


@catalogued
class ValidationRecorded(Event):
    """Version 2 added the `parameters` the evidence was produced with."""

    TOPIC = "modelgov/Model.ValidationRecorded"
    class_version = 2
    version: int
    kind: str
    dataset: str
    metrics: dict[str, float]
    passed: bool
    compared_to: int | None
    parameters: dict[str, str]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["parameters"] = {}

    def apply(self, model: ModelState) -> None:
        validation = self.entity(Validation, recorded_by=self.actor)
        model.version_to_change(self.version).validations.append(validation)


@catalogued
class TargetSet(TargetFields, Event):
    """A target set or changed; `previous` keeps the target it replaced (None for a new one).

    Version 2 added the anti-flapping settings `hysteresis` and `min_duration_seconds`.
    """

    TOPIC = "modelgov/Model.TargetSet"
    class_version = 2
    previous: dict[str, Any] | None
    revision: int
    hysteresis: float
    min_duration_seconds: int

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["hysteresis"] = 0.0
        state["min_duration_seconds"] = 0

    def apply(self, model: ModelState) -> None:
        key = target_key(self.dimension, self.metric)
        target = self.entity(Target, set_by=self.actor)
        model.targets[key] = target
        kept = [*model.target_history.get(key, []), target]  # a new list: copy-on-write
        model.target_history[key] = kept[-TARGET_HISTORY_KEPT:]
        model.targets_revision = self.revision
        model.targets_changed_at = self.effective_at
        model.target_approvals = []


@catalogued
class TargetsApproved(Event):
    TOPIC = "modelgov/Model.TargetsApproved"
    revision: int

    def apply(self, model: ModelState) -> None:
        model.target_approvals.append(_decision(self))


class _DecidedOnVersion(Event):
    """A person's decision about a version, kept in the version's list of them named `KEPT_IN`."""

    KEPT_IN: ClassVar[str]
    version: int

    def apply(self, model: ModelState) -> None:
        decisions: list[Decision] = getattr(model.version_to_change(self.version), self.KEPT_IN)
        decisions.append(_decision(self))


@catalogued
class ReleaseApproved(_DecidedOnVersion):
    TOPIC = "modelgov/Model.ReleaseApproved"
    KEPT_IN = "release_approvals"


@catalogued
class ReleaseRejected(_DecidedOnVersion):
    TOPIC = "modelgov/Model.ReleaseRejected"
    KEPT_IN = "release_rejections"


@catalogued
class ComplianceSignedOff(_DecidedOnVersion):
    TOPIC = "modelgov/Model.ComplianceSignedOff"
    KEPT_IN = "compliance_signoffs"


@catalogued
class VersionActivated(Event):
    """`gates_checked` records the gates the version passed at that moment, for the audit trail."""

    TOPIC = "modelgov/Model.VersionActivated"
    version: int
    environment: str
    gates_checked: list[str]

    def apply(self, model: ModelState) -> None:
        model.active[self.environment] = self.version
        model.active_since[self.environment] = self.effective_at
        version = model.version_to_change(self.version)
        version.served_since[self.environment] = self.effective_at
        if self.environment not in version.environments_served:
            version.environments_served.append(self.environment)


@catalogued
class VersionDeactivated(Event):
    TOPIC = "modelgov/Model.VersionDeactivated"
    version: int
    environment: str

    def apply(self, model: ModelState) -> None:
        if model.active.get(self.environment) == self.version:
            del model.active[self.environment]
            model.active_since.pop(self.environment, None)
            model.version_to_change(self.version).served_until[self.environment] = self.effective_at


@catalogued
class RolledBack(Event):
    """The active version in an environment replaced by one that served there before."""

    TOPIC = "modelgov/Model.RolledBack"
    environment: str
    from_version: int
    to_version: int

    def apply(self, model: ModelState) -> None:
        served_until = model.version_to_change(self.from_version).served_until
        served_until[self.environment] = self.effective_at
        model.active[self.environment] = self.to_version
        model.active_since[self.environment] = self.effective_at
        model.version_to_change(self.to_version).served_since[self.environment] = self.effective_at


@catalogued
class VersionRetired(Event):
    TOPIC = "modelgov/Model.VersionRetired"
    version: int

    def apply(self, model: ModelState) -> None:
        model.version_to_change(self.version).retired = True


def _decision(event: Event) -> Decision:
    return event.entity(Decision, principal=event.actor, comment=event.reason)
