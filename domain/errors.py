"""Errors the governance domain raises; each has a stable `code` that the API maps to a problem type.

DomainError
├── InvalidValueError                 invalid_value: a field is malformed or out of range
├── RoleNotAllowedError               role_not_allowed: the principal's role may not do this
├── ReasonRequiredError               reason_required: a human decision needs a written reason
├── UnknownEntityError
│   ├── VersionNotFoundError          version_not_found
│   ├── TargetNotFoundError           target_not_found
│   ├── BreachNotFoundError           breach_not_found
│   ├── BiasFlagNotFoundError         bias_flag_not_found
│   └── IncidentNotFoundError         incident_not_found
└── RuleViolationError                (the request is well formed, the model's state refuses it)
    ├── ActivationRefusedError        activation_refused: lists every unmet gate
    ├── FourEyesError                 four_eyes_violation
    ├── AlreadyDecidedError           already_decided
    ├── VersionRejectedError          version_rejected
    ├── VersionRetiredError           version_retired
    ├── VersionStillActiveError       version_still_active
    ├── EnvironmentNotAllowedError    environment_not_allowed
    ├── NotActiveError                not_active
    ├── RollbackRefusedError          rollback_refused
    ├── StaleTargetsRevisionError     stale_targets_revision
    ├── EffectiveTimeOutOfOrderError  effective_time_out_of_order
    ├── TargetNotCrossedError         target_not_crossed
    ├── TargetStillCrossedError       target_still_crossed
    ├── BreachAlreadyOpenError        breach_already_open
    ├── BreachAlreadyClosedError      breach_already_closed
    ├── BiasFlagAlreadyResolvedError  bias_flag_already_resolved
    ├── IncidentReportOutOfOrderError incident_report_out_of_order
    ├── LegalHoldAlreadyPlacedError   legal_hold_already_placed
    └── NoLegalHoldError              no_legal_hold
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DomainError(Exception):
    """A command the governance rules refuse; `code` is stable and safe to show to a client."""

    code = "domain_error"


class InvalidValueError(DomainError):
    """A field of a command is malformed or outside its allowed values."""

    code = "invalid_value"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class RoleNotAllowedError(DomainError):
    """The principal's role is not allowed to perform this action."""

    code = "role_not_allowed"


class ReasonRequiredError(DomainError):
    """A decision made by a person was sent without the reason or justification it needs."""

    code = "reason_required"


class UnknownEntityError(DomainError):
    """Something inside the model (a version, target, breach or flag) does not exist."""

    code = "not_found"


class VersionNotFoundError(UnknownEntityError):
    """The model has no version with this number."""

    code = "version_not_found"


class TargetNotFoundError(UnknownEntityError):
    """The model has no target on this dimension and metric."""

    code = "target_not_found"


class BreachNotFoundError(UnknownEntityError):
    """The model has no breach with this id."""

    code = "breach_not_found"


class BiasFlagNotFoundError(UnknownEntityError):
    """The model has no bias flag with this id."""

    code = "bias_flag_not_found"


class IncidentNotFoundError(UnknownEntityError):
    """The model has no serious incident with this id."""

    code = "incident_not_found"


class RuleViolationError(DomainError):
    """The command is well formed but the model's current state refuses it."""

    code = "rule_violation"


@dataclass(frozen=True)
class UnmetGate:
    """One activation gate that a version does not pass, with what is missing."""

    gate: str
    detail: str


class ActivationRefusedError(RuleViolationError):
    """Activation refused; `unmet_gates` names every gate the version does not pass."""

    code = "activation_refused"

    def __init__(self, *, version: int, environment: str, unmet_gates: Sequence[UnmetGate]) -> None:
        listed = "; ".join(f"{gate.gate}: {gate.detail}" for gate in unmet_gates)
        super().__init__(
            f"version {version} cannot be activated in {environment}: "
            f"{len(unmet_gates)} unmet gate(s): {listed}"
        )
        self.unmet_gates = tuple(unmet_gates)


class FourEyesError(RuleViolationError):
    """The principal who registered a version tried to approve its release."""

    code = "four_eyes_violation"


class AlreadyDecidedError(RuleViolationError):
    """The same principal already recorded this decision."""

    code = "already_decided"


class VersionRejectedError(RuleViolationError):
    """The version's release was rejected; it cannot be activated or rolled back to."""

    code = "version_rejected"


class VersionRetiredError(RuleViolationError):
    """The version is retired; nothing more can happen to it."""

    code = "version_retired"


class VersionStillActiveError(RuleViolationError):
    """The version is active somewhere and must be deactivated first."""

    code = "version_still_active"


class EnvironmentNotAllowedError(RuleViolationError):
    """The model's policy does not name this environment."""

    code = "environment_not_allowed"


class NotActiveError(RuleViolationError):
    """The version (or any version) is not active in that environment."""

    code = "not_active"


class RollbackRefusedError(RuleViolationError):
    """The rollback target does not meet the rollback rules."""

    code = "rollback_refused"


class StaleTargetsRevisionError(RuleViolationError):
    """The targets changed since the revision the approver looked at."""

    code = "stale_targets_revision"


class EffectiveTimeOutOfOrderError(RuleViolationError):
    """An event would take effect before the thing it acts on existed or happened."""

    code = "effective_time_out_of_order"


class TargetNotCrossedError(RuleViolationError):
    """A breach was reported for a value that meets the target in force."""

    code = "target_not_crossed"


class TargetStillCrossedError(RuleViolationError):
    """A breach was closed with a value that still fails the target."""

    code = "target_still_crossed"


class BreachAlreadyOpenError(RuleViolationError):
    """A breach of this target is already open for this version and environment."""

    code = "breach_already_open"


class BreachAlreadyClosedError(RuleViolationError):
    """The breach is already closed."""

    code = "breach_already_closed"


class BiasFlagAlreadyResolvedError(RuleViolationError):
    """The bias flag was already resolved; a flag is resolved once."""

    code = "bias_flag_already_resolved"


class IncidentReportOutOfOrderError(RuleViolationError):
    """A report on a serious incident out of order: a follow-up before the initial report, a
    second initial report, anything after the final one."""

    code = "incident_report_out_of_order"


class LegalHoldAlreadyPlacedError(RuleViolationError):
    """The model is already under a legal hold; a model has one hold at a time."""

    code = "legal_hold_already_placed"


class NoLegalHoldError(RuleViolationError):
    """The model is under no legal hold, so there is none to release."""

    code = "no_legal_hold"
