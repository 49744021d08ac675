"""Findings that need a human look: patterns in a model's history that no rule refuses but a
reviewer should question (a loosened threshold just before a breach, a bias flag closed without a
retrain decision, an activation with fewer approvers than the policy now wants, backdated approvals)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from application.views import is_backdated, revision_fields
from domain.events import Event as ModelEvent
from domain.events import TargetSet
from domain.instants import utc_text
from domain.model import Model
from domain.policy import DISTINCT_APPROVERS, Policy
from reports.render import instant

# A breach this soon after its threshold was loosened is called out.
LOOSENED_BEFORE_BREACH = timedelta(days=30)
_APPROVALS = (Model.ReleaseApproved, Model.ComplianceSignedOff, Model.TargetsApproved)


def required_approvers(policy: Policy) -> int:
    """Distinct release approvers a policy asks for: its minimum if it has that gate, else one."""
    return policy.min_distinct_approvers if DISTINCT_APPROVERS in policy.required_gates else 1


def loosened(event: TargetSet) -> bool:
    """A changed target that lets worse values pass than the one it replaced."""
    previous = event.previous
    if previous is None or previous["comparator"] != event.comparator:
        return False
    if event.comparator in ("<", "<="):
        return bool(event.threshold > previous["threshold"])
    return bool(event.threshold < previous["threshold"])


def approvers_at_activations(events: Sequence[ModelEvent]) -> dict[int, int]:
    """For each activation (by its model version): the distinct people who had approved the
    activated version's release when it was recorded."""
    approvers: dict[int, set[str]] = {}
    counts: dict[int, int] = {}
    for event in events:
        if isinstance(event, Model.ReleaseApproved):
            approvers.setdefault(event.version, set()).add(event.actor)
        elif isinstance(event, Model.VersionActivated):
            counts[event.originator_version] = len(approvers.get(event.version, ()))
    return counts


def review_findings(events: Sequence[ModelEvent], *, policy: Policy) -> list[dict[str, Any]]:
    """Every finding in the model's history, in effective-time order; `policy` is the current one."""
    findings = [
        *_loosened_before_breach(events),
        *_bias_flags_resolved_without_retrain(events),
        *_activations_with_too_few_approvers(events, policy, approvers_at_activations(events)),
        *_backdated_approvals(events),
    ]
    return sorted(findings, key=lambda f: (f["effective_at"], f["model_revision"], f["finding"]))


def _finding(kind: str, event: ModelEvent, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "finding": kind,
        "detail": detail,
        **revision_fields(event.originator_version),
        "effective_at": utc_text(event.effective_at),
        "actor": event.actor,
        **extra,
    }


def _loosened_before_breach(events: Sequence[ModelEvent]) -> list[dict[str, Any]]:
    """For each breach, the latest loosening of its target within LOOSENED_BEFORE_BREACH before it."""
    loosenings: dict[tuple[str, str], list[TargetSet]] = {}
    for event in sorted(
        (e for e in events if isinstance(e, TargetSet) and loosened(e)),
        key=lambda e: (e.effective_at, e.originator_version),
    ):
        loosenings.setdefault((event.dimension, event.metric), []).append(event)
    found = []
    for breach in (e for e in events if isinstance(e, Model.BreachOpened)):
        changes = loosenings.get((breach.dimension, breach.metric), [])
        before = bisect_right(changes, breach.effective_at, key=lambda e: e.effective_at)
        if not before:
            continue
        change = changes[before - 1]
        gap = breach.effective_at - change.effective_at
        if gap <= LOOSENED_BEFORE_BREACH:
            previous = change.previous or {}
            found.append(_finding(
                "threshold_loosened_before_breach", change,
                f"{change.metric} loosened from {previous.get('comparator')} "
                f"{previous.get('threshold')} to {change.comparator} {change.threshold} by "
                f"{change.actor}, {gap.days} day(s) before breach {breach.breach_id}",
                breach_id=breach.breach_id,
            ))  # fmt: skip
    return found


def _bias_flags_resolved_without_retrain(events: Sequence[ModelEvent]) -> list[dict[str, Any]]:
    return [
        _finding(
            "bias_flag_resolved_without_retrain",
            e,
            f"bias flag {e.flag_id} resolved as {e.resolution} by {e.actor}: {e.reason}",
            flag_id=e.flag_id,
        )
        for e in events
        if isinstance(e, Model.BiasFlagResolved) and e.resolution != "retrain"
    ]


def _activations_with_too_few_approvers(
    events: Sequence[ModelEvent], policy: Policy, approvers: dict[int, int]
) -> list[dict[str, Any]]:
    needed = required_approvers(policy)
    return [
        _finding(
            "activation_with_too_few_approvers",
            e,
            f"version {e.version} was activated in {e.environment} with "
            f"{approvers[e.originator_version]} distinct approver(s); the current policy needs {needed}",
            version=e.version,
            environment=e.environment,
        )
        for e in events
        if isinstance(e, Model.VersionActivated) and approvers[e.originator_version] < needed
    ]


def _earlier(gap: timedelta) -> str:
    if gap.days:
        return f"{gap.days} day(s)"
    return f"{gap.seconds // 3600} hour(s)"


def _backdated_approvals(events: Sequence[ModelEvent]) -> list[dict[str, Any]]:
    found = []
    for e in events:
        if isinstance(e, _APPROVALS) and is_backdated(e):
            what = type(e).__name__
            subject = f"version {e.version}" if hasattr(e, "version") else "targets"
            found.append(_finding(
                "backdated_approval", e,
                f"{what} of {subject} by {e.actor} recorded {instant(utc_text(e.timestamp))}, "
                f"effective {_earlier(e.timestamp - e.effective_at)} earlier",
                recorded_at=utc_text(e.timestamp),
            ))  # fmt: skip
    return found
