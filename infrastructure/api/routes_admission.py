"""The admission check: may this exact artifact serve in this environment now? (docs/admission.md)"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from application.projections.admission import Admission
from application.projections.catalog import Catalog
from application.projections.versions import VersionCards
from domain.values import DIGEST_PATTERN, ENVIRONMENT_PATTERN
from infrastructure.api.deps import CHECK_ADMISSION, authorized
from infrastructure.api.problems import READ_MODEL_PROBLEMS
from infrastructure.api.read_models import read_models
from infrastructure.api.schemas import AdmissionAnswer
from infrastructure.api.tokens import Principal
from infrastructure.projections.queries import admission
from infrastructure.projections.runner import ProjectionRunner

router = APIRouter(tags=["admission"], responses=READ_MODEL_PROBLEMS)
AdmissionReader = Annotated[
    ProjectionRunner, Depends(read_models(Admission.name, VersionCards.name, Catalog.name))
]


@router.get("/v1/admission", response_model=AdmissionAnswer)
def admission_check(
    runner: AdmissionReader,
    _: Annotated[Principal, Depends(authorized(CHECK_ADMISSION))],
    artifact_sha256: Annotated[
        str, Query(pattern=DIGEST_PATTERN, description="The artifact's SHA-256 (64 hex digits).")
    ],
    environment: Annotated[str, Query(pattern=ENVIRONMENT_PATTERN, examples=["production"])],
) -> dict[str, Any]:
    """Allowed iff the artifact is the card's artifact of the version active in the environment
    now, and that version is approved (its approval gates met, not retired or rejected, no open
    bias flag). Denied with the reason otherwise: unknown artifact, not active there, or no longer
    approved. Always 200 when asked well: the answer is `allowed`."""
    return admission(runner.sql, artifact_sha256=artifact_sha256.lower(), environment=environment)
