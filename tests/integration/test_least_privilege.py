"""Least privilege on PostgreSQL: an owner role creates the store (`modelgov db init`); the service
runs as an application role that appends to the ledger and reads it, and cannot change, remove or
unguard a row of it, whatever SQL it sends."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest

from application.governance import Governance
from application.monitoring.observations import Observation
from application.projections.outbox import WebhookOutbox
from domain.commands import RegisterVersion
from domain.maintenance import Maintenance
from infrastructure.api.idempotency import StoredResponse, open_idempotency
from infrastructure.api.tokens import TokenStore
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.layout import SCHEMA_VERSION_TABLE
from infrastructure.db.migrations import CURRENT_VERSION
from infrastructure.db.observation_partitions import partition_of
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.errors import (
    AppendOnlyTriggersMissingError,
    CommandFailedError,
    SchemaVersionError,
    StoreUnavailableError,
)
from infrastructure.leases import MONITOR, Lease
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.monitoring.observation_purge import ObservationPurge
from infrastructure.monitoring.observation_table import ObservationStore
from infrastructure.projections.queries import model_document
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.settings import Settings, parse_database_url
from tests.conftest import PG_URL, environ_for, settings_for, wait_until
from tests.factories import T0, by, card, seed_app_model
from tests.integration.test_append_only_guards import free_port
from tests.integration.test_cli import MODELGOV, fails_clearly, run

pytestmark = pytest.mark.postgres

LEDGER = {
    "modelgov_events": "topic",
    "modelgov_snapshots": "topic",
    "modelgov_ledger_leaves": "leaf_hash",
    "modelgov_ledger_heads": "root",
}


def _url_of(role: str, password: str) -> str:
    parsed = urlparse(PG_URL)
    return urlunparse(
        parsed._replace(netloc=f"{role}:{password}@{parsed.hostname}:{parsed.port or 5432}")
    )


@dataclass
class TwoRoles:
    """A schema owned by a fresh owner role, and a fresh application role; `db init` not run yet."""

    schema: str
    owner_role: str
    app_role: str
    owner_url: str
    app_url: str
    tmp_path: Path

    def environ(self, url: str) -> dict[str, str]:
        return {**environ_for("postgres", self.tmp_path, self.schema), "MODELGOV_DATABASE_URL": url}

    def settings(self, url: str) -> Settings:
        base = settings_for("postgres", self.tmp_path, self.schema)
        return base.model_copy(update={"database": parse_database_url(url, schema=self.schema)})

    def db_init(self) -> subprocess.CompletedProcess[str]:
        return run(
            self.tmp_path, "db", "init", "--owner-url", self.owner_url, "--app-role", self.app_role,
            env=self.environ(self.app_url),
        )  # fmt: skip


@pytest.fixture
def roles(pg_schema: str, tmp_path: Path) -> Iterator[TwoRoles]:
    suffix = uuid.uuid4().hex[:12]
    owner, app = f"mg_owner_{suffix}", f"mg_app_{suffix}"
    password = secrets.token_hex(12)
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        for role in (owner, app):
            connection.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        connection.execute(f"ALTER SCHEMA {pg_schema} OWNER TO {owner}")
    try:
        yield TwoRoles(
            pg_schema, owner, app, _url_of(owner, password), _url_of(app, password), tmp_path
        )
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as connection:
            # The schema goes back to the test's own role (pg_schema drops it); the roles go.
            connection.execute(f"REASSIGN OWNED BY {owner} TO CURRENT_USER")
            for role in (owner, app):
                connection.execute(f"DROP OWNED BY {role}")
                connection.execute(f"DROP ROLE {role}")


@pytest.fixture
def initialised(roles: TwoRoles) -> TwoRoles:
    result = roles.db_init()
    assert result.returncode == 0, result.stderr
    return roles


def test_the_application_role_owns_nothing_and_may_create_nothing(initialised: TwoRoles) -> None:
    with psycopg.connect(initialised.app_url) as connection:
        owned = connection.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND pg_has_role(c.relowner, 'USAGE')",
            (initialised.schema,),
        ).fetchone()
        may_create = connection.execute(
            "SELECT has_schema_privilege(%s, 'CREATE')", (initialised.schema,)
        ).fetchone()
    assert owned == (0,) and may_create == (False,)


def _sealed_as_application_role(roles: TwoRoles) -> tuple[Settings, Governance, Ledger]:
    """As the application role: a model registered, snapshotted, and its events sealed."""
    settings = roles.settings(roles.app_url)
    app = open_governance(settings)  # creates nothing: it may not
    seed_app_model(app)
    app.take_snapshot(app.get_model("churn").id)
    write_key_pair(settings.signing_key_file, passphrase=None)
    ledger = open_ledger(settings, app)
    assert seal_until_caught_up(ledger) == (3, 3)
    return settings, app, ledger


def test_the_service_works_as_the_application_role(initialised: TwoRoles) -> None:
    settings, app, ledger = _sealed_as_application_role(initialised)

    sql = SqlRunner(settings.database)
    projections = ProjectionRunner(app, sql, default_projections())
    projections.catch_up()
    assert projections.rebuild() > 0  # the rows emptied and refilled: the tables stay the owner's
    assert model_document(sql, "churn", cipher=projections.cipher) is not None
    tokens = TokenStore(sql)
    token = tokens.create(principal="ci", role="ml_engineer")
    tokens.revoke(tokens.list()[0].token_id)
    assert tokens.authenticate(token) is None
    idempotency = open_idempotency(app)
    refused = StoredResponse(status=409, body="{}", etag=None)
    request = idempotency.request(
        principal="ci", key="k1", request_hash="h", answer=lambda _: refused
    )
    assert idempotency.answered(request) is None
    assert idempotency.answer_refusal(request, refused) is None  # a receipt of its own
    found = idempotency.answered(request)
    assert found is not None and idempotency.opened(found, request) == refused
    monitor = MonitorRunner(app, sql)
    lease = Lease(sql, MONITOR)
    assert lease.take() and lease.current_holder() == lease.holder
    monitor.observations.append(
        [Observation("churn", 1, "staging", "auc", 0.9, T0 + timedelta(hours=1))]
    )
    monitor.run_once()
    ProjectionRunner(app, sql, [WebhookOutbox()]).catch_up()
    lease.release()
    sql.close()
    assert ledger.verify().ok
    app.close()


def test_a_rebuild_by_the_owner_leaves_the_application_role_its_privileges(
    initialised: TwoRoles,
) -> None:
    as_app = initialised.settings(initialised.app_url)
    app = open_governance(as_app)
    seed_app_model(app)
    app.close()
    as_owner = initialised.settings(initialised.owner_url)
    owner = open_governance(as_owner)
    owner_sql = SqlRunner(as_owner.database)
    assert ProjectionRunner(owner, owner_sql, default_projections()).rebuild() > 0  # drops, creates
    owner_sql.close()
    owner.close()
    app = open_governance(as_app)
    sql = SqlRunner(as_app.database)
    app.handle(RegisterVersion(name="churn", card=card()), by=by("eng"))
    projections = ProjectionRunner(app, sql, default_projections())
    projections.catch_up()
    document = model_document(sql, "churn", cipher=projections.cipher)
    assert document is not None and len(json.loads(document[0])["versions"]) == 2
    sql.close()
    app.close()


def test_the_application_role_cannot_change_remove_or_unguard_the_ledger(
    initialised: TwoRoles,
) -> None:
    _, app, ledger = _sealed_as_application_role(initialised)
    schema = initialised.schema
    with psycopg.connect(initialised.app_url, autocommit=True) as connection:
        for table, column in LEDGER.items():
            trigger = f"modelgov_append_only_{table}_rows"
            for attack in (
                f"UPDATE {schema}.{table} SET {column} = {column}",
                f"DELETE FROM {schema}.{table}",
                f"TRUNCATE {schema}.{table}",
                f"ALTER TABLE {schema}.{table} DISABLE TRIGGER ALL",
                f"ALTER TABLE {schema}.{table} DISABLE TRIGGER {trigger}",
                f"DROP TRIGGER {trigger} ON {schema}.{table}",
                f"ALTER TABLE {schema}.{table} OWNER TO {initialised.app_role}",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    connection.execute(attack)
            [(rows,)] = connection.execute(f"SELECT count(*) FROM {schema}.{table}").fetchall()
            assert rows > 0, table
    report = ledger.verify()
    assert report.ok and report.events == report.leaves == 3
    app.close()


def test_the_application_role_is_told_to_ask_the_owner_for_a_missing_table(
    initialised: TwoRoles,
) -> None:
    with psycopg.connect(initialised.owner_url, autocommit=True) as connection:
        connection.execute(f"DROP TABLE {initialised.schema}.modelgov_catalog")
    with pytest.raises(StoreUnavailableError, match=r"modelgov_catalog.*modelgov db init"):
        open_governance(initialised.settings(initialised.app_url))


def test_db_init_refuses_an_application_role_that_is_a_superuser_or_the_owner(
    roles: TwoRoles,
) -> None:
    superuser = urlparse(PG_URL).username or "postgres"
    for role, why in ((superuser, "a superuser"), (roles.owner_role, "the tables' owner")):
        result = run(
            roles.tmp_path, "db", "init", "--owner-url", roles.owner_url, "--app-role", role,
            env=roles.environ(roles.app_url),
        )  # fmt: skip
        fails_clearly(result, f"role {role!r} is {why}")


def test_only_the_owner_puts_a_trigger_back_and_the_service_waits_for_it(
    initialised: TwoRoles,
) -> None:
    app = open_governance(initialised.settings(initialised.app_url))
    seed_app_model(app)
    app.close()
    with psycopg.connect(initialised.owner_url, autocommit=True) as connection:
        connection.execute(
            f"DROP TRIGGER modelgov_append_only_modelgov_events_rows "
            f"ON {initialised.schema}.modelgov_events"
        )
    with pytest.raises(AppendOnlyTriggersMissingError, match="modelgov db triggers install"):
        open_governance(initialised.settings(initialised.app_url))
    environ = initialised.environ(initialised.app_url)
    as_app = run(initialised.tmp_path, "db", "triggers", "install", "--reason", "r", env=environ)
    fails_clearly(as_app, "only the tables' owner can put triggers back")
    as_owner = run(
        initialised.tmp_path, "db", "triggers", "install", "--reason", "restored by the DBA",
        "--owner-url", initialised.owner_url, env=environ,
    )  # fmt: skip
    assert as_owner.returncode == 0, as_owner.stderr
    app = open_governance(initialised.settings(initialised.app_url))
    [reinstalled] = app.maintenance_events()[1:]
    assert isinstance(reinstalled, Maintenance.AppendOnlyTriggersReinstalled)
    assert (reinstalled.reason, reinstalled.database_role) == (
        "restored by the DBA",
        initialised.owner_role,
    )
    app.close()


def _serve_stderr(tmp_path: Path, environ: dict[str, str]) -> str:
    """Start `modelgov serve`, wait until it answers, stop it; what it wrote on stderr."""
    port = free_port()
    process = subprocess.Popen(
        [MODELGOV, "serve", "--port", str(port), "--workers", "1", "--no-seal", "--no-monitor"],
        cwd=tmp_path, env=environ, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert wait_until(lambda: _answers(port), timeout=30), "serve did not start"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    return stderr


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
            return True
    except OSError:
        return False


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " WARNING " in line]


def test_serve_warns_once_when_its_role_could_switch_the_triggers_off(
    initialised: TwoRoles,
) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
    tmp_path = initialised.tmp_path
    as_owner = _warnings(
        _serve_stderr(tmp_path, {**base, **initialised.environ(initialised.owner_url)})
    )
    assert len(as_owner) == 1, as_owner
    assert f"the database role {initialised.owner_role} owns the ledger's tables" in as_owner[0]
    as_superuser = _warnings(_serve_stderr(tmp_path, {**base, **initialised.environ(PG_URL)}))
    assert len(as_superuser) == 1 and "is a superuser" in as_superuser[0], as_superuser
    as_app = _warnings(
        _serve_stderr(tmp_path, {**base, **initialised.environ(initialised.app_url)})
    )
    assert as_app == []


def test_answers_kept_by_the_previous_release_are_carried_over_by_the_owner_not_lost(
    initialised: TwoRoles,
) -> None:
    with psycopg.connect(
        initialised.owner_url, autocommit=True
    ) as owner:  # as that release left it
        owner.execute(f"SET search_path TO {initialised.schema}")
        owner.execute(
            "CREATE TABLE modelgov_idempotency (principal TEXT NOT NULL, idempotency_key TEXT "
            "NOT NULL, request_hash TEXT NOT NULL, status INTEGER, body TEXT, etag TEXT, "
            "created_at TEXT NOT NULL, PRIMARY KEY (principal, idempotency_key))"
        )
        owner.execute(
            "INSERT INTO modelgov_idempotency VALUES ('ci', 'answered', 'h', 200, "
            "'{\"note\": \"ann.lee@bank.example\"}', NULL, '2026-12-01T00:00:00+00:00')"
        )
    as_app = initialised.settings(initialised.app_url)

    # The application role may not read that table: it says who can carry it over, and runs no
    # command that a retried key could record twice.
    with pytest.raises(CommandFailedError, match="db init --owner-url"):
        open_governance(as_app)
    assert initialised.db_init().returncode == 0  # the owner, with the data key

    app = open_governance(as_app)
    app.close()
    with psycopg.connect(initialised.owner_url) as owner:
        owner.execute(f"SET search_path TO {initialised.schema}")
        assert owner.execute("SELECT to_regclass('modelgov_idempotency')").fetchone() == (None,)
        [(body,)] = owner.execute(
            "SELECT body FROM modelgov_receipts WHERE idempotency_key = 'answered'"
        ).fetchall()
    assert b"ann.lee" not in bytes(body)


def test_an_application_role_is_told_to_have_the_store_migrated_and_works_after(
    initialised: TwoRoles,
) -> None:
    with psycopg.connect(initialised.owner_url, autocommit=True) as owner:  # as 0.1.0 left it
        owner.execute(f"DROP TABLE {initialised.schema}.{SCHEMA_VERSION_TABLE}")
    as_app = initialised.environ(initialised.app_url)
    with pytest.raises(SchemaVersionError, match="modelgov db migrate --owner-url"):
        open_governance(initialised.settings(initialised.app_url))
    fails_clearly(run(initialised.tmp_path, "ledger", "seal", env=as_app), "modelgov db migrate")
    fails_clearly(run(initialised.tmp_path, "db", "migrate", env=as_app), "only the tables' owner")

    migrated = run(
        initialised.tmp_path, "db", "migrate", "--owner-url", initialised.owner_url, env=as_app
    )

    assert migrated.returncode == 0, migrated.stderr
    assert f"granted {initialised.app_role} what the new tables need" in migrated.stdout
    app = open_governance(initialised.settings(initialised.app_url))
    seed_app_model(app)
    app.close()
    status = run(initialised.tmp_path, "db", "status", env=as_app)
    assert status.returncode == 0 and f"schema version {CURRENT_VERSION};" in status.stdout


def test_the_application_role_makes_and_purges_months_partitions_and_cannot_touch_them_itself(
    initialised: TwoRoles,
) -> None:
    settings = initialised.settings(initialised.app_url)
    sql, app = SqlRunner(settings.database), open_governance(settings)
    seed_app_model(app)
    store, old = ObservationStore(sql), T0 - timedelta(days=400)  # past six months' retention
    store.append([Observation("churn", 1, "staging", "auc", 0.9, old + timedelta(hours=h))
                  for h in range(3)])  # fmt: skip
    partition = partition_of(old.strftime("%Y-%m"))
    schema = initialised.schema
    with psycopg.connect(initialised.app_url, autocommit=True) as connection:
        for attack in (
            f"DELETE FROM {schema}.{partition}",
            f"TRUNCATE {schema}.{partition}",
            f"DROP TABLE {schema}.{partition}",
            f"ALTER TABLE {schema}.{partition} DISABLE TRIGGER ALL",
            f"ALTER TABLE {schema}.modelgov_observations DETACH PARTITION {schema}.{partition}",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(attack)
    MonitorRunner(app, sql).catch_up()

    outcome = ObservationPurge(app, sql).run(now=datetime.now(UTC))

    assert [d.stored.observations for d in outcome.dropped] == [3]
    assert store.after(0, limit=10) == []
    assert sql.execute("SELECT to_regclass(?)", (f"{schema}.{partition}",)) == [(None,)]
    sql.close()
    app.close()
