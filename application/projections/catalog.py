"""The model catalog: one row per model with what a portfolio view lists, and where each is active."""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.base import Projection, Statement
from application.projections.personal import Personal
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model

_COUNTERS: dict[type, str] = {
    Model.VersionRegistered: "versions = versions + 1",
    Model.BreachOpened: "open_breaches = open_breaches + 1",
    Model.BreachClosed: "open_breaches = open_breaches - 1",
    Model.BiasFlagRaised: "open_bias_flags = open_bias_flags + 1",
    Model.BiasFlagResolved: "open_bias_flags = open_bias_flags - 1",
}


class Catalog(Projection):
    name = "catalog"
    tables: Sequence[str] = ("modelgov_catalog", "modelgov_catalog_active")

    def __init__(self) -> None:
        self._changed: dict[str, tuple[int, str]] = {}  # model: its version, last change (batch)

    def schema(self) -> Sequence[str]:
        return [
            """CREATE TABLE IF NOT EXISTS modelgov_catalog (
                model TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                risk_tier TEXT NOT NULL,
                versions INTEGER NOT NULL,
                open_breaches INTEGER NOT NULL,
                open_bias_flags INTEGER NOT NULL,
                model_version INTEGER NOT NULL,
                registered_at TEXT NOT NULL,
                last_changed_at TEXT NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS modelgov_catalog_active (
                model TEXT NOT NULL,
                environment TEXT NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (model, environment))""",
        ]

    def statements(self, *, event: ModelEvent, model: str, position: int) -> list[Statement]:
        at = sortable_utc_text(event.effective_at)
        if isinstance(event, Model.Registered):
            self._changed.pop(model, None)
            return [(
                "INSERT INTO modelgov_catalog (model, owner, risk_tier, versions, open_breaches, "
                "open_bias_flags, model_version, registered_at, last_changed_at) "
                "VALUES (?, ?, ?, 0, 0, 0, ?, ?, ?)",
                (model, Personal(event.owner), event.risk_tier, event.originator_version, at, at),
            )]  # fmt: skip
        # A model's version and last change are written once per batch (see `batch_end`).
        self._changed[model] = (event.originator_version, at)
        counter = _COUNTERS.get(type(event))
        statements: list[Statement] = []
        if counter is not None:
            statements.append((f"UPDATE modelgov_catalog SET {counter} WHERE model = ?", (model,)))
        if isinstance(event, Model.PolicyChanged):
            statements.append(
                (
                    "UPDATE modelgov_catalog SET risk_tier = ? WHERE model = ?",
                    (event.risk_tier, model),
                )
            )
        if isinstance(event, Model.VersionActivated | Model.RolledBack):
            environment = event.environment
            version = (
                event.version if isinstance(event, Model.VersionActivated) else event.to_version
            )
            statements.append((
                "INSERT INTO modelgov_catalog_active (model, environment, version) VALUES (?, ?, ?) "
                "ON CONFLICT (model, environment) DO UPDATE SET version = excluded.version",
                (model, environment, version),
            ))  # fmt: skip
        if isinstance(event, Model.VersionDeactivated):
            statements.append((
                "DELETE FROM modelgov_catalog_active WHERE model = ? AND environment = ? AND version = ?",
                (model, event.environment, event.version),
            ))  # fmt: skip
        return statements

    def batch_end(self) -> list[Statement]:
        statements: list[Statement] = [
            ("UPDATE modelgov_catalog SET model_version = ?, last_changed_at = ? WHERE model = ?",
             (version, at, model))
            for model, (version, at) in sorted(self._changed.items())
        ]  # fmt: skip
        self._changed.clear()
        return statements

    def reset(self) -> None:
        self._changed.clear()
