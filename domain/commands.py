"""The commands: one frozen dataclass per use case, a value that says what someone asks of a model.

They live in the domain, not in application/, because the aggregate's rules take them (`Model.
activate(command, by)`) and the domain imports nothing above it: so a command's field is declared
twice at most, here and in the event it records. Who asks, why and when is not part of the
command but of its `Attribution` (domain/values.py). Each command names its `Action`; the
`Action` vocabulary and who may take each (`PERMISSIONS`, the role matrix's half the domain
checks) are declared here, with the commands. The `Annotated` markers (domain/fields.py) state the
constraints the HTTP layer turns into its request schemas; the aggregate's rules check every value
again, whoever sent it.

Adding a command: a class here (with its action and who may take it, if the action is new), its
event in domain/events/, its method in domain/model.py, and a row in the route table
(infrastructure/api/routes_commands.py). README "Adding a command" works an example.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from domain.fields import Doc, Entries, Finite, Money, OneOf, Pattern, Range, Text
from domain.values import (
    BIAS_RESOLUTIONS,
    COMPARATORS,
    CURRENCY_PATTERN,
    DIMENSIONS,
    ENVIRONMENT_PATTERN,
    MODEL_NAME_PATTERN,
    PERIOD_PATTERN,
    RISK_TIERS,
    SEVERITIES,
    WINDOW_PATTERN,
)


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
    RECORD_EXTERNAL_ALIAS = "record_external_alias"
    RECORD_EXTERNAL_TAG = "record_external_tag"
    DECLARE_INCIDENT = "declare_incident"
    REPORT_INCIDENT = "report_incident"
    PLACE_LEGAL_HOLD = "place_legal_hold"
    RELEASE_LEGAL_HOLD = "release_legal_hold"
    # The store itself, not a model: putting append-only triggers back (modelgov db triggers install).
    REINSTALL_APPEND_ONLY_TRIGGERS = "reinstall_append_only_triggers"
    # Not a model's either: a report file issued from the ledger (modelgov report ... --issue).
    ISSUE_REPORT = "issue_report"
    # Not a model's either: a person's data made unreadable everywhere (modelgov people forget).
    FORGET_PERSON = "forget_person"


_OPERATIONS = frozenset({"devops_engineer", "itops_engineer"})
# `integration` (the MLflow bridge) brings in what happened there; it never decides (approves ...).
_INTEGRATION = frozenset({"integration"})

PERMISSIONS: Mapping[Action, frozenset[str]] = {
    Action.REGISTER_MODEL: _INTEGRATION | {"ml_engineer", "data_scientist", "admin"},
    Action.CHANGE_POLICY: frozenset({"admin", "compliance_officer"}),
    Action.REGISTER_VERSION: _INTEGRATION | {"ml_engineer", "data_scientist"},
    Action.RECORD_VALIDATION: _INTEGRATION
    | {"ml_engineer", "data_scientist", "data_engineer", "validator"},
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
    # Auditors record nothing (they read, re-render and verify): issuing is the compliance officer's.
    Action.ISSUE_REPORT: frozenset({"compliance_officer"}),
    Action.FORGET_PERSON: frozenset({"admin", "compliance_officer"}),
    Action.RECORD_EXTERNAL_ALIAS: _INTEGRATION,
    Action.RECORD_EXTERNAL_TAG: _INTEGRATION,
    # Serious incidents (domain/incident_commands.py): declared by whoever notices one, reported
    # to the authority by the compliance officer (EU AI Act Art. 73).
    Action.DECLARE_INCIDENT: _OPERATIONS | {"compliance_officer", "ml_engineer", "data_scientist"},
    Action.REPORT_INCIDENT: frozenset({"compliance_officer"}),
    Action.PLACE_LEGAL_HOLD: frozenset({"compliance_officer"}),
    Action.RELEASE_LEGAL_HOLD: frozenset({"compliance_officer"}),
}

# Decisions a person makes and must explain.
REASON_REQUIRED = frozenset({
    Action.CHANGE_POLICY, Action.REJECT_RELEASE, Action.DEACTIVATE, Action.ROLL_BACK,
    Action.RETIRE_VERSION, Action.RESOLVE_BIAS_FLAG, Action.CHANGE_GAME_PLAN,
    Action.REINSTALL_APPEND_ONLY_TRIGGERS, Action.PLACE_LEGAL_HOLD, Action.RELEASE_LEGAL_HOLD,
})  # fmt: skip


R = TypeVar("R")

ModelName = Annotated[str, Pattern(MODEL_NAME_PATTERN), Doc(examples=("credit-risk-scorer",))]
VersionNumber = Annotated[int, Range(ge=1, le=1_000_000), Doc(examples=(1,))]
OptionalVersion = Annotated[int | None, Range(ge=1, le=1_000_000)]
Environment = Annotated[str, Pattern(ENVIRONMENT_PATTERN), Doc(examples=("production",))]
MetricName = Annotated[str, Text(max=100)]
Figure = Annotated[float, Finite()]
Dimension = Annotated[str, OneOf(DIMENSIONS)]
RiskTier = Annotated[str, OneOf(RISK_TIERS)]
BreachId = Annotated[str, Pattern(r"^B-\d{1,9}$"), Doc(examples=("B-1",))]
FlagId = Annotated[str, Pattern(r"^BF-\d{1,9}$"), Doc(examples=("BF-1",))]


@dataclass(frozen=True, kw_only=True)
class Command(Generic[R]):
    """A request to change the model named `name`; `R` is what the command returns when recorded."""

    ACTION: ClassVar[Action]
    name: ModelName


@dataclass(frozen=True, kw_only=True)
class RegisterModel(Command[None]):
    ACTION = Action.REGISTER_MODEL
    description: Annotated[str, Text(max=4000)]
    owner: Annotated[str, Text(max=200)]
    business_objective: Annotated[str, Text(max=4000)]
    risk_tier: RiskTier
    # People: {name, email, role} (domain/values.py: checked_stakeholders).
    stakeholders: Annotated[list[dict[str, str]], Entries(max=50)] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ChangePolicy(Command[None]):
    ACTION = Action.CHANGE_POLICY
    risk_tier: RiskTier
    policy: Annotated[dict[str, Any] | None, Doc("Omit for the tier's default policy.")] = None


@dataclass(frozen=True, kw_only=True)
class RegisterVersion(Command[int]):
    """Returns the new version's number."""

    ACTION = Action.REGISTER_VERSION
    card: dict[str, Any]  # the model card (domain/values.py: checked_model_card)


