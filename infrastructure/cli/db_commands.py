"""`modelgov db ...`: the store's database for a two-role set-up, its schema version and
migrations, and its append-only triggers."""

from __future__ import annotations

import getpass
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from domain.values import Attribution
from infrastructure.db.append_only import (
    INSTALL_COMMAND,
    GuardFinding,
    guard_findings,
    guards,
    install_statements,
)
from infrastructure.db.fault_points import arm
from infrastructure.db.layout import (
    Layout,
    check_application_role,
    inspect_layout,
    privilege_warning,
)
from infrastructure.db.migrations import (
    CURRENT_VERSION,
    MIGRATE_COMMAND,
    check_not_newer,
    migrate,
    pending,
    version_text,
)
from infrastructure.db.schema import grant_to_application_role, no_store_message
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import (
    create_store_schema,
    load_cipher_key,
    open_governance,
    setup_lock,
)
from infrastructure.errors import CommandFailedError, SettingsError, StoreNotFoundError
from infrastructure.settings import Settings, get_settings, parse_database_url

db_app = typer.Typer(
    help="The store's database: create it owned by one role and used by another; migrate its "
    "schema to this release's; check and put back its append-only triggers."
)
triggers_app = typer.Typer(help="The triggers that make the ledger's tables append-only.")
db_app.add_typer(triggers_app, name="triggers")

OwnerUrlOption = Annotated[
    str | None,
    typer.Option(
        "--owner-url",
        help="Connect as the role that owns (or is to own) the tables, e.g. "
        "postgresql://modelgov_owner@host/db; default: MODELGOV_DATABASE_URL.",
    ),
]


def _as_owner(owner_url: str | None) -> Settings:
    settings = get_settings()
    if owner_url is None:
        return settings
    database = parse_database_url(owner_url, schema=settings.database.schema)
    return settings.model_copy(update={"database": database})


def _data_key_known(settings: Settings) -> bool:
    try:
        load_cipher_key(settings)
    except SettingsError:
        return False
    return True


@db_app.command("init")
def init(
    app_role: Annotated[
        str | None,
        typer.Option(
            "--app-role",
            help="PostgreSQL role the service runs as: granted only what it needs (no DDL, no "
            "UPDATE or DELETE of the ledger); it must exist.",
        ),
    ] = None,
    owner_url: OwnerUrlOption = None,
) -> None:
    """Create every table and trigger, owned by the role connecting; grant the application's role."""
    settings = _as_owner(owner_url)
    if app_role is not None and settings.database.kind == "sqlite":
        raise CommandFailedError("--app-role is for PostgreSQL: a SQLite file has no roles")
    create_store_schema(settings)
    typer.echo(f"tables ready: {settings.database.describe()}")
    if _data_key_known(settings):
        # Opened once as the owner, with the data key: what an earlier release kept in tables
        # the application role may not read (Idempotency-Key answers) is carried over, sealed.
        open_governance(settings, check_triggers=False).close()
    sql = SqlRunner(settings.database)
    try:
        if app_role is not None:
            check_application_role(sql, app_role)
            grant_to_application_role(sql, app_role)
            typer.echo(
                f"granted {app_role} what the service needs; run it with MODELGOV_DATABASE_URL "
                f"naming {app_role} (not {settings.database.user})"
            )
        # Triggers gone from tables that existed are not put back silently: that is recorded.
        findings = guard_findings(sql)
    finally:
        sql.close()
    if findings:
        _print_findings(findings)
        raise typer.Exit(1)
    typer.echo("append-only triggers in force")


@db_app.command("status")
def schema_status() -> None:
    """Print the store's schema version and this release's; exit 1 when they differ."""
    settings = get_settings().for_reading()
    layout = _inspected(settings)
    typer.echo(
        f"{settings.database.describe()}: schema version {version_text(layout.schema_version)}; "
        f"this release's: {CURRENT_VERSION}"
    )
    if layout.schema_version > CURRENT_VERSION:
        typer.echo("written by a newer release of modelgov: upgrade modelgov to use it", err=True)
        raise typer.Exit(1)
    waiting = pending(layout)
    for migration in waiting:
        typer.echo(f"pending {migration.describe()}")
    if waiting:
        typer.echo(f"the tables' owner applies them with `{MIGRATE_COMMAND}`", err=True)
        raise typer.Exit(1)
    typer.echo("up to date")


