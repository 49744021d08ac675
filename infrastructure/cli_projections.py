"""`modelgov projections ...`: run, rebuild and inspect the read models."""

from __future__ import annotations

import contextlib
import threading
from typing import Annotated

import typer

from infrastructure.projections import ProjectionRunner, default_projections
from infrastructure.settings import get_settings
from infrastructure.sql import SqlRunner
from infrastructure.store import open_governance

projections_app = typer.Typer(
    help="Read models built from the event log (catalog, usage windows, targets)."
)


def _runner() -> ProjectionRunner:
    settings = get_settings()
    return ProjectionRunner(
        open_governance(settings), SqlRunner(settings.database), default_projections()
    )


@projections_app.command("run")
def run(follow: Annotated[bool, typer.Option(help="Keep following new events.")] = False) -> None:
    """Apply new events to every projection (as its own process with --follow)."""
    runner = _runner()
    typer.echo(f"applied {runner.catch_up()} event(s); lag {runner.lag()}")
    if follow:
        typer.echo("following the event log (Ctrl-C to stop) ...")
        with contextlib.suppress(KeyboardInterrupt):
            runner.run(threading.Event())


@projections_app.command("rebuild")
def rebuild() -> None:
    """Drop every projection's tables and rebuild them from the events."""
    runner = _runner()
    typer.echo(
        f"rebuilt {len(runner.projections)} projection(s) from {runner.rebuild()} event application(s)"
    )


@projections_app.command("status")
def status() -> None:
    """Each projection's position in the event log, and how far behind it is."""
    runner = _runner()
    head = runner.governance.recorder.max_notification_id() or 0
    for projection in runner.projections:
        position = runner.position(projection)
        typer.echo(f"{projection.name:16} position {position:8}  behind by {head - position}")
