"""`modelgov observations purge` on SQLite and PostgreSQL: whole months past retention go, recent
ones stay, a held model keeps everything until its hold is released, and the ledger is untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from application.governance import Governance
from application.monitoring.observations import Observation
from domain.hold_commands import PlaceLegalHold, ReleaseLegalHold
from domain.retention import add_months, month_start
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.append_only import OBSERVATION_PURGES_TABLE, OBSERVATIONS_TABLE
from infrastructure.db.sql import SqlRunner
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.monitoring.observation_purge import ObservationPurge
from infrastructure.monitoring.observation_table import ObservationStore
from infrastructure.settings import Settings
from tests.conftest import environ_for
from tests.factories import by, seed_app_model
from tests.integration.test_cli import run
from tests.ledger_tampering import sealed_ledger

NOW = datetime.now(UTC)
THIS_MONTH = month_start(NOW.strftime("%Y-%m"))
# Twelve months back from this one; with the low tier's six months, the five oldest may go
# (a month goes once all of it is six months old: the seventh month back goes on this month's 1st).
MONTHS = [add_months(THIS_MONTH, -back).strftime("%Y-%m") for back in range(11, -1, -1)]
OLD, RECENT = MONTHS[:5], MONTHS[5:]


def _observe(sql: SqlRunner, *models: str) -> None:
    """Two figures a month per model, on the 10th and on the last day's last second."""
    rows = []
    for model in models:
        for month in MONTHS:
            start = month_start(month)
            for at in (start + timedelta(days=9), add_months(start, 1) - timedelta(seconds=1)):
                rows.append(Observation(model=model, version=1, environment="staging",
                                        metric="latency_ms", value=120.0, observed_at=min(at, NOW)))  # fmt: skip
    ObservationStore(sql).append(rows)


def _months_stored(sql: SqlRunner, model: str) -> list[str]:
    rows = sql.execute(
        f"SELECT DISTINCT substr(observed_at, 1, 7) FROM {OBSERVATIONS_TABLE} WHERE model = ? "
        "ORDER BY 1",
        (model,),
    )
    return [str(month) for (month,) in rows]


def test_old_months_go_recent_stay_and_a_held_model_keeps_all_until_released(
    app: Governance, backend: Settings, sql: SqlRunner, tmp_path: Path
) -> None:
    ledger = sealed_ledger(app, backend, tmp_path)  # alpha, beta, gamma: low tier, six months
    _observe(sql, "alpha", "beta")
    MonitorRunner(app, sql).catch_up()
    app.handle(PlaceLegalHold(name="beta", matter="CASE-1"), by=by("co", "litigation"))
    purge = ObservationPurge(app, sql)

    planned = purge.run(now=NOW, dry_run=True)
    assert [(d.stored.model, d.stored.month) for d in planned.dropped] == [
        ("alpha", m) for m in OLD
    ]
    assert _months_stored(sql, "alpha") == MONTHS  # a dry run drops nothing

    done = purge.run(now=NOW)
    assert [d.stored.month for d in done.dropped] == OLD and done.observations_dropped == 10
    assert _months_stored(sql, "alpha") == RECENT
    assert _months_stored(sql, "beta") == MONTHS
    held = {d.why for d in done.kept if d.stored.model == "beta"}
    assert held == {f"under legal hold since {_placed(app)} (co, CASE-1)"}
    assert {d.why.split(" until ")[0] for d in done.kept if d.stored.model == "alpha"} == {
        "within 6 months' retention"
    }

    app.handle(ReleaseLegalHold(name="beta"), by=by("co", "case closed"))
    after_release = purge.run(now=NOW)
    assert [(d.stored.model, d.stored.month) for d in after_release.dropped] == [
        ("beta", m) for m in OLD
    ]
    assert _months_stored(sql, "beta") == RECENT
    assert purge.run(now=NOW).dropped == []  # nothing more to drop
    recorded = sql.execute(
        f"SELECT model, month, observations, retention_months FROM {OBSERVATION_PURGES_TABLE} "
        "ORDER BY model, month"
    )
    assert [tuple(r) for r in recorded] == [
        (model, m, 2, 6) for model in ("alpha", "beta") for m in OLD
    ]

    seal_until_caught_up(ledger)  # the hold's events sealed like any other
    report = ledger.verify()
    assert report.ok, report.damage  # the ledger is untouched by a purge


def test_a_longer_retention_keeps_more_and_unjudged_months_are_kept(
    app: Governance, sql: SqlRunner
) -> None:
    seed_app_model(app, name="scorer", tier="high")  # 24 months
    seed_app_model(app, name="churn")
    _observe(sql, "scorer", "churn")
    outcome = ObservationPurge(app, sql).run(now=NOW)  # monitoring has judged none of them
    assert outcome.dropped == []
    reasons = {(d.stored.model, d.why.split(" until ")[0]) for d in outcome.kept}
    assert ("scorer", "within 24 months' retention") in reasons
    assert ("churn", "not yet judged by monitoring") in reasons


def test_the_database_refuses_deleting_observations_outside_a_purge(
    app: Governance, sql: SqlRunner
) -> None:
    seed_app_model(app)
    _observe(sql, "churn")
    delete = f"DELETE FROM {OBSERVATIONS_TABLE} WHERE model = ? AND substr(observed_at, 1, 7) = ?"
    with pytest.raises(Exception, match="append-only"):  # an old month, not recorded as purged
        sql.execute(delete, ("churn", OLD[0]))
    record = (f"INSERT INTO {OBSERVATION_PURGES_TABLE} (model, month, purged_at, observations, "
              "retention_months) VALUES (?, ?, ?, 2, 6)")  # fmt: skip
    sql.execute(record, ("churn", THIS_MONTH.strftime("%Y-%m"), NOW.isoformat()))
    with pytest.raises(Exception, match="append-only"):  # recorded, but younger than six months
        sql.execute(delete, ("churn", THIS_MONTH.strftime("%Y-%m")))
    with pytest.raises(Exception, match="append-only"):
        sql.execute(f"UPDATE {OBSERVATIONS_TABLE} SET value = 0")
    with pytest.raises(Exception, match="append-only"):
        sql.execute(f"DELETE FROM {OBSERVATION_PURGES_TABLE}")
    assert _months_stored(sql, "churn") == MONTHS


def test_the_command_says_what_it_dropped_and_kept_and_refuses_an_unknown_model(
    tmp_path: Path,
) -> None:
    env = environ_for("sqlite", tmp_path)
    assert run(tmp_path, "demo", env=env).returncode == 0
    dry = run(tmp_path, "observations", "purge", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "the ledger is untouched" in dry.stdout.splitlines()[-1]
    unknown = run(tmp_path, "observations", "purge", "--model", "nope", env=env)
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    assert run(tmp_path, "verify", env=env).returncode == 0


def _placed(app: Governance) -> str:
    hold = app.get_model("beta").legal_hold
    assert hold is not None
    return hold.placed_at.isoformat().replace("+00:00", "Z")
