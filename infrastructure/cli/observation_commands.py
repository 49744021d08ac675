"""`modelgov observations purge`: the one way observations past retention leave the store.

Months past their model's retention (its policy; never under six months) are dropped whole, one
transaction each, never a month of a model under legal hold; the ledger is not touched, so
`verify` passes as before. Each month's line says what was dropped, or what was kept and why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from application.monitoring.retention import MonthDecision
from infrastructure.cli.history_commands import JsonOption, echo_json
from infrastructure.db.fault_points import arm
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.monitoring.observation_purge import ObservationPurge
from infrastructure.settings import get_settings

observations_app = typer.Typer(
    help="The production figures monitoring judged, and their retention."
)


@observations_app.command("purge")
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be dropped; drop nothing.")
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", help="Only this model's observations.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Drop the months of observations past their model's retention, except under a legal hold.

    A month goes only when all of it is past retention (the model's policy, at least six
    months), monitoring has judged it, and no legal hold stands; each month dropped is recorded
    in the store (modelgov_observation_purges) in the transaction that drops it.
    """
    settings = get_settings()
    if settings.fault_point:  # a test hook (infrastructure/db/fault_points.py)
        arm(settings.fault_point)
    governance = open_governance(settings)
    sql = SqlRunner(settings.database)
    try:
        if model is not None:
            governance.get_model(model)  # an unknown name is bad input, not "nothing to drop"
        verb = "would drop" if dry_run else "dropped"

        def say(decision: MonthDecision, dropped: bool) -> None:
            if not as_json:
                typer.echo(_line(decision, dropped=dropped, verb=verb))

        outcome = ObservationPurge(governance, sql).run(
            now=datetime.now(UTC), model=model, dry_run=dry_run, progress=say
        )
    finally:
        sql.close()
        governance.close()
    if as_json:
        echo_json(
            {
                "dry_run": dry_run,
                "dropped": [_json(d) for d in outcome.dropped],
                "kept": [_json(d) for d in outcome.kept],
                "partitions_dropped": outcome.partitions_dropped,
            }
        )
        return
    kept = sum(d.stored.observations for d in outcome.kept)
    whole = outcome.partitions_dropped
    partitions = f" ({len(whole)} month partition(s) dropped whole)" if whole else ""
    typer.echo(
        f"{verb} {outcome.observations_dropped} observation(s) in {len(outcome.dropped)} "
        f"month(s){partitions}; kept {kept} in {len(outcome.kept)} month(s); the ledger is untouched"
    )


def _line(decision: MonthDecision, *, dropped: bool, verb: str) -> str:
    stored = decision.stored
    what = f"{stored.observations} observation(s) of {stored.model} in {stored.month}"
    return f"{verb} {what}: {decision.why}" if dropped else f"kept {what}: {decision.why}"


def _json(decision: MonthDecision) -> dict[str, object]:
    stored = decision.stored
    return {
        "model": stored.model,
        "month": stored.month,
        "observations": stored.observations,
        "why": decision.why,
        "retention_months": decision.retention_months,
    }
