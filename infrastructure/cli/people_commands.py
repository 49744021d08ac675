"""`modelgov people forget`: erase a person's data by destroying their erasure keys (GDPR Art. 17)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer

from application.erasure.forget import Forgotten, forget_person
from domain.people import ERASURE_GROUNDS
from domain.values import Attribution
from infrastructure.cli.db_commands import login_name
from infrastructure.cli.projection_commands import opened_runner
from infrastructure.db.erasure_keys import SCRUBBED_TABLES, drop_freed_copies
from infrastructure.projections.tables import PROJECTION_TABLES

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
    with opened_runner() as runner:
        forgotten = forget_person(
            runner.governance, email=email, aliases=alias or [], ground=reason,
            by=Attribution(
                principal=actor or login_name(), role=role, correlation_id=f"cli-{uuid.uuid4()}",
                effective_at=datetime.now(UTC), reason=reason,
            ),
        )  # fmt: skip
        typer.echo(said(forgotten))
        # The read models from the events, which now read "[erased]" where the person was (what
        # the projections had sealed under the data key goes with the old rows), then those
        # rows' old versions.
        typer.echo(f"read models rebuilt: {runner.rebuild()} event application(s)")
        drop_freed_copies(runner.sql, [*SCRUBBED_TABLES, *PROJECTION_TABLES])
        typer.echo(f"old row versions dropped: {compacted(runner.sql.database.kind)}")


def said(forgotten: Forgotten) -> str:
    return (
        f"forgotten: person {forgotten.person} ({len(forgotten.identifiers)} identifier(s)); "
        "their erasure keys are destroyed and PersonForgotten is recorded in the ledger"
    )


def compacted(kind: str) -> str:
    if kind == "sqlite":
        return "the file is rewritten (VACUUM) and its write-ahead log emptied"
    return "the tables are vacuumed where this role owns them (VACUUM FULL by their owner rewrites them)"