@db_app.command("migrate")
def migrate_schema(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the pending migrations; change nothing.")
    ] = False,
    owner_url: OwnerUrlOption = None,
) -> None:
    """Bring the store's schema to this release's: each migration in one transaction with its
    version, so one that fails leaves the store as it was; then re-grant the application role."""
    settings = _as_owner(owner_url)
    if settings.fault_point:  # a test hook (infrastructure/db/fault_points.py)
        arm(settings.fault_point)
    database = settings.database
    layout = _inspected(settings)
    typer.echo(
        f"{database.describe()}: schema version {version_text(layout.schema_version)}; this "
        f"release's: {CURRENT_VERSION}"
    )
    check_not_newer(layout, database)
    waiting = pending(layout)
    if not waiting:
        typer.echo("up to date: nothing to migrate")
        return
    if dry_run:
        for migration in waiting:
            typer.echo(f"would apply {migration.describe()}")
        typer.echo(f"{len(waiting)} migration(s) pending; without --dry-run they are applied")
        return
    if not layout.owned:
        raise CommandFailedError(
            "only the tables' owner can migrate them: run this with --owner-url naming the owner"
        )
    sql = SqlRunner(database)
    try:
        with setup_lock(settings):  # against a service starting (and migrating) meanwhile
            migrated = migrate(
                sql, before=inspect_layout(sql),
                progress=lambda migration: typer.echo(f"applying {migration.describe()} ..."),
            )  # fmt: skip
    finally:
        sql.close()
    typer.echo(f"schema version {CURRENT_VERSION}: {len(migrated.applied)} migration(s) applied")
    for role in migrated.granted:
        typer.echo(f"granted {role} what the new tables need")


def _inspected(settings: Settings) -> Layout:
    """What the store holds; StoreNotFoundError when there is none (nothing is created)."""
    database = settings.database
    missing = StoreNotFoundError(no_store_message(database.describe()))
    if database.kind == "sqlite" and not Path(database.path).is_file():
        raise missing
    sql = SqlRunner(database)
    try:
        layout = inspect_layout(sql)
    finally:
        sql.close()
    if not layout.exists:
        raise missing
    return layout


@triggers_app.command("status")
def status() -> None:
    """Say whether every append-only trigger is in force; exit 1 naming each one that is not."""
    settings = get_settings().for_reading()
    open_governance(settings).close()  # one line if there is no store, or no key for it
    sql = SqlRunner(settings.database)
    try:
        findings = guard_findings(sql)
    finally:
        sql.close()
    if not findings:
        count = len(guards(settings.database.kind, schema=settings.database.pg_schema))
        typer.echo(f"all {count} append-only triggers are in force")
        return
    _print_findings(findings)
    raise typer.Exit(1)


@triggers_app.command("install")
def install(
    reason: Annotated[
        str, typer.Option(help="Why they were missing and why putting them back is right.")
    ],
    actor: Annotated[
        str | None, typer.Option(help="Who is doing it (default: your login name).")
    ] = None,
    owner_url: OwnerUrlOption = None,
) -> None:
    """Put back missing or disabled append-only triggers; the ledger records who, when and why."""
    settings = _as_owner(owner_url)
    governance = open_governance(settings, check_triggers=False)
    sql = SqlRunner(settings.database)
    try:
        findings = guard_findings(sql)
        if not findings:
            typer.echo("every append-only trigger is in force; nothing to put back")
            return
        if not inspect_layout(sql).owned:
            raise CommandFailedError(
                "only the tables' owner can put triggers back: run this with --owner-url"
            )
        # Recorded first: a reinstall can fail, but none goes unrecorded.
        governance.record_append_only_triggers_reinstalled(
            triggers=[finding.describe() for finding in findings],
            database_role=_database_role(sql),
            by=Attribution(
                principal=actor or login_name(), role="admin", correlation_id=f"cli-{uuid.uuid4()}",
                effective_at=datetime.now(UTC), reason=reason,
            ),
        )  # fmt: skip
        for statement in install_statements(
            settings.database.kind, schema=settings.database.pg_schema, findings=findings
        ):
            sql.execute(statement)
        left = guard_findings(sql)
    finally:
        sql.close()
        governance.close()
    if left:
        _print_findings(left)
        raise CommandFailedError("some triggers could not be put back (above)")
    for finding in findings:
        typer.echo(f"put back: {finding.guard.describe()}")
    typer.echo("recorded in the ledger: the next sealed head covers it; `modelgov verify` lists it")


def _print_findings(findings: list[GuardFinding]) -> None:
    for finding in findings:
        typer.echo(finding.describe(), err=True)
    typer.echo(f"the tables' owner puts them back with `{INSTALL_COMMAND}`", err=True)


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment (e.g. a container)
        raise CommandFailedError("say who you are with --actor NAME") from None


def _database_role(sql: SqlRunner) -> str:
    if sql.database.kind == "sqlite":
        return "none (SQLite)"
    [(role,)] = sql.execute("SELECT current_user")
    return str(role)


def check_store_before_serving(settings: Settings) -> None:
    """Refuse to serve without the append-only triggers (a one-line error naming the command
    that puts them back); warn, once, when the service's role could switch them off itself (a
    line of the server's log, in its format)."""
    open_governance(settings).close()
    sql = SqlRunner(settings.database)
    try:
        warning = privilege_warning(sql)
    finally:
        sql.close()
    if warning:
        logging.getLogger("modelgov.store").warning(warning)
