"""`modelgov dossier MODEL`: the model's technical documentation in the nine sections of Annex IV,
as it stood in the world (`--at`) or as the ledger knew it (`--known-at`), as HTML, PDF or JSON."""

from __future__ import annotations

from typing import Annotated

import typer

from infrastructure.cli.history_commands import ModelArgument
from infrastructure.cli.report_commands import FormatOption, HeadOption, OutOption, produce
from infrastructure.cli.time_args import parse_time
from infrastructure.ledger.report_source import dossier as build

AtOption = Annotated[
    str | None,
    typer.Option(help="As the model stood in the world at this ISO 8601 time (with a zone)."),
]
KnownAtOption = Annotated[
    str | None,
    typer.Option(help="As the ledger knew it at this ISO 8601 time (with a zone)."),
]


def dossier(
    name: ModelArgument,
    at: AtOption = None,
    known_at: KnownAtOption = None,
    fmt: FormatOption = "html",
    out: OutOption = None,
    as_of_head: HeadOption = None,
) -> None:
    """Technical documentation (EU AI Act Annex IV) from the ledger, with its gaps as findings,
    and where the world's and the ledger's view of that moment differ."""
    if at is not None and known_at is not None:
        raise typer.BadParameter("give --at or --known-at, not both", param_hint="--at")
    effective = parse_time("--at", at) if at is not None else None
    known = parse_time("--known-at", known_at) if known_at is not None else None
    produce(
        lambda ledger: build(ledger, name, at=effective, known_at=known, as_of_head=as_of_head),
        fmt, out, None,
    )  # fmt: skip
