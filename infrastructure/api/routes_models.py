"""Models: list and read (registering one and changing its policy are commands: routes_commands.py)."""

import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from application.errors import ModelNotFoundError
from application.projections.catalog import Catalog
from application.projections.model_documents import ModelStates
from infrastructure.api.caller import DEPRECATED_MODEL_VERSION, etag
from infrastructure.api.deps import READ, authorized
from infrastructure.api.read_models import read_models
from infrastructure.api.schemas import (
    COMMAND_PROBLEMS,
    READ_MODEL_PROBLEMS,
    ModelPage,
    ModelPublic,
)
from infrastructure.api.tokens import Principal
from infrastructure.projections.queries import catalog_page, model_document
from infrastructure.projections.runner import ProjectionRunner

router = APIRouter(prefix="/v1/models", tags=["models"], responses=COMMAND_PROBLEMS)
MAX_PAGE = 100
CatalogReader = Annotated[ProjectionRunner, Depends(read_models(Catalog.name))]
StateReader = Annotated[ProjectionRunner, Depends(read_models(ModelStates.name))]


def _decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "\uffff"  # an unreadable cursor is past every name: an empty page, not an error


@router.get("", response_model=ModelPage, responses=READ_MODEL_PROBLEMS)
def list_models(
    runner: CatalogReader,
    response: Response,
    _: Annotated[Principal, Depends(authorized(READ))],
    risk_tier: Literal["low", "medium", "high", "regulated"] | None = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["draft", "inactive", "active"] | None = None,
    cursor: Annotated[str | None, Query(max_length=400, description="From `next_cursor`.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    """List registered models from the catalog projection, filtered, a page at a time."""
    rows = catalog_page(
        runner.sql, cipher=runner.cipher, risk_tier=risk_tier, owner=owner, status=status,
        after=_decode_cursor(cursor), limit=limit + 1,
    )  # fmt: skip
    items = rows[:limit]
    more = len(rows) > limit
    next_cursor = base64.urlsafe_b64encode(items[-1]["name"].encode()).decode() if more else None
    response.headers.update(DEPRECATED_MODEL_VERSION)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{name}", response_model=ModelPublic, responses=READ_MODEL_PROBLEMS)
def get_model(
    name: str, runner: StateReader, _: Annotated[Principal, Depends(authorized(READ))]
) -> Response:
    """A model's current state: versions and their gate status, targets, open findings; ETag = revision."""
    found = model_document(runner.sql, name, cipher=runner.cipher)
    if found is None:
        raise ModelNotFoundError(f"no model named {name!r} is registered")
    document, revision = found
    headers = {"ETag": etag(revision), **DEPRECATED_MODEL_VERSION}
    return Response(document, media_type="application/json", headers=headers)
