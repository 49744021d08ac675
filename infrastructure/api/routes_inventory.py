"""The model inventory (US SR 26-2 / OCC 2026-13): every model ever registered, as JSON, CSV or an
Excel workbook, for the roles that read the portfolio."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response

from application.inventory import build_inventory
from application.projections.model_documents import ModelStates
from infrastructure.api.deps import READ_REPORTS, authorized
from infrastructure.api.problems import READ_MODEL_PROBLEMS
from infrastructure.api.read_models import read_models
from infrastructure.api.tokens import Principal
from infrastructure.projections.queries import model_documents
from infrastructure.projections.runner import ProjectionRunner
from reports.inventory import INVENTORY_MEDIA_TYPES, InventoryFormat, render_inventory

router = APIRouter(tags=["reports"], responses=READ_MODEL_PROBLEMS)
StateReader = Annotated[ProjectionRunner, Depends(read_models(ModelStates.name))]


def format_asked(format: InventoryFormat | None, accept: str) -> str:
    """`?format=` if given, else the first of the Accept header's media types that is one of the
    inventory's (CSV, the workbook, JSON), else JSON."""
    if format is not None:
        return format
    for media in (part.split(";")[0].strip().lower() for part in accept.split(",")):
        for fmt, media_type in INVENTORY_MEDIA_TYPES.items():
            if media == media_type.split(";")[0]:
                return fmt
    return "json"


@router.get(
    "/v1/inventory",
    responses={200: {"content": {media: {} for media in INVENTORY_MEDIA_TYPES.values()}}},
)
def model_inventory(
    runner: StateReader,
    _: Annotated[Principal, Depends(authorized(READ_REPORTS))],
    format: Annotated[
        InventoryFormat | None,
        Query(description="json, csv or xlsx (default: by the Accept header, else json)."),
    ] = None,
    accept: Annotated[str, Header(include_in_schema=False)] = "",
) -> Response:
    """Every model ever registered, retired ones included: purpose, method, inputs, outputs,
    owner, risk tier, validation status, last independent validation, next revalidation due and
    where it serves now (the model inventory of SR 26-2 / OCC 2026-13)."""
    fmt = format_asked(format, accept)
    now = datetime.now(UTC)
    inventory = build_inventory(model_documents(runner.sql, cipher=runner.cipher), as_of=now)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    return Response(
        content=render_inventory(inventory, fmt),
        media_type=INVENTORY_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'inline; filename="inventory-{stamp}.{fmt}"'},
    )
