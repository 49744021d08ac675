"""The work that waits on a person, each item ending in one event: versions awaiting a compliance
sign-off, bias flags awaiting a data scientist's decision, targets awaiting approval.

Read from the models' state documents (application/views.py: model_state), as projected.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from domain.instants import require_instant, utc_text
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


def awaiting_bias_decision(
    states: Iterable[dict[str, Any]], *, now: datetime
) -> list[dict[str, Any]]:
    """Open bias flags, the longest open first, with their age and the day their policy wants
    them decided by (raised + bias_flag_max_open_days)."""
    items = []
    for state in states:
        allowed = timedelta(days=state["policy"]["bias_flag_max_open_days"])
        for flag in state["open_bias_flags"]:
            raised = require_instant("raised_at", flag["raised_at"])
            items.append(
                {**flag, "model": state["name"], "risk_tier": state["risk_tier"],
                 "age_days": (now - raised).days, "due_at": utc_text(raised + allowed),
                 "overdue": now > raised + allowed}
            )  # fmt: skip
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
