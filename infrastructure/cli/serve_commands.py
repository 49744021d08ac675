"""`modelgov serve` and `modelgov tokens ...`: the HTTP API and the bearer tokens that open it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from application.demo.simulation import PEOPLE
from domain.instants import utc_text
from infrastructure.api.app import create_app
from infrastructure.api.http_server import ConnectionLimits, run_server
from infrastructure.api.tokens import TOKEN_ROLES, TokenStore, token_id_of
from infrastructure.cli.db_commands import check_store_before_serving
from infrastructure.cli.time_args import parse_duration
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.logs import LogFormat, configure_logging
from infrastructure.metrics.instruments import prepare_metrics_directory
from infrastructure.settings import Settings, get_settings

tokens_app = typer.Typer(
    help="Create, list and revoke bearer tokens (one principal and role each)."
)


def _token_store(*, reading: bool = False) -> tuple[TokenStore, SqlRunner]:
    settings = get_settings().for_reading() if reading else get_settings()
    # Opening the event store first checks the settings and the data key.
    open_governance(settings).close()
    sql = SqlRunner(settings.database)
    return TokenStore(sql), sql


@tokens_app.command("create")
def create_token(
    name: Annotated[str, typer.Option(help="The principal: a person's id or a pipeline's name.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(TOKEN_ROLES)}.")],
    expires_in: Annotated[
        str | None,
        typer.Option(help="Valid for this long: 90m, 12h, 30d (default: until revoked)."),
    ] = None,
) -> None:
    """Create a token and print it once; only its hash is stored."""
    lifetime = parse_duration("--expires-in", expires_in) if expires_in is not None else None
    store, sql = _token_store()
    try:
        token = store.create(principal=name, role=role, expires_in=lifetime)
        expires_at = next(r.expires_at for r in store.list() if r.token_id == token_id_of(token))
    finally:
        sql.close()
    typer.echo(token)
    until = f"expires {expires_at}" if expires_at else "valid until revoked"
    typer.echo(f"token for {name} ({role}), {until}; shown once, store it safely", err=True)


@tokens_app.command("list")
def list_tokens(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List tokens (ids, principals, roles, expiry, last use, revocation), never the tokens."""
    store, sql = _token_store(reading=True)
    try:
        records = store.list()
    finally:
        sql.close()
    if as_json:
        typer.echo(json.dumps([vars(r) for r in records], indent=2))
        return
    for record in records:
        state = f"revoked {record.revoked_at}" if record.revoked_at else "active"
        expiry = f"expires {record.expires_at}" if record.expires_at else "no expiry"
        used = f"last used {record.last_used_at}" if record.last_used_at else "never used"
        typer.echo(
            f"{record.token_id}  {record.principal:28} {record.role:20} {state:28} "
            f"{expiry:30} {used}"
        )


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The id `tokens list` shows.")],
) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    store, sql = _token_store()
    try:
        store.revoke(token_id)
    finally:
        sql.close()
    typer.echo(f"revoked {token_id}")


DEMO_TOKENS_FILE = Path("modelgov-demo-tokens.env")
DEMO_AUDITOR = "external.auditor"
DEMO_SCRAPER = "prometheus"  # the metrics scraper's token: a Prometheus server's, nobody's


def demo_tokens(settings: Settings) -> dict[str, tuple[str, str]]:
    """One token per role for the demo's people, kept in DEMO_TOKENS_FILE (mode 0600) for reuse."""
    sql = SqlRunner(settings.database)
    try:
        store = TokenStore(sql)
        saved = _read_tokens_file()
        # Checked by id, not by authenticating: that would count as a use of each token.
        live = {r.token_id for r in store.list() if not r.revoked_at}
        if saved and all(token_id_of(token) in live for _, token in saved.values()):
            return saved
        people = {role: name for name, role in reversed(PEOPLE.items())}
        people["auditor"] = DEMO_AUDITOR
        people["metrics_scraper"] = DEMO_SCRAPER
        tokens = {
            role: (people[role], store.create(principal=people[role], role=role))
            for role in TOKEN_ROLES
        }
    finally:
        sql.close()
    lines = [
        f"# modelgov demo tokens, one per role ({utc_text(datetime.now(UTC), timespec='seconds')})"
    ]
    lines += [
        f"export MG_{role.upper()}={token}  # {name}" for role, (name, token) in tokens.items()
    ]
    DEMO_TOKENS_FILE.unlink(missing_ok=True)
    descriptor = os.open(DEMO_TOKENS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("\n".join(lines) + "\n")
    return tokens


def _read_tokens_file() -> dict[str, tuple[str, str]]:
    if not DEMO_TOKENS_FILE.exists():
        return {}
    found = {}
    for line in DEMO_TOKENS_FILE.read_text().splitlines():
        if line.startswith("export MG_"):
            assignment, _, name = line.removeprefix("export MG_").partition("  # ")
            role, _, token = assignment.partition("=")
            found[role.lower()] = (name, token)
    return found if set(found) == set(TOKEN_ROLES) else {}


HostOption = Annotated[str, typer.Option(help="Interface to listen on.")]
PortOption = Annotated[int, typer.Option(help="Port to listen on.")]
WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, help="API processes on the port (default: one per CPU core)."),
]
JOB_ELSEWHERE = " One process per store does it at a time (a lease); the others wait."


def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: WorkersOption = None,
    seal: Annotated[
        bool,
        typer.Option(
            help="Run the ledger sealer here (or only in `modelgov ledger seal --follow`)."
            + JOB_ELSEWHERE
        ),
    ] = True,
    monitor: Annotated[
        bool,
        typer.Option(
            help="Judge observations, carry out game plans and deliver webhooks here (or only in "
            "`modelgov monitor run --follow` and `modelgov webhooks deliver --follow`)."
            + JOB_ELSEWHERE
        ),
    ] = True,
    projections: Annotated[
        bool,
        typer.Option(
            help="Keep the read models up to date here (or only in `modelgov projections run "
            "--follow`): reads never apply events themselves." + JOB_ELSEWHERE
        ),
    ] = True,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(
            "--log-format",
            help="Log lines on stderr as text or as JSON lines (default MODELGOV_LOG_FORMAT, "
            "text); each carries the request id where there is one.",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) with the sealer, projections and monitoring running.

    Several `serve` processes (and --workers) may share one store ("Scaling out" in the README):
    each runs the background jobs' loops, one process per store does each job's work (a lease
    in the database), and another takes over within 6 s when that one dies. Clients get
    MODELGOV_HTTP_HEADER_TIMEOUT_SECONDS to send a request's headers and
    MODELGOV_HTTP_BODY_TIMEOUT_SECONDS for its body; at most MODELGOV_HTTP_MAX_CONNECTIONS are
    open per worker.
    """
    settings = get_settings()
    lines = log_format or settings.log_format
    configure_logging(lines)  # uvicorn's run sets the same again
    check_store_before_serving(settings)
    count = workers or os.cpu_count() or 1
    typer.echo(
        f"serving modelgov on http://{host}:{port} over {settings.database.describe()} "
        f"({count} worker{'s' if count > 1 else ''})"
    )
    # Before the API processes start: GET /metrics sums them all.
    prepare_metrics_directory(port=port)
    factory = partial(
        create_app, settings, seal=seal, monitor=monitor, project=projections, host=host
    )
    run_server(
        factory, host=host, port=port, limits=ConnectionLimits.from_settings(settings),
        workers=count, log_format=lines,
    )  # fmt: skip
