"""The role matrix: which role may perform which action. One vocabulary, one table, checked by every command.

`Action` names what a command does to a model (or to the store); `Access` names what a token may
read or post without recording a lifecycle event. They are two enums because only an `Action`
is checked by the domain: a read, a posted figure or a portfolio report never reaches an
aggregate, so the API alone decides them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

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
# Every role that a person or a pipeline can hold a token for.
PEOPLE_AND_PIPELINES = frozenset(role for role in ROLES if role != "policy")


class Action(StrEnum):
    """What a command does; each command class names its own (`ACTION`)."""

    REGISTER_MODEL = "register_model"
    CHANGE_POLICY = "change_policy"
    REGISTER_VERSION = "register_version"
    RECORD_VALIDATION = "record_validation"
    SET_TARGET = "set_target"
    APPROVE_TARGETS = "approve_targets"
    APPROVE_RELEASE = "approve_release"
    REJECT_RELEASE = "reject_release"
    SIGN_OFF = "sign_off"
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    ROLL_BACK = "roll_back"
    RETIRE_VERSION = "retire_version"
    OPEN_BREACH = "open_breach"
    CLOSE_BREACH = "close_breach"
    RAISE_BIAS_FLAG = "raise_bias_flag"
    RESOLVE_BIAS_FLAG = "resolve_bias_flag"
    REPORT_COST = "report_cost"
    CHANGE_GAME_PLAN = "change_game_plan"
    PAGE_ON_CALL = "page_on_call"
    # The store itself, not a model: putting append-only triggers back (modelgov db triggers install).
    REINSTALL_APPEND_ONLY_TRIGGERS = "reinstall_append_only_triggers"


class Access(StrEnum):
    """What a token may do that records no lifecycle event (the API checks these)."""

    READ = "read"  # models, histories, the event feed, one model's report
    POST_OBSERVATIONS = "post_observations"  # production figures, judged later by monitoring
    READ_REPORTS = "read_reports"  # reports across the whole portfolio


_OPERATIONS = frozenset({"devops_engineer", "itops_engineer"})

PERMISSIONS: Mapping[Action, frozenset[str]] = {
    Action.REGISTER_MODEL: frozenset({"ml_engineer", "data_scientist", "admin"}),
    Action.CHANGE_POLICY: frozenset({"admin", "compliance_officer"}),
    Action.REGISTER_VERSION: frozenset({"ml_engineer", "data_scientist"}),
    Action.RECORD_VALIDATION: frozenset({"ml_engineer", "data_scientist", "data_engineer"}),
    Action.SET_TARGET: frozenset({"data_scientist", "ml_engineer", "business_owner"}),
    Action.APPROVE_TARGETS: frozenset({"data_scientist", "business_owner"}),
    Action.APPROVE_RELEASE: frozenset({"data_scientist", "business_owner", "compliance_officer"}),
    Action.REJECT_RELEASE: frozenset({"data_scientist", "business_owner", "compliance_officer"}),
    Action.SIGN_OFF: frozenset({"compliance_officer"}),
    Action.ACTIVATE: _OPERATIONS | {"ml_engineer"},
    Action.DEACTIVATE: _OPERATIONS | {"ml_engineer", "policy"},
    Action.ROLL_BACK: _OPERATIONS | {"ml_engineer", "policy"},
    Action.RETIRE_VERSION: frozenset({"ml_engineer", "data_scientist"}),
    Action.OPEN_BREACH: _OPERATIONS | {"policy"},
    Action.CLOSE_BREACH: _OPERATIONS | {"policy"},
    Action.RAISE_BIAS_FLAG: frozenset(
        {"data_scientist", "compliance_officer", "ml_engineer", "policy"}
    ),
    Action.RESOLVE_BIAS_FLAG: frozenset({"data_scientist", "compliance_officer"}),
    Action.REPORT_COST: _OPERATIONS | {"business_owner", "data_engineer"},
    Action.CHANGE_GAME_PLAN: frozenset({"admin", "compliance_officer", "ml_engineer"}),
    Action.PAGE_ON_CALL: frozenset({"policy"}),
    Action.REINSTALL_APPEND_ONLY_TRIGGERS: frozenset({"admin"}),
}

ACCESS: Mapping[Access, frozenset[str]] = {
    Access.READ: PEOPLE_AND_PIPELINES,
    Access.POST_OBSERVATIONS: frozenset(
        {"devops_engineer", "itops_engineer", "ml_engineer", "data_engineer"}
    ),
    Access.READ_REPORTS: frozenset({"auditor", "compliance_officer"}),
}

# Decisions a person makes and must explain.
REASON_REQUIRED = frozenset(
    {
        Action.CHANGE_POLICY,
        Action.REJECT_RELEASE,
        Action.DEACTIVATE,
        Action.ROLL_BACK,
        Action.RETIRE_VERSION,
        Action.RESOLVE_BIAS_FLAG,
        Action.CHANGE_GAME_PLAN,
        Action.REINSTALL_APPEND_ONLY_TRIGGERS,
    }
)


def in_words(action: Action | Access) -> str:
    """`roll_back` as a person reads it in a refusal: `roll back`."""
    return action.value.replace("_", " ")
