"""Target history: every target with the period it was in force, who set it and why."""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.base import Projection, Statement
from application.projections.personal import Personal
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model


class TargetHistory(Projection):
    name = "target_history"
    tables: Sequence[str] = ("modelgov_target_history",)

    def schema(self) -> Sequence[str]:
        return [
            """CREATE TABLE IF NOT EXISTS modelgov_target_history (
                model TEXT NOT NULL,
                dimension TEXT NOT NULL,
                metric TEXT NOT NULL,
                revision INTEGER NOT NULL,
                comparator TEXT NOT NULL,
                threshold DOUBLE PRECISION NOT NULL,
                window_spec TEXT NOT NULL,
                severity TEXT NOT NULL,
                set_by TEXT NOT NULL,
                reason TEXT NOT NULL,
                in_force_from TEXT NOT NULL,
                in_force_until TEXT,
                PRIMARY KEY (model, dimension, metric, revision))"""
        ]

    def statements(self, *, event: ModelEvent, model: str, position: int) -> list[Statement]:
        if not isinstance(event, Model.TargetSet):
            return []
        at = sortable_utc_text(event.effective_at)
        return [
            ("UPDATE modelgov_target_history SET in_force_until = ? WHERE model = ? AND dimension = ? "
             "AND metric = ? AND in_force_until IS NULL", (at, model, event.dimension, event.metric)),
            ("INSERT INTO modelgov_target_history (model, dimension, metric, revision, comparator, "
             "threshold, window_spec, severity, set_by, reason, in_force_from) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             (model, event.dimension, event.metric, event.revision, event.comparator, event.threshold,
              event.window, event.severity, Personal(event.actor), Personal(event.reason), at)),
        ]  # fmt: skip
