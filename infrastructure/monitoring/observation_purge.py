"""`modelgov observations purge`: drop the months of observations past their model's retention.

One transaction per model and month: the month's purge is recorded (modelgov_observation_purges,
append-only) and its rows deleted together, so a crash leaves the month whole or gone, never half.
The database's guard lets a DELETE through only for a month so recorded and over six months old
(infrastructure/db/append_only.py). Before committing, the model is read again: a legal hold
placed, or a policy changed, since the plan was made keeps the month. The ledger is not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from application.governance import Governance
from application.monitoring.retention import (
    MonthDecision,
    StoredMonth,
    may_drop,
    retention_plan,
)
from domain.instants import sortable_utc_text
from domain.retention import add_months, month_start
from infrastructure.db.append_only import OBSERVATION_PURGES_TABLE, OBSERVATIONS_TABLE
from infrastructure.db.fault_points import fault_point
from infrastructure.db.sql import SqlRunner, Transaction
from infrastructure.monitoring.monitor import EVALUATOR, MonitorRunner


@dataclass
class PurgeOutcome:
    """What a purge did: the months dropped, those kept (each with its reason)."""

    dropped: list[MonthDecision] = field(default_factory=list)
    kept: list[MonthDecision] = field(default_factory=list)

    @property
    def observations_dropped(self) -> int:
        return sum(decision.stored.observations for decision in self.dropped)


class _ChangedMeanwhileError(Exception):
    """The model's hold or policy changed while its month was being dropped: keep the month."""


@dataclass
class ObservationPurge:
    """Plans and carries out a purge of the observations store."""

    governance: Governance
    sql: SqlRunner

    def stored_months(self, model: str | None = None) -> list[StoredMonth]:
        """Every model's months of observations (or one model's), with counts."""
        where, parameters = ("WHERE model = ? ", (model,)) if model else ("", ())
        rows = self.sql.execute(
            f"SELECT model, substr(observed_at, 1, 7), COUNT(*), MAX(position) "
            f"FROM {OBSERVATIONS_TABLE} {where}GROUP BY model, substr(observed_at, 1, 7) "
            "ORDER BY model, substr(observed_at, 1, 7)",
            parameters,
        )
        return [StoredMonth(str(m), str(month), int(n), int(last)) for m, month, n, last in rows]

    def plan(self, *, now: datetime, model: str | None = None) -> list[MonthDecision]:
        judged = MonitorRunner(self.governance, self.sql).position(EVALUATOR)
        return retention_plan(
            self.governance, self.stored_months(model), now=now, judged_up_to=judged
        )

    def run(
        self,
        *,
        now: datetime,
        model: str | None = None,
        dry_run: bool = False,
        progress: Callable[[MonthDecision, bool], None] = lambda decision, dropped: None,
    ) -> PurgeOutcome:
        """Drop every month the plan lets go (nothing with `dry_run`); `progress` hears of each
        month as it is decided (True: dropped)."""
        outcome = PurgeOutcome()
        for decision in self.plan(now=now, model=model):
            dropped = decision.drop and (dry_run or self._drop(decision, now=now))
            if not dropped and decision.drop:
                decision = MonthDecision(
                    decision.stored, False, "a legal hold or policy change came meanwhile",
                    decision.retention_months,
                )  # fmt: skip
            (outcome.dropped if dropped else outcome.kept).append(decision)
            progress(decision, dropped)
        return outcome

    def _drop(self, decision: MonthDecision, *, now: datetime) -> bool:
        """Record the month's purge and delete its rows in one transaction; False (nothing
        done) when the model no longer lets the month go."""
        stored = decision.stored
        start = month_start(stored.month)
        try:
            with self.sql.transaction() as transaction:
                self._lock_against_appends(transaction)
                between = (stored.model, sortable_utc_text(start),
                           sortable_utc_text(add_months(start, 1)))  # fmt: skip
                [(count,)] = transaction.execute(
                    f"SELECT COUNT(*) FROM {OBSERVATIONS_TABLE} "
                    "WHERE model = ? AND observed_at >= ? AND observed_at < ?",
                    between,
                )
                transaction.execute(
                    f"INSERT INTO {OBSERVATION_PURGES_TABLE} "
                    "(model, month, purged_at, observations, retention_months) VALUES (?, ?, ?, ?, ?)",
                    (stored.model, stored.month, sortable_utc_text(now), int(count),
                     decision.retention_months),
                )  # fmt: skip
                transaction.execute(
                    f"DELETE FROM {OBSERVATIONS_TABLE} "
                    "WHERE model = ? AND observed_at >= ? AND observed_at < ?",
                    between,
                )
                if not may_drop(self.governance.get_model(stored.model), stored.month, now=now):
                    raise _ChangedMeanwhileError
                fault_point("during_purge")
        except _ChangedMeanwhileError:
            return False
        return True

    def _lock_against_appends(self, transaction: Transaction) -> None:
        """On PostgreSQL, appends wait until the month is gone (as they wait for each other:
        observation_table.py); SQLite's transaction already holds the only write lock."""
        if self.sql.database.kind == "postgres":
            transaction.execute(f"LOCK TABLE {OBSERVATIONS_TABLE} IN SHARE ROW EXCLUSIVE MODE")
