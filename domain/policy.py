"""A model's policy (which gates activation needs, by risk tier) and the evaluation of those gates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from domain.errors import InvalidValueError, UnmetGate
from domain.values import DEFAULT_ENVIRONMENTS, DIMENSIONS, require_choice, require_environment

if TYPE_CHECKING:
    from domain.model import Model

# Gates a policy can require, in the order a refusal lists them.
RELEASE_APPROVAL = "data_scientist_release_approval"
VALIDATION_EVIDENCE = "validation_evidence"
TARGETS_ON_ALL_DIMENSIONS = "targets_on_all_dimensions"
TARGETS_APPROVED = "targets_approved"
COMPLIANCE_SIGNOFF = "compliance_signoff"
DISTINCT_APPROVERS = "distinct_approvers"
# Not a policy choice: no version with an open bias flag is ever activated.
NO_OPEN_BIAS_FLAG = "no_open_bias_flag"

POLICY_GATES = (
    RELEASE_APPROVAL,
    VALIDATION_EVIDENCE,
    TARGETS_ON_ALL_DIMENSIONS,
    TARGETS_APPROVED,
    COMPLIANCE_SIGNOFF,
    DISTINCT_APPROVERS,
)

GATES_BY_TIER: Mapping[str, tuple[str, ...]] = {
    "low": (RELEASE_APPROVAL,),
    "medium": (RELEASE_APPROVAL, VALIDATION_EVIDENCE, TARGETS_ON_ALL_DIMENSIONS, TARGETS_APPROVED),
    "high": (
        RELEASE_APPROVAL,
        VALIDATION_EVIDENCE,
        TARGETS_ON_ALL_DIMENSIONS,
        TARGETS_APPROVED,
        COMPLIANCE_SIGNOFF,
    ),
    "regulated": POLICY_GATES,
}

TARGET_APPROVER_ROLES = ("data_scientist", "business_owner")


@dataclass
class Policy:
    """What a model needs before activation, where it may run, and how long a bias flag may stay open."""

    required_gates: list[str]
    environments: list[str] = field(default_factory=lambda: list(DEFAULT_ENVIRONMENTS))
    min_distinct_approvers: int = 2
    bias_flag_max_open_days: int = 14
    # An active version with no production figures for this long is a compliance finding.
    monitoring_window_hours: int = 24

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_policy_for(risk_tier: str) -> Policy:
    return Policy(required_gates=list(GATES_BY_TIER[risk_tier]))


def checked_policy(data: Mapping[str, Any], *, risk_tier: str) -> Policy:
    """A policy from a client's description; it may add gates to its tier's defaults, never drop one."""
    unknown = set(data) - {
        "required_gates",
        "environments",
        "min_distinct_approvers",
        "bias_flag_max_open_days",
        "monitoring_window_hours",
    }
    if unknown:
        raise InvalidValueError("policy", f"unknown field(s): {', '.join(sorted(unknown))}")
    gates = data.get("required_gates")
    if not isinstance(gates, list):
        raise InvalidValueError("policy.required_gates", "must be a list of gate names")
    for index, gate in enumerate(gates):
        require_choice(f"policy.required_gates[{index}]", gate, POLICY_GATES)
    environments = data.get("environments", list(DEFAULT_ENVIRONMENTS))
    if not isinstance(environments, list) or not environments:
        raise InvalidValueError("policy.environments", "must name at least one environment")
    for index, environment in enumerate(environments):
        require_environment(f"policy.environments[{index}]", environment)
    approvers = data.get("min_distinct_approvers", 2)
    if isinstance(approvers, bool) or not isinstance(approvers, int) or not 1 <= approvers <= 10:
        raise InvalidValueError(
            "policy.min_distinct_approvers", "must be a whole number from 1 to 10"
        )
    max_days = data.get("bias_flag_max_open_days", 14)
    if isinstance(max_days, bool) or not isinstance(max_days, int) or not 1 <= max_days <= 365:
        raise InvalidValueError(
            "policy.bias_flag_max_open_days", "must be a whole number of days, 1-365"
        )
    window = data.get("monitoring_window_hours", 24)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 24 * 90:
        raise InvalidValueError(
            "policy.monitoring_window_hours", "must be a whole number of hours, 1-2160"
        )
    missing = [gate for gate in GATES_BY_TIER[risk_tier] if gate not in gates]
    if missing:
        raise InvalidValueError(
            "policy.required_gates",
            f"must keep the {risk_tier} tier's gates ({', '.join(missing)} missing); "
            "to relax them, move the model to a lower risk tier",
        )
    ordered_gates = [gate for gate in POLICY_GATES if gate in gates]
    return Policy(
        required_gates=ordered_gates,
        environments=list(dict.fromkeys(environments)),
        min_distinct_approvers=approvers,
        bias_flag_max_open_days=max_days,
        monitoring_window_hours=window,
    )


def activation_gates_for(model: Model, version_number: int) -> dict[str, UnmetGate | None]:
    """Every gate that applies to the version under the model's policy: None where met, else what is missing."""
    results: dict[str, UnmetGate | None] = {}
    for gate in (*model.policy.required_gates, NO_OPEN_BIAS_FLAG):
        detail = _gate_shortfall(model, version_number=version_number, gate=gate)
        results[gate] = UnmetGate(gate, detail) if detail else None
    return results


