"""Versions: read one (registering one, its evidence and decisions are commands: routes_commands.py)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from application.errors import ModelNotFoundError
from application.projections.model_documents import ModelStates
from domain.errors import VersionNotFoundError
from infrastructure.api.deps import READ, authorized
from infrastructure.api.read_models import read_models
from infrastructure.api.schemas import COMMAND_PROBLEMS, READ_MODEL_PROBLEMS
from infrastructure.api.tokens import Principal
from infrastructure.projections.queries import model_version, version_document
from infrastructure.projections.runner import ProjectionRunner

router = APIRouter(
    prefix="/v1/models/{name}/versions", tags=["versions"], responses=COMMAND_PROBLEMS
)
Number = Annotated[int, Path(ge=1, le=1_000_000, description="The version number.")]


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
