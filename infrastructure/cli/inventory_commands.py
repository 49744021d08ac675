"""`modelgov inventory`: the model inventory of US SR 26-2 / OCC 2026-13 as JSON, CSV or an Excel
workbook, from the local store's read models brought up to date (or a server's, with `--server`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from application.inventory import build_inventory
from infrastructure.cli.projection_commands import opened_runner
from infrastructure.cli.remote import ServerOption, TokenOption, connected
from infrastructure.files import write_atomically
from infrastructure.projections.queries import model_documents
from reports.inventory import INVENTORY_FORMATS, InventoryFormat, render_inventory


def inventory(
    fmt: Annotated[str, typer.Option("--format", help="json, csv or xlsx.")] = "json",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file (default: standard output; xlsx needs it)."),
    ] = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Every model ever registered, retired ones included: purpose, method, inputs, outputs,
    owner, risk tier, validation status, last independent validation, next revalidation due and
    where it serves now (the model inventory of SR 26-2 / OCC 2026-13)."""
    if fmt not in INVENTORY_FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(INVENTORY_FORMATS)}", param_hint="--format"
        )
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("a workbook needs --out FILE", param_hint="--out")
    content = _from_server(server, token, fmt) if server else _from_store(fmt)
    if out is None:
        typer.echo(content.decode(), nl=False)
        return
    write_atomically(out, content)
    typer.echo(f"wrote {out} ({fmt}, {len(content)} bytes)", err=True)


def _from_store(fmt: str) -> bytes:
    # Brought up to date first: an inventory that missed a model just registered is not one.
    with opened_runner() as runner:
        runner.catch_up()
        documents = model_documents(runner.sql, cipher=runner.cipher)
    return render_inventory(build_inventory(documents, as_of=datetime.now(UTC)), fmt)


def _from_server(server: str, token: str | None, fmt: str) -> bytes:
    with connected(server, token) as client:
        answer: Any = client.model_inventory(format=cast(InventoryFormat, fmt))
    return answer if isinstance(answer, bytes) else render_inventory(answer, "json")
