"""Audit reports over HTTP: a model's audit report, the portfolio compliance report, the change
report, and a serious incident's report to the authority.

Each is built from the events under a signed tree head (the latest, or `as_of_head`), so the same
request gives the same bytes (HTML, JSON) until a newer head is asked for.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from domain.incidents import INCIDENT_ID_PATTERN
from infrastructure.api.deps import READ_REPORTS, LedgerDep, Reader, authorized
from infrastructure.api.problems import READ_PROBLEMS
from infrastructure.api.schemas import Instant
from infrastructure.api.tokens import Principal
from infrastructure.ledger.report_source import (
    changes_report,
    incident_report,
    model_report,
    portfolio_report,
)
from reports import MEDIA_TYPES, render

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=READ_PROBLEMS)
ReportReader = Annotated[Principal, Depends(authorized(READ_REPORTS))]
Format = Annotated[Literal["html", "pdf", "json"], Query(description="html, pdf or json.")]
AsOfHead = Annotated[
    int | None,
    Query(
        ge=1, le=2**62, description="Size of the signed tree head to build from (default: latest)."
    ),
]


def respond(document: dict[str, Any], fmt: str, stem: str) -> Response:
    head = document["integrity"]["tree_size"]
    return Response(
        content=render(document, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'inline; filename="{stem}-head-{head}.{fmt}"',
            "X-Modelgov-Tree-Size": str(head),
        },
    )


@router.get("/models/{name}")
def model_audit_report(
    name: str, ledger: LedgerDep, _: Reader, format: Format = "html", as_of_head: AsOfHead = None
) -> Response:
    """A model's audit report: cards, approvals, gates, usage, targets, breaches, flags, costs, timeline."""
    return respond(model_report(ledger, name, as_of_head=as_of_head), format, f"model-{name}")


@router.get("/models/{name}/incidents/{incident_id}")
def incident_report_document(
    name: str,
    incident_id: Annotated[str, Path(pattern=INCIDENT_ID_PATTERN, examples=["SI-1"])],
    ledger: LedgerDep,
    _: Reader,
    format: Format = "html",
    kind: Annotated[
        Literal["initial", "follow_up", "final"] | None,
        Query(description="Which report this is (default: the incident's next)."),
    ] = None,
    as_of_head: AsOfHead = None,
) -> Response:
    """A serious incident's report to the authority (EU AI Act Art. 73): the incident, its
    deadline, the system and version, the evidence, corrective actions, and what is missing."""
    document = incident_report(ledger, name, incident_id, kind=kind, as_of_head=as_of_head)
    return respond(document, format, f"incident-{name}-{incident_id}-{document['kind']}")


@router.get("/portfolio")
def portfolio_compliance_report(
    ledger: LedgerDep, _: ReportReader, format: Format = "html", as_of_head: AsOfHead = None
) -> Response:
    """Every model's status, active versions, open findings and exposure, the worst first."""
    return respond(portfolio_report(ledger, as_of_head=as_of_head), format, "portfolio")


@router.get("/changes")
def change_report(
    ledger: LedgerDep,
    _: ReportReader,
    since: Annotated[Instant, Query(description="Start of the period (included), with a zone.")],
    until: Annotated[Instant, Query(description="End of the period (excluded), with a zone.")],
    format: Format = "html",
    as_of_head: AsOfHead = None,
) -> Response:
    """Every lifecycle event that took effect in the period, grouped by model, with its actors."""
    document = changes_report(ledger, since=since, until=until, as_of_head=as_of_head)
    return respond(document, format, "changes")
