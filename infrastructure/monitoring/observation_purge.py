"""`modelgov observations purge`: drop the months of observations past their model's retention.

One transaction per model and month: the month's purge is recorded (modelgov_observation_purges,
append-only) and its rows deleted together, so a crash leaves the month whole or gone, never half.
The database's guard lets a DELETE through only for a month so recorded and over six months old
(infrastructure/db/append_only.py). Before committing, the model is read again: a legal hold
placed, or a policy changed, since the plan was made keeps the month. The ledger is not touched.

On PostgreSQL the table is partitioned by month (infrastructure/db/observation_partitions.py): a
month every model of which goes is one transaction recording each model's purge and dropping the
partition (no row deleted one by one); a month shared with a model that stays (held, longer
retention, not judged yet) has the others' rows deleted as above.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

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
from infrastructure.db.observation_partitions import drop_month, is_partitioned
from infrastructure.db.sql import SqlRunner, Transaction
from infrastructure.monitoring.monitor import EVALUATOR, MonitorRunner


@dataclass
class PurgeOutcome:
    """What a purge did: the months dropped, those kept (each with its reason), and the months
    whose partition was dropped whole (PostgreSQL)."""

    dropped: list[MonthDecision] = field(default_factory=list)
    kept: list[MonthDecision] = field(default_factory=list)
    partitions_dropped: list[str] = field(default_factory=list)

    @property
    def observations_dropped(self) -> int:
        return sum(decision.stored.observations for decision in self.dropped)


# How long dropping a partition waits for running reads of the table before deleting rows instead.
PARTITION_LOCK_WAIT = "5s"


def _bounds(month: str) -> tuple[str, str]:
    """The month's first instant and the next month's, as stored (`observed_at` in between)."""
    start = month_start(month)
    return sortable_utc_text(start), sortable_utc_text(add_months(start, 1))


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
        decisions = self.plan(now=now, model=model)
        if not dry_run and self._partitioned():
            decisions = self._drop_whole_months(
                decisions, now=now, outcome=outcome, progress=progress
            )
        for decision in decisions:
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
        try:
            with self.sql.transaction() as transaction:
                self._lock_against_appends(transaction)
                between = (stored.model, *_bounds(stored.month))
                [(count,)] = transaction.execute(
                    f"SELECT COUNT(*) FROM {OBSERVATIONS_TABLE} "
                    "WHERE model = ? AND observed_at >= ? AND observed_at < ?",
                    between,
                )
                self._record(transaction, decision, count=int(count), now=now)
                transaction.execute(
                    f"DELETE FROM {OBSERVATIONS_TABLE} "
                    "WHERE model = ? AND observed_at >= ? AND observed_at < ?",
                    between,
                )
                if not self._still_goes(decision, now=now):
                    raise _ChangedMeanwhileError
                fault_point("during_purge")
        except _ChangedMeanwhileError:
            return False
        return True

    def _partitioned(self) -> bool:
        database = self.sql.database
        return database.kind == "postgres" and is_partitioned(
            self.sql.execute, schema=database.pg_schema
        )

    def _drop_whole_months(
        self,
        decisions: list[MonthDecision],
        *,
        now: datetime,
        outcome: PurgeOutcome,
        progress: Callable[[MonthDecision, bool], None],
    ) -> list[MonthDecision]:
        """Drop the partition of each month all of whose models go; the decisions left over."""
        by_month: dict[str, list[MonthDecision]] = defaultdict(list)
        for decision in decisions:
            by_month[decision.stored.month].append(decision)
        left = []
        for month, of_month in sorted(by_month.items()):
            if all(d.drop for d in of_month) and self._drop_partition(of_month, now=now):
                outcome.partitions_dropped.append(month)
                outcome.dropped += of_month
                for decision in of_month:
                    progress(decision, True)
            else:
                left += of_month
        return sorted(left, key=lambda d: (d.stored.model, d.stored.month))

    def _drop_partition(self, of_month: list[MonthDecision], *, now: datetime) -> bool:
        """Record every model's purge of the month and drop its partition, in one transaction;
        False (nothing done) when the month holds rows the plan did not count (another model's,
        or ones come since), a model no longer lets it go, or reads kept the table longer than
        PARTITION_LOCK_WAIT (appends queue behind the drop's lock): its rows go model by model then."""
        month = of_month[0].stored.month
        schema = self.sql.database.pg_schema
        planned = {d.stored.model: d.stored.observations for d in of_month}
        try:
            with self.sql.transaction() as transaction:
                transaction.execute(f"SET LOCAL lock_timeout = '{PARTITION_LOCK_WAIT}'")
                transaction.execute(f"LOCK TABLE {OBSERVATIONS_TABLE} IN ACCESS EXCLUSIVE MODE")
                stored = transaction.execute(
                    f"SELECT model, COUNT(*) FROM {OBSERVATIONS_TABLE} "
                    "WHERE observed_at >= ? AND observed_at < ? GROUP BY model",
                    _bounds(month),
                )
                if {str(m): int(n) for m, n in stored} != planned:
                    raise _ChangedMeanwhileError
                for decision in of_month:
                    self._record(transaction, decision, count=decision.stored.observations, now=now)
                drop_month(transaction, schema=schema, month=month)
                if not all(self._still_goes(d, now=now) for d in of_month):
                    raise _ChangedMeanwhileError
                fault_point("during_purge")
        except (_ChangedMeanwhileError, psycopg.errors.LockNotAvailable):
            return False
        return True

    def _still_goes(self, decision: MonthDecision, *, now: datetime) -> bool:
        model = self.governance.get_model(decision.stored.model)
        return may_drop(model, decision.stored.month, now=now)

    def _record(
        self, transaction: Transaction, decision: MonthDecision, *, count: int, now: datetime
    ) -> None:
        """The month's purge, in the append-only record the database's guards read."""
        stored = decision.stored
        transaction.execute(
            f"INSERT INTO {OBSERVATION_PURGES_TABLE} "
            "(model, month, purged_at, observations, retention_months) VALUES (?, ?, ?, ?, ?)",
            (stored.model, stored.month, sortable_utc_text(now), count,
             decision.retention_months),
        )  # fmt: skip

    def _lock_against_appends(self, transaction: Transaction) -> None:
        """On PostgreSQL, appends wait until the month is gone (as they wait for each other:
        observation_table.py); SQLite's transaction already holds the only write lock."""
        if self.sql.database.kind == "postgres":
            transaction.execute(f"LOCK TABLE {OBSERVATIONS_TABLE} IN SHARE ROW EXCLUSIVE MODE")
