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

Every error with a stable code, in every layer, derives from CodedError and names its code as a
class keyword: `class FourEyesError(RuleViolationError, code="four_eyes_violation")`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar


class CodedError(Exception):
    """An error with a stable `code` a client can match on; a subclass that names none keeps its parent's."""

    code: ClassVar[str]

    def __init_subclass__(cls, *, code: str | None = None) -> None:
        super().__init_subclass__()
        if code is not None:
            cls.code = code


class DomainError(CodedError, code="domain_error"):
    """A command the governance rules refuse; `code` is stable and safe to show to a client."""


class InvalidValueError(DomainError, code="invalid_value"):
    """A field of a command is malformed or outside its allowed values."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class RoleNotAllowedError(DomainError, code="role_not_allowed"):
    """The principal's role is not allowed to perform this action."""


class ReasonRequiredError(DomainError, code="reason_required"):
    """A decision made by a person was sent without the reason or justification it needs."""


class UnknownEntityError(DomainError, code="not_found"):
    """Something inside the model (a version, target, breach or flag) does not exist."""


class VersionNotFoundError(UnknownEntityError, code="version_not_found"):
    """The model has no version with this number."""


class TargetNotFoundError(UnknownEntityError, code="target_not_found"):
    """The model has no target on this dimension and metric."""


class BreachNotFoundError(UnknownEntityError, code="breach_not_found"):
    """The model has no breach with this id."""


class BiasFlagNotFoundError(UnknownEntityError, code="bias_flag_not_found"):
    """The model has no bias flag with this id."""


class IncidentNotFoundError(UnknownEntityError, code="incident_not_found"):
    """The model has no serious incident with this id."""


class RuleViolationError(DomainError, code="rule_violation"):
    """The command is well formed but the model's current state refuses it."""


@dataclass(frozen=True)
class UnmetGate:
    """One activation gate that a version does not pass, with what is missing."""

    gate: str
    detail: str


class ActivationRefusedError(RuleViolationError, code="activation_refused"):
    """Activation refused; `unmet_gates` names every gate the version does not pass."""

    def __init__(self, *, version: int, environment: str, unmet_gates: Sequence[UnmetGate]) -> None:
        listed = "; ".join(f"{gate.gate}: {gate.detail}" for gate in unmet_gates)
        super().__init__(
            f"version {version} cannot be activated in {environment}: "
            f"{len(unmet_gates)} unmet gate(s): {listed}"
        )
        self.unmet_gates = tuple(unmet_gates)


class FourEyesError(RuleViolationError, code="four_eyes_violation"):
    """The principal who registered a version tried to approve its release."""


class AlreadyDecidedError(RuleViolationError, code="already_decided"):
    """The same principal already recorded this decision."""


class VersionRejectedError(RuleViolationError, code="version_rejected"):
    """The version's release was rejected; it cannot be activated or rolled back to."""


class VersionRetiredError(RuleViolationError, code="version_retired"):
    """The version is retired; nothing more can happen to it."""


class VersionStillActiveError(RuleViolationError, code="version_still_active"):
    """The version is active somewhere and must be deactivated first."""


class EnvironmentNotAllowedError(RuleViolationError, code="environment_not_allowed"):
    """The model's policy does not name this environment."""


class NotActiveError(RuleViolationError, code="not_active"):
    """The version (or any version) is not active in that environment."""


class RollbackRefusedError(RuleViolationError, code="rollback_refused"):
    """The rollback target does not meet the rollback rules."""


class StaleTargetsRevisionError(RuleViolationError, code="stale_targets_revision"):
    """The targets changed since the revision the approver looked at."""


class EffectiveTimeOutOfOrderError(RuleViolationError, code="effective_time_out_of_order"):
    """An event would take effect before the thing it acts on existed or happened."""


class TargetNotCrossedError(RuleViolationError, code="target_not_crossed"):
    """A breach was reported for a value that meets the target in force."""


class TargetStillCrossedError(RuleViolationError, code="target_still_crossed"):
    """A breach was closed with a value that still fails the target."""


class BreachAlreadyOpenError(RuleViolationError, code="breach_already_open"):
    """A breach of this target is already open for this version and environment."""


class BreachAlreadyClosedError(RuleViolationError, code="breach_already_closed"):
    """The breach is already closed."""


class BiasFlagAlreadyResolvedError(RuleViolationError, code="bias_flag_already_resolved"):
    """The bias flag was already resolved; a flag is resolved once."""


class IncidentReportOutOfOrderError(RuleViolationError, code="incident_report_out_of_order"):
    """A report on a serious incident out of order: a follow-up before the initial report, a
    second initial report, anything after the final one."""


class LegalHoldAlreadyPlacedError(RuleViolationError, code="legal_hold_already_placed"):
    """The model is already under a legal hold; a model has one hold at a time."""


class NoLegalHoldError(RuleViolationError, code="no_legal_hold"):
    """The model is under no legal hold, so there is none to release."""