def unmet_activation_gates(model: Model, version_number: int) -> list[UnmetGate]:
    return [gate for gate in activation_gates_for(model, version_number).values() if gate]


# The gates that say a version is approved (as opposed to evidence and targets): a rollback target
# must still pass these, and always a data scientist's release approval whatever the policy says.
APPROVAL_GATES = (RELEASE_APPROVAL, COMPLIANCE_SIGNOFF, DISTINCT_APPROVERS)


def approval_shortfalls(model: Model, version_number: int) -> list[str]:
    """What a version lacks to count as approved under the model's current policy."""
    gates = [RELEASE_APPROVAL] + [
        gate for gate in model.policy.required_gates if gate in APPROVAL_GATES[1:]
    ]
    shortfalls = (
        _gate_shortfall(model, version_number=version_number, gate=gate) for gate in gates
    )
    return [shortfall for shortfall in shortfalls if shortfall]


def _gate_shortfall(model: Model, *, version_number: int, gate: str) -> str:
    version = model.version_by_number(version_number)
    if gate == RELEASE_APPROVAL:
        if not any(d.role == "data_scientist" for d in version.release_approvals):
            return "no release approval by a data scientist"
    elif gate == VALIDATION_EVIDENCE:
        if not any(v.passed for v in version.validations):
            return "no passed validation (e.g. an A/B test) recorded for this version"
    elif gate == TARGETS_ON_ALL_DIMENSIONS:
        covered = {target.dimension for target in model.targets.values()}
        missing = [d for d in DIMENSIONS if d not in covered]
        if missing:
            return f"no target on: {', '.join(missing)}"
    elif gate == TARGETS_APPROVED:
        roles = {decision.role for decision in model.target_approvals}
        missing = [role for role in TARGET_APPROVER_ROLES if role not in roles]
        if missing:
            return (
                f"targets revision {model.targets_revision} not approved by: {', '.join(missing)}"
            )
    elif gate == COMPLIANCE_SIGNOFF:
        if not version.compliance_signoffs:
            return "no compliance officer sign-off"
    elif gate == DISTINCT_APPROVERS:
        have = len(version.distinct_approvers)
        need = model.policy.min_distinct_approvers
        if have < need:
            return f"release approved by {have} distinct principal(s); the policy needs {need}"
    elif gate == NO_OPEN_BIAS_FLAG:
        open_flags = [flag.flag_id for flag in model.open_bias_flags(version_number)]
        if open_flags:
            return f"open bias flag(s): {', '.join(open_flags)}"
    return ""
