"""The console's documents: the reports to generate and download, and the ledger (its signed head,
its key, a verification on demand, bundles to download).

Reports are built as the API builds them (infrastructure/ledger/report_source.py), from the latest
signed tree head, so a downloaded file is the one an auditor re-renders from the same head.

(No `from __future__ import annotations` here: FastAPI reads the routes' signatures at run time.)
"""

import io
import json
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from application.issuance import issue_report, last_issued_at
from domain.commands import Action
from domain.instants import utc_text
from domain.roles import Access, in_words
from domain.values import ENVIRONMENT_PATTERN
from infrastructure.api.caller import attribution
from infrastructure.console.paging import MAX_PAGE, pagings
from infrastructure.console.web import (
    PREFIX,
    After,
    Viewer,
    ViewerDep,
    caught_up,
    checked_form,
    form_fields,
    instant_field,
    now,
    page,
    see_other,
    viewer,
)
from infrastructure.errors import BadQueryError, RoleForbiddenError, SettingsError
from infrastructure.ledger.bundle import export_ledger, export_model
from infrastructure.ledger.keys import public_key_summary
from infrastructure.ledger.proofs import build_proof
from infrastructure.ledger.report_source import (
    changes_report,
    dossier,
    incident_report,
    model_report,
    portfolio_report,
)
from infrastructure.projections.queries import catalog_names
from reports import MEDIA_TYPES, render
from reports.tables import TABLES, csv_table

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Format = Annotated[Literal["html", "pdf", "json"], Query()]
DEFAULT_PERIOD = timedelta(days=30)  # a change report's period when no report was issued yet


def _download(content: bytes, media_type: str, file_name: str) -> Response:
    return Response(
        content, media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "no-store"},
    )  # fmt: skip


def _document_file(document: dict[str, Any], fmt: str, stem: str) -> tuple[Response, bytes, str]:
    """A document rendered as a download named after its stem and the head it rests on; the
    response, its bytes and the file's name."""
    file_name = f"{stem}-head-{document['integrity']['tree_size']}.{fmt}"
    content = render(document, fmt)
    return _download(content, MEDIA_TYPES[fmt], file_name), content, file_name


def _report_file(
    request: Request, found: Viewer, document: dict[str, Any], fmt: str, *, kind: str,
    subject: str | None = None,
) -> Response:  # fmt: skip
    """The report as a download; issued (recorded in the ledger before it leaves) when the viewer's
    role issues reports. The same HTML or JSON from the same head is the same issuance."""
    stem = kind if subject is None else f"{kind}-{subject}"
    response, content, file_name = _document_file(document, fmt, stem)
    if found.may(Action.ISSUE_REPORT):
        event, _ = issue_report(
            request.app.state.services.governance, kind=kind, subject=subject, document=document,
            media_format=fmt, content=content, file_name=file_name,
            by=attribution(found.session.principal, request),
        )  # fmt: skip
        response.headers["X-Modelgov-Issued"] = f"sha256={event.sha256}; by={quote(event.actor)}"
    return response


def _portfolio_reader(found: Any) -> None:
    if not found.may_access("read_reports"):
        raise RoleForbiddenError(
            f"role {found.role!r} may not read the portfolio's reports; allowed: auditor, "
            "compliance_officer"
        )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    viewer: ViewerDep,
    models_page: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    after: After = None,
) -> HTMLResponse:
    """The reports to download: a form naming any model (every name a choice), the model's files
    as links a page of models at a time, and the portfolio and change reports."""
    governance = request.app.state.services.governance
    runner = caught_up(request, after)
    issued = last_issued_at(governance)
    since = issued or now() - DEFAULT_PERIOD
    names = catalog_names(runner.sql, cipher=runner.cipher)
    paging = pagings(
        f"{PREFIX}/reports", filters={}, numbers={"page": models_page},
        totals={"page": len(names)}, anchors={"page": "r-model"},
    )["page"]  # fmt: skip
    return page(
        request, "reports.html.j2", viewer=viewer, models=names, paging=paging,
        linked=names[paging.offset : paging.offset + paging.size], tables=list(TABLES),
        since=utc_text(since, timespec="seconds"),
        until=utc_text(now(), timespec="seconds"), last_issued=None if issued is None else utc_text(issued),
    )  # fmt: skip


