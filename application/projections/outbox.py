"""The webhook outbox: which event goes to which URL, decided in order as the events are applied.

A route takes the events it names ("*" for all) at or above its minimum severity; an event goes
to each URL once, however many of the model's routes lead there.

Not one of the rebuildable read models: a rebuild would send every past event again. It runs in a
runner of its own, with the game plans' routes kept in a table and each event's deliveries
queued in the same transaction as its tracking position (each event queued exactly once).
"""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.base import Projection, Statement
from domain.events import BreachOpened
from domain.events import Event as ModelEvent
from domain.game_plan import severity_of, severity_rank
from domain.model import Model

ROUTES = "modelgov_webhook_routes"
OUTBOX = "modelgov_webhook_outbox"


def event_id(event: ModelEvent) -> str:
    """A stable id receivers deduplicate on: the model's id and the event's version in it."""
    return f"{event.originator_id}:{event.originator_version}"


class WebhookOutbox(Projection):
    name = "webhook_outbox"
    tables: Sequence[str] = (ROUTES, OUTBOX)

    def schema(self) -> Sequence[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {ROUTES} (
                model TEXT NOT NULL,
                route INTEGER NOT NULL,
                url TEXT NOT NULL,
                events TEXT NOT NULL,
                min_rank INTEGER NOT NULL,
                PRIMARY KEY (model, route))""",
            f"""CREATE TABLE IF NOT EXISTS {OUTBOX} (
                position BIGINT NOT NULL,
                url TEXT NOT NULL,
                event_id TEXT NOT NULL,
                model TEXT NOT NULL,
                event_type TEXT NOT NULL,
                severity TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at TEXT NOT NULL,
                delivered_at TEXT,
                last_error TEXT,
                PRIMARY KEY (position, url))""",
            f"CREATE INDEX IF NOT EXISTS {OUTBOX}_due ON {OUTBOX} (status, next_attempt_at)",
        ]

    def statements(self, *, event: ModelEvent, model: str, position: int) -> list[Statement]:
        statements: list[Statement] = []
        if isinstance(event, Model.GamePlanChanged):
            statements.append((f"DELETE FROM {ROUTES} WHERE model = ?", (model,)))
            for index, route in enumerate(event.game_plan.get("notifications", [])):
                events = "*" if "*" in route["events"] else "," + ",".join(route["events"]) + ","
                rank = severity_rank(route["min_severity"])
                statements.append(
                    (
                        f"INSERT INTO {ROUTES} (model, route, url, events, min_rank) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (model, index, route["url"], events, rank),
                    )
                )
        name = type(event).__name__
        target = event.target.get("severity") if isinstance(event, BreachOpened) else None
        severity = severity_of(name, role=event.role, target_severity=target)
        statements.append(
            (
                f"INSERT INTO {OUTBOX} (position, url, event_id, model, event_type, severity, "
                "status, attempts, next_attempt_at) "
                f"SELECT DISTINCT ?, url, ?, ?, ?, ?, 'pending', 0, '' FROM {ROUTES} "
                "WHERE model = ? AND (events = '*' OR events LIKE ?) AND min_rank <= ?",
                (position, event_id(event), model, name, severity, model, f"%,{name},%",
                 severity_rank(severity)),
            )
        )  # fmt: skip
        return statements
