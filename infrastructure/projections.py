"""Running projections: follow the event log, apply each event's statements and advance the
projection's tracking position in one transaction (exactly once), poll for new events."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from application.governance import Governance
from application.portfolio import UsageWindow
from application.projections.base import Projection
from application.projections.catalog import Catalog
from application.projections.targets import TargetHistory
from application.projections.usage import UsageWindows
from application.projections.versions import VersionCards
from domain.events import Event as ModelEvent
from infrastructure.sql import SqlRunner

log = logging.getLogger("modelgov.projections")

_TRACKING = """CREATE TABLE IF NOT EXISTS modelgov_projection_tracking (
    projection TEXT PRIMARY KEY,
    position BIGINT NOT NULL)"""


def default_projections() -> list[Projection]:
    return [Catalog(), VersionCards(), UsageWindows(), TargetHistory()]


@dataclass
class ProjectionRunner:
    """Applies events to every projection; each projection keeps its own position."""

    governance: Governance
    sql: SqlRunner
    projections: Sequence[Projection]
    batch: int = 500

    def __post_init__(self) -> None:
        self.sql.execute(_TRACKING)
        for projection in self.projections:
            for statement in projection.schema():
                self.sql.execute(statement)

    def position(self, projection: Projection) -> int:
        rows = self.sql.execute(
            "SELECT position FROM modelgov_projection_tracking WHERE projection = ?",
            (projection.name,),
        )
        return int(rows[0][0]) if rows else 0

    def lag(self) -> int:
        """Events recorded but not yet applied by the slowest projection."""
        head = self.governance.recorder.max_notification_id() or 0
        return max((head - self.position(p) for p in self.projections), default=0)

    def run_once(self) -> int:
        """Apply up to `batch` new events to each projection; returns how many were applied."""
        applied = 0
        for projection in self.projections:
            after = self.position(projection)
            notifications = self.governance.recorder.select_notifications(
                start=after + 1, limit=self.batch
            )
            if notifications and self.apply(projection, after=after, notifications=notifications):
                applied += len(notifications)
        return applied

    def apply(self, projection: Projection, *, after: int, notifications: Sequence[Any]) -> bool:
        """Apply events that follow position `after`, with the new position, in one transaction.

        False, and nothing applied, when the projection is no longer at `after` (another runner
        got there first, or the events are a re-delivery): each event is applied exactly once.
        """
        with self.sql.transaction() as execute:
            # Checked inside the transaction, with the row locked on PostgreSQL (SQLite's
            # BEGIN IMMEDIATE already serialises writers).
            rows = execute(
                "SELECT position FROM modelgov_projection_tracking WHERE projection = ?"
                + ("" if self.sql.database.kind == "sqlite" else " FOR UPDATE"),
                (projection.name,),
            )
            if (int(rows[0][0]) if rows else 0) != after:
                return False
            for notification in notifications:
                event = cast(ModelEvent, self.governance.mapper.to_domain_event(notification))
                model = self.governance.name_of(event.originator_id)
                for statement, parameters in projection.statements(
                    event=event, model=model, position=notification.id
                ):
                    execute(statement, parameters)
            last = notifications[-1].id
            if rows:
                execute(
                    "UPDATE modelgov_projection_tracking SET position = ? WHERE projection = ?",
                    (last, projection.name),
                )
            else:
                execute(
                    "INSERT INTO modelgov_projection_tracking (projection, position) VALUES (?, ?)",
                    (projection.name, last),
                )
        return True

    def catch_up(self) -> int:
        total = 0
        while applied := self.run_once():
            total += applied
        return total

    def rebuild(self) -> int:
        """Drop every projection's tables and position, and apply all events again."""
        for projection in self.projections:
            for table in projection.tables:
                self.sql.execute(f"DROP TABLE IF EXISTS {table}")
            self.sql.execute(
                "DELETE FROM modelgov_projection_tracking WHERE projection = ?", (projection.name,)
            )
            for statement in projection.schema():
                self.sql.execute(statement)
        return self.catch_up()

    def run(
        self, stop: threading.Event, *, poll_seconds: float = 0.5, log_every: float = 60.0
    ) -> None:
        """Follow the event log until `stop` is set (polling: works on SQLite and PostgreSQL)."""
        logged = 0.0
        while not stop.is_set():
            applied = self.run_once()
            if time.monotonic() - logged >= log_every:
                log.info("projections applied %d event(s); lag %d", applied, self.lag())
                logged = time.monotonic()
            if applied == 0:
                stop.wait(poll_seconds)


def catalog_page(
    sql: SqlRunner,
    *,
    risk_tier: str | None,
    owner: str | None,
    status: str | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Models from the catalog projection, in name order after `after`, filtered."""
    status_of = (
        "CASE WHEN EXISTS (SELECT 1 FROM modelgov_catalog_active a WHERE a.model = c.model) "
        "THEN 'active' WHEN c.versions > 0 THEN 'inactive' ELSE 'draft' END"
    )
    clauses, parameters = ["c.model > ?"], [after or ""]
    for column, value in (("c.risk_tier", risk_tier), ("c.owner", owner), (status_of, status)):
        if value is not None:
            clauses.append(f"{column} = ?")
            parameters.append(value)
    rows = sql.execute(
        f"SELECT c.model, c.risk_tier, c.owner, {status_of}, c.versions, c.open_breaches, "
        f"c.open_bias_flags, c.model_version FROM modelgov_catalog c WHERE {' AND '.join(clauses)} "
        "ORDER BY c.model LIMIT ?",
        (*parameters, limit),
    )
    names = [row[0] for row in rows]
    active: dict[str, dict[str, int]] = {name: {} for name in names}
    if names:
        marks = ", ".join("?" for _ in names)
        for model, environment, version in sql.execute(
            f"SELECT model, environment, version FROM modelgov_catalog_active WHERE model IN ({marks})",
            names,
        ):
            active[model][environment] = version
    return [
        {"name": name, "risk_tier": tier, "owner": owner_, "status": state, "versions": versions,
         "active": dict(sorted(active[name].items())), "open_breaches": breaches,
         "open_bias_flags": flags, "model_version": version}
        for name, tier, owner_, state, versions, breaches, flags, version in rows
    ]  # fmt: skip


def usage_windows(sql: SqlRunner, model: str) -> list[UsageWindow]:
    rows = sql.execute(
        "SELECT version, environment, started_at, ended_at FROM modelgov_usage_windows "
        "WHERE model = ? ORDER BY started_at",
        (model,),
    )
    return [
        UsageWindow(
            version=int(version),
            environment=environment,
            started_at=datetime.fromisoformat(started),
            ended_at=datetime.fromisoformat(ended) if ended else None,
        )
        for version, environment, started, ended in rows
    ]
