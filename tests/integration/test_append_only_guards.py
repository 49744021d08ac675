"""The append-only triggers as an auditor and an operator meet them: a missing or disabled one is a
finding of `verify`, stops every writer (serve included), and comes back only through
`modelgov db triggers install`, which the ledger records (who, when, why)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from application.governance import Governance
from application.projections.outbox import WebhookOutbox
from domain.maintenance import Maintenance
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.append_only import guard_findings
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.errors import AppendOnlyTriggersMissingError
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import open_ledger
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.projections.queries import EVERY_MODEL, catalog_page
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.settings import Settings
from tests.conftest import environ_for, settings_for
from tests.factories import seed_app_model
from tests.integration.test_cli import fails_clearly, run
from tests.integration.test_storage import _sql as as_dba

REASON = "restored after the storage migration of 2026-11-30 (change CHG-1042)"


def _sealed_store(backend: Settings) -> None:
    app = open_governance(backend)
    seed_app_model(app)
    write_key_pair(backend.signing_key_file, passphrase=None)
    seal_until_caught_up(open_ledger(backend, app))
    app.close()


def _dropped(backend: Settings) -> tuple[str, str, str]:
    """Drop one trigger as a database administrator would; (table, trigger, what it refused)."""
    if backend.database.kind == "sqlite":
        table, trigger, refused = (
            "stored_events",
            "modelgov_append_only_stored_events_update",
            "UPDATE",
        )
        as_dba(backend, f"DROP TRIGGER {trigger}")
    else:
        table = "modelgov_ledger_heads"
        trigger, refused = f"modelgov_append_only_{table}_rows", "UPDATE and DELETE"
        as_dba(backend, f"DROP TRIGGER {trigger} ON {table}")
    return table, trigger, refused


def _findings(backend: Settings) -> list[str]:
    sql = SqlRunner(backend.database)
    try:
        return [finding.describe() for finding in guard_findings(sql)]
    finally:
        sql.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environ(backend: Settings, tmp_path: Path) -> dict[str, str]:
    return environ_for(backend.database.kind, tmp_path, backend.database.schema)


def test_verify_reports_a_missing_trigger_by_table_and_kind_and_does_not_put_it_back(
    backend: Settings, tmp_path: Path
) -> None:
    _sealed_store(backend)
    table, trigger, refused = _dropped(backend)
    result = run(tmp_path, "verify", env=_environ(backend, tmp_path))
    assert result.returncode == 1
    assert "OK: every event matches its leaf" in result.stdout  # the history itself is intact
    finding = f"append-only trigger missing on {table}: {trigger} (refuses {refused})"
    assert finding in result.stderr and "modelgov db triggers install" in result.stderr
    assert _findings(backend) == [finding]  # still missing: verify put nothing back


@pytest.mark.postgres
def test_verify_reports_a_disabled_trigger(tmp_path: Path, pg_schema: str) -> None:
    backend = settings_for("postgres", tmp_path, pg_schema)
    _sealed_store(backend)
    as_dba(
        backend,
        "ALTER TABLE modelgov_events DISABLE TRIGGER modelgov_append_only_modelgov_events_truncate",
    )
    result = run(tmp_path, "verify", env=_environ(backend, tmp_path))
    assert result.returncode == 1
    assert (
        "append-only trigger disabled on modelgov_events: "
        "modelgov_append_only_modelgov_events_truncate (refuses TRUNCATE)" in result.stderr
    )


def test_nothing_is_written_while_a_trigger_is_missing_and_putting_it_back_is_recorded(
    backend: Settings, tmp_path: Path
) -> None:
    _sealed_store(backend)
    _dropped(backend)
    environ = _environ(backend, tmp_path)
    with pytest.raises(AppendOnlyTriggersMissingError, match="modelgov db triggers install"):
        open_governance(backend)
    refused = run(
        tmp_path, "tokens", "create", "--name", "ci", "--role", "ml_engineer", env=environ
    )
    fails_clearly(refused, "modelgov db triggers install")

    put_back = run(
        tmp_path,
        "db",
        "triggers",
        "install",
        "--reason",
        REASON,
        "--actor",
        "dba.jane",
        env=environ,
    )
    assert put_back.returncode == 0, put_back.stderr
    assert _findings(backend) == []
    again = run(tmp_path, "db", "triggers", "install", "--reason", "again", env=environ)
    assert again.returncode == 0 and "nothing to put back" in again.stdout

    app = open_governance(backend)
    [reinstalled] = [
        e
        for e in app.maintenance_events()
        if isinstance(e, Maintenance.AppendOnlyTriggersReinstalled)
    ]
    assert (reinstalled.actor, reinstalled.role, reinstalled.reason) == (
        "dba.jane",
        "admin",
        REASON,
    )
    assert len(reinstalled.triggers) == 1
    _model_views_ignore_maintenance(app, backend)
    app.close()

    assert run(tmp_path, "ledger", "seal", env=environ).returncode == 0  # seals the record too
    verified = run(tmp_path, "verify", env=environ)
    assert verified.returncode == 0, verified.stderr
    assert "append-only trigger(s) put back by dba.jane" in verified.stdout
    assert REASON in verified.stdout
    assert run(tmp_path, "export", "--out", "bundle", env=environ).returncode == 0
    public_key = f"{backend.signing_key_file}.pub"
    offline = run(tmp_path, "verify", "--bundle", "bundle", "--public-key", public_key, env=environ)
    assert offline.returncode == 0, offline.stderr
    report = run(tmp_path, "report", "portfolio", "--format", "json", env=environ)
    assert report.returncode == 0, report.stderr
    assert [entry["model"] for entry in json.loads(report.stdout)["models"]] == ["churn"]


def _model_views_ignore_maintenance(app: Governance, backend: Settings) -> None:
    """The feed, the projections, monitoring and the outbox read past the maintenance event."""
    feed = app.event_feed(after=0, limit=1000)
    assert {model for _, model, _ in feed} == {"churn"}
    assert len(feed) == app.get_model("churn").version
    assert len(app.event_feed(after=0, limit=2)) == 2
    assert app.registered_model_names() == ["churn"]
    sql = SqlRunner(backend.database)
    runner = ProjectionRunner(app, sql, default_projections())
    runner.catch_up()
    assert runner.lag() == 0
    assert [row["name"] for row in catalog_page(
        sql, cipher=runner.cipher, kept=EVERY_MODEL, after=None, limit=10
    )] == ["churn"]  # fmt: skip
    ProjectionRunner(app, sql, [WebhookOutbox()]).catch_up()
    MonitorRunner(app, sql).run_once()
    sql.close()


def test_serve_refuses_to_start_without_the_append_only_triggers(
    backend: Settings, tmp_path: Path
) -> None:
    _sealed_store(backend)
    _dropped(backend)
    port = str(free_port())
    result = run(
        tmp_path,
        "serve",
        "--port",
        port,
        "--no-seal",
        "--no-monitor",
        env=_environ(backend, tmp_path),
    )
    fails_clearly(result, 'modelgov db triggers install --reason "..."')
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
