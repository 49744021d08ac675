"""A model's policy (which gates activation needs, by risk tier) and the evaluation of those gates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Annotated, Any

from domain.declared import declared
from domain.errors import InvalidValueError
from domain.fields import Doc, Entries, Range
from domain.retention import (
    LEGAL_FLOORS,
    MAX_DOCUMENTATION_YEARS,
    MIN_DOCUMENTATION_YEARS,
    MIN_LOG_MONTHS,
    RetentionMonths,
    default_retention_for,
    require_legal_floor,
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


@dataclass(frozen=True)
class PolicySpec:
    """A policy as a client states it (`ChangePolicy.policy`): what it omits is its tier's.

    Its markers (domain/fields.py) are both the HTTP body's schema and the bounds `checked_policy`
    holds each number to."""

    required_gates: Annotated[list[str], Entries(max=10)]
    environments: Annotated[list[str], Entries(max=10, min=1)] = field(
        default_factory=lambda: list(DEFAULT_ENVIRONMENTS)
    )
    min_distinct_approvers: Annotated[int, Range(ge=1, le=10)] = 2
    bias_flag_max_open_days: Annotated[int, Range(ge=1, le=365)] = 14
    monitoring_window_hours: Annotated[
        int,
        Range(ge=1, le=24 * 90),
        Doc("An active version with no production figures for this long is a finding."),
    ] = 24
    # None (or omitted): the tier's, as `default_policy_for` states it.
    observation_retention_months: Annotated[
        RetentionMonths,
        Doc(
            "Months the model's observations are kept (EU AI Act Art. 19: at least 6); "
            "omitted: the risk tier's (6, 12, 24 or 60)."
        ),
    ] = None
    log_retention_months: Annotated[
        RetentionMonths,
        Doc(
            "Months the logs kept outside the ledger are kept (at least 6); omitted: "
            "the risk tier's. The ledger's events are never deleted."
        ),
    ] = None
    documentation_retention_years: Annotated[
        int | None,
        Range(ge=MIN_DOCUMENTATION_YEARS, le=MAX_DOCUMENTATION_YEARS),
        Doc(
            "Years the technical documentation is kept (EU AI Act Art. 18: at least "
            "10); omitted: 10."
        ),
    ] = None
    revalidation_interval_months: Annotated[
        int | None,
        Range(ge=1, le=MAX_REVALIDATION_MONTHS),
        Doc(
            "How long an independent validation stands (the inventory's next "
            "revalidation due); default: the risk tier's (low 36, medium 24, high and "
            "regulated 12)."
        ),
    ] = None


# The whole numbers a policy states, each with its declared bounds.
_BOUNDS = {
    key: marker
    for key in (spec.name for spec in fields(PolicySpec))
    for marker in declared(PolicySpec, key).markers
    if isinstance(marker, Range)
}
# The fields a policy may leave to its tier: None there is the tier's value.
_LEFT_TO_TIER = tuple(spec.name for spec in fields(PolicySpec) if spec.default is None)


def checked_policy(data: Mapping[str, Any], *, risk_tier: str) -> Policy:
    """A policy from a client's description; it may add gates to its tier's defaults, never drop one."""
    unknown = set(data) - {spec.name for spec in fields(PolicySpec)}
    if unknown:
        raise InvalidValueError("policy", f"unknown field(s): {', '.join(sorted(unknown))}")
    gates = data.get("required_gates")
    if not isinstance(gates, list):
        raise InvalidValueError("policy.required_gates", "must be a list of gate names")
    for index, gate in enumerate(gates):
        require_choice(f"policy.required_gates[{index}]", gate, POLICY_GATES)
    stated = asdict(PolicySpec(**data))
    environments = stated["environments"]
    if not isinstance(environments, list) or not environments:
        raise InvalidValueError("policy.environments", "must name at least one environment")
    for index, environment in enumerate(environments):
        require_environment(f"policy.environments[{index}]", environment)
    default = default_policy_for(risk_tier)
    stated.update({key: getattr(default, key) for key in _LEFT_TO_TIER if stated[key] is None})
    for key in [key for key in _BOUNDS if key not in LEGAL_FLOORS]:  # in declared order
        _require_whole_number(key, stated[key])
    missing = [gate for gate in GATES_BY_TIER[risk_tier] if gate not in gates]
    if missing:
        raise InvalidValueError(
            "policy.required_gates",
            f"must keep the {risk_tier} tier's gates ({', '.join(missing)} missing); "
            "to relax them, move the model to a lower risk tier",
        )
    for key in LEGAL_FLOORS:  # the retention last, each refused below its legal floor first
        require_legal_floor(key, stated[key])
        _require_whole_number(key, stated[key])
    stated["required_gates"] = [gate for gate in POLICY_GATES if gate in gates]
    stated["environments"] = list(dict.fromkeys(environments))
    return Policy(**stated)


def _require_whole_number(key: str, number: object) -> None:
    """A policy's whole number within the bounds PolicySpec declares for `key`."""
    bounds = _BOUNDS[key]
    if isinstance(number, bool) or not isinstance(number, int) or not bounds.holds(number):
        unit = key.rpartition("_")[2]  # days, hours, months, years, approvers
        raise InvalidValueError(
            f"policy.{key}", f"must be a whole number of {unit}, {bounds.ge}-{bounds.le}"
        )


def policy_for_tier(risk_tier: object, policy: object) -> tuple[str, Policy]:
    """A risk tier and its policy as a client states them (`ChangePolicy`'s shape): the tier's
    default policy when `policy` is None, else that policy, checked against the tier."""
    tier = require_choice("risk_tier", risk_tier, RISK_TIERS)
    if policy is None:
        return tier, default_policy_for(tier)
    if not isinstance(policy, Mapping):
        raise InvalidValueError("policy", "must be an object (required_gates, environments, ...)")
    return tier, checked_policy(policy, risk_tier=tier)
