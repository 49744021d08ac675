"""The demo portfolio's common life as data: each model's registration, targets, versions with their
releases, and costs, read from portfolio.toml; the seeder plans them, the stories add the rest."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Validation:
    """A validation of a version on `day` and the AUC it measured: an A/B test (against an earlier
    version, or none) or model risk management's independent validation (`report`, its reference)."""

    day: float
    auc: float
    passed: bool = True
    against: int | None = None
    report: str = ""


@dataclass(frozen=True, kw_only=True)
class Entry:
    """What a person enters on `day` (an approval, a cost report), `backdated_days` after it took
    effect when it was given earlier."""

    day: float
    by: str
    reason: str = ""
    backdated_days: float = 0


@dataclass(frozen=True)
class VersionLife:
    """A version: its card (commit, features, note), its evidence and its way out: approvals, the
    compliance officer's sign-off (day, reason), then activations (day, environment)."""

    number: int
    registered: float
    commit: str
    features: list[str]
    note: str
    ab_test: Validation | None = None
    independent_validation: Validation | None = None
    approvals: tuple[Entry, ...] = ()
    sign_off: tuple[float, str] | None = None
    activations: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class CostReport(Entry):
    """A month's cost of a version, in euros, charged to the model's owner."""

    period: str
    amount: Decimal
    version: int


@dataclass(frozen=True)
class CommonLife:
    """A model's registration, its production targets (day, accuracy floor), its versions and the
    costs reported for them."""

    name: str
    registered: float
    tier: str
    owner: str
    description: str
    objective: str
    versions: tuple[VersionLife, ...]
    method: str = ""
    targets: tuple[float, float] | None = None
    costs: tuple[CostReport, ...] = ()


def common_lives() -> dict[str, CommonLife]:
    """Every model's common life in portfolio.toml, by name."""
    text = (
        resources.files("application.demo").joinpath("portfolio.toml").read_text(encoding="utf-8")
    )
    return {name: _common_life(name, table) for name, table in tomllib.loads(text).items()}


def _common_life(name: str, table: dict[str, Any]) -> CommonLife:
    targets = table.pop("targets", None)
    return CommonLife(
        name=name,
        versions=tuple(_version_life(version) for version in table.pop("versions")),
        targets=(targets["day"], targets["accuracy_floor"]) if targets else None,
        costs=tuple(
            CostReport(**{**cost, "amount": Decimal(cost["amount"])})
            for cost in table.pop("costs", ())
        ),
        **table,
    )


def _version_life(table: dict[str, Any]) -> VersionLife:
    ab_test, validation, sign_off = (
        table.pop(key, None) for key in ("ab_test", "independent_validation", "sign_off")
    )
    return VersionLife(
        ab_test=Validation(**ab_test) if ab_test else None,
        independent_validation=Validation(**validation) if validation else None,
        approvals=tuple(Entry(**approval) for approval in table.pop("approvals", ())),
        sign_off=(sign_off["day"], sign_off["reason"]) if sign_off else None,
        activations=tuple(
            (activation["day"], activation["environment"])
            for activation in table.pop("activations", ())
        ),
        **table,
    )
