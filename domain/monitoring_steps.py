"""The model's monitoring step (the third of the lifecycle): breaches, bias flags, costs, the game plan.

`MonitoringSteps` is a part of `Model` (domain/model.py), kept in a module of its own so that each
reads top to bottom: the commands here are `Model` methods like the others, checked by the same
role matrix and rules, and record the same kind of events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain import commands, events, rules
from domain.declared import require_declared
from domain.entities import Target
from domain.errors import InvalidValueError, NotActiveError, TargetNotFoundError
from domain.game_plan import ACTIONS, checked_game_plan
from domain.instants import utc_text
from domain.state import BIAS_FLAGS, BREACHES, Numbered
from domain.steps import ModelSteps
from domain.values import (
    BIAS_RESOLUTIONS,
    Attribution,
    require_amount,
    require_choice,
    require_environment,
    require_number,
    require_period,
    require_text,
)


class MonitoringSteps(ModelSteps):
    """Commands and queries about a model in production; a base of `Model`."""

    if TYPE_CHECKING:  # the commands of `Model` these methods use

        def deactivate(self, command: commands.Deactivate, by: Attribution) -> None: ...

        def roll_back(self, command: commands.RollBack, by: Attribution) -> None: ...

    def open_breach(self, command: commands.OpenBreach, by: Attribution) -> str:
        """Record that a version crossed the target in force; returns the new breach's id."""
        rules.check_may(by, command.ACTION)
        served = self._version_for(command.version, by).environments_served
        environment = require_environment("environment", command.environment)
        if environment not in served:
            raise NotActiveError(f"version {command.version} has never served in {environment}")
        target = self.target_in_force(command.dimension, command.metric, at=by.effective_at)
        if target is None:
            raise TargetNotFoundError(
                f"no target on {command.dimension} metric {command.metric!r} was in force at "
                f"{utc_text(by.effective_at)}"
            )
        observed = require_number("observed_value", command.observed_value)
        rules.check_target_crossed(target, observed)
        rules.check_no_open_breach(
            self,
            version=command.version,
            environment=environment,
            key=(command.dimension, command.metric),
        )
        return self._record_opening(
            events.BreachOpened,
            BREACHES,
            by,
            version=command.version,
            environment=environment,
            dimension=command.dimension,
            metric=command.metric,
            observed_value=observed,
            target=target_as_dict(target),
        )

    def close_breach(self, command: commands.CloseBreach, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        rules.check_breach_open(self, command.breach_id)
        breach = self.breaches_open[command.breach_id]
        rules.check_effective_after(by, breach.opened_at, what=f"breach {breach.breach_id} opening")
        in_force = self.target_in_force(breach.dimension, breach.metric, at=by.effective_at)
        observed = require_number("observed_value", command.observed_value)
        rules.check_target_recovered(breach, in_force, observed)
        self._record(events.BreachClosed, by, breach_id=command.breach_id, observed_value=observed)

    def raise_bias_flag(self, command: commands.RaiseBiasFlag, by: Attribution) -> str:
        """Raise a bias flag; returns the new flag's id."""
        rules.check_may(by, command.ACTION)
        if command.evidence is not None and not isinstance(command.evidence, dict):
            raise InvalidValueError("evidence", "must be an object")
        rules.check_not_retired(self._version_for(command.version, by))
        attribute, metric = require_declared(command, "attribute", "metric")
        return self._record_opening(
            events.BiasFlagRaised,
            BIAS_FLAGS,
            by,
            version=command.version,
            attribute=attribute,
            metric=metric,
            value=require_number("value", command.value),
            threshold=require_number("threshold", command.threshold),
            evidence=dict(command.evidence or {}),
        )

    def resolve_bias_flag(self, command: commands.ResolveBiasFlag, by: Attribution) -> None:
        """Resolve a bias flag once, with a decision; `by.reason` is the justification."""
        rules.check_may(by, command.ACTION)
        rules.check_flag_open(self, command.flag_id)
        flag = self.bias_flags_open[command.flag_id]
        rules.check_effective_after(
            by, flag.raised_at, what=f"bias flag {flag.flag_id} being raised"
        )
        resolution = require_choice("resolution", command.resolution, BIAS_RESOLUTIONS)
        self._record(events.BiasFlagResolved, by, flag_id=command.flag_id, resolution=resolution)

    def report_cost(self, command: commands.ReportCost, by: Attribution) -> None:
        rules.check_may(by, command.ACTION)
        if command.version is not None:
            self._version_for(command.version, by)
        currency = require_text("currency", command.currency, max_length=3)
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            raise InvalidValueError(
                "currency", f"must be a three-letter ISO code such as EUR; got {currency!r}"
            )
        self._record(
            events.CostReported,
            by,
            period=require_period("period", command.period),
            amount=require_amount("amount", command.amount),
            currency=currency,
            business_unit=require_declared(command, "business_unit")[0],
            version=command.version,
        )

    def change_game_plan(self, command: commands.ChangeGamePlan, by: Attribution) -> None:
        """Set where the model's events are notified and what monitoring may do on its own."""
        rules.check_may(by, command.ACTION)
        names = tuple(cls.__name__ for cls in events.EVENT_CLASSES)
        self._record(
            events.GamePlanChanged,
            by,
            game_plan=checked_game_plan(command.game_plan, event_names=names),
            previous=dict(self.game_plan),
        )

    def page_on_call(self, command: commands.PageOnCall, by: Attribution) -> None:
        """Record that the on-call people were paged about a breach the game plan could not answer."""
        rules.check_may(by, command.ACTION)
        self.breach_is_open(command.breach_id)  # raises if there is no such breach
        self._record(
            events.OnCallPaged,
            by,
            breach_id=command.breach_id,
            version=command.version,
            environment=require_environment("environment", command.environment),
            message=require_declared(command, "message")[0],
        )

    def respond_to_breach(self, *, breach_id: str, action: str, by: Attribution) -> str:
        """Carry out the game plan's response to a breach, under the same rules as people.

        `roll_back` goes back to the last good version; when there is none, or for `deactivate`,
        the version is deactivated and the on-call people are paged. Nothing happens when the
        version no longer serves there. Returns what was done, in words.
        """
        is_open = self.breach_is_open(breach_id)
        require_choice("action", action, ACTIONS)
        if not is_open:
            return f"nothing: breach {breach_id} is closed"
        breach = self.breaches_open[breach_id]
        environment, version = breach.environment, breach.version
        if self.active.get(environment) != version:
            return f"nothing: version {version} no longer serves in {environment}"
        if action == "roll_back":
            good = self.last_good_version(environment, instead_of=version)
            if good is not None:
                self.roll_back(
                    commands.RollBack(name=self.name, environment=environment, to_version=good),
                    by,
                )
                return f"rolled {environment} back from version {version} to version {good}"
        self.deactivate(
            commands.Deactivate(name=self.name, version=version, environment=environment), by
        )
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
            commands.PageOnCall(
                name=self.name,
                breach_id=breach_id,
                version=version,
                environment=environment,
                message=message,
            ),
            by,
        )
        return f"deactivated version {version} in {environment} and paged: {why}"

    # ------------------------------------------------------------------ queries

    def _record_opening(
        self, event_class: type[events.Event], kind: Numbered[Any], by: Attribution, **fields: Any
    ) -> str:
        """Record `event_class`, which opens the next of `kind` (a breach, a bias flag) under
        the next id of its numbering; returns that id."""
        entry_id = kind.next_id(self)
        self._record(event_class, by, **{kind.id_field: entry_id}, **fields)
        return entry_id

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


def target_as_dict(target: Target) -> dict[str, Any]:
    """A target as events keep it (the one a breach crossed, the one a new target replaced)."""
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
