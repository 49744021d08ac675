"""The model inventory that US SR 26-2 / OCC 2026-13 ask for: every model ever registered, retired
ones included, with its purpose, method, inputs and outputs (from its model card), owner, risk
tier, validation status, last independent validation, next revalidation due and where it runs now.

Built from each model's current state as the read models project it (`model_state` documents:
application/views.py), by a pure function of those documents and the moment it is asked at.
Where a card does not say something the inventory asks for, the entry says so (`missing`).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from domain.independence import counts_as_independent, developers_of
from domain.instants import require_instant, utc_text
from domain.policy import REVALIDATION_MONTHS_BY_TIER

# Where a card names the method (the kind of model): its extras, under the first of these keys.
METHOD_KEYS = ("method", "algorithm", "model_type", "technique")
# The inventory's columns, in order; lists are joined with "; " in a table (CSV, XLSX).
COLUMNS = (
    "model",
    "status",
    "risk_tier",
    "owner",
    "purpose",
    "description",
    "method",
    "inputs",
    "outputs",
    "training_data",
    "assumptions",
    "documentation_url",
    "developers",
    "versions",
    "card_version",
    "registered_at",
    "validation_status",
    "validation_date",
    "last_independent_validation_by",
    "last_independent_validation_at",
    "last_independent_validation_version",
    "revalidation_interval_months",
    "next_revalidation_due",
    "revalidation_overdue",
    "serving",
    "missing",
)
STATUSES = ("active", "inactive", "retired", "draft")
# The columns holding an instant (UTC, `...Z`): a workbook writes them as dates.
INSTANT_COLUMNS = frozenset(
    {"registered_at", "validation_date", "last_independent_validation_at", "next_revalidation_due"}
)


def build_inventory(documents: Iterable[Mapping[str, Any]], *, as_of: datetime) -> dict[str, Any]:
    """The inventory of the models whose state documents are given, by name, as of `as_of`."""
    entries = sorted((inventory_entry(d, as_of=as_of) for d in documents), key=_by_name)
    statuses = [entry["status"] for entry in entries]
    return {
        "as_of": utc_text(as_of),
        "columns": list(COLUMNS),
        "models": entries,
        "totals": {
            "models": len(entries),
            **{status: statuses.count(status) for status in STATUSES},
            "never_independently_validated": sum(
                1 for entry in entries if entry["last_independent_validation_at"] is None
            ),
            "revalidation_overdue": sum(1 for entry in entries if entry["revalidation_overdue"]),
        },
    }


def inventory_entry(document: Mapping[str, Any], *, as_of: datetime) -> dict[str, Any]:
    """One model's row: what its card says, its validations, and where it serves now."""
    versions = list(document["versions"])
    active: dict[str, int] = dict(document.get("active") or {})
    shown = _card_version(versions, active)
    card: Mapping[str, Any] = shown["card"] if shown else {}
    extras = card.get("extras") or {}
    method = next((str(extras[key]) for key in METHOD_KEYS if extras.get(key)), "")
    registrant = str(shown["registered_by"]) if shown else ""
    developers = developers_of(card, registrant=registrant) if shown else []
    independent = _latest_independent(versions)
    months = int(
        (document.get("policy") or {}).get("revalidation_interval_months")
        or REVALIDATION_MONTHS_BY_TIER[document["risk_tier"]]
    )
    due = add_months(independent[1]["effective_at"], months) if independent else None
    entry = {
        "model": document["name"],
        "status": _status(versions, active),
        "risk_tier": document["risk_tier"],
        "owner": document["owner"],
        "purpose": document["business_objective"],
        "description": document["description"],
        "method": method,
        "inputs": list(card.get("features", [])),
        "outputs": list(card.get("labels", [])),
        "training_data": list(card.get("training_data", [])),
        "assumptions": list(card.get("assumptions", [])),
        "documentation_url": card.get("documentation_url", ""),
        "developers": developers,
        "versions": len(versions),
        "card_version": shown["number"] if shown else None,
        "registered_at": document.get("created_on"),
        **_validation_status(shown),
        "last_independent_validation_by": independent[1]["recorded_by"] if independent else None,
        "last_independent_validation_at": independent[1]["effective_at"] if independent else None,
        "last_independent_validation_version": independent[0] if independent else None,
        "revalidation_interval_months": months,
        "next_revalidation_due": due,
        "revalidation_overdue": due is not None and require_instant("due", due) < as_of,
        "serving": dict(sorted(active.items())),
    }
    entry["missing"] = _missing(entry, card=card, names_developers=_names_developers(card))
    return entry


def add_months(instant: str, months: int) -> str:
    """An instant (`...Z`) `months` calendar months later, on the same day or the month's last."""
    moment = require_instant("instant", instant)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return utc_text(moment.replace(year=year, month=month, day=day))


def _by_name(entry: Mapping[str, Any]) -> str:
    return str(entry["model"])


def _status(versions: list[Mapping[str, Any]], active: Mapping[str, int]) -> str:
    """active (serves somewhere), retired (every version retired), inactive, or draft (no version)."""
    if active:
        return "active"
    if not versions:
        return "draft"
    return "retired" if all(version["retired"] for version in versions) else "inactive"


def _card_version(
    versions: list[Mapping[str, Any]], active: Mapping[str, int]
) -> Mapping[str, Any] | None:
    """The version whose card describes the model: the one in production, else the latest serving
    anywhere, else the latest registered."""
    number = active.get("production") or max(active.values(), default=None)
    if number is None:
        return versions[-1] if versions else None
    return next(version for version in versions if version["number"] == number)


def _latest_independent(
    versions: list[Mapping[str, Any]],
) -> tuple[int, Mapping[str, Any]] | None:
    """The latest passed independent validation of any of the model's versions: (version, it)."""
    found = []
    for version in versions:
        registrant = str(version["registered_by"])
        developers = developers_of(version["card"], registrant=registrant)
        found += [
            (validation["effective_at"], version["number"], validation)
            for validation in version["validations"]
            if validation["passed"]
            and counts_as_independent(
                validator=str(validation["recorded_by"]),
                role=str(validation.get("role", "")),  # none in a document projected before roles
                registrant=registrant,
                developers=developers,
            )
        ]
    if not found:
        return None
    _, number, validation = max(found, key=lambda item: (item[0], item[1]))
    return number, validation


def _validation_status(version: Mapping[str, Any] | None) -> dict[str, Any]:
    """The latest validation of the version the card is from: passed, failed or none."""
    validations = list(version["validations"]) if version else []
    if not validations:
        return {"validation_status": "not validated", "validation_date": None}
    latest = max(validations, key=lambda validation: validation["effective_at"])
    return {
        "validation_status": "passed" if latest["passed"] else "failed",
        "validation_date": latest["effective_at"],
    }


def _names_developers(card: Mapping[str, Any]) -> bool:
    return developers_of(card, registrant="") != [""]


def _missing(
    entry: Mapping[str, Any], *, card: Mapping[str, Any], names_developers: bool
) -> list[str]:
    """What the inventory asks for and the record does not say, by column name (a card that does
    not name its developers: the registrant is taken for the developer)."""
    if not card:
        return ["model card"]
    gaps = [
        column for column in ("method", "inputs", "outputs", "training_data") if not entry[column]
    ]
    gaps += [] if names_developers else ["developers"]
    if entry["last_independent_validation_at"] is None:
        gaps.append("independent_validation")
    return gaps
