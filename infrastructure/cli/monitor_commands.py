"""`modelgov monitor ...` and `modelgov webhooks ...`: evaluation and delivery as their own processes.

`modelgov serve` runs both; these commands run them elsewhere (one evaluator per store).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from application.governance import Governance
from application.monitoring.observations import checked_observations
from application.projections.outbox import WebhookOutbox
from infrastructure.api.schemas import ObservationBatch
from infrastructure.background import follow
from infrastructure.cli.following import follow_under_lease
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.errors import CommandFailedError
from infrastructure.leases import MONITOR, WEBHOOKS, Lease
from infrastructure.monitoring.monitor import MonitorRunner, deliver_webhooks
from infrastructure.projections.forgettings import Forgettings
from infrastructure.projections.runner import ProjectionRunner
from infrastructure.settings import Settings, get_settings
from infrastructure.webhooks.delivery import Deliverer, open_deliverer

monitor_app = typer.Typer(
    help="Judge production figures against the targets; act on the game plan."
)
webhooks_app = typer.Typer(help="Deliver lifecycle events to the game plans' webhook URLs.")


def _monitor(*, reading: bool = False) -> MonitorRunner:
    settings = get_settings().for_reading() if reading else get_settings()
    return MonitorRunner(open_governance(settings), SqlRunner(settings.database))


@monitor_app.command("run")
def run(follow: Annotated[bool, typer.Option(help="Keep following new input.")] = False) -> None:
    """Judge new observations and react to new events (as its own process with --follow).

    One process judges at a time (a lease in the database): while `serve` or another
    `monitor run --follow` holds it, this one waits (with --follow) or says so and stops.
    """
    monitor = _monitor()
    # What this process decrypts of a person goes once they are forgotten, by any process.
    forgettings = Forgettings(monitor.governance)
    forgettings.look_at_the_log()  # before any model is read: where the next look starts
    lease = Lease(monitor.sql, MONITOR)
    if not lease.take():
        holder = lease.current_holder()
        if not follow:
            raise CommandFailedError(
                f"another process judges this store now ({holder}); "
                "run `modelgov serve --no-monitor` to move monitoring here"
            )
        typer.echo(f"{holder} judges this store; waiting for its lease ...")
        _following(monitor, lease, forgettings)
        return
    judged = monitor.catch_up()
    totals = monitor.totals
    typer.echo(
        f"looked at {judged} observation(s) and event(s): {len(totals.breaches_opened)} breach(es) "
        f"opened, {len(totals.breaches_closed)} closed, {len(totals.bias_flags)} bias flag(s), "
        f"{len(totals.responses)} automated response(s), {len(totals.refused)} refused by the rules"
    )
    if follow:
        typer.echo("following observations and events (Ctrl-C to stop) ...")
        _following(monitor, lease, forgettings)
    else:
        lease.release()


def _following(monitor: MonitorRunner, lease: Lease, forgettings: Forgettings) -> None:
    """Judge whenever this process holds the monitor's lease, until Ctrl-C, watching the log for
    forgettings meanwhile (the models it holds are read through this process's keys)."""
    stop_watching = follow(forgettings.watch, "modelgov-forgettings")
    try:
        follow_under_lease(lease, monitor.run)
    finally:
        stop_watching()


@monitor_app.command("status")
def status() -> None:
    """How many observations and events monitoring has not looked at yet."""
    lag = _monitor(reading=True).lag()
    typer.echo(f"behind by {lag['observations']} observation(s) and {lag['events']} event(s)")


@monitor_app.command("ingest")
def ingest(
    model: Annotated[str, typer.Argument(help="The model the figures are for.")],
    file: Annotated[
        Path,
        typer.Argument(help="JSON: a list of observations, as POST .../metrics takes; - for stdin"),
    ],
) -> None:
    """Store a batch of observations from a file (the same checks as the API's)."""
    text = sys.stdin.read() if str(file) == "-" else file.read_text()
    batch = ObservationBatch.model_validate({"observations": json.loads(text)})
    monitor = _monitor()
    observations = checked_observations(monitor.governance.get_model(model), batch.observations)
    monitor.observations.append(observations)
    typer.echo(
        f"stored {len(observations)} observation(s) for {model}; `modelgov monitor run` judges them"
    )


@contextlib.contextmanager
def _delivery(
    *, reading: bool = False
) -> Iterator[tuple[Settings, Governance, SqlRunner, Deliverer]]:
    """The store and a deliverer over it, closed afterwards; `reading`: the store read-only."""
    settings = get_settings().for_reading() if reading else get_settings()
    governance = open_governance(settings)
    sql = SqlRunner(settings.database)
    deliverer = open_deliverer(settings, governance, sql)
    try:
        yield settings, governance, sql, deliverer
    finally:
        deliverer.close()
        sql.close()
        governance.close()


@webhooks_app.command("deliver")
def deliver(follow: Annotated[bool, typer.Option(help="Keep delivering.")] = False) -> None:
    """Queue new events for their routes and deliver what is due (as its own process with --follow)."""
    with _delivery() as (settings, governance, sql, deliverer):
        outbox = ProjectionRunner(governance, sql, [WebhookOutbox()])
        queued = outbox.catch_up()
        typer.echo(
            f"looked at {queued} event(s); delivering "
            f"(signing secret in {settings.webhook_secret_file})"
        )
        if not follow:
            typer.echo(f"attempted {deliverer.deliver_due()} delivery(ies)")
            return
        typer.echo("following the event log (Ctrl-C to stop; one process delivers at a time) ...")
        delivering = partial(deliver_webhooks, outbox, deliverer)
        follow_under_lease(Lease(sql, WEBHOOKS), delivering)


@webhooks_app.command("redeliver")
def redeliver(
    model: Annotated[str, typer.Argument(help="The model whose failed deliveries to queue again.")],
) -> None:
    """Queue a model's failed deliveries again (after its receiver is back), attempts from zero."""
    with _delivery(reading=True) as (_, governance, _, deliverer):
        governance.get_model(model)
        typer.echo(f"queued {deliverer.redeliver(model)} failed delivery(ies) of {model} again")


@webhooks_app.command("list")
def deliveries(
    model: Annotated[str, typer.Argument(help="The model whose deliveries to show.")],
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """A model's webhook deliveries, newest first."""
    with _delivery(reading=True) as (_, governance, _, deliverer):
        governance.get_model(model)
        _print_deliveries(deliverer.deliveries(model, limit=limit))


def _print_deliveries(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        error = f"  ({row['last_error']})" if row["last_error"] else ""
        typer.echo(
            f"{row['position']:>8}  {row['event_type']:20} {row['severity']:8} {row['status']:9} "
            f"attempts {row['attempts']}  {row['url']}{error}"
        )
