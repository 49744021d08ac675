"""Projections on SQLite and PostgreSQL: known answers, exactly once, restarts, rebuilds that match.

Personal values (who, why, documents) are stored sealed; the tests open them with the runner's cipher.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from application.as_of import model_with_record
from application.governance import Governance
from application.portfolio import compliance_findings, exposure, incidents_of, usage_windows_of
from application.views import model_state
from domain.commands import (
    Activate,
    ApproveRelease,
    ChangePolicy,
    Deactivate,
    OpenBreach,
    RaiseBiasFlag,
    RegisterVersion,
    RejectRelease,
    ReportCost,
    RollBack,
    SetTarget,
)
from infrastructure.db.personal_data import PersonalDataCipher
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.projections.event_signal import Polling
from infrastructure.projections.queries import (
    compliance,
    incidents,
    model_document,
    usage_windows,
    version_document,
)
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.settings import Settings
from tests.conftest import settings_for, wait_until
from tests.factories import by, card, later, record_of, seed_app_model


def _history(app: Governance) -> None:
    seed_app_model(app)  # registered, version 1 registered and approved at T0
    second = app.handle(RegisterVersion(name="churn", card=card()), by=by("eng")).value
    app.handle(ApproveRelease(name="churn", version=second), by=by("ds"))
    app.handle(
        Activate(name="churn", version=1, environment="production"), by=by("ops", at=later(1))
    )
    app.handle(
        Activate(name="churn", version=second, environment="production"), by=by("ops", at=later(5))
    )
    app.handle(
        RollBack(name="churn", environment="production", to_version=1),
        by=by("ops", "latency", at=later(8)),
    )
    app.handle(
        Deactivate(name="churn", version=1, environment="production"),
        by=by("ops", "retiring", at=later(10)),
    )
    app.handle(
        SetTarget(name="churn", dimension="accuracy", metric="auc", comparator=">=", threshold=0.8),
        by=by("ds", "first target", at=later(2)),
    )
    app.handle(
        SetTarget(
            name="churn", dimension="accuracy", metric="auc", comparator=">=", threshold=0.85
        ),
        by=by("bo", "raised", at=later(11)),
    )


def stored(hours: float) -> str:
    """An instant as the projections store it: UTC at a fixed width, so that text order is time order."""
    return f"{later(hours):%Y-%m-%dT%H:%M:%S.%f}Z"


def _rows(sql: SqlRunner) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(sql.execute(f"SELECT * FROM {table}"))
        for table in ("modelgov_catalog", "modelgov_catalog_active", "modelgov_usage_windows",
                      "modelgov_target_history", "modelgov_versions", "modelgov_approvals",
                      "modelgov_model_state", "modelgov_version_state", "modelgov_compliance",
                      "modelgov_incidents", "modelgov_admission")
    }  # fmt: skip


def test_usage_windows_have_the_known_intervals(app: Governance, backend: Settings) -> None:
    _history(app)
    sql = SqlRunner(backend.database)
    runner = ProjectionRunner(app, sql, default_projections())
    runner.catch_up()
    windows = sql.execute(
        "SELECT version, started_at, ended_at, end_reason FROM modelgov_usage_windows "
        "WHERE model = 'churn' ORDER BY started_at"
    )
    assert [(v, s, e) for v, s, e, _ in windows] == [
        (1, stored(1), stored(5)),
        (2, stored(5), stored(8)),
        (1, stored(8), stored(10)),
    ]
    assert runner.cipher.open(windows[0][3]) == "superseded by version 2"
    assert runner.cipher.open(windows[1][3]) == "rolled back to version 1: latency"
    sql.close()


def test_the_catalog_and_target_history_follow_the_model(
    app: Governance, backend: Settings
) -> None:
    _history(app)
    sql = SqlRunner(backend.database)
    runner = ProjectionRunner(app, sql, default_projections())
    runner.catch_up()
    model = app.get_model("churn")
    catalog = sql.execute(
        "SELECT versions, model_version, risk_tier FROM modelgov_catalog WHERE model = 'churn'"
    )
    assert catalog == [(2, model.version, "low")]
    assert sql.execute("SELECT * FROM modelgov_catalog_active") == []
    targets = sql.execute(
        "SELECT threshold, set_by, in_force_from, in_force_until FROM modelgov_target_history ORDER BY revision"
    )
    assert [(t, runner.cipher.open(by_), since, until) for t, by_, since, until in targets] == [
        (0.8, "ds", stored(2), stored(11)),
        (0.85, "bo", stored(11), None),
    ]
    sql.close()


def test_events_are_applied_exactly_once_across_restarts_and_a_rebuild_gives_the_same_rows(
    app: Governance, backend: Settings
) -> None:
    _history(app)
    sql = SqlRunner(backend.database)
    first = ProjectionRunner(app, sql, default_projections(), batch=3)
    # Six projections, three events each, then "a crash".
    assert first.run_once() == len(default_projections()) * 3
    restarted = ProjectionRunner(app, sql, default_projections(), batch=3)
    restarted.catch_up()
    assert restarted.run_once() == 0  # nothing is applied twice
    assert restarted.lag() == 0
    live = _rows(sql)
    restarted.rebuild()
    assert _rows(sql) == live
    sql.close()


def test_lag_counts_events_not_yet_applied(app: Governance, backend: Settings) -> None:
    seed_app_model(app)
    sql = SqlRunner(backend.database)
    runner = ProjectionRunner(app, sql, default_projections())
    assert runner.lag() == 3
    runner.catch_up()
    app.handle(
        ReportCost(name="churn", period="2026-10", amount="1", currency="EUR", business_unit="R"),
        by=by("bo"),
    )
    assert runner.lag() == 1
    sql.close()


class CountedPolling(Polling):
    """The real polling signal, which also counts the follower's looks (each starts by draining
    the wake-ups so far) and says when the follower waits."""

    def __init__(self) -> None:
        super().__init__()
        self.looks = 0
        self.waiting = threading.Event()

    def drain(self) -> None:
        self.looks += 1
        super().drain()

    def wait(self, stop: threading.Event, timeout: float) -> bool:
        self.waiting.set()
        woken = super().wait(stop, timeout)
        self.waiting.clear()
        return woken


def test_a_follower_applies_what_one_look_found_then_waits_for_the_next_write(
    app: Governance, backend: Settings
) -> None:
    _history(app)
    sql = SqlRunner(backend.database)
    signal = CountedPolling()
    runner = ProjectionRunner(app, sql, default_projections(), signal=signal)
    stop = threading.Event()
    follower = threading.Thread(target=runner.run, args=(stop,), kwargs={"poll_seconds": 3600})
    follower.start()
    try:
        # The backlog is smaller than a batch: one look applies it all, none looks again.
        assert wait_until(lambda: signal.waiting.is_set(), timeout=30)
        assert (signal.looks, runner.lag()) == (1, 0)
        app.handle(
            ReportCost(
                name="churn", period="2026-10", amount="1", currency="EUR", business_unit="R"
            ),
            by=by("bo"),
        )
        runner.wake()  # as this process's commands do (Governance.on_saved)
        assert wait_until(lambda: runner.lag() == 0 and signal.waiting.is_set(), timeout=30)
        assert signal.looks == 2
    finally:
        stop.set()
        follower.join(timeout=10)
    assert not follower.is_alive()
    sql.close()


def test_version_cards_and_the_approvals_matrix(app: Governance, backend: Settings) -> None:
    _history(app)
    app.handle(RejectRelease(name="churn", version=2), by=by("co", "late doubts"))
    sql = SqlRunner(backend.database)
    runner = ProjectionRunner(app, sql, default_projections())
    runner.catch_up()
    versions = sql.execute(
        "SELECT version, status, git_commit FROM modelgov_versions ORDER BY version"
    )
    assert versions == [(1, "registered", "abc1234"), (2, "rejected", "abc1234")]
    decisions = sql.execute(
        "SELECT version, decision, principal, role, comment FROM modelgov_approvals ORDER BY position"
    )
    opened = runner.cipher.open
    assert [(v, d, opened(who), role, opened(why)) for v, d, who, role, why in decisions] == [
        (1, "release_approval", "ds", "data_scientist", "looks right"),
        (2, "release_approval", "ds", "data_scientist", ""),
        (2, "release_rejection", "co", "compliance_officer", "late doubts"),
    ]
    sql.close()


def test_a_redelivered_batch_changes_nothing(app: Governance, backend: Settings) -> None:
    _history(app)
    sql = SqlRunner(backend.database)
    runner = ProjectionRunner(app, sql, default_projections())
    runner.catch_up()
    before = _rows(sql)
    # Deliver the first events again, as a runner that read an old position would.
    stale = app.recorder.select_notifications(start=1, limit=5)
    for projection in runner.projections:
        assert runner.apply(projection, after=0, notifications=stale) is False
    assert _rows(sql) == before
    sql.close()


def _documents(sql: SqlRunner, name: str, cipher: PersonalDataCipher) -> tuple[Any, dict[int, Any]]:
    found = model_document(sql, name, cipher=cipher)
    assert found is not None
    versions = sql.execute("SELECT version FROM modelgov_version_state WHERE model = ?", (name,))
    return json.loads(found[0]), {
        int(v): json.loads(version_document(sql, name, int(v), cipher=cipher) or "")
        for (v,) in versions
    }


def test_model_and_version_documents_are_the_models_own_view_after_restarts_over_snapshots(
    backend: Settings, tmp_path: Path
) -> None:
    settings = settings_for(
        backend.database.kind, tmp_path, backend.database.schema, MODELGOV_SNAPSHOT_INTERVAL="2"
    )
    app = open_governance(settings)
    _history(app)
    app.handle(
        RaiseBiasFlag(
            name="churn", version=2, attribute="age", metric="dpd", value=0.3, threshold=0.1
        ),
        by=by("ds", at=later(12)),
    )
    app.handle(ChangePolicy(name="churn", risk_tier="high", policy=None), by=by("co", "regulator"))
    sql = SqlRunner(settings.database)
    # A new runner for every batch of two: each starts from models loaded over snapshots.
    while ProjectionRunner(app, sql, default_projections(), batch=2).run_once():
        pass
    expected = json.loads(json.dumps(model_state(*model_with_record(app, "churn"))))
    document, versions = _documents(sql, "churn", PersonalDataCipher.of_store(app))
    assert document == expected
    assert versions == {v["number"]: v for v in expected["versions"]}
    assert versions[2]["gates"]["no_open_bias_flag"] is not None  # gate status as of now
    live = _rows(sql)
    ProjectionRunner(app, sql, default_projections()).rebuild()
    assert _rows(sql) == live
    sql.close()
    app.close()


def test_standing_findings_are_projected_and_an_overdue_flag_is_judged_by_the_clock(
    app: Governance, backend: Settings
) -> None:
    seed_app_model(app)  # version 1, approved
    app.handle(
        Activate(name="churn", version=1, environment="production"), by=by("ops", at=later(1))
    )
    app.handle(
        RaiseBiasFlag(
            name="churn", version=1, attribute="age", metric="dpd", value=0.3, threshold=0.1
        ),
        by=by("ds", at=later(2)),
    )
    sql = SqlRunner(backend.database)
    ProjectionRunner(app, sql, default_projections()).catch_up()
    model = app.get_model("churn")
    for now in (later(2 + 24 * 14), later(2 + 24 * 15)):  # no event in between: only the clock
        [row] = compliance(sql, now=now)
        assert row["findings"] == compliance_findings(model, now=now)
    # The active version now misses the "no open bias flag" gate: a standing finding.
    assert [f["finding"] for f in compliance(sql, now=later(2 + 24 * 14))[0]["findings"]] == [
        "active_version_missing_gates", "targets_missing",
    ]  # fmt: skip
    assert [f["finding"] for f in compliance(sql, now=later(2 + 24 * 15))[0]["findings"]] == [
        "active_version_missing_gates", "bias_flag_overdue", "targets_missing",
    ]  # fmt: skip
    sql.close()


def test_incidents_give_the_same_exposure_as_the_model(app: Governance, backend: Settings) -> None:
    _history(app)
    app.handle(
        OpenBreach(
            name="churn",
            version=1,
            environment="production",
            dimension="accuracy",
            metric="auc",
            observed_value=0.7,
        ),
        by=by("ops", at=later(9)),
    )
    app.handle(
        RaiseBiasFlag(
            name="churn", version=1, attribute="age", metric="dpd", value=0.3, threshold=0.1
        ),
        by=by("ds", at=later(3)),
    )
    sql = SqlRunner(backend.database)
    runner = ProjectionRunner(app, sql, default_projections())
    runner.catch_up()
    projected = [incident for _, incident in incidents(sql, model="churn")]
    assert projected == incidents_of(record_of(app))
    windows = usage_windows(sql, "churn", cipher=runner.cipher)
    assert windows == usage_windows_of(app.model_events("churn"))
    [flag, breach] = exposure(projected, windows, now=later(30))
    assert flag["served_seconds"] == {"production": 3600.0 * 2 + 3600.0 * 2}  # 3-5h and 8-10h
    assert breach["served_seconds"] == {"production": 3600.0}  # 9-10h, then deactivated
    sql.close()
