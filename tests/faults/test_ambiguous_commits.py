"""Commits whose outcome the server could not see: the command's receipt decides, nothing runs twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from infrastructure.api.app import create_app
from infrastructure.db import fault_points
from infrastructure.db.sql import SqlRunner
from infrastructure.settings import get_settings
from tests.conftest import environ_for, settings_for
from tests.faults.conftest import COSTS, Store, cost, open_store
from tests.faults.live import commit_cutter


@pytest.mark.postgres
def test_a_commit_whose_acknowledgement_is_lost_is_recorded_once_and_answered_as_recorded(
    pg_schema: str, tmp_path: Path
) -> None:
    store = open_store(settings_for("postgres", tmp_path, pg_schema), tmp_path)
    db = store.settings.database
    cutter = commit_cutter((db.host, db.port))
    # The application reaches PostgreSQL only through the proxy, which loses one COMMIT's reply:
    # the library retries the transaction, which runs into its own committed rows.
    url = f"postgresql://{db.user}@127.0.0.1:{cutter.port}/{db.dbname}"
    through = get_settings(environ_for("postgres", tmp_path, pg_schema, MODELGOV_DATABASE_URL=url))
    with TestClient(create_app(through)) as client:
        cutter.lose_next_reply()
        first = client.post(COSTS, json=cost("1.00"), headers=store.headers("cost-1"))
        assert cutter.replies_lost == 1
        again = client.post(COSTS, json=cost("1.00"), headers=store.headers("cost-1"))
        cutter.lose_next_reply()
        unkeyed = client.post(COSTS, json=cost("2.00"), headers=store.headers())
        assert cutter.replies_lost == 2
    cutter.close()
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert unkeyed.status_code == 200  # the store's own retry did not run it a second time
    assert store.cost_amounts() == ["1.00", "2.00"]


def test_a_commit_the_store_cannot_confirm_is_answered_as_unknown_and_the_retry_learns_it(
    store: Store,
) -> None:
    sql = SqlRunner(store.settings.database)

    def store_goes_away_after_committing() -> None:
        sql.execute("ALTER TABLE modelgov_receipts RENAME TO modelgov_receipts_away")
        raise OperationalError("the database went away (a test's fault)")

    with TestClient(create_app(store.settings)) as client:
        with fault_points.armed("after_commit", store_goes_away_after_committing):
            unknown = client.post(COSTS, json=cost("3.00"), headers=store.headers("cost-3"))
        sql.execute("ALTER TABLE modelgov_receipts_away RENAME TO modelgov_receipts")
        learnt = client.post(COSTS, json=cost("3.00"), headers=store.headers("cost-3"))
    sql.close()
    assert unknown.status_code == 503
    problem = unknown.json()
    assert problem["type"].endswith("/outcome_unknown")
    assert "the outcome is unknown; retry with the same Idempotency-Key" in problem["detail"]
    assert problem["request_id"] in problem["detail"]
    assert learnt.status_code == 200 and learnt.headers["idempotent-replayed"] == "true"
    assert store.cost_amounts() == ["3.00"]
