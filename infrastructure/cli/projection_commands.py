"""`modelgov projections ...`: run, rebuild and inspect the read models."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

import typer

from infrastructure.cli.following import follow_under_lease
from infrastructure.cli.progress import progress
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.leases import PROJECTIONS, Lease
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.projections.shares import processes_for
from infrastructure.settings import get_settings

projections_app = typer.Typer(
    help="Read models built from the event log (catalog, model and version states, compliance, "
    "usage windows, targets)."
)


@contextlib.contextmanager
def opened_runner(*, reading: bool = False) -> Iterator[ProjectionRunner]:
    """A projection runner over the configured store, closed (with its store) afterwards;
    `reading`: the store opened read-only (nothing created, nothing written)."""
    settings = get_settings().for_reading() if reading else get_settings()
    governance = open_governance(settings)
    sql = SqlRunner(settings.database)
    runner = ProjectionRunner(governance, sql, default_projections())
    try:
        yield runner
    finally:
        runner.close()
        sql.close()
        governance.close()


@projections_app.command("run")
def run(follow: Annotated[bool, typer.Option(help="Keep following new events.")] = False) -> None:
    """Apply new events to every projection (as its own process with --follow)."""
    with opened_runner() as runner:
        typer.echo(f"applied {runner.catch_up()} event application(s); lag {runner.lag()}")
        if follow:
            typer.echo(
                "following the event log (Ctrl-C to stop; one process applies at a time) ..."
            )
            lease = Lease(runner.sql, PROJECTIONS)
            follow_under_lease(lease, runner.run)


@projections_app.command("rebuild")
def rebuild(
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Processes sharing the work, by model (default: one per CPU core, at most 8; "
            "one for a store of fewer than two batches of events).",
        ),
    ] = None,
) -> None:
    """Drop every projection's tables and rebuild them from the events."""
    settings = get_settings()
    with opened_runner() as runner, progress("rebuilding the read models") as shown:
        if processes is None:
            events = runner.governance.recorder.max_notification_id() or 0
            processes = processes_for(events, runner.rebuild_batch)
        applications = runner.rebuild(progress=shown, processes=processes, settings=settings)
        typer.echo(
            f"rebuilt {len(runner.projections)} projection(s) from {applications} event "
            f"application(s) in {processes} process(es)"
        )


@projections_app.command("status")
def status() -> None:
    """Each projection's position in the event log, and how far behind it is."""
    with opened_runner(reading=True) as runner:
        head = runner.governance.recorder.max_notification_id() or 0
        for name, position in runner.positions().items():
            typer.echo(f"{name:16} position {position:8}  behind by {head - position}")
