"""The work that waits on a person, each item ending in one event: versions awaiting a compliance
sign-off, bias flags awaiting a data scientist's decision, targets awaiting approval.

Read from the models' state documents (application/views.py: model_state). The model-states
projection keeps each model's items (`queue_items`) in rows of their own, so that a page of a
queue reads its rows only; what depends on the clock (a flag's age, whether it is overdue) is
added when read (`with_due_date`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from domain.instants import require_instant, sortable_utc_text, utc_text
from domain.policy import COMPLIANCE_SIGNOFF, TARGET_APPROVER_ROLES


def awaiting_signoff(states: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Versions whose policy needs a compliance sign-off that they lack, neither rejected nor
    retired, oldest registration first; with the other gates they still miss."""
    items = []
    for state in states:
        if COMPLIANCE_SIGNOFF not in state["policy"]["required_gates"]:
            continue
        for version in state["versions"]:
            if (
                version["rejected"]
                or version["retired"]
                or not version["gates"].get(COMPLIANCE_SIGNOFF)
            ):
                continue
            items.append(
                {"model": state["name"], "risk_tier": state["risk_tier"], "version": version["number"],
                 "registered_by": version["registered_by"], "registered_at": version["registered_at"],
                 "artifact_uri": version["card"]["artifact_uri"],
                 "other_unmet_gates": {gate: detail for gate, detail in version["gates"].items()
                                       if detail and gate != COMPLIANCE_SIGNOFF}}
            )  # fmt: skip
    return sorted(items, key=lambda item: (item["registered_at"], item["model"], item["version"]))


def with_due_date(flag: dict[str, Any], *, max_open_days: int, now: datetime) -> dict[str, Any]:
    """An open bias flag with its age and the day its policy wants it decided by (raised +
    bias_flag_max_open_days), as of `now`."""
    raised = require_instant("raised_at", flag["raised_at"])
    allowed = timedelta(days=max_open_days)
    return {**flag, "age_days": (now - raised).days, "due_at": utc_text(raised + allowed),
            "overdue": now > raised + allowed}  # fmt: skip


def awaiting_bias_decision(
    states: Iterable[dict[str, Any]], *, now: datetime
) -> list[dict[str, Any]]:
    """Open bias flags, the longest open first, with their age and the day their policy wants
    them decided by (raised + bias_flag_max_open_days)."""
    items = []
    for state in states:
        days = state["policy"]["bias_flag_max_open_days"]
        for flag in state["open_bias_flags"]:
            item = {**flag, "model": state["name"], "risk_tier": state["risk_tier"]}
            items.append(with_due_date(item, max_open_days=days, now=now))
    return sorted(items, key=lambda item: (item["raised_at"], item["model"], item["flag_id"]))


def awaiting_target_approval(states: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Models whose targets (at their current revision) lack an approval by a role that must
    approve them, with the roles still missing."""
    items = []
    for state in states:
        if not state["targets"]:
            continue
        approved_by = {approval["role"] for approval in state["target_approvals"]}
        missing = [role for role in TARGET_APPROVER_ROLES if role not in approved_by]
        if missing:
            items.append(
                {"model": state["name"], "risk_tier": state["risk_tier"],
                 "targets_revision": state["targets_revision"], "targets": state["targets"],
                 "approved_by": state["target_approvals"], "missing_roles": missing}
            )  # fmt: skip
    return sorted(items, key=lambda item: item["model"])


def queue_items(state: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """One model's items of the console's lists, as (kind, key, sort key, item): its versions
    awaiting a sign-off, its open bias flags (with the policy's days to decide them) and breaches,
    its targets awaiting approval. The sort key orders a kind's items across models as the
    functions above do (UTC text of one width sorts as the instants do)."""
    name, tier = state["name"], state["risk_tier"]
    items = [
        ("signoff", str(item["version"]),
         f"{_sortable(item['registered_at'])}|{name}|{item['version']:010d}", item)
        for item in awaiting_signoff([state])
    ]  # fmt: skip
    days = state["policy"]["bias_flag_max_open_days"]
    items += [
        ("bias_flag", flag["flag_id"], f"{_sortable(flag['raised_at'])}|{name}|{flag['flag_id']}",
         {**flag, "model": name, "risk_tier": tier, "max_open_days": days})
        for flag in state["open_bias_flags"]
    ]  # fmt: skip
    items += [
        ("breach", breach["breach_id"],
         f"{_sortable(breach['opened_at'])}|{name}|{breach['breach_id']}",
         {**breach, "model": name, "risk_tier": tier})
        for breach in state["open_breaches"]
    ]  # fmt: skip
    items += [("targets", "", name, item) for item in awaiting_target_approval([state])]
    return items


def _sortable(instant: str) -> str:
    return sortable_utc_text(require_instant("instant", instant))
