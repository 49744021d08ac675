"""The store itself: append-only in the database, encrypted at rest, snapshots, concurrent writers."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest
from eventsourcing.application import project_aggregate
from eventsourcing.persistence import IntegrityError

from application.errors import ConcurrencyConflictError
from application.governance import Governance
from domain.commands import ApproveRelease, RegisterModel, RegisterVersion, ReportCost
from infrastructure.db.store import open_governance
from infrastructure.errors import SettingsError
from infrastructure.settings import Settings
from tests.conftest import PG_URL, settings_for
from tests.factories import by, card, cost_report, record_of, seed_app_model

SECRET_COMMENT = "the quarterly review found no blockers 7f3a"
EMAIL = "grace.hopper@bank.example"


def _sql(settings: Settings, statement: str) -> None:
    """Run one statement as a database administrator would, outside the application."""
    if settings.database.kind == "sqlite":
        with sqlite3.connect(settings.database.path) as connection:
            connection.execute(statement)
    else:
        with psycopg.connect(PG_URL, autocommit=True) as connection:
            connection.execute(f"SET search_path TO {settings.database.schema}")
            connection.execute(statement)


def _tables(settings: Settings) -> tuple[str, str]:
    if settings.database.kind == "sqlite":
        return "stored_events", "stored_snapshots"
    return "modelgov_events", "modelgov_snapshots"


@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET originator_version = originator_version + 100", "DELETE FROM {table}"],
)
def test_the_database_refuses_to_update_or_delete_events_and_snapshots(
    app: Governance, backend: Settings, statement: str
) -> None:
    seed_app_model(app)
    app.take_snapshot(app.get_model("churn").id)
    for table in _tables(backend):
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
            _sql(backend, statement.format(table=table))
    assert app.get_model("churn").version == 3


def test_the_database_refuses_to_overwrite_an_event_by_reinserting_it(
    app: Governance, backend: Settings
) -> None:
    seed_app_model(app)
    before = [type(e).__name__ for e in app.model_events("churn")]
    events_table, _ = _tables(backend)
    if backend.database.kind == "sqlite":
        statement = f"INSERT OR REPLACE INTO {events_table} SELECT * FROM {events_table} LIMIT 1"
    else:
        statement = (
            f"INSERT INTO {events_table} (originator_id, originator_version, topic, state) "
            f"SELECT originator_id, originator_version, 'forged', state FROM {events_table} LIMIT 1 "
            "ON CONFLICT (originator_id, originator_version) DO UPDATE SET topic = 'forged'"
        )
    with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
        _sql(backend, statement)
    assert [type(e).__name__ for e in app.model_events("churn")] == before


@pytest.mark.postgres
def test_postgresql_refuses_to_truncate_events_and_snapshots(
    tmp_path: Path, pg_schema: str
) -> None:
    settings = settings_for("postgres", tmp_path, pg_schema)
    app = open_governance(settings)
    seed_app_model(app)
    for table in _tables(settings):
        with pytest.raises(psycopg.Error, match="append-only"):
            _sql(settings, f"TRUNCATE {table}")
    assert app.get_model("churn").version == 3
    app.close()


def _raw_bytes(settings: Settings) -> bytes:
    if settings.database.kind == "sqlite":
        return b"".join(
            p.read_bytes() for p in Path(settings.database.path).parent.glob("events.db*")
        )
    with psycopg.connect(PG_URL) as connection:
        connection.execute(f"SET search_path TO {settings.database.schema}")
        rows = connection.execute(
            "SELECT state FROM modelgov_events UNION ALL SELECT state FROM modelgov_snapshots"
        ).fetchall()
    return b"".join(bytes(row[0]) for row in rows)


def test_comments_and_email_addresses_are_not_readable_in_the_stored_bytes(
    app: Governance, backend: Settings
) -> None:
    app.handle(
        RegisterModel(
            name="pii",
            description="d",
            owner="o",
            business_objective="b",
            risk_tier="low",
            stakeholders=[{"name": "Grace Hopper", "email": EMAIL, "role": "business_owner"}],
        ),
        by=by("eng"),
    )
    version = app.handle(RegisterVersion(name="pii", card=card()), by=by("eng")).value
    app.handle(ApproveRelease(name="pii", version=version), by=by("ds", SECRET_COMMENT))
    app.take_snapshot(app.get_model("pii").id)
    raw = _raw_bytes(backend)
    assert len(raw) > 1000  # the rows are there ...
    assert SECRET_COMMENT.encode() not in raw  # ... but neither the comment
    assert EMAIL.encode() not in raw  # nor the e-mail address appears in them
    assert b"Grace Hopper" not in raw
    assert app.get_model("pii").versions[0].release_approvals[0].comment == SECRET_COMMENT


def test_a_long_history_is_snapshotted_and_loads_to_the_same_state(backend: Settings) -> None:
    app = open_governance(backend.model_copy(update={"snapshot_interval": 10}))
    seed_app_model(app)
    for index in range(40):
        app.handle(
            cost_report(str(index)),
            by=by("bo"),
        )
    model = app.get_model("churn")
    snapshots = list(app.snapshots.get(model.id)) if app.snapshots else []
    assert [s.originator_version for s in snapshots] == [10, 20, 30, 40]
    replayed = project_aggregate(None, app.events.get(model.id))
    assert replayed is not None
    assert vars(replayed) == vars(model)
    app.close()


def test_each_snapshot_holds_the_state_its_events_fold_to(backend: Settings) -> None:
    # Snapshots are taken from the process's cached copy when it is up to date, else by replay
    # (a writer that caches no model): both write, each after the other.
    settings = backend.model_copy(update={"snapshot_interval": 5})
    app = open_governance(settings)
    other = open_governance(settings.model_copy(update={"model_cache_size": 0}))
    seed_app_model(app)
    for index in range(30):
        writer = other if index % 3 == 1 else app
        writer.handle(
            cost_report(str(index)),
            by=by("bo"),
        )
    model = app.get_model("churn")
    snapshots = list(app.snapshots.get(model.id)) if app.snapshots else []
    assert [s.originator_version for s in snapshots] == list(range(5, model.version + 1, 5))
    for snapshot in snapshots:
        events = app.events.get(model.id, lte=snapshot.originator_version)
        replayed = project_aggregate(None, events)
        assert replayed is not None
        assert vars(snapshot.mutate(None)) == vars(replayed)
    replayed = project_aggregate(None, app.events.get(model.id))
    assert replayed is not None
    assert vars(model) == vars(replayed) == vars(other.get_model("churn"))
    app.close()
    other.close()


def test_a_model_changed_after_it_was_saved_is_read_as_saved(app: Governance) -> None:
    seed_app_model(app)

    def cost(amount: str) -> ReportCost:
        return ReportCost(
            name="churn", period="2026-10", amount=amount, currency="EUR", business_unit="Retail"
        )

    model = app.get_model("churn")
    model.handle(cost("10"), by("bo"))
    app.save_changes(model)
    model.handle(cost("5"), by("bo"))  # not saved
    read = app.get_model("churn")
    assert read.version == model.version - 1
    assert vars(read) == vars(project_aggregate(None, app.events.get(model.id)))


def test_of_two_writers_that_read_the_same_version_the_second_gets_a_conflict(
    app: Governance, backend: Settings
) -> None:
    seed_app_model(app)
    other = open_governance(backend)
    first, second = app.get_model("churn"), other.get_model("churn")
    first.approve_release(ApproveRelease(name=first.name, version=1), by("bo", "first writer"))
    second.approve_release(ApproveRelease(name=second.name, version=1), by("co", "second writer"))
    app.save(first)
    with pytest.raises(IntegrityError):
        other.save(second)
    other.close()
    approvers = [d.principal for d in app.get_model("churn").versions[0].release_approvals]
    assert approvers == ["ds", "bo"]


def test_a_store_written_with_another_key_is_refused_at_start(backend: Settings) -> None:
    app = open_governance(backend)
    seed_app_model(app)
    app.close()
    other_key = backend.model_copy(
        update={"cipher_key": "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8M="}
    )
    with pytest.raises(SettingsError, match="does not decrypt"):
        open_governance(other_key)


def test_concurrent_writers_on_one_model_never_lose_or_half_write_a_command(
    app: Governance, backend: Settings
) -> None:
    seed_app_model(app)
    second = open_governance(backend)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def write(index: int) -> None:
        writer = app if index % 2 else second
        barrier.wait()
        try:
            writer.handle(
                ReportCost(
                    name="churn",
                    period="2026-10",
                    amount=str(index),
                    currency="EUR",
                    business_unit="Retail",
                ),
                by=by("bo"),
            )
            outcomes.append("recorded")
        except ConcurrencyConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second.close()
    model = app.get_model("churn")
    assert outcomes.count("recorded") >= 1
    assert outcomes.count("recorded") + outcomes.count("conflict") == 8
    assert len(record_of(app).cost_reports) == outcomes.count("recorded")
    assert model.version == 3 + outcomes.count("recorded")
    versions = [e.originator_version for e in app.model_events("churn")]
    assert versions == list(range(1, model.version + 1))
