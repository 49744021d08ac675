"""The `modelgov` command line: set up a store, read a model's state, history and past; every command."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from infrastructure.cli.admission_commands import admission_app
from infrastructure.cli.backup_commands import backup, restore
from infrastructure.cli.db_commands import db_app
from infrastructure.cli.demo_command import demo, writable_store
from infrastructure.cli.dossier_command import dossier
from infrastructure.cli.exit_codes import (
    EXIT_CODES_HELP,
    REPORTING,
    document_exit_codes,
    report_fault,
)
from infrastructure.cli.gate_command import gate
from infrastructure.cli.history_commands import (
    JsonOption,
    active_text,
    diff,
    echo_json,
    history,
    replay,
    show,
)
from infrastructure.cli.integration_commands import card_app, mlflow_app
from infrastructure.cli.inventory_commands import inventory
from infrastructure.cli.ledger_commands import (
    export,
    keys_app,
    ledger_app,
    verify,
)
from infrastructure.cli.monitor_commands import monitor_app, webhooks_app
from infrastructure.cli.observation_commands import observations_app
from infrastructure.cli.people_commands import people_app
from infrastructure.cli.policy_commands import policy_app
from infrastructure.cli.projection_commands import opened_runner, projections_app
from infrastructure.cli.proof_commands import proof_app
from infrastructure.cli.remote import ServerOption, TokenOption, connected
from infrastructure.cli.remote_commands import add_remote_commands
from infrastructure.cli.report_commands import report_app
from infrastructure.cli.serve_commands import (
    serve,
    tokens_app,
)
from infrastructure.cli.witness_commands import witness_app_cli
from infrastructure.projections.queries import EVERY_MODEL, catalog_page
from infrastructure.settings import KNOWN_SETTINGS, get_settings

app = typer.Typer(
    name="modelgov",
    help="An event-sourced governance and audit ledger for machine-learning models.\n\n"
    "Settings come from MODELGOV_* environment variables; `modelgov settings` lists them.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="On a fault, print the traceback before the line.")
    ] = False,
) -> None:
    REPORTING.debug = debug


@app.command()
def settings() -> None:
    """List the MODELGOV_* settings, what each is for, and the values in force."""
    current = get_settings()
    typer.echo(f"database: {current.database.describe()}")
    typer.echo(
        f"cipher key: {'MODELGOV_CIPHER_KEY' if current.cipher_key else current.cipher_key_file}"
    )
    typer.echo("")
    for name, purpose in KNOWN_SETTINGS.items():
        typer.echo(f"{name}\n    {purpose}")


@app.command()
def init() -> None:
    """Create the event store's tables (append-only) and, if there is none, the data key file."""
    current = get_settings()
    existed = current.cipher_key is not None or current.cipher_key_file.exists()
    with writable_store(create_key=True):
        pass
    if not existed:
        typer.echo(
            f"created the data key {current.cipher_key_file} (mode 0600): back it up; "
            "without it the events cannot be read"
        )
    typer.echo(f"event store ready: {current.database.describe()}")


app.command()(demo)


# Commands that read the local store, or a server with --server: both sets of exit codes.


@app.command(epilog=EXIT_CODES_HELP)
def models(
    as_json: JsonOption = False, server: ServerOption = None, token: TokenOption = None
) -> None:
    """List the registered models with their risk tier and what is active where (from the catalog)."""
    if server:
        with connected(server, token) as client:
            _print_models(list(client.iter_list_models(limit=100)), as_json=as_json)
        return
    with opened_runner(reading=True) as runner:  # a read: nothing applied, nothing written
        behind = runner.lag()
        rows: list[dict[str, Any]] = []
        while page := catalog_page(
            runner.sql, cipher=runner.cipher, kept=EVERY_MODEL,
            after=rows[-1]["name"] if rows else None, limit=500,
        ):  # fmt: skip
            rows += page
    if behind:  # on stderr: --json output stays what it was
        typer.echo(
            f"modelgov: the catalog is {behind} event(s) behind the event log; `modelgov serve` or "
            "`modelgov projections run` brings it up to date",
            err=True,
        )
    _print_models(rows, as_json=as_json)


def _print_models(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("no models registered yet; `modelgov demo` seeds a portfolio")
    for row in rows:
        active = active_text(row["active"])
        typer.echo(
            f"{row['name']:24} {row['risk_tier']:9} {row['versions']} version(s)  {active}  "
            f"open breaches: {row['open_breaches']}  open bias flags: {row['open_bias_flags']}"
        )


GROUPS = {
    "tokens": tokens_app, "keys": keys_app, "ledger": ledger_app, "projections": projections_app,
    "monitor": monitor_app, "webhooks": webhooks_app, "observations": observations_app,
    "report": report_app, "db": db_app, "admission": admission_app, "card": card_app,
    "mlflow": mlflow_app, "witness": witness_app_cli, "people": people_app}  # fmt: skip
for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)
app.command()(serve)
for _read in (show, history, replay, diff, gate, dossier, inventory):
    app.command(epilog=EXIT_CODES_HELP)(_read)
app.add_typer(proof_app, name="proof")
app.add_typer(policy_app, name="policy")
add_remote_commands(
    app, groups={"proof": proof_app, "policy": policy_app}
)  # every write and read of the API, over HTTP (cli/remote_commands.py)
for _command in (verify, export, backup, restore):
    app.command()(_command)
document_exit_codes(app)  # every --help ends with its exit codes


def main() -> None:
    """Entry point: run the CLI; a fault ends it with one line on stderr and its exit code."""
    try:
        app()
    except Exception as error:
        sys.exit(report_fault(error))
