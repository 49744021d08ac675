"""Versions: read one (registering one, its evidence and decisions are commands: routes_commands.py)."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from application.errors import ModelNotFoundError
from application.projections.catalog import Catalog
from application.projections.model_documents import ModelStates
from application.projections.versions import VersionCards
from domain.errors import VersionNotFoundError
from domain.roles import ACCESS, Access, in_words
from domain.rules import activation_shortfalls
from domain.values import ENVIRONMENT_PATTERN
from infrastructure.api.deps import READ, LedgerDep, Reader, ServicesDep, authorized
from infrastructure.api.pages import PageRequest, Position, paging
from infrastructure.api.problems import COMMAND_PROBLEMS, READ_MODEL_PROBLEMS
from infrastructure.api.read_models import read_models
from infrastructure.api.schemas import GateAnswer, VersionPage
from infrastructure.api.tokens import Principal
from infrastructure.errors import RoleForbiddenError
from infrastructure.ledger.proofs import build_proof
from infrastructure.projections.queries import model_version, version_document, version_page
from infrastructure.projections.runner import ProjectionRunner

router = APIRouter(
    prefix="/v1/models/{name}/versions", tags=["versions"], responses=COMMAND_PROBLEMS
)
VERSIONS_PAGE = paging("versions", key=Position, default=50, maximum=100)
Number = Annotated[int, Path(ge=1, le=1_000_000, description="The version number.")]


@router.get("", response_model=VersionPage, responses=READ_MODEL_PROBLEMS)
def list_versions(
    name: str,
    runner: Annotated[
        ProjectionRunner,
        Depends(read_models(ModelStates.name, VersionCards.name, Catalog.name)),
    ],
    _: Annotated[Principal, Depends(authorized(READ))],
    page: Annotated[PageRequest, Depends(VERSIONS_PAGE)],
) -> dict[str, Any]:
    """The model's versions in number order: status, where each is active, and its card's summary."""
    if model_version(runner.sql, name) is None:
        raise ModelNotFoundError(f"no model named {name!r} is registered")
    rows = version_page(
        runner.sql, name, cipher=runner.cipher, after=page.after, limit=page.limit + 1
    )
    return page.page(rows, key=lambda row: row["number"])


@router.get("/{number}", responses=READ_MODEL_PROBLEMS)
def get_version(
    name: str,
    number: Number,
    runner: Annotated[ProjectionRunner, Depends(read_models(ModelStates.name))],
    _: Annotated[Principal, Depends(authorized(READ))],
) -> Response:
    """One version: its model card, evidence, decisions, where it served, and its gate status."""
    document = version_document(runner.sql, name, number, cipher=runner.cipher)
    if document is None:
        if model_version(runner.sql, name) is None:
            raise ModelNotFoundError(f"no model named {name!r} is registered")
        raise VersionNotFoundError(f"model {name!r} has no version {number}")
    return Response(document, media_type="application/json")


@router.get("/{number}/gate", response_model=GateAnswer)
def version_gate(
    name: str,
    number: Number,
    environment: Annotated[
        str, Query(pattern=ENVIRONMENT_PATTERN, description="Where it would be activated.")
    ],
    found: ServicesDep,
    _: Annotated[Principal, Depends(authorized(READ))],
) -> dict[str, Any]:
    """May the version be activated in the environment now? Every reason an activation would be
    refused (the policy's environments, a retired or rejected version, each unmet gate), judged by
    the rules an activation applies to the model as it stands; for a deploy job (`modelgov gate`)."""
    model = found.governance.get_model(name)
    unmet = activation_shortfalls(model, version=number, environment=environment)
    return {
        "model": name,
        "version": number,
        "environment": environment,
        "allowed": not unmet,
        "unmet_gates": [asdict(gate) for gate in unmet],
    }


@router.get("/{number}/proof")
def version_proof(
    name: str,
    number: Number,
    environment: Annotated[
        str, Query(pattern=ENVIRONMENT_PATTERN, description="Where the version was activated.")
    ],
    ledger: LedgerDep,
    principal: Reader,
    redact: Annotated[
        bool,
        Query(
            description="Leave personal data out of the clear text (actors pseudonymised; "
            "reasons, stakeholders' names and e-mails replaced). Required unless the role may "
            "export personal data (auditor, compliance_officer, admin)."
        ),
    ] = False,
) -> dict[str, Any]:
    """A proof of governance: the events the version's latest activation in the environment rests
    on, each as stored with its inclusion proof against the latest checkpoint and in clear text,
    with the policy and gates as they stood (`modelgov proof verify` checks it with the vkey).
    404 if it was never activated there; 503 if the checkpoint does not cover it yet."""
    exporters = ACCESS[Access.EXPORT_PERSONAL_DATA]
    if not redact and principal.role not in exporters:
        raise RoleForbiddenError(
            f"role {principal.role!r} may not {in_words(Access.EXPORT_PERSONAL_DATA)}; ask with "
            f"redact=true, or as one of: {', '.join(sorted(exporters))}"
        )
    return build_proof(ledger, name=name, version=number, environment=environment, redact=redact)
