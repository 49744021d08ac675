"""How a snapshot of an earlier version of the model's state (`Model.class_version`) is brought
up to this one: each function takes the state of version N and makes it version N+1, in place.
`Model` names them `upcast_vN_vN+1`, as the library expects.
"""

from __future__ import annotations

from typing import Any

from domain.entities import add_to_month
from domain.game_plan import EMPTY_GAME_PLAN
from domain.policy import REVALIDATION_MONTHS_BY_TIER
from domain.retention import default_retention_for
from domain.state import RECENTLY_CLOSED_KEPT
from domain.values import with_card_defaults


def v1_v2(state: dict[str, Any]) -> None:
    """A snapshot from before target history: it starts at the targets in force then."""
    state["target_history"] = {key: [target] for key, target in state["targets"].items()}
    state["game_plan"] = dict(EMPTY_GAME_PLAN)


def v2_v3(state: dict[str, Any]) -> None:
    """A snapshot that kept every breach, bias flag and cost report: the open ones, the latest
    closed, the counts and each month's totals stay (the events keep the rest)."""
    breaches = list(state.pop("breaches").values())
    closed = sorted((b for b in breaches if b.closed_at is not None), key=lambda b: b.closed_at)
    state["breaches_open"] = {b.breach_id: b for b in breaches if b.closed_at is None}
    state["breaches_recently_closed"] = closed[-RECENTLY_CLOSED_KEPT:]
    state["breaches_opened"] = len(breaches)
    flags = list(state.pop("bias_flags").values())
    resolved = sorted((f for f in flags if not f.is_open), key=lambda f: f.resolved_at)
    state["bias_flags_open"] = {f.flag_id: f for f in flags if f.is_open}
    state["bias_flags_recently_resolved"] = resolved[-RECENTLY_CLOSED_KEPT:]
    state["bias_flags_raised"] = len(flags)
    state["cost_months"] = {}
    for report in state.pop("cost_reports"):
        add_to_month(state["cost_months"], report)


def v3_v4(state: dict[str, Any]) -> None:
    """Cards from before `artifact_sha256_of` and `extras`; no other registry's aliases or tags."""
    for version in state["versions"]:
        with_card_defaults(version.card)
    state["external_aliases"] = {}
    state["external_tags"] = {}


def v4_v5(state: dict[str, Any]) -> None:
    """A snapshot from before serious incidents, legal holds and revalidation intervals: it has
    no incident and no hold; its policy states its tier's retention (domain/retention.py) and
    interval. Validations read with no role (Validation.role's default): none was a
    validator's, the role did not exist yet."""
    state["serious_incidents"] = {}
    state["legal_hold"] = None
    for key, value in default_retention_for(state["risk_tier"]).items():
        setattr(state["policy"], key, value)
    state["policy"].revalidation_interval_months = REVALIDATION_MONTHS_BY_TIER[state["risk_tier"]]