@dataclass(frozen=True, kw_only=True)
class RecordValidation(Command[None]):
    ACTION = Action.RECORD_VALIDATION
    version: VersionNumber
    kind: Annotated[str, Text(max=100), Doc(examples=("ab_test",))]
    dataset: Annotated[str, Text()]
    metrics: Annotated[dict[str, float], Entries(max=100), Doc(examples=({"auc": 0.84},))]
    passed: bool
    compared_to: OptionalVersion = None
    # What the evidence was produced with (an MLflow run's parameters).
    parameters: Annotated[dict[str, str], Entries(max=200)] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SetTarget(Command[int]):
    """Returns the targets' new revision."""

    ACTION = Action.SET_TARGET
    dimension: Dimension
    metric: Annotated[str, Text(max=100), Doc(examples=("auc",))]
    comparator: Annotated[str, OneOf(COMPARATORS)]
    threshold: Figure
    window: Annotated[str, Pattern(WINDOW_PATTERN)] = "last"
    severity: Annotated[str, OneOf(SEVERITIES)] = "warning"
    unit: Annotated[str, Text(min=0, max=50)] = ""
    hysteresis: Annotated[
        float,
        Range(ge=0),
        Finite(),
        Doc("A breach closes only once the value is back inside by this margin."),
    ] = 0.0
    min_duration_seconds: Annotated[
        int,
        Range(ge=0, le=30 * 86400),
        Doc("A crossing opens a breach only once it has lasted this long."),
    ] = 0


