"""The registered-model aggregate: one consistency boundary for a model, its versions and their lifecycle.

Each command method takes a command (domain/commands.py) and who sends it; it checks the role
matrix (once, first) and the rules, then records past-tense events. Events carry explicit, stable
topics; their `apply` methods are deterministic (no clock, no ids, no I/O). The monitoring step's
commands are in domain/monitoring_steps.py, a base of `Model`; the helpers every command method
uses (find its version, record its events) are in domain/steps.py.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import TypeVar, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import commands, events, rules, snapshot_upcasts
from domain.declared import require_declared
from domain.errors import InvalidValueError
from domain.external_steps import ExternalSteps
from domain.gates import unmet_activation_gates
from domain.hold_steps import HoldSteps
from domain.incident_steps import IncidentSteps
from domain.monitoring_steps import MonitoringSteps, target_as_dict
from domain.policy import (
    NO_OPEN_BIAS_FLAG,
    default_policy_for,
    policy_for_tier,
)
from domain.values import (
    COMPARATORS,
    DIMENSIONS,
    RISK_TIERS,
    SEVERITIES,
    Attribution,
    checked_metrics,
    checked_model_card,
    checked_parameters,
    checked_stakeholders,
    optional_text,
    require_choice,
    require_duration,
    require_model_name,
    require_number,
    require_window,
    target_key,
)

R = TypeVar("R")
_MODEL_NAMESPACE = uuid5(NAMESPACE_URL, "https://modelgov.dev/models")


@lru_cache(maxsize=4096)  # a pure function of the name; every command asks for its model's
def model_id_for(name: str) -> UUID:
    """Models are addressed by name; the aggregate id is derived from it, so a name registers once."""
    return uuid5(_MODEL_NAMESPACE, name)


class Model(Aggregate, MonitoringSteps, ExternalSteps, IncidentSteps, HoldSteps):
    """A registered model, its policy, its versions and everything decided and observed about them."""

    TOPIC = "modelgov/Model"
    # Version 2 of the state (in snapshots) added `target_history` and `game_plan`; version 3 keeps
    # monitoring bounded: open breaches and flags, the latest closed, counts, monthly cost totals;
    # version 4's cards say what their digest is of and keep their extras; version 5 keeps serious
    # incidents and the legal hold, its policy states retention and how long an independent
    # validation stands, and its validations who recorded them in which role.
    # (The state is declared, with what bounds each part, on ModelState: domain/state.py.)
    class_version = 5

    # The lifecycle events, nested as the library expects (Model.VersionActivated).
    Event = events.Event
    Created = events.Created
    Registered = events.Registered
    PolicyChanged = events.PolicyChanged
    VersionRegistered = events.VersionRegistered
    ValidationRecorded = events.ValidationRecorded
    TargetSet = events.TargetSet
    TargetsApproved = events.TargetsApproved
    ReleaseApproved = events.ReleaseApproved
    ReleaseRejected = events.ReleaseRejected
    ComplianceSignedOff = events.ComplianceSignedOff
    VersionActivated = events.VersionActivated
    VersionDeactivated = events.VersionDeactivated
    RolledBack = events.RolledBack
    VersionRetired = events.VersionRetired
    BreachOpened = events.BreachOpened
    BreachClosed = events.BreachClosed
    BiasFlagRaised = events.BiasFlagRaised
    BiasFlagResolved = events.BiasFlagResolved
    CostReported = events.CostReported
    GamePlanChanged = events.GamePlanChanged
    OnCallPaged = events.OnCallPaged
    ExternalAliasSet = events.ExternalAliasSet
    ExternalAliasRemoved = events.ExternalAliasRemoved
    ExternalTagSet = events.ExternalTagSet
    IncidentDeclared = events.IncidentDeclared
    IncidentReported = events.IncidentReported
    LegalHoldPlaced = events.LegalHoldPlaced
    LegalHoldReleased = events.LegalHoldReleased
    EVENT_CLASSES = events.EVENT_CLASSES

    # Snapshots of earlier state versions, brought up to this one (domain/snapshot_upcasts.py).
    upcast_v1_v2 = staticmethod(snapshot_upcasts.v1_v2)
    upcast_v2_v3 = staticmethod(snapshot_upcasts.v2_v3)
    upcast_v3_v4 = staticmethod(snapshot_upcasts.v3_v4)
    upcast_v4_v5 = staticmethod(snapshot_upcasts.v4_v5)

    # ----------------------------------------------------------------- commands

    def handle(self, command: commands.Command[R], by: Attribution) -> R:
        """Carry out a command: the method named by its action (`activate` for `Activate`).

        `RegisterModel` makes a model instead (`Model.register`).
        """
        method = getattr(self, command.ACTION.value, None)
        if method is None or isinstance(command, commands.RegisterModel):
            raise TypeError(f"a registered model does not handle {type(command).__name__}")
        return cast(R, method(command, by))

    @classmethod
    def register(cls, command: commands.RegisterModel, by: Attribution) -> Model:
        rules.check_may(by, command.ACTION)
        require_model_name(command.name)
        require_choice("risk_tier", command.risk_tier, RISK_TIERS)
        description, owner, objective = require_declared(
            command, "description", "owner", "business_objective"
        )
        return cls._create(
            cls.Registered,
            id=model_id_for(command.name),
            timestamp=by.recorded_at,
            name=command.name,
            description=description,
            owner=owner,
            business_objective=objective,
            risk_tier=command.risk_tier,
            stakeholders=checked_stakeholders(command.stakeholders),
            policy=default_policy_for(command.risk_tier).as_dict(),
            **by.event_fields(),
        )

    def change_policy(self, command: commands.ChangePolicy, by: Attribution) -> None:
        """Change the risk tier and the policy; without an explicit policy the tier's default applies."""
        rules.check_may(by, command.ACTION)
        risk_tier, new_policy = policy_for_tier(command.risk_tier, command.policy)
        self._record(
            self.PolicyChanged,
            by,
            risk_tier=risk_tier,
            policy=new_policy.as_dict(),
            previous_risk_tier=self.risk_tier,
            previous_policy=self.policy.as_dict(),
        )

    def register_version(self, command: commands.RegisterVersion, by: Attribution) -> int:
        """Register the next version with its model card; returns its number."""
        rules.check_may(by, command.ACTION)
        if not isinstance(command.card, dict):
            raise InvalidValueError("card", "must be an object")
        number = max((v.number for v in self.versions), default=0) + 1
        self._record(
            self.VersionRegistered, by, version=number, card=checked_model_card(command.card)
        )
        return number

    def record_validation(self, command: commands.RecordValidation, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        version, compared_to = command.version, command.compared_to
        rules.check_not_retired(self._version_for(version, by))
        if compared_to is not None:
            if isinstance(compared_to, bool) or not isinstance(compared_to, int):
                raise InvalidValueError("compared_to", "must be a version number")
            if compared_to == version:
                raise InvalidValueError(
                    "compared_to", "must be another version than the one validated"
                )
            self.version_by_number(compared_to)
        checked = checked_metrics("metrics", command.metrics)
        if not isinstance(command.passed, bool):
            raise InvalidValueError("passed", "must be true or false")
        kind, dataset = require_declared(command, "kind", "dataset")
        self._record(
            self.ValidationRecorded,
            by,
            version=version,
            kind=kind,
            dataset=dataset,
            metrics=checked,
            passed=command.passed,
            compared_to=compared_to,
            parameters=checked_parameters(command.parameters),
        )

    def set_target(self, command: commands.SetTarget, by: Attribution) -> int:
        """Set or change a target; targets then need approving again. Returns the new revision."""
        rules.check_may(by, command.ACTION)
        hysteresis = require_number("hysteresis", command.hysteresis)
        if hysteresis < 0:
            raise InvalidValueError("hysteresis", "must be zero or more (in the metric's unit)")
        min_duration_seconds = require_duration(
            "min_duration_seconds", command.min_duration_seconds
        )
        dimension = require_choice("dimension", command.dimension, DIMENSIONS)
        (metric,) = require_declared(command, "metric")
        previous = self.targets.get(target_key(dimension, metric))
        self._record(
            self.TargetSet,
            by,
            dimension=dimension,
            metric=metric,
            comparator=require_choice("comparator", command.comparator, COMPARATORS),
            threshold=require_number("threshold", command.threshold),
            window=require_window("window", command.window),
            severity=require_choice("severity", command.severity, SEVERITIES),
            unit=optional_text("unit", command.unit),
            previous=target_as_dict(previous) if previous else None,
            revision=self.targets_revision + 1,
            hysteresis=hysteresis,
            min_duration_seconds=min_duration_seconds,
        )
        return self.targets_revision

    def approve_targets(self, command: commands.ApproveTargets, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        revision = command.revision
        rules.check_targets_approvable(self, revision=revision, by=by)
        rules.check_effective_after(
            by, self.targets_changed_at, what=f"targets revision {revision}"
        )
        self._record(self.TargetsApproved, by, revision=revision)

    def approve_release(self, command: commands.ApproveRelease, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        rules.check_release_approvable(self._version_for(command.version, by), by=by)
        self._record(self.ReleaseApproved, by, version=command.version)

    def reject_release(self, command: commands.RejectRelease, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        target = self._version_for(command.version, by)
        rules.check_not_retired(target)
        rules.check_not_active(self, target)
        rules.check_not_already_decided(target.release_rejections, by=by, what="rejected")
        self._record(self.ReleaseRejected, by, version=command.version)

    def sign_off(self, command: commands.SignOff, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        target = self._version_for(command.version, by)
        rules.check_not_retired(target)
        rules.check_not_rejected(target)
        rules.check_not_already_decided(target.compliance_signoffs, by=by, what="signed off")
        self._record(self.ComplianceSignedOff, by, version=command.version)

    def activate(self, command: commands.Activate, by: Attribution) -> None:
        """Activate a version; the version active there before is deactivated in the same commit."""
        rules.check_may(by, command.ACTION)
        version, environment = command.version, command.environment
        self._version_for(version, by)
        rules.check_activatable(self, version=version, environment=environment)
        if environment in self.active_since:
            rules.check_effective_after(
                by, self.active_since[environment], what=f"the current activation in {environment}"
            )
        current = self.active.get(environment)
        if current == version:
            return
        if current is not None:
            superseded = replace(by, reason=f"superseded by version {version}")
            self._record(
                self.VersionDeactivated, superseded, version=current, environment=environment
            )
        gates = [*self.policy.required_gates, NO_OPEN_BIAS_FLAG]
        self._record(
            self.VersionActivated, by, version=version, environment=environment, gates_checked=gates
        )

    def deactivate(self, command: commands.Deactivate, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        version, environment = command.version, command.environment
        self._version_for(version, by)
        rules.check_active_in(self, version=version, environment=environment)
        rules.check_effective_after(
            by,
            self.active_since[environment],
            what=f"version {version}'s activation in {environment}",
        )
        self._record(self.VersionDeactivated, by, version=version, environment=environment)

    def roll_back(self, command: commands.RollBack, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        environment, to_version = command.environment, command.to_version
        self._version_for(to_version, by)
        from_version = rules.check_rollback_allowed(
            self, environment=environment, to_version=to_version
        )
        rules.check_effective_after(
            by, self.active_since[environment], what=f"the current activation in {environment}"
        )
        self._record(
            self.RolledBack,
            by,
            environment=environment,
            from_version=from_version,
            to_version=to_version,
        )

    def retire_version(self, command: commands.RetireVersion, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        target = self._version_for(command.version, by)
        rules.check_not_retired(target)
        rules.check_not_active(self, target)
        self._record(self.VersionRetired, by, version=command.version)

    def unmet_gates(self, version: int) -> list[str]:
        return [gate.gate for gate in unmet_activation_gates(self, version)]
