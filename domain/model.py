"""The registered-model aggregate: one consistency boundary for a model, its versions and their lifecycle.

Command methods check the role matrix and the rules, then record past-tense events. Events carry
explicit, stable topics; their `apply` methods are deterministic (no clock, no ids, no I/O).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import events, rules
from domain.entities import (
    BiasFlag,
    Breach,
    CostReport,
    Decision,
    Target,
    Version,
)
from domain.errors import (
    BiasFlagNotFoundError,
    BreachNotFoundError,
    InvalidValueError,
    NotActiveError,
    TargetNotFoundError,
    VersionNotFoundError,
)
from domain.game_plan import ACTIONS, EMPTY_GAME_PLAN, checked_game_plan
from domain.instants import utc_text
from domain.policy import (
    NO_OPEN_BIAS_FLAG,
    Policy,
    checked_policy,
    default_policy_for,
    unmet_activation_gates,
)
from domain.values import (
    BIAS_RESOLUTIONS,
    COMPARATORS,
    DIMENSIONS,
    RISK_TIERS,
    SEVERITIES,
    Attribution,
    checked_model_card,
    checked_stakeholders,
    optional_text,
    require_amount,
    require_choice,
    require_environment,
    require_model_name,
    require_number,
    require_period,
    require_text,
    require_window,
    target_key,
)

_MODEL_NAMESPACE = uuid5(NAMESPACE_URL, "https://modelgov.dev/models")


def model_id_for(name: str) -> UUID:
    """Models are addressed by name; the aggregate id is derived from it, so a name registers once."""
    return uuid5(_MODEL_NAMESPACE, name)


class Model(Aggregate):
    """A registered model, its policy, its versions and everything decided and observed about them."""

    TOPIC = "modelgov/Model"
    # Version 2 of the state (in snapshots) added `target_history` and `game_plan`.
    class_version = 2

    if (
        TYPE_CHECKING
    ):  # declared for type checkers only: the library would make annotations an __init__
        name: str
        description: str
        owner: str
        business_objective: str
        risk_tier: str
        stakeholders: list[dict[str, str]]
        policy: Policy
        versions: list[Version]
        targets: dict[str, Target]
        targets_revision: int
        target_approvals: list[Decision]
        registered_at: datetime
        active: dict[str, int]
        active_since: dict[str, datetime]
        targets_changed_at: datetime
        breaches: dict[str, Breach]
        bias_flags: dict[str, BiasFlag]
        cost_reports: list[CostReport]
        target_history: dict[str, list[Target]]
        game_plan: dict[str, Any]

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
    EVENT_CLASSES = events.EVENT_CLASSES

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot from before target history: it starts at the targets in force then."""
        state["target_history"] = {key: [target] for key, target in state["targets"].items()}
        state["game_plan"] = dict(EMPTY_GAME_PLAN)

    # ----------------------------------------------------------------- commands

    @classmethod
    def register(
        cls,
        *,
        name: str,
        description: str,
        owner: str,
        business_objective: str,
        risk_tier: str,
        stakeholders: list[dict[str, str]],
        by: Attribution,
    ) -> Model:
        rules.check_may(by, "register_model")
        require_model_name(name)
        require_choice("risk_tier", risk_tier, RISK_TIERS)
        return cls._create(
            cls.Registered,
            id=model_id_for(name),
            timestamp=by.recorded_at,
            name=name,
            description=require_text("description", description, max_length=4000),
            owner=require_text("owner", owner, max_length=200),
            business_objective=require_text(
                "business_objective", business_objective, max_length=4000
            ),
            risk_tier=risk_tier,
            stakeholders=checked_stakeholders(stakeholders),
            policy=default_policy_for(risk_tier).as_dict(),
            **_attribution_fields(by),
        )

    def change_policy(
        self, *, risk_tier: str, policy: dict[str, Any] | None, by: Attribution
    ) -> None:
        """Change the risk tier and the policy; without an explicit policy the tier's default applies."""
        rules.check_may(by, "change_policy")
        require_choice("risk_tier", risk_tier, RISK_TIERS)
        new_policy = (
            checked_policy(policy, risk_tier=risk_tier)
            if policy is not None
            else default_policy_for(risk_tier)
        )
        self._record(
            self.PolicyChanged,
            by,
            risk_tier=risk_tier,
            policy=new_policy.as_dict(),
            previous_risk_tier=self.risk_tier,
            previous_policy=self.policy.as_dict(),
        )

    def register_version(self, *, card: dict[str, Any], by: Attribution) -> int:
        rules.check_may(by, "register_version")
        if not isinstance(card, dict):
            raise InvalidValueError("card", "must be an object")
        number = max((v.number for v in self.versions), default=0) + 1
        self._record(self.VersionRegistered, by, version=number, card=checked_model_card(card))
        return number

    def record_validation(
        self,
        *,
        version: int,
        kind: str,
        dataset: str,
        metrics: dict[str, float],
        passed: bool,
        compared_to: int | None,
        by: Attribution,
    ) -> None:
        rules.check_may(by, "record_validation")
        rules.check_not_retired(self._version_for(version, by))
        if compared_to is not None:
            if isinstance(compared_to, bool) or not isinstance(compared_to, int):
                raise InvalidValueError("compared_to", "must be a version number")
            if compared_to == version:
                raise InvalidValueError(
                    "compared_to", "must be another version than the one validated"
                )
            self.version_by_number(compared_to)
        if not isinstance(metrics, dict):
            raise InvalidValueError("metrics", "must map metric names to numbers")
        checked = {
            require_text("metrics", k, max_length=100): require_number(f"metrics.{k}", v)
            for k, v in metrics.items()
        }
        if not isinstance(passed, bool):
            raise InvalidValueError("passed", "must be true or false")
        self._record(
            self.ValidationRecorded,
            by,
            version=version,
            kind=require_text("kind", kind, max_length=100),
            dataset=require_text("dataset", dataset),
            metrics=checked,
            passed=passed,
            compared_to=compared_to,
        )

    def set_target(
        self,
        *,
        dimension: str,
        metric: str,
        comparator: str,
        threshold: float,
        window: str,
        severity: str,
        unit: str,
        by: Attribution,
        hysteresis: float = 0.0,
        min_duration_seconds: int = 0,
    ) -> int:
        """Set or change a target; targets then need approving again. Returns the new revision."""
        rules.check_may(by, "set_target")
        hysteresis = require_number("hysteresis", hysteresis)
        if hysteresis < 0:
            raise InvalidValueError("hysteresis", "must be zero or more (in the metric's unit)")
        if (
            isinstance(min_duration_seconds, bool)
            or not isinstance(min_duration_seconds, int)
            or not 0 <= min_duration_seconds <= 30 * 86400
        ):
            raise InvalidValueError(
                "min_duration_seconds", "must be a whole number of seconds, 0 to 30 days"
            )
        require_choice("dimension", dimension, DIMENSIONS)
        require_text("metric", metric, max_length=100)
        previous = self.targets.get(target_key(dimension, metric))
        self._record(
            self.TargetSet,
            by,
            dimension=dimension,
            metric=metric,
            comparator=require_choice("comparator", comparator, COMPARATORS),
            threshold=require_number("threshold", threshold),
            window=require_window("window", window),
            severity=require_choice("severity", severity, SEVERITIES),
            unit=optional_text("unit", unit),
            previous=_target_as_dict(previous) if previous else None,
            revision=self.targets_revision + 1,
            hysteresis=hysteresis,
            min_duration_seconds=min_duration_seconds,
        )
        return self.targets_revision

    def approve_targets(self, *, revision: int, by: Attribution) -> None:
        rules.check_may(by, "approve_targets")
        rules.check_targets_approvable(self, revision=revision, by=by)
        rules.check_effective_after(
            by, self.targets_changed_at, what=f"targets revision {revision}"
        )
        self._record(self.TargetsApproved, by, revision=revision)

    def approve_release(self, *, version: int, by: Attribution) -> None:
        rules.check_may(by, "approve_release")
        rules.check_release_approvable(self._version_for(version, by), by=by)
        self._record(self.ReleaseApproved, by, version=version)

    def reject_release(self, *, version: int, by: Attribution) -> None:
        rules.check_may(by, "reject_release")
        target = self._version_for(version, by)
        rules.check_not_retired(target)
        rules.check_not_active(self, target)
        rules.check_not_already_decided(target.release_rejections, by=by, what="rejected")
        self._record(self.ReleaseRejected, by, version=version)

    def sign_off(self, *, version: int, by: Attribution) -> None:
        rules.check_may(by, "sign_off")
        target = self._version_for(version, by)
        rules.check_not_retired(target)
        rules.check_not_rejected(target)
        rules.check_not_already_decided(target.compliance_signoffs, by=by, what="signed off")
        self._record(self.ComplianceSignedOff, by, version=version)

    def activate(self, *, version: int, environment: str, by: Attribution) -> None:
        """Activate a version; the version active there before is deactivated in the same commit."""
        rules.check_may(by, "activate")
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
            superseded = Attribution(
                principal=by.principal,
                role=by.role,
                correlation_id=by.correlation_id,
                effective_at=by.effective_at,
                reason=f"superseded by version {version}",
                recorded_at=by.recorded_at,
            )
            self._record(
                self.VersionDeactivated, superseded, version=current, environment=environment
            )
        gates = [*self.policy.required_gates, NO_OPEN_BIAS_FLAG]
        self._record(
            self.VersionActivated, by, version=version, environment=environment, gates_checked=gates
        )

    def deactivate(self, *, version: int, environment: str, by: Attribution) -> None:
        rules.check_may(by, "deactivate")
        self._version_for(version, by)
        rules.check_active_in(self, version=version, environment=environment)
        rules.check_effective_after(
            by,
            self.active_since[environment],
            what=f"version {version}'s activation in {environment}",
        )
        self._record(self.VersionDeactivated, by, version=version, environment=environment)

    def roll_back(self, *, environment: str, to_version: int, by: Attribution) -> None:
        rules.check_may(by, "roll_back")
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

    def retire_version(self, *, version: int, by: Attribution) -> None:
        rules.check_may(by, "retire_version")
        target = self._version_for(version, by)
        rules.check_not_retired(target)
        rules.check_not_active(self, target)
        self._record(self.VersionRetired, by, version=version)

    def open_breach(
        self,
        *,
        version: int,
        environment: str,
        dimension: str,
        metric: str,
        observed_value: float,
        by: Attribution,
    ) -> str:
        """Record that a version crossed the target in force; returns the new breach's id."""
        rules.check_may(by, "open_breach")
        served = self._version_for(version, by).environments_served
        require_environment("environment", environment)
        if environment not in served:
            raise NotActiveError(f"version {version} has never served in {environment}")
        target = self.target_in_force(dimension, metric, at=by.effective_at)
        if target is None:
            raise TargetNotFoundError(
                f"no target on {dimension} metric {metric!r} was in force at "
                f"{utc_text(by.effective_at)}"
            )
        rules.check_target_crossed(target, require_number("observed_value", observed_value))
        rules.check_no_open_breach(
            self, version=version, environment=environment, key=(dimension, metric)
        )
        breach_id = f"B-{len(self.breaches) + 1}"
        self._record(
            self.BreachOpened,
            by,
            breach_id=breach_id,
            version=version,
            environment=environment,
            dimension=dimension,
            metric=metric,
            observed_value=require_number("observed_value", observed_value),
            target=_target_as_dict(target),
        )
        return breach_id

    def close_breach(self, *, breach_id: str, observed_value: float, by: Attribution) -> None:
        rules.check_may(by, "close_breach")
        breach = self.breach_by_id(breach_id)
        rules.check_breach_open(breach)
        rules.check_effective_after(by, breach.opened_at, what=f"breach {breach_id} opening")
        in_force = self.target_in_force(breach.dimension, breach.metric, at=by.effective_at)
        rules.check_target_recovered(
            breach, in_force, require_number("observed_value", observed_value)
        )
        self._record(
            self.BreachClosed,
            by,
            breach_id=breach_id,
            observed_value=require_number("observed_value", observed_value),
        )

    def raise_bias_flag(
        self,
        *,
        version: int,
        attribute: str,
        metric: str,
        value: float,
        threshold: float,
        by: Attribution,
        evidence: dict[str, Any] | None = None,
    ) -> str:
        """Raise a bias flag; `evidence` holds the figures behind it (monitoring fills it in)."""
        rules.check_may(by, "raise_bias_flag")
        if evidence is not None and not isinstance(evidence, dict):
            raise InvalidValueError("evidence", "must be an object")
        rules.check_not_retired(self._version_for(version, by))
        flag_id = f"BF-{len(self.bias_flags) + 1}"
        self._record(
            self.BiasFlagRaised,
            by,
            flag_id=flag_id,
            version=version,
            attribute=require_text("attribute", attribute, max_length=100),
            metric=require_text("metric", metric, max_length=100),
            value=require_number("value", value),
            threshold=require_number("threshold", threshold),
            evidence=dict(evidence or {}),
        )
        return flag_id

    def resolve_bias_flag(self, *, flag_id: str, resolution: str, by: Attribution) -> None:
        """Resolve a bias flag once, with a decision; `by.reason` is the justification."""
        rules.check_may(by, "resolve_bias_flag")
        flag = self.bias_flag_by_id(flag_id)
        rules.check_flag_open(flag)
        rules.check_effective_after(by, flag.raised_at, what=f"bias flag {flag_id} being raised")
        require_choice("resolution", resolution, BIAS_RESOLUTIONS)
        self._record(self.BiasFlagResolved, by, flag_id=flag_id, resolution=resolution)

    def report_cost(
        self,
        *,
        period: str,
        amount: Decimal | float | str,
        currency: str,
        business_unit: str,
        version: int | None,
        by: Attribution,
    ) -> None:
        rules.check_may(by, "report_cost")
        if version is not None:
            self._version_for(version, by)
        currency = require_text("currency", currency, max_length=3)
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            raise InvalidValueError(
                "currency", f"must be a three-letter ISO code such as EUR; got {currency!r}"
            )
        self._record(
            self.CostReported,
            by,
            period=require_period("period", period),
            amount=require_amount("amount", amount),
            currency=currency,
            business_unit=require_text("business_unit", business_unit, max_length=200),
            version=version,
        )

    def change_game_plan(self, *, game_plan: dict[str, Any], by: Attribution) -> None:
        """Set where the model's events are notified and what monitoring may do on its own."""
        rules.check_may(by, "change_game_plan")
        names = tuple(cls.__name__ for cls in events.EVENT_CLASSES)
        self._record(
            self.GamePlanChanged,
            by,
            game_plan=checked_game_plan(game_plan, event_names=names),
            previous=dict(self.game_plan),
        )

    def page_on_call(
        self, *, breach_id: str, version: int, environment: str, message: str, by: Attribution
    ) -> None:
        """Record that the on-call people were paged about a breach the game plan could not answer."""
        rules.check_may(by, "page_on_call")
        self.breach_by_id(breach_id)
        self._record(
            self.OnCallPaged,
            by,
            breach_id=breach_id,
            version=version,
            environment=require_environment("environment", environment),
            message=require_text("message", message, max_length=2000),
        )

    def respond_to_breach(self, *, breach_id: str, action: str, by: Attribution) -> str:
        """Carry out the game plan's response to a breach, under the same rules as people.

        `roll_back` goes back to the last good version; when there is none, or for `deactivate`,
        the version is deactivated and the on-call people are paged. Nothing happens when the
        version no longer serves there. Returns what was done, in words.
        """
        breach = self.breach_by_id(breach_id)
        require_choice("action", action, ACTIONS)
        environment, version = breach.environment, breach.version
        if breach.closed_at is not None:
            return f"nothing: breach {breach_id} is closed"
        if self.active.get(environment) != version:
            return f"nothing: version {version} no longer serves in {environment}"
        if action == "roll_back":
            good = self.last_good_version(environment, instead_of=version)
            if good is not None:
                self.roll_back(environment=environment, to_version=good, by=by)
                return f"rolled {environment} back from version {version} to version {good}"
        self.deactivate(version=version, environment=environment, by=by)
        why = (
            "no good version to roll back to"
            if action == "roll_back"
            else "the game plan deactivates on this breach"
        )
        message = (
            f"{self.name}: version {version} deactivated in {environment} after breach "
            f"{breach_id} ({breach.dimension} {breach.metric}); {why}: a person must act"
        )
        self.page_on_call(
            breach_id=breach_id, version=version, environment=environment, message=message, by=by
        )
        return f"deactivated version {version} in {environment} and paged: {why}"

    # ------------------------------------------------------------------ queries

    def last_good_version(self, environment: str, *, instead_of: int) -> int | None:
        """The version that served in `environment` most recently and may be rolled back to now.

        Good means: the rollback rules allow it (approved under the current policy, not retired
        or rejected, no open bias flag) and it has no open breach there.
        """
        breached = {b.version for b in self.open_breaches() if b.environment == environment}
        candidates = [
            version
            for version in self.versions
            if version.number != instead_of
            and environment in version.environments_served
            and version.number not in breached
            and rules.rollback_problems(self, environment=environment, to_version=version.number)
            == []
        ]
        if not candidates:
            return None
        # A version restored from a snapshot older than `served_until` has no end recorded
        # there: it ranks behind those that have one, then by number.
        latest = max(
            candidates,
            key=lambda v: (
                environment in v.served_until,
                v.served_until.get(environment),
                v.number,
            ),
        )
        return latest.number

    def target_in_force(self, dimension: str, metric: str, *, at: datetime) -> Target | None:
        """The target on a metric that was in force at an effective time (the latest set by then)."""
        history = self.target_history.get(target_key(dimension, metric), [])
        in_force = [target for target in history if target.effective_at <= at]
        # (With more than TARGET_HISTORY_KEPT changes, a moment before the oldest kept has none.)
        return max(in_force, key=lambda target: target.effective_at) if in_force else None

    def version_by_number(self, number: int) -> Version:
        for version in self.versions:
            if version.number == number:
                return version
        raise VersionNotFoundError(f"model {self.name!r} has no version {number}")

    def breach_by_id(self, breach_id: str) -> Breach:
        try:
            return self.breaches[breach_id]
        except KeyError:
            raise BreachNotFoundError(f"model {self.name!r} has no breach {breach_id!r}") from None

    def bias_flag_by_id(self, flag_id: str) -> BiasFlag:
        try:
            return self.bias_flags[flag_id]
        except KeyError:
            raise BiasFlagNotFoundError(
                f"model {self.name!r} has no bias flag {flag_id!r}"
            ) from None

    def open_bias_flags(self, version: int | None = None) -> list[BiasFlag]:
        return [
            flag
            for flag in self.bias_flags.values()
            if flag.is_open and (version is None or flag.version == version)
        ]

    def open_breaches(self) -> list[Breach]:
        return [breach for breach in self.breaches.values() if breach.closed_at is None]

    def unmet_gates(self, version: int) -> list[str]:
        return [gate.gate for gate in unmet_activation_gates(self, version)]

    # ----------------------------------------------------------------- helpers

    def _version_for(self, number: int, by: Attribution) -> Version:
        """The version a command acts on; the command cannot take effect before it was registered."""
        version = self.version_by_number(number)
        rules.check_effective_after(
            by, version.registered_at, what=f"version {number}'s registration"
        )
        return version

    def _record(self, event_class: type[events.Event], by: Attribution, **fields: Any) -> None:
        rules.check_effective_after(by, self.registered_at, what="the model's registration")
        self.trigger_event(
            event_class, **_attribution_fields(by), timestamp=by.recorded_at, **fields
        )


def _attribution_fields(by: Attribution) -> dict[str, Any]:
    return by.event_fields()


def _target_as_dict(target: Target) -> dict[str, Any]:
    return {
        "dimension": target.dimension,
        "metric": target.metric,
        "comparator": target.comparator,
        "threshold": target.threshold,
        "window": target.window,
        "severity": target.severity,
        "unit": target.unit,
        "set_by": target.set_by,
        "effective_at": target.effective_at,
        "hysteresis": target.hysteresis,
        "min_duration_seconds": target.min_duration_seconds,
    }
