"""The activation gates of a model's policy, evaluated against the model's state: which are met,
and what each unmet one lacks."""

from __future__ import annotations

from domain.errors import UnmetGate
from domain.independence import developers_of, independent_validations
from domain.policy import (
    COMPLIANCE_SIGNOFF,
    DISTINCT_APPROVERS,
    INDEPENDENT_VALIDATION,
    NO_OPEN_BIAS_FLAG,
    RELEASE_APPROVAL,
    TARGET_APPROVER_ROLES,
    TARGETS_APPROVED,
    TARGETS_ON_ALL_DIMENSIONS,
    VALIDATION_EVIDENCE,
)
from domain.state import ModelState
from domain.values import DIMENSIONS


def activation_gates_for(model: ModelState, version_number: int) -> dict[str, UnmetGate | None]:
    """Every gate that applies to the version under the model's policy: None where met, else what is missing."""
    results: dict[str, UnmetGate | None] = {}
    for gate in (*model.policy.required_gates, NO_OPEN_BIAS_FLAG):
        detail = _gate_shortfall(model, version_number=version_number, gate=gate)
        results[gate] = UnmetGate(gate, detail) if detail else None
    return results


def unmet_activation_gates(model: ModelState, version_number: int) -> list[UnmetGate]:
    return [gate for gate in activation_gates_for(model, version_number).values() if gate]


# The gates that say a version is approved (as opposed to evidence and targets): a rollback target
# must still pass these, and always a data scientist's release approval whatever the policy says.
APPROVAL_GATES = (RELEASE_APPROVAL, COMPLIANCE_SIGNOFF, DISTINCT_APPROVERS)


def approval_shortfalls(model: ModelState, version_number: int) -> list[str]:
    """What a version lacks to count as approved under the model's current policy."""
    gates = [RELEASE_APPROVAL] + [
        gate for gate in model.policy.required_gates if gate in APPROVAL_GATES[1:]
    ]
    shortfalls = (
        _gate_shortfall(model, version_number=version_number, gate=gate) for gate in gates
    )
    return [shortfall for shortfall in shortfalls if shortfall]


def serving_shortfalls(model: ModelState, version_number: int) -> list[str]:
    """Why a version may not serve now (empty when it may): retired, rejected, not approved under
    the model's current policy, or an open bias flag. Admission, a rollback target and an
    external registry's alias are judged by this."""
    version = model.version_by_number(version_number)
    problems = ["retired"] if version.retired else []
    if version.rejected:
        problems.append("release rejected")
    problems += approval_shortfalls(model, version_number)
    flags = [flag.flag_id for flag in model.open_bias_flags(version_number)]
    if flags:
        problems.append(f"open bias flag(s): {', '.join(flags)}")
    return problems


def _gate_shortfall(model: ModelState, *, version_number: int, gate: str) -> str:
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
    elif gate == INDEPENDENT_VALIDATION:
        if not independent_validations(version):
            developers = developers_of(version.card, registrant=version.registered_by)
            return (
                "no passed validation recorded by an independent validator (the validator role, "
                f"neither its registrant nor a developer: {', '.join(developers)})"
            )
    elif gate == NO_OPEN_BIAS_FLAG:
        open_flags = [flag.flag_id for flag in model.open_bias_flags(version_number)]
        if open_flags:
            return f"open bias flag(s): {', '.join(open_flags)}"
    return ""
