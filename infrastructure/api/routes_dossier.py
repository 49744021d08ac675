"""A model's technical documentation (EU AI Act Annex IV) over HTTP, as of a time in the world or
as the ledger knew it then, built from the events under a signed tree head (reports/dossier.py)."""

from fastapi import APIRouter
from fastapi.responses import Response

from infrastructure.api.deps import LedgerDep, Reader
from infrastructure.api.problems import READ_PROBLEMS
from infrastructure.api.routes_history import EffectiveAt, KnownAt
from infrastructure.api.routes_reports import AsOfHead, Format, respond
from infrastructure.ledger.report_source import dossier

router = APIRouter(prefix="/v1/models", tags=["reports"], responses=READ_PROBLEMS)


@router.get("/{name}/dossier")
def model_dossier(
    name: str,
    ledger: LedgerDep,
    _: Reader,
    format: Format = "html",
    at: EffectiveAt = None,
    known_at: KnownAt = None,
    as_of_head: AsOfHead = None,
) -> Response:
    """The model's technical documentation in the nine sections of Annex IV, its gaps as findings,
    and where the world's and the ledger's view of that moment differ (give `at` or `known_at`,
    not both: 422)."""
    document = dossier(ledger, name, at=at, known_at=known_at, as_of_head=as_of_head)
    return respond(document, format, f"dossier-{name}")
