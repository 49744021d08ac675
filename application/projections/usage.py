"""Usage windows: every interval a version was active in an environment, the record auditors ask for
when they say "which model answered this customer on that date"."""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.base import Projection, Statement
from application.projections.personal import Personal
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model


class UsageWindows(Projection):
    name = "usage_windows"
    tables: Sequence[str] = ("modelgov_usage_windows",)

    def schema(self) -> Sequence[str]:
        return [
            """CREATE TABLE IF NOT EXISTS modelgov_usage_windows (
                model TEXT NOT NULL,
                version INTEGER NOT NULL,
                environment TEXT NOT NULL,
                started_at TEXT NOT NULL,
                ended_at TEXT,
                started_by TEXT NOT NULL,
                ended_by TEXT,
                end_reason TEXT,
                PRIMARY KEY (model, environment, started_at, version))"""
        ]

    def statements(self, *, event: ModelEvent, model: str, position: int) -> list[Statement]:
        at = sortable_utc_text(event.effective_at)
        if isinstance(event, Model.VersionActivated):
            return [self._open(model, event.version, event.environment, at, event.actor)]
        if isinstance(event, Model.VersionDeactivated):
            return [
                self._close(model, event.version, event.environment, at, event.actor, event.reason)
            ]
        if isinstance(event, Model.RolledBack):
            reason = f"rolled back to version {event.to_version}: {event.reason}"
            return [
                self._close(model, event.from_version, event.environment, at, event.actor, reason),
                self._open(model, event.to_version, event.environment, at, event.actor),
            ]
        return []

    @staticmethod
    def _open(model: str, version: int, environment: str, at: str, actor: str) -> Statement:
        return (
            "INSERT INTO modelgov_usage_windows (model, version, environment, started_at, started_by) "
            "VALUES (?, ?, ?, ?, ?)",
            (model, version, environment, at, Personal(actor)),
        )

    @staticmethod
    def _close(
        model: str, version: int, environment: str, at: str, actor: str, reason: str
    ) -> Statement:
        return (
            "UPDATE modelgov_usage_windows SET ended_at = ?, ended_by = ?, end_reason = ? "
            "WHERE model = ? AND version = ? AND environment = ? AND ended_at IS NULL",
            (at, Personal(actor), Personal(reason), model, version, environment),
        )
