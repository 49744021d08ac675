"""The role matrix: which role may perform which lifecycle action. One table, checked by every command."""

from __future__ import annotations

from collections.abc import Mapping

from domain.errors import RoleNotAllowedError

ROLES = (
    "data_scientist",
    "ml_engineer",
    "devops_engineer",
    "itops_engineer",
    "data_engineer",
    "business_owner",
    "compliance_officer",
    "auditor",
    "admin",
    "policy",  # the model's policy acting on its own (automated responses); never a person's token
)

_OPERATIONS = frozenset({"devops_engineer", "itops_engineer"})

PERMISSIONS: Mapping[str, frozenset[str]] = {
    "register_model": frozenset({"ml_engineer", "data_scientist", "admin"}),
    "change_policy": frozenset({"admin", "compliance_officer"}),
    "register_version": frozenset({"ml_engineer", "data_scientist"}),
    "record_validation": frozenset({"ml_engineer", "data_scientist", "data_engineer"}),
    "set_target": frozenset({"data_scientist", "ml_engineer", "business_owner"}),
    "approve_targets": frozenset({"data_scientist", "business_owner"}),
    "approve_release": frozenset({"data_scientist", "business_owner", "compliance_officer"}),
    "reject_release": frozenset({"data_scientist", "business_owner", "compliance_officer"}),
    "sign_off": frozenset({"compliance_officer"}),
    "activate": _OPERATIONS | {"ml_engineer"},
    "deactivate": _OPERATIONS | {"ml_engineer", "policy"},
    "roll_back": _OPERATIONS | {"ml_engineer", "policy"},
    "retire_version": frozenset({"ml_engineer", "data_scientist"}),
    "open_breach": _OPERATIONS | {"policy"},
    "close_breach": _OPERATIONS | {"policy"},
    "raise_bias_flag": frozenset({"data_scientist", "compliance_officer", "ml_engineer", "policy"}),
    "resolve_bias_flag": frozenset({"data_scientist", "compliance_officer"}),
    "report_cost": _OPERATIONS | {"business_owner", "data_engineer"},
    "change_game_plan": frozenset({"admin", "compliance_officer", "ml_engineer"}),
    "page_on_call": frozenset({"policy"}),
    # The store itself, not a model: putting append-only triggers back (modelgov db triggers install).
    "reinstall_append_only_triggers": frozenset({"admin"}),
}

# Reading reports that span every model (portfolio, changes): a read, not a lifecycle action.
REPORT_READERS = frozenset({"auditor", "compliance_officer"})

# Decisions a person makes and must explain.
REASON_REQUIRED = frozenset(
    {
        "change_policy",
        "reject_release",
        "deactivate",
        "roll_back",
        "retire_version",
        "resolve_bias_flag",
        "change_game_plan",
        "reinstall_append_only_triggers",
    }
)


def check_role_may(role: str, action: str) -> None:
    """Raise RoleNotAllowedError unless `role` may perform `action`."""
    allowed = PERMISSIONS[action]
    if role not in allowed:
        raise RoleNotAllowedError(
            f"role {role!r} may not {action.replace('_', ' ')}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
