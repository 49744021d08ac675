"""The named checks a model runs before recording an event; each raises a domain error that explains itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain.commands import PERMISSIONS, REASON_REQUIRED, Action
from domain.entities import Breach, Decision, Target, Version
from domain.errors import (
    ActivationRefusedError,
    AlreadyDecidedError,
    BiasFlagAlreadyResolvedError,
    BreachAlreadyClosedError,
    BreachAlreadyOpenError,
    DomainError,
    EffectiveTimeOutOfOrderError,
    EnvironmentNotAllowedError,
    FourEyesError,
    NotActiveError,
    ReasonRequiredError,
    RoleNotAllowedError,
    RollbackRefusedError,
    StaleTargetsRevisionError,
    TargetNotCrossedError,
    TargetStillCrossedError,
    UnmetGate,
    VersionRejectedError,
    VersionRetiredError,
    VersionStillActiveError,
)
from domain.gates import approval_shortfalls, unmet_activation_gates
from domain.independence import same_principal
from domain.instants import utc_text
from domain.roles import in_words
from domain.state import ModelState
from domain.values import Attribution, satisfies


def check_may(by: Attribution, action: Action) -> None:
    """The role matrix first, then the written reason that a person's decision needs.

    The one check of who may do what: every command's method calls it first, whoever sent the
    command (a person through the API or the CLI, or the model's policy through monitoring).
    """
    allowed = PERMISSIONS[action]
    if by.role not in allowed:
        raise RoleNotAllowedError(
            f"role {by.role!r} may not {in_words(action)}; allowed: {', '.join(sorted(allowed))}"
        )
    if action in REASON_REQUIRED and not by.reason.strip():
        raise ReasonRequiredError(f"{in_words(action)} needs a reason: say why in 'reason'")


def check_not_retired(version: Version) -> None:
    if version.retired:
        raise VersionRetiredError(
            f"version {version.number} is retired; register a new version instead"
        )


def check_not_rejected(version: Version) -> None:
    if version.rejected:
        who = ", ".join(f"{d.principal} ({d.role})" for d in version.release_rejections)
        raise VersionRejectedError(
            f"version {version.number}'s release was rejected by {who}; register a new version instead"
        )


def check_not_active(model: ModelState, version: Version) -> None:
    environments = sorted(env for env, number in model.active.items() if number == version.number)
    if environments:
        raise VersionStillActiveError(
            f"version {version.number} is active in {', '.join(environments)}; "
            "deactivate it (or activate another version) first"
        )


def check_effective_after(by: Attribution, moment: datetime, *, what: str) -> None:
    """An event cannot take effect before what it acts on was registered or happened."""
    if by.effective_at < moment:
        raise EffectiveTimeOutOfOrderError(
            f"effective_at {utc_text(by.effective_at)} is before {what} "
            f"({utc_text(moment)}); an event cannot take effect before what it acts on"
        )


def check_target_crossed(target: Target, observed: float) -> None:
    if satisfies(observed, target.comparator, target.threshold):
        raise TargetNotCrossedError(
            f"{observed} meets the target {target.metric} {target.comparator} {target.threshold}; "
            "there is no breach to open"
        )


def check_target_recovered(breach: Breach, in_force: Target | None, observed: float) -> None:
    """A breach closes when the metric meets the target in force now (or the one it crossed)."""
    comparator = in_force.comparator if in_force else breach.target["comparator"]
    threshold = in_force.threshold if in_force else breach.target["threshold"]
    if not satisfies(observed, comparator, threshold):
        raise TargetStillCrossedError(
            f"{observed} still fails the target {breach.metric} {comparator} {threshold}; "
            f"breach {breach.breach_id} stays open"
        )


def check_not_already_decided(decisions: list[Decision], *, by: Attribution, what: str) -> None:
    if any(same_principal(decision.principal, by.principal) for decision in decisions):
        raise AlreadyDecidedError(f"{by.principal} has already {what} this")


def check_release_approvable(version: Version, *, by: Attribution) -> None:
    check_not_retired(version)
    check_not_rejected(version)
    if same_principal(by.principal, version.registered_by):
        raise FourEyesError(
            f"{by.principal} registered version {version.number} and cannot approve its release; "
            "another person must approve it"
        )
    author = version.card.get("provenance", {}).get("author", "")
    if author and same_principal(by.principal, author):
        raise FourEyesError(
            f"{by.principal} made version {version.number} (its card's provenance.author) and "
            "cannot approve its release; another person must approve it"
        )
    check_not_already_decided(version.release_approvals, by=by, what="approved the release of")


def check_targets_approvable(model: ModelState, *, revision: int, by: Attribution) -> None:
    if model.targets_revision == 0:
        raise StaleTargetsRevisionError("there are no targets to approve yet; set targets first")
    if revision != model.targets_revision:
        raise StaleTargetsRevisionError(
            f"targets are at revision {model.targets_revision}, not {revision}; "
            "review the current targets and approve that revision"
        )
    check_not_already_decided(model.target_approvals, by=by, what="approved")


def check_environment_allowed(model: ModelState, environment: str) -> None:
    if environment not in model.policy.environments:
        raise EnvironmentNotAllowedError(
            f"the policy of {model.name!r} allows only: {', '.join(model.policy.environments)}; "
            f"not {environment!r}"
        )


def _preconditions(
    model: ModelState, target: Version, environment: str
) -> tuple[tuple[str, Callable[[], None]], ...]:
    """What an activation checks before its gates, each under the name `gate` reports it by."""
    return (
        ("environment_allowed", lambda: check_environment_allowed(model, environment)),
        ("not_retired", lambda: check_not_retired(target)),
        ("not_rejected", lambda: check_not_rejected(target)),
    )


def check_activatable(model: ModelState, *, version: int, environment: str) -> None:
    """Refuse at the first precondition that fails, else with every unmet gate at once."""
    for _, check in _preconditions(model, model.version_by_number(version), environment):
        check()
    unmet = unmet_activation_gates(model, version)
    if unmet:
        raise ActivationRefusedError(version=version, environment=environment, unmet_gates=unmet)


def activation_shortfalls(model: ModelState, *, version: int, environment: str) -> list[UnmetGate]:
    """Everything an activation of `version` in `environment` would be refused for now, not only
    the first refusal: the policy's environments, a retired or rejected version, every unmet gate.
    Judged by the checks `activate` runs, so the two cannot disagree (what `modelgov gate` asks)."""
    shortfalls = []
    for gate, check in _preconditions(model, model.version_by_number(version), environment):
        try:
            check()
        except DomainError as refusal:
            shortfalls.append(UnmetGate(gate, str(refusal)))
    return shortfalls + unmet_activation_gates(model, version)


def check_active_in(model: ModelState, *, version: int, environment: str) -> None:
    model.version_by_number(version)
    if model.active.get(environment) != version:
        current = model.active.get(environment)
        now = f"version {current} is" if current is not None else "no version is"
        raise NotActiveError(f"version {version} is not active in {environment}; {now}")


def check_rollback_allowed(model: ModelState, *, environment: str, to_version: int) -> int:
    """Returns the version being rolled back from."""
    check_environment_allowed(model, environment)
    model.version_by_number(to_version)
    current = model.active.get(environment)
    if current is None:
        raise NotActiveError(
            f"no version is active in {environment}; activate one instead of rolling back"
        )
    problems = rollback_problems(model, environment=environment, to_version=to_version)
    if problems:
        raise RollbackRefusedError(
            f"cannot roll back {environment} to version {to_version}: " + "; ".join(problems)
        )
    return current


def rollback_problems(model: ModelState, *, environment: str, to_version: int) -> list[str]:
    """Why a rollback to `to_version` in `environment` is not allowed now (empty when it is)."""
    target = model.version_by_number(to_version)
    current = model.active.get(environment)
    problems = []
    if current == to_version:
        problems.append(f"version {to_version} is already the active version")
    if environment not in target.environments_served:
        problems.append(f"version {to_version} was never active in {environment}")
    if target.retired:
        problems.append(f"version {to_version} is retired")
    if target.rejected:
        problems.append(f"version {to_version}'s release was rejected")
    problems += [
        f"version {to_version}: {shortfall}" for shortfall in approval_shortfalls(model, to_version)
    ]
    open_flags = model.open_bias_flags(to_version)
    if open_flags:
        problems.append(
            f"version {to_version} has open bias flag(s): {', '.join(f.flag_id for f in open_flags)}"
        )
    return problems


def check_no_open_breach(
    model: ModelState, *, version: int, environment: str, key: tuple[str, str]
) -> None:
    for breach in model.open_breaches():
        if (breach.version, breach.environment, (breach.dimension, breach.metric)) == (
            version,
            environment,
            key,
        ):
            raise BreachAlreadyOpenError(
                f"breach {breach.breach_id} of {key[0]} metric {key[1]!r} is already open for "
                f"version {version} in {environment}"
            )


def check_breach_open(model: ModelState, breach_id: str) -> None:
    if not model.breach_is_open(breach_id):
        raise BreachAlreadyClosedError(f"breach {breach_id} is already closed")


def check_flag_open(model: ModelState, flag_id: str) -> None:
    if model.bias_flag_is_open(flag_id):
        return
    # Who resolved it, how, when still among the latest resolved (the message only: it stays resolved).
    kept = [flag for flag in model.bias_flags_recently_resolved if flag.flag_id == flag_id]
    how = f" ({kept[-1].resolution}) by {kept[-1].resolved_by}" if kept else ""
    raise BiasFlagAlreadyResolvedError(f"bias flag {flag_id} was already resolved{how}")
