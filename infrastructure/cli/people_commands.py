"""`modelgov people forget`: erase a person's data by destroying their erasure keys (GDPR Art. 17)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer

from application.erasure.forget import Forgotten, forget_person
from application.governance import Governance
from domain.people import ERASURE_GROUNDS
from domain.values import Attribution
from infrastructure.cli.db_commands import login_name
from infrastructure.db.erasure_keys import SCRUBBED_TABLES, drop_freed_copies
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.projections.tables import PROJECTION_TABLES
from infrastructure.settings import Settings, get_settings

people_app = typer.Typer(help="People in the records: erasing a person's data (GDPR Art. 17).")


@people_app.command("forget")
def forget(
    email: Annotated[str, typer.Argument(help="The person's e-mail address.")],
    reason: Annotated[
        str, typer.Option(help=f"The ground of GDPR Art. 17(1): {', '.join(ERASURE_GROUNDS)}.")
    ],
    alias: Annotated[
        list[str] | None,
        typer.Option(
            "--alias",
            help="Another identifier they are recorded under (their principal id, an owner text "
            "naming them); repeat it for each.",
        ),
    ] = None,
    role: Annotated[
        str, typer.Option(help="Your role: admin or compliance_officer.")
    ] = "compliance_officer",
    actor: Annotated[
        str | None, typer.Option(help="Who is doing it (default: your login name).")
    ] = None,
) -> None:
    """Destroy a person's erasure keys and record PersonForgotten (in one transaction); their
    names, e-mails and comments then read "\\[erased]" everywhere, and the ledger still verifies."""
    settings = get_settings()
    governance = open_governance(settings)
    try:
        forgotten = forget_person(
            governance, email=email, aliases=alias or [], ground=reason,
            by=Attribution(
                principal=actor or login_name(), role=role, correlation_id=f"cli-{uuid.uuid4()}",
                effective_at=datetime.now(UTC), reason=reason,
            ),
        )  # fmt: skip
        typer.echo(said(forgotten))
        typer.echo(f"read models rebuilt: {reproject(governance, settings)} event application(s)")
        typer.echo(f"old row versions dropped: {compact(settings)}")
    finally:
        governance.close()


def said(forgotten: Forgotten) -> str:
    return (
        f"forgotten: person {forgotten.person} ({len(forgotten.identifiers)} identifier(s)); "
        "their erasure keys are destroyed and PersonForgotten is recorded in the ledger"
    )


def compact(settings: Settings) -> str:
    sql = SqlRunner(settings.database)
    try:
        drop_freed_copies(sql, [*SCRUBBED_TABLES, *PROJECTION_TABLES])
    finally:
        sql.close()
    if settings.database.kind == "sqlite":
        return "the file is rewritten (VACUUM) and its write-ahead log emptied"
    return "the tables are vacuumed where this role owns them (VACUUM FULL by their owner rewrites them)"


def reproject(governance: Governance, settings: Settings) -> int:
    """Rebuild the read models from the events, which now read "[erased]" where the person was
    (what the projections had sealed under the data key goes with the old rows)."""
    sql = SqlRunner(settings.database)
    runner = ProjectionRunner(governance, sql, default_projections())
    try:
        return runner.rebuild()
    finally:
        runner.close()
        sql.close()
