"""`modelgov demo`: seed a demo portfolio into the configured store, say what to try, and serve it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from application.demo import seed_demo_portfolio
from application.demo.production_figures import demo_observations
from application.demo.stories import DEMO_MODEL_NAMES, HISTORY_DAYS
from application.governance import Governance
from domain.instants import utc_text
from infrastructure.cli.history_commands import active_text
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.cli.projection_commands import opened_runner
from infrastructure.cli.report_commands import write_demo_reports
from infrastructure.cli.serve_commands import (
    DEMO_TOKENS_FILE,
    PortOption,
    WorkersOption,
    demo_tokens,
    serve,
)
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.errors import CommandFailedError
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import open_ledger
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.settings import Settings, get_settings


@contextmanager
def writable_store(*, create_key: bool = False) -> Iterator[Governance]:
    """The store opened for writing (the read commands: history_commands.py and the others)."""
    governance = open_governance(get_settings(), create_key=create_key)
    try:
        yield governance
    finally:
        governance.close()


def demo(
    reset: Annotated[
        bool,
        typer.Option(
            help="Delete the SQLite store first, if it holds nothing but the demo portfolio."
        ),
    ] = False,
    serve_api: Annotated[
        bool, typer.Option("--serve", help="Then serve the API on --port (as `make demo` does).")
    ] = False,
    port: PortOption = 8000,
    workers: WorkersOption = None,
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
        f"\nopen the console: http://127.0.0.1:{port}/console and sign in with a token above (as the "
        "compliance officer, a version awaits your sign-off in Queues)"
    )
    typer.echo(
        "\ntry the API:\n  source modelgov-demo-tokens.env\n"
        f'  curl -s -H "Authorization: Bearer $MG_AUDITOR" http://127.0.0.1:{port}/v1/models | python3 -m json.tool\n'
        f"  open http://127.0.0.1:{port}/docs for the OpenAPI contract; the README walks through a lifecycle"
    )
    if reports is not None:
        written = write_demo_reports(reports, list(DEMO_MODEL_NAMES))
        typer.echo(f"\naudit reports as of the latest signed tree head, in {reports}/:")
        for path in written:
            typer.echo(f"  {path}")
    if serve_api:
        serve(port=port, workers=workers)


def _seal_demo(current: Settings) -> None:
    """Give the demo a signing key (if it has none) and seal every event into the ledger."""
    if not current.signing_key_file.exists():
        signer = write_key_pair(current.signing_key_file, passphrase=current.signing_key_passphrase)
        typer.echo(f"created the signing key {signer.key_id} in {current.signing_key_file}")
    with writable_store() as governance:
        added, size = seal_until_caught_up(open_ledger(current, governance))
    typer.echo(
        f"sealed {added} event(s) into the ledger; signed tree head at size {size} "
        f"(`modelgov verify` checks it)"
    )


def _seed(current: Settings) -> None:
    """Seed the portfolio unless the store already holds models; print what happened."""
    with writable_store(create_key=True) as governance:
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
    with writable_store() as governance:
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
        with writable_store() as governance:
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
