"""A purge that fails mid-month leaves that month whole and unrecorded; run again, it drops it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import OperationalError

from application.governance import Governance
from application.monitoring.observations import Observation
from domain.retention import add_months, month_start
from infrastructure.db import fault_points
from infrastructure.db.append_only import OBSERVATION_PURGES_TABLE, OBSERVATIONS_TABLE
from infrastructure.db.sql import SqlRunner
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.monitoring.observation_purge import ObservationPurge
from infrastructure.monitoring.observation_table import ObservationStore
from infrastructure.settings import Settings
from tests.factories import seed_app_model

NOW = datetime.now(UTC)
OLD_MONTHS = [add_months(month_start(NOW.strftime("%Y-%m")), -back) for back in (9, 8)]


def _connection_lost() -> None:
    raise OperationalError("the database went away (a test's fault)")


def _counts(sql: SqlRunner) -> tuple[int, int]:
    [(observations,)] = sql.execute(f"SELECT COUNT(*) FROM {OBSERVATIONS_TABLE}")
    [(purges,)] = sql.execute(f"SELECT COUNT(*) FROM {OBSERVATION_PURGES_TABLE}")
    return int(observations), int(purges)


def test_a_failure_inside_a_month_s_transaction_leaves_the_month_or_nothing_dropped(
    app: Governance, backend: Settings
) -> None:
    seed_app_model(app)
    sql = SqlRunner(backend.database)
    try:
        ObservationStore(sql).append([
            Observation(model="churn", version=1, environment="production", metric="auc",
                        value=0.8, observed_at=start + timedelta(days=day))
            for start in OLD_MONTHS for day in (1, 15, 27)
        ])  # fmt: skip
        MonitorRunner(app, sql).catch_up()
        purge = ObservationPurge(app, sql)
        with fault_points.armed("during_purge", _connection_lost), pytest.raises(OperationalError):
            purge.run(now=NOW)
        assert _counts(sql) == (6, 0)  # the first month's rows and its record rolled back

        calls = []

        def fail_second(decision: object = None) -> None:
            calls.append(decision)
            if len(calls) == 2:
                _connection_lost()

        with fault_points.armed("during_purge", fail_second), pytest.raises(OperationalError):
            purge.run(now=NOW)
        assert _counts(sql) == (3, 1)  # the first month gone and recorded, the second whole

        outcome = purge.run(now=NOW)
        assert [d.stored.observations for d in outcome.dropped] == [3]
        assert _counts(sql) == (0, 2)
    finally:
        sql.close()
