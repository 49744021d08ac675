"""The `modelgov` command line: set up a store, seed the demo, read a model's state, history and past."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from application.demo import seed_demo_portfolio
from application.demo.production_figures import demo_observations
from application.demo.stories import DEMO_MODEL_NAMES, HISTORY_DAYS
from application.governance import Governance
from domain.instants import utc_text
from infrastructure.cli.admission_commands import admission_app
from infrastructure.cli.backup_commands import backup, restore
from infrastructure.cli.db_commands import db_app
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
    seal_until_caught_up,
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
from infrastructure.cli.report_commands import report_app, write_demo_reports
from infrastructure.cli.serve_commands import DEMO_TOKENS_FILE, demo_tokens, serve, tokens_app
from infrastructure.cli.witness_commands import witness_app_cli
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.errors import CommandFailedError
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import open_ledger
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.projections.queries import catalog_page
from infrastructure.settings import KNOWN_SETTINGS, Settings, get_settings

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


@contextmanager
def _governance(*, create_key: bool = False) -> Iterator[Governance]:
    """The store opened for writing (the read commands: cli_history.py and the others)."""
    governance = open_governance(get_settings(), create_key=create_key)
    try:
        yield governance
    finally:
        governance.close()


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
    with _governance(create_key=True):
        pass
    if not existed:
        typer.echo(
            f"created the data key {current.cipher_key_file} (mode 0600): back it up; "
            "without it the events cannot be read"
        )
    typer.echo(f"event store ready: {current.database.describe()}")


@app.command()
def demo(
    reset: Annotated[
        bool,
        typer.Option(
            help="Delete the SQLite store first, if it holds nothing but the demo portfolio."
        ),
    ] = False,
    serve_api: Annotated[
        bool,
        typer.Option("--serve", help="Then serve the API on 127.0.0.1:8000 (as `make demo` does)."),
    ] = False,
    reports: Annotated[
        Path | None,
        typer.Option(help="Write the demo portfolio's audit reports (HTML, PDF, JSON) here."),
    ] = None,
) -> None:
    """Seed a demo portfolio (seven models, every risk tier, four months of history); say what to try."""
    current = get_settings()
    if reset:
        _delete_demo_store(current)
    _seed(current)
    _seal_demo(current)
    with opened_runner() as runner:  # the read models, so that `modelgov models` lists them
        runner.catch_up()
    tokens = demo_tokens(current)
    typer.echo(f"\ndemo tokens, one per role (also in {DEMO_TOKENS_FILE}, `source` it for curl):")
    for role, (name, token) in tokens.items():
        typer.echo(f"  {role:19} {name:18} {token}")
    typer.echo(
        "\nopen the console: http://127.0.0.1:8000/console and sign in with a token above (as the "
        "compliance officer, a version awaits your sign-off in Queues)"
    )
    typer.echo(
        "\ntry the API:\n  source modelgov-demo-tokens.env\n"
        '  curl -s -H "Authorization: Bearer $MG_AUDITOR" http://127.0.0.1:8000/v1/models | python3 -m json.tool\n'
        "  open http://127.0.0.1:8000/docs for the OpenAPI contract; the README walks through a lifecycle"
    )
    if reports is not None:
        written = write_demo_reports(reports, list(DEMO_MODEL_NAMES))
        typer.echo(f"\naudit reports as of the latest signed tree head, in {reports}/:")
        for path in written:
            typer.echo(f"  {path}")
    if serve_api:
        serve()


def _seal_demo(current: Settings) -> None:
    """Give the demo a signing key (if it has none) and seal every event into the ledger."""
    if not current.signing_key_file.exists():
        signer = write_key_pair(current.signing_key_file, passphrase=current.signing_key_passphrase)
        typer.echo(f"created the signing key {signer.key_id} in {current.signing_key_file}")
    with _governance() as governance:
        added, size = seal_until_caught_up(open_ledger(current, governance))
    typer.echo(
        f"sealed {added} event(s) into the ledger; signed tree head at size {size} "
        f"(`modelgov verify` checks it)"
    )


def _seed(current: Settings) -> None:
    """Seed the portfolio unless the store already holds models; print what happened."""
    with _governance(create_key=True) as governance:
        existing = governance.registered_model_names()
        if existing:
            typer.echo(
                f"{current.database.describe()} already holds {len(existing)} model(s); "
                "not seeding again (`modelgov demo --reset` starts over)."
            )
            _next_steps(existing[0], {})
            return
        typer.echo(f"seeding the demo portfolio into {current.database.describe()} ...")
        summary = seed_demo_portfolio(governance, now=datetime.now(UTC))
        for name in summary.models:
            model = governance.get_model(name)
            typer.echo(
                f"  {name:24} {model.risk_tier:9} {len(model.versions)} version(s), "
                f"{model.version:3} events, {active_text(model.active)}"
            )
    typer.echo(
        f"recorded {summary.events} lifecycle events as if modelgov had been in use for "
        f"{HISTORY_DAYS} days, encrypted at rest, in an append-only store"
    )
    typer.echo("activations the gates refused, as they should:")
    for refusal in summary.refusals:
        typer.echo(f"  - {refusal}")
    _monitor_demo(current)
    _next_steps(summary.models[0], summary.moments)


def _monitor_demo(current: Settings) -> None:
    """Post five days of production figures and let monitoring judge them, as `serve` would."""
    sql = SqlRunner(current.database)
    with _governance() as governance:
        active = {
            name: model.active["production"]
            for name in DEMO_MODEL_NAMES
            if "production" in (model := governance.get_model(name)).active
        }
        observations = demo_observations(datetime.now(UTC), active)
        monitor = MonitorRunner(governance, sql)
        monitor.observations.append(observations)
        monitor.catch_up()
    sql.close()
    totals = monitor.totals
    typer.echo(
        f"monitoring judged {len(observations)} production figures against the targets in force:"
    )
    for breach in totals.breaches_opened:
        typer.echo(f"  - {breach}: breach opened")
    for response in totals.responses:
        typer.echo(f"  - {response}")


def _delete_demo_store(current: Settings) -> None:
    if current.database.kind != "sqlite":
        raise CommandFailedError(
            "--reset only deletes SQLite files; it never drops a PostgreSQL database"
        )
    path = Path(current.database.path)
    if path.exists():
        with _governance() as governance:
            others = sorted(set(governance.registered_model_names()) - set(DEMO_MODEL_NAMES))
        if others:
            raise CommandFailedError(
                f"{path} holds models that are not the demo's ({', '.join(others[:5])}); "
                "not deleting it. Point MODELGOV_DATABASE_URL at another file for the demo."
            )
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    # Heads signed with this key covered the deleted store; the key itself is kept.
    DEMO_TOKENS_FILE.unlink(missing_ok=True)


def _program() -> str:
    """How the user called us, as they can type it again from here."""
    called = Path(sys.argv[0])
    try:
        return str(called.resolve().relative_to(Path.cwd()))
    except ValueError:
        return called.name


def _next_steps(example: str, moments: dict[str, datetime]) -> None:
    program = _program()
    typer.echo("\nwhat to try next:")
    typer.echo(f"  {program} models")
    typer.echo(f"  {program} show {example}")
    typer.echo(f"  {program} history {example}")
    typer.echo(f"  {program} replay {example} --revision 5")
    for label, moment in moments.items():
        typer.echo(f"  {program} replay {example} --known-at {utc_text(moment)}   # {label}")
    typer.echo(f"  {program} --help")


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
            runner.sql, cipher=runner.cipher, risk_tier=None, owner=None, status=None,
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
