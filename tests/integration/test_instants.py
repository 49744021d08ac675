"""Events an earlier release stored with the caller's offset: projected, listed and sent in UTC with `Z`,
and usage windows in time order (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from application.as_of import model_with_record
from application.governance import Governance
from application.views import history_entry, model_state
from infrastructure.db.sql import SqlRunner
from infrastructure.projections.queries import model_document, usage_windows
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.settings import Settings
from infrastructure.webhooks.payloads import payload
from tests.factories import offset_history


def test_events_stored_with_offsets_are_projected_in_utc_and_windows_sort_by_time(
    app: Governance, backend: Settings
) -> None:
    offset_history(app)
    events = app.model_events("churn")
    assert [e.effective_at.utcoffset() for e in events[-3:]] == [
        timedelta(hours=5), timedelta(0), timedelta(hours=-8),
    ]  # the store holds the offsets as they were given  # fmt: skip
    sql = SqlRunner(backend.database)
    runner = ProjectionRunner(app, sql, default_projections())
    runner.catch_up()
    stored = sql.execute(
        "SELECT version, started_at, ended_at FROM modelgov_usage_windows WHERE model = 'churn' "
        "ORDER BY started_at"
    )
    assert stored == [
        (1, "2026-01-05T10:00:00.000000Z", "2026-01-05T12:00:00.000000Z"),
        (2, "2026-01-05T11:00:00.000000Z", None),
    ]
    windows = usage_windows(sql, "churn", cipher=runner.cipher)
    assert [(w.version, w.started_at, w.ended_at) for w in windows] == [
        (1, datetime(2026, 1, 5, 10, tzinfo=UTC), datetime(2026, 1, 5, 12, tzinfo=UTC)),
        (2, datetime(2026, 1, 5, 11, tzinfo=UTC), None),
    ]
    document = model_document(sql, "churn", cipher=runner.cipher)
    assert document is not None and "+05:00" not in document[0] and "-08:00" not in document[0]
    sql.close()


def test_events_stored_with_offsets_are_shown_and_sent_in_utc(app: Governance) -> None:
    offset_history(app)
    activation, _, deactivation = app.model_events("churn")[-3:]
    assert history_entry(activation)["effective_at"] == "2026-01-05T10:00:00Z"
    assert history_entry(deactivation)["effective_at"] == "2026-01-05T12:00:00Z"
    assert "+05:00" not in json.dumps(model_state(*model_with_record(app, "churn")))
    body = json.loads(payload(7, "churn", deactivation, "info", "evt-7"))
    assert body["effective_at"] == "2026-01-05T12:00:00Z"
    assert body["recorded_at"].endswith("Z")