@router.get("/reports/model")
def model_report_choice(
    viewer: ViewerDep,
    name: Annotated[str, Query(max_length=63)],
    format: Annotated[str, Query(max_length=20)] = "pdf",
) -> RedirectResponse:
    """The reports page's form without JavaScript: to the file chosen."""
    model = quote(name, safe="")
    if format.endswith(".csv") and format[: -len(".csv")] in TABLES:
        return see_other(f"{PREFIX}/reports/models/{model}/{format}")
    if format not in ("html", "pdf", "json"):
        raise BadQueryError(f"format must be html, pdf, json or a table's CSV; got {format!r}")
    return see_other(f"{PREFIX}/reports/models/{model}?format={format}")


@router.get("/reports/models/{name}")
def model_report_file(
    request: Request, name: str, viewer: ViewerDep, format: Format = "html"
) -> Response:
    document = model_report(request.app.state.ledger, name, as_of_head=None)
    return _report_file(request, viewer, document, format, kind="model", subject=name)


@router.get("/reports/models/{name}/incidents/{incident_id}")
def incident_report_file(
    request: Request, name: str, incident_id: str, viewer: ViewerDep, format: Format = "html"
) -> Response:
    """A serious incident's report to the authority, from the latest signed head (downloaded, not
    issued: what was submitted is recorded with its SHA-256 by the report's own command)."""
    document = incident_report(
        request.app.state.ledger, name, incident_id, kind=None, as_of_head=None
    )
    return _document_file(document, format, f"incident-{name}-{incident_id}-{document['kind']}")[0]


@router.get("/models/{name}/dossier")
def dossier_file(
    request: Request,
    name: str,
    _: ViewerDep,
    format: Format = "html",
    on: Annotated[str, Query(max_length=40)] = "",
    timeline: Annotated[Literal["world", "ledger"], Query()] = "world",
) -> Response:
    """The model's technical documentation (Annex IV), now or as of a date: as the model stood in
    the world then, or as the ledger knew it then (the model page's form)."""
    moment = instant_field({"on": on}, "on", label="date")
    at, known_at = (moment, None) if timeline == "world" else (None, moment)
    document = dossier(request.app.state.ledger, name, at=at, known_at=known_at)
    when = f"-{timeline}-{document['as_of']['moment']}" if moment else ""
    return _document_file(document, format, f"dossier-{name}{when}")[0]


@router.get("/reports/models/{name}/{table}.csv")
def model_table_file(request: Request, name: str, table: str, viewer: ViewerDep) -> Response:
    document = model_report(request.app.state.ledger, name, as_of_head=None)
    head = document["integrity"]["tree_size"]
    return _download(
        csv_table(document, table).encode(),
        "text/csv; charset=utf-8",
        f"{name}-{table}-head-{head}.csv",
    )


@router.get("/reports/portfolio")
def portfolio_report_file(request: Request, viewer: ViewerDep, format: Format = "html") -> Response:
    _portfolio_reader(viewer)
    document = portfolio_report(request.app.state.ledger, as_of_head=None)
    return _report_file(request, viewer, document, format, kind="portfolio")


@router.get("/reports/changes")
def changes_report_file(
    request: Request,
    viewer: ViewerDep,
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
    format: Format = "html",
) -> Response:
    _portfolio_reader(viewer)
    start = instant_field({"since": since}, "since", label="since")
    end = instant_field({"until": until}, "until", label="until") or now()
    if start is None:
        raise BadQueryError("give the start of the period (since)")
    document = changes_report(request.app.state.ledger, since=start, until=end, as_of_head=None)
    return _report_file(request, viewer, document, format, kind="changes")


