"""`modelgov report model|portfolio|changes|schema`: audit reports as HTML, PDF or JSON."""

from __future__ import annotations

import hashlib
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, NoReturn, get_type_hints

import typer

from application.governance import Governance
from application.issuance import issue_report, issued
from domain.instants import utc_text
from domain.issued_reports import IssuedReport, issued_report_id
from domain.values import Attribution
from infrastructure.cli.db_commands import login_name
from infrastructure.cli.exit_codes import REFUSED
from infrastructure.cli.history_commands import ModelArgument
from infrastructure.cli.ledger_commands import PublicKeyOption, print_verification
from infrastructure.cli.time_args import parse_time
from infrastructure.db.store import open_governance
from infrastructure.files import write_atomically
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


@dataclass(frozen=True)
class Issue:
    """`--issue`: the report's kind (and model), and who issues it (a compliance officer: the
    only role that issues; from the command line, the login name unless `--actor` says)."""

    kind: str
    subject: str | None
    actor: str | None


IssueOption = Annotated[
    bool,
    typer.Option(
        "--issue",
        help="Issue the file: record its SHA-256, the signed head and who issued it in the ledger "
        "(`modelgov report verify FILE` checks it later). Needs --out.",
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="The compliance officer issuing it (default: your login name)."),
]


def produce(
    build: Callable[[Ledger], dict[str, Any]], fmt: str, out: Path | None, issue: Issue | None
) -> None:
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    if out is None and (fmt == "pdf" or issue is not None):
        what = "a PDF" if fmt == "pdf" else "an issued report"
        raise typer.BadParameter(f"{what} needs --out FILE", param_hint="--out")
    settings = get_settings() if issue is not None else get_settings().for_reading()
    governance = open_governance(settings)
    try:
        document = build(open_ledger(settings, governance))
        content = render(document, fmt)
        issued = _issue(governance, issue, document, fmt, content, out) if issue else None
    finally:
        governance.close()
    if out is None:
        typer.echo(content.decode(), nl=False)
        return
    write_atomically(out, content)
    integrity = document["integrity"]
    typer.echo(
        f"wrote {out} ({fmt}, as of signed tree head {integrity['tree_size']}, "
        f"verification {'passed' if integrity['verified'] else 'FAILED'})"
    )
    if issued is not None:
        event, new = issued
        typer.echo(
            f"issued: sha256 {event.sha256}, recorded in the ledger by {event.actor} "
            f"({event.role})" + ("" if new else " (these bytes were issued before; that stands)")
        )


def _issue(
    governance: Governance,
    issue: Issue,
    document: dict[str, Any],
    fmt: str,
    content: bytes,
    out: Path | None,
) -> tuple[IssuedReport.Issued, bool]:
    """Recorded before the file is written: a file on disk is never taken for issued when it is
    not. A crash between the two leaves a recorded digest of bytes not written; for HTML and JSON
    running the command again renders the same bytes from the same head and writes them (a PDF's
    bytes differ each time: a second issuance is recorded)."""
    assert out is not None
    return issue_report(
        governance, kind=issue.kind, subject=issue.subject, document=document, media_format=fmt,
        content=content, file_name=out.name,
        by=Attribution(
            principal=issue.actor or login_name(),
            role="compliance_officer",
            correlation_id=f"cli-{uuid.uuid4()}",
            effective_at=datetime.now(UTC),
        ),
    )  # fmt: skip


@dataclass(frozen=True)
class Output:
    """The options every report command takes after its own, declared once: `report_command`
    adds them to each command's signature."""

    fmt: FormatOption = "html"
    out: OutOption = None
    as_of_head: HeadOption = None
    issue: IssueOption = False
    actor: ActorOption = None


_OUTPUT_HINTS = get_type_hints(Output, include_extras=True)
_OUTPUT_PARAMETERS = [
    inspect.Parameter(
        field.name, inspect.Parameter.KEYWORD_ONLY, annotation=_OUTPUT_HINTS[field.name],
        default=field.default,
    )
    for field in fields(Output)
]  # fmt: skip


@dataclass(frozen=True)
class Report:
    """What a report command's own arguments ask for: the document, built from the ledger as of a
    signed head (None: the latest), and the model it is about, if one."""

    build: Callable[[Ledger, int | None], dict[str, Any]]
    subject: str | None = None


