"""`modelgov serve` and `modelgov tokens ...`: the HTTP API and the bearer tokens that open it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from application.demo.seeder import PEOPLE
from infrastructure.api.app import create_app
from infrastructure.cli_db import check_store_before_serving
from infrastructure.settings import Settings, get_settings
from infrastructure.sql import SqlRunner
from infrastructure.store import open_governance
from infrastructure.tokens import TOKEN_ROLES, TokenStore

tokens_app = typer.Typer(
    help="Create, list and revoke bearer tokens (one principal and role each)."
)


def _token_store() -> tuple[TokenStore, SqlRunner]:
    settings = get_settings()
    # Opening the event store first checks the settings and the data key.
    open_governance(settings).close()
    sql = SqlRunner(settings.database)
    return TokenStore(sql), sql


@tokens_app.command("create")
def create_token(
    name: Annotated[str, typer.Option(help="The principal: a person's id or a pipeline's name.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(TOKEN_ROLES)}.")],
) -> None:
    """Create a token and print it once; only its hash is stored."""
    store, sql = _token_store()
    try:
        token = store.create(principal=name, role=role)
    finally:
        sql.close()
    typer.echo(token)
    typer.echo(f"token for {name} ({role}); shown once, store it safely", err=True)


@tokens_app.command("list")
def list_tokens(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List tokens (ids, principals, roles, revocation), never the tokens themselves."""
    store, sql = _token_store()
    try:
        records = store.list()
    finally:
        sql.close()
    if as_json:
        typer.echo(json.dumps([vars(r) for r in records], indent=2))
        return
    for record in records:
        state = f"revoked {record.revoked_at}" if record.revoked_at else "active"
        typer.echo(f"{record.token_id}  {record.principal:28} {record.role:20} {state}")


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


def demo_tokens(settings: Settings) -> dict[str, tuple[str, str]]:
    """One token per role for the demo's people, kept in DEMO_TOKENS_FILE (mode 0600) for reuse."""
    sql = SqlRunner(settings.database)
    try:
        store = TokenStore(sql)
        saved = _read_tokens_file()
        if saved and all(store.authenticate(token) for _, token in saved.values()):
            return saved
        people = {role: name for name, role in reversed(PEOPLE.items())}
        people["auditor"] = DEMO_AUDITOR
        tokens = {
            role: (people[role], store.create(principal=people[role], role=role))
            for role in TOKEN_ROLES
        }
    finally:
        sql.close()
    lines = [f"# modelgov demo tokens, one per role ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)"]
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


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    seal: Annotated[
        bool,
        typer.Option(
            help="Run the ledger sealer in this process (with several API processes, "
            "seal in one, or run `modelgov ledger seal --follow` on its own)."
        ),
    ] = True,
    monitor: Annotated[
        bool,
        typer.Option(
            help="Judge observations, carry out game plans and deliver webhooks in this process "
            "(or run `modelgov monitor run --follow` and `modelgov webhooks deliver --follow`)."
        ),
    ] = True,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) with the sealer, projections and monitoring running."""
    settings = get_settings()
    check_store_before_serving(settings)
    typer.echo(f"serving modelgov on http://{host}:{port} over {settings.database.describe()}")
    app = create_app(settings, seal=seal, monitor=monitor)
    uvicorn.run(app, host=host, port=port, log_level="info")