@router.get("/models/{name}/versions/{number}/proof")
def proof_file(
    request: Request,
    name: str,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    viewer: ViewerDep,
    environment: Annotated[str, Query(pattern=ENVIRONMENT_PATTERN)],
    redact: bool = False,
) -> Response:
    """The version's proof of governance in `environment`, as `modelgov proof` writes it (checked
    with `modelgov proof verify FILE --vkey VKEY`). Personal data in clear only for the roles that
    may export it; the others get the redacted proof, as on the API."""
    if not redact and not viewer.may_access(Access.EXPORT_PERSONAL_DATA):
        raise RoleForbiddenError(
            f"role {viewer.role!r} may not {in_words(Access.EXPORT_PERSONAL_DATA)}: download the "
            "redacted proof"
        )
    document = build_proof(
        request.app.state.ledger, name=name, version=number, environment=environment, redact=redact
    )
    suffix = "-redacted" if redact else ""
    return _download(
        (json.dumps(document, indent=1) + "\n").encode(), "application/json",
        f"proof-{name}-v{number}-{environment}{suffix}.json",
    )  # fmt: skip


def _key(request: Request) -> dict[str, Any] | None:
    settings = request.app.state.settings
    try:
        return public_key_summary(settings.signing_key_file, origin=settings.ledger_origin)
    except SettingsError:
        return None


def _ledger_page(request: Request, found: Any, verification: dict[str, Any] | None) -> HTMLResponse:
    ledger = request.app.state.ledger
    heads = ledger.tables.signed_heads()
    latest = max(heads, key=lambda h: (h.head.tree_size, h.head.timestamp)) if heads else None
    runner = request.app.state.projections
    return page(
        request, "ledger.html.j2", viewer=found, head=latest, key=_key(request),
        events=ledger.governance.recorder.max_notification_id() or 0, verification=verification,
        models=catalog_names(runner.sql, cipher=runner.cipher),
    )  # fmt: skip


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    return _ledger_page(request, viewer, None)


def _verify(request: Request) -> dict[str, Any]:
    try:
        report = request.app.state.ledger.verify()
    except SettingsError as error:
        return {"ok": False, "checked_at": utc_text(now()), "problems": [str(error)], "counts": {}}
    return {
        "ok": report.ok, "checked_at": utc_text(now()),
        "counts": {"events": report.events, "leaves": report.leaves, "signed heads": report.heads,
                   "not yet sealed": report.unsealed},
        "problems": [f"position {d.position}: {d.kind}: {d.detail}" for d in report.damage],
    }  # fmt: skip


@router.post("/ledger/verification", response_class=HTMLResponse)
async def verify_now(request: Request) -> HTMLResponse:
    """Verify the whole ledger now, against the public keys beside the signing key and the head
    the sealer last signed (as `modelgov verify`), and show the result."""
    fields = await form_fields(request)
    found = await run_in_threadpool(viewer, request)
    checked_form(fields, found)
    verification = await run_in_threadpool(_verify, request)
    return await run_in_threadpool(_ledger_page, request, found, verification)


def _zipped(folder: FilePath) -> bytes:
    """The folder as a zip, its entries in name order with a fixed time (the same bundle, the
    same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(path.relative_to(folder)), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return out.getvalue()


@router.get("/ledger/bundle.zip")
def bundle(
    request: Request, viewer: ViewerDep, model: Annotated[str, Query(max_length=63)] = ""
) -> Response:
    """The ledger as a bundle `modelgov verify --bundle` checks offline: the whole log, or one
    model's events with their inclusion proofs."""
    ledger = request.app.state.ledger
    with tempfile.TemporaryDirectory(prefix="modelgov-bundle-") as folder:
        out = FilePath(folder) / "bundle"
        if model:
            export_model(ledger, out, name=model)
        else:
            export_ledger(ledger, out)
        content = _zipped(out)
    stem = f"ledger-{model}" if model else "ledger"
    return _download(content, "application/zip", f"{stem}-bundle.zip")
