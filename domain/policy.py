"""A model's policy (which gates activation needs, by risk tier) and the evaluation of those gates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from domain.errors import InvalidValueError
from domain.retention import (
    MIN_DOCUMENTATION_YEARS,
    MIN_LOG_MONTHS,
    RETENTION_FIELDS,
    checked_retention,
    default_retention_for,
    with_retention,
)
from domain.values import DEFAULT_ENVIRONMENTS, RISK_TIERS, require_choice, require_environment

# Gates a policy can require, in the order a refusal lists them.
RELEASE_APPROVAL = "data_scientist_release_approval"
VALIDATION_EVIDENCE = "validation_evidence"
TARGETS_ON_ALL_DIMENSIONS = "targets_on_all_dimensions"
TARGETS_APPROVED = "targets_approved"
COMPLIANCE_SIGNOFF = "compliance_signoff"
DISTINCT_APPROVERS = "distinct_approvers"
# Passed validation evidence recorded by a validator who neither registered nor developed the
# version (domain/independence.py): what SR 26-2 / OCC 2026-13 call independent validation.
INDEPENDENT_VALIDATION = "independent_validation"
# Not a policy choice: no version with an open bias flag is ever activated.
NO_OPEN_BIAS_FLAG = "no_open_bias_flag"

# Each tier asks what the tier below asks, and more. Independent validation is a gate any tier's
# policy may add; no tier's default requires it yet, so that models registered before the
# validator role existed keep activating as they did (README "Default activation gates by risk
# tier").
_LOW = (RELEASE_APPROVAL,)
_MEDIUM = (*_LOW, VALIDATION_EVIDENCE, TARGETS_ON_ALL_DIMENSIONS, TARGETS_APPROVED)
_HIGH = (*_MEDIUM, COMPLIANCE_SIGNOFF)
_REGULATED = (*_HIGH, DISTINCT_APPROVERS)
GATES_BY_TIER: Mapping[str, tuple[str, ...]] = {
    "low": _LOW, "medium": _MEDIUM, "high": _HIGH, "regulated": _REGULATED,
}  # fmt: skip
# Every gate a policy can require, in that order (the order a refusal lists them).
POLICY_GATES = (*_REGULATED, INDEPENDENT_VALIDATION)
# How long an independent validation stands before the model is due for revalidation, by tier.
REVALIDATION_MONTHS_BY_TIER: Mapping[str, int] = {
    "low": 36,
    "medium": 24,
    "high": 12,
    "regulated": 12,
}
MAX_REVALIDATION_MONTHS = 120

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
    # How long records are kept (domain/retention.py): set from the tier by `default_policy_for`
    # and `checked_policy`; these defaults (the legal floors) only let a Policy be built bare.
    observation_retention_months: int = MIN_LOG_MONTHS
    log_retention_months: int = MIN_LOG_MONTHS
    documentation_retention_years: int = MIN_DOCUMENTATION_YEARS
    # Months an independent validation stands (the inventory's next revalidation due). Set from the
    # tier by `default_policy_for` and `checked_policy`; this default only lets a policy stored
    # before the field be read (the upcasters then put in its tier's).
    revalidation_interval_months: int = 12

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_policy_for(risk_tier: str) -> Policy:
    policy = Policy(
        required_gates=list(GATES_BY_TIER[risk_tier]),
        revalidation_interval_months=REVALIDATION_MONTHS_BY_TIER[risk_tier],
    )
    for key, value in default_retention_for(risk_tier).items():
        setattr(policy, key, value)
    return policy


def policy_from(stored: Mapping[str, Any], *, risk_tier: str) -> Policy:
    """The policy an event recorded; one recorded before policies stated retention gets its tier's."""
    return Policy(**with_retention(dict(stored), risk_tier=risk_tier))


def with_revalidation_interval(policy: dict[str, Any], *, risk_tier: str) -> None:
    """A policy stored before it said how long a validation stands: its tier's interval (upcasting)."""
    policy.setdefault("revalidation_interval_months", REVALIDATION_MONTHS_BY_TIER[risk_tier])


def checked_policy(data: Mapping[str, Any], *, risk_tier: str) -> Policy:
    """A policy from a client's description; it may add gates to its tier's defaults, never drop one."""
    unknown = set(data) - {
        "required_gates",
        "environments",
        "min_distinct_approvers",
        "bias_flag_max_open_days",
        "monitoring_window_hours",
        *RETENTION_FIELDS,
        "revalidation_interval_months",
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
    months = data.get("revalidation_interval_months")
    if months is None:
        months = REVALIDATION_MONTHS_BY_TIER[risk_tier]
    if (
        isinstance(months, bool)
        or not isinstance(months, int)
        or not 1 <= months <= MAX_REVALIDATION_MONTHS
    ):
        raise InvalidValueError(
            "policy.revalidation_interval_months",
            f"must be a whole number of months, 1-{MAX_REVALIDATION_MONTHS}",
        )
    missing = [gate for gate in GATES_BY_TIER[risk_tier] if gate not in gates]
    if missing:
        raise InvalidValueError(
            "policy.required_gates",
            f"must keep the {risk_tier} tier's gates ({', '.join(missing)} missing); "
            "to relax them, move the model to a lower risk tier",
        )
    ordered_gates = [gate for gate in POLICY_GATES if gate in gates]
    policy = Policy(
        required_gates=ordered_gates,
        environments=list(dict.fromkeys(environments)),
        min_distinct_approvers=approvers,
        bias_flag_max_open_days=max_days,
        monitoring_window_hours=window,
        revalidation_interval_months=months,
    )
    for key, value in checked_retention(data, risk_tier=risk_tier).items():
        setattr(policy, key, value)
    return policy


def policy_for_tier(risk_tier: object, policy: object) -> tuple[str, Policy]:
    """A risk tier and its policy as a client states them (`ChangePolicy`'s shape): the tier's
    default policy when `policy` is None, else that policy, checked against the tier."""
    tier = require_choice("risk_tier", risk_tier, RISK_TIERS)
    if policy is None:
        return tier, default_policy_for(tier)
    if not isinstance(policy, Mapping):
        raise InvalidValueError("policy", "must be an object (required_gates, environments, ...)")
    return tier, checked_policy(policy, risk_tier=tier)
