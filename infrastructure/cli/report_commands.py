"""`modelgov report model|portfolio|changes|schema`: audit reports as HTML, PDF or JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import typer

from infrastructure.cli.history_commands import ModelArgument
from infrastructure.cli.time_args import parse_time
from infrastructure.db.store import open_governance
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.ledger.report_source import changes_report, model_report, portfolio_report
from infrastructure.settings import get_settings
from reports import FORMATS, render

report_app = typer.Typer(
    help="Audit reports built from the events under a signed tree head; the same head gives the "
    "same bytes (HTML, JSON)."
)

FormatOption = Annotated[str, typer.Option("--format", help="html, pdf or json.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write to this file (default: standard output).")
]
HeadOption = Annotated[
    int | None,
    typer.Option(
        "--as-of-head",
        min=1,
        help="Build from the signed tree head of this size (default: latest).",
    ),
]


def _produce(build: Callable[[Ledger], dict[str, Any]], fmt: str, out: Path | None) -> None:
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    if fmt == "pdf" and out is None:
        raise typer.BadParameter("a PDF needs --out FILE", param_hint="--out")
    settings = get_settings().for_reading()
    governance = open_governance(settings)
    try:
        document = build(open_ledger(settings, governance))
    finally:
        governance.close()
    content = render(document, fmt)
    if out is None:
        typer.echo(content.decode(), nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    integrity = document["integrity"]
    typer.echo(
        f"wrote {out} ({fmt}, as of signed tree head {integrity['tree_size']}, "
        f"verification {'passed' if integrity['verified'] else 'FAILED'})"
    )


@report_app.command("model")
def model(
    name: ModelArgument,
    fmt: FormatOption = "html",
    out: OutOption = None,
    as_of_head: HeadOption = None,
) -> None:
    """The model audit report: cards, approvals, gates, usage, targets, breaches, flags, costs, timeline."""
    _produce(lambda ledger: model_report(ledger, name, as_of_head=as_of_head), fmt, out)


@report_app.command("portfolio")
def portfolio(
    fmt: FormatOption = "html", out: OutOption = None, as_of_head: HeadOption = None
) -> None:
    """The portfolio compliance report: every model's status, findings and exposure, worst first."""
    _produce(lambda ledger: portfolio_report(ledger, as_of_head=as_of_head), fmt, out)


@report_app.command("changes")
def changes(
    since: Annotated[str, typer.Option(help="Start of the period (ISO 8601, included).")],
    until: Annotated[str, typer.Option(help="End of the period (ISO 8601, excluded).")],
    fmt: FormatOption = "html",
    out: OutOption = None,
    as_of_head: HeadOption = None,
) -> None:
    """Every lifecycle event that took effect in a period, grouped by model, with its actors."""
    start, end = parse_time("--since", since), parse_time("--until", until)
    _produce(
        lambda ledger: changes_report(ledger, since=start, until=end, as_of_head=as_of_head),
        fmt,
        out,
    )


@report_app.command("schema")
def schema(kind: Annotated[str, typer.Argument(help="model, portfolio or changes.")]) -> None:
    """Print the JSON Schema of a report's JSON form."""
    if kind not in ("model", "portfolio", "changes"):
        raise typer.BadParameter(f"{kind!r} is not model, portfolio or changes", param_hint="KIND")
    typer.echo(
        files("reports").joinpath(f"schemas/{kind}-report.schema.json").read_text(), nl=False
    )


def write_demo_reports(folder: Path, names: list[str]) -> list[Path]:
    """Every demo model's report, the portfolio report and the last 30 days' changes, in each format."""
    settings = get_settings()
    governance = open_governance(settings)
    written: list[Path] = []
    try:
        ledger = open_ledger(settings, governance)
        documents = {f"model-{name}": model_report(ledger, name, as_of_head=None) for name in names}
        documents["portfolio"] = portfolio_report(ledger, as_of_head=None)
        until = datetime.fromisoformat(documents["portfolio"]["integrity"]["timestamp"])
        documents["changes-last-30-days"] = changes_report(
            ledger, since=until - timedelta(days=30), until=until, as_of_head=None
        )
    finally:
        governance.close()
    folder.mkdir(parents=True, exist_ok=True)
    for stem, document in documents.items():
        for fmt in FORMATS:
            path = folder / f"{stem}.{fmt}"
            path.write_bytes(render(document, fmt))
            written.append(path)
    return written