def report_command(kind: str) -> Callable[[Callable[..., Report]], Callable[..., Report]]:
    """Register `modelgov report KIND`: the decorated function takes the command's own arguments
    and says which report they ask for; the options of `Output` follow them."""

    def register(report_for: Callable[..., Report]) -> Callable[..., Report]:
        own = inspect.signature(report_for, eval_str=True)

        def command(**given: Any) -> None:
            output = Output(**{name: given.pop(name) for name in _OUTPUT_HINTS})
            report = report_for(**given)
            produce(
                lambda ledger: report.build(ledger, output.as_of_head), output.fmt, output.out,
                Issue(kind, report.subject, output.actor) if output.issue else None,
            )  # fmt: skip

        command.__signature__ = own.replace(  # type: ignore[attr-defined]
            parameters=[*own.parameters.values(), *_OUTPUT_PARAMETERS], return_annotation=None
        )
        command.__name__, command.__doc__ = report_for.__name__, report_for.__doc__
        report_app.command(kind)(command)
        return report_for

    return register


@report_command("model")
def model(name: ModelArgument) -> Report:
    """The model audit report: cards, approvals, gates, usage, targets, breaches, flags, costs, timeline."""
    return Report(lambda ledger, head: model_report(ledger, name, as_of_head=head), subject=name)


@report_command("portfolio")
def portfolio() -> Report:
    """The portfolio compliance report: every model's status, findings and exposure, worst first."""
    return Report(lambda ledger, head: portfolio_report(ledger, as_of_head=head))


@report_command("changes")
def changes(
    since: Annotated[str, typer.Option(help="Start of the period (ISO 8601, included).")],
    until: Annotated[str, typer.Option(help="End of the period (ISO 8601, excluded).")],
) -> Report:
    """Every lifecycle event that took effect in a period, grouped by model, with its actors."""
    start, end = parse_time("--since", since), parse_time("--until", until)
    return Report(
        lambda ledger, head: changes_report(ledger, since=start, until=end, as_of_head=head)
    )


@report_app.command("schema")
def schema(kind: Annotated[str, typer.Argument(help="model, portfolio or changes.")]) -> None:
    """Print the JSON Schema of a report's JSON form."""
    if kind not in ("model", "portfolio", "changes"):
        raise typer.BadParameter(f"{kind!r} is not model, portfolio or changes", param_hint="KIND")
    typer.echo(
        files("reports").joinpath(f"schemas/{kind}-report.schema.json").read_text(), nl=False
    )


@report_app.command("verify")
def verify_issued(
    file: Annotated[
        Path, typer.Argument(help="The report file to check.", exists=True, dir_okay=False)
    ],
    public_key: PublicKeyOption = None,
) -> None:
    """Was this exact file issued from this ledger, by whom, at which signed head; is the
    issuance sealed; and does the history, up to the latest head, still verify (the head the
    report was rendered at and the issuance itself included)? Exit 0 when all hold, 1 otherwise."""
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    settings = get_settings().for_reading()
    governance = open_governance(settings)
    try:
        event = issued(governance, digest)
        if event is None:
            _found_a_problem(
                f"NOT ISSUED: no report with sha256 {digest} was issued from "
                f"{settings.database.describe()} (a changed byte changes the digest)"
            )
        subject = f" of {event.subject}" if event.subject else ""
        typer.echo(
            f"issued: the {event.kind} report{subject} ({event.media_format}, issued as "
            f"{event.file_name}), by {event.actor} ({event.role}) on "
            f"{utc_text(event.effective_at)}, rendered at signed tree head {event.tree_size} "
            f"(root {event.root})"
        )
        ledger = open_ledger(settings, governance)
        head = ledger.head_at(event.tree_size)
        if head.head.root.hex() != event.root:
            _found_a_problem(
                f"FAILED: the signed head at size {event.tree_size} now has root "
                f"{head.head.root.hex()}, not {event.root} as when the report was issued: the "
                "ledger was rewritten"
            )
        sealed = _sealed_position(ledger, digest)
        latest = ledger.latest_head()
        if sealed is None or sealed >= latest.head.tree_size:
            _found_a_problem(
                "NOT SEALED: the issuance is recorded but no signed head covers it yet, so the "
                "ledger does not vouch for it: `modelgov serve` seals within seconds (or run "
                "`modelgov ledger seal`), then check again"
            )
        typer.echo(f"the issuance is sealed at position {sealed}")
        report = ledger.verify(public_keys=public_key, up_to=latest)
    finally:
        governance.close()
    print_verification(report, where=f"the history up to head {latest.head.tree_size}")


def _sealed_position(ledger: Ledger, digest: str) -> int | None:
    """The ledger position of the issuance's event, if it was sealed."""
    records = ledger.events.records_of(issued_report_id(digest))
    leaf = ledger.tables.leaf_for_notification(records[0].notification_id) if records else None
    return leaf.position if leaf is not None else None


def _found_a_problem(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(REFUSED)


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