@dataclass(frozen=True, kw_only=True)
class ApproveTargets(Command[None]):
    ACTION = Action.APPROVE_TARGETS
    revision: Annotated[
        int, Range(ge=1, le=1_000_000), Doc("The targets revision that was reviewed.")
    ]


@dataclass(frozen=True, kw_only=True)
class _OnVersion(Command[None]):
    """A decision about one version of the model."""

    version: VersionNumber


@dataclass(frozen=True, kw_only=True)
class _InEnvironment(Command[None]):
    """A change to what serves in one of the model's environments."""

    version: VersionNumber
    environment: Environment


class ApproveRelease(_OnVersion):
    ACTION = Action.APPROVE_RELEASE


class RejectRelease(_OnVersion):
    ACTION = Action.REJECT_RELEASE


class SignOff(_OnVersion):
    ACTION = Action.SIGN_OFF


class RetireVersion(_OnVersion):
    ACTION = Action.RETIRE_VERSION


class Activate(_InEnvironment):
    ACTION = Action.ACTIVATE


class Deactivate(_InEnvironment):
    ACTION = Action.DEACTIVATE


@dataclass(frozen=True, kw_only=True)
class RollBack(Command[None]):
    ACTION = Action.ROLL_BACK
    environment: Environment
    to_version: VersionNumber


@dataclass(frozen=True, kw_only=True)
class OpenBreach(Command[str]):
    """Returns the new breach's id."""

    ACTION = Action.OPEN_BREACH
    version: VersionNumber
    environment: Environment
    dimension: Dimension
    metric: MetricName
    observed_value: Figure


@dataclass(frozen=True, kw_only=True)
class CloseBreach(Command[None]):
    ACTION = Action.CLOSE_BREACH
    breach_id: BreachId
    observed_value: Figure


@dataclass(frozen=True, kw_only=True)
class RaiseBiasFlag(Command[str]):
    """Returns the new flag's id; `evidence` holds the figures behind it (monitoring fills it in)."""

    ACTION = Action.RAISE_BIAS_FLAG
    version: VersionNumber
    attribute: Annotated[str, Text(max=100), Doc(examples=("age_band",))]
    metric: Annotated[str, Text(max=100), Doc(examples=("demographic_parity_difference",))]
    value: Figure
    threshold: Figure
    evidence: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class ResolveBiasFlag(Command[None]):
    """The justification is the attribution's reason."""

    ACTION = Action.RESOLVE_BIAS_FLAG
    flag_id: FlagId
    resolution: Annotated[str, OneOf(BIAS_RESOLUTIONS)]


@dataclass(frozen=True, kw_only=True)
class ReportCost(Command[None]):
    ACTION = Action.REPORT_COST
    period: Annotated[str, Pattern(PERIOD_PATTERN), Doc(examples=("2026-10",))]
    amount: Annotated[Decimal, Range(ge=0), Money(digits=18, places=2), Doc(examples=("8450.00",))]
    currency: Annotated[str, Pattern(CURRENCY_PATTERN), Doc(examples=("EUR",))]
    business_unit: Annotated[str, Text(max=200)]
    version: OptionalVersion = None


@dataclass(frozen=True, kw_only=True)
class ChangeGamePlan(Command[None]):
    ACTION = Action.CHANGE_GAME_PLAN
    game_plan: dict[str, Any]  # domain/game_plan.py: checked_game_plan


@dataclass(frozen=True, kw_only=True)
class PageOnCall(Command[None]):
    """Only the policy pages, when an automated response could not do what the game plan asked."""

    ACTION = Action.PAGE_ON_CALL
    breach_id: BreachId
    version: VersionNumber
    environment: Environment
    message: Annotated[str, Text(max=2000)]
