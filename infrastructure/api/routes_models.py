"""Models: list and read (registering one and changing its policy are commands: routes_commands.py)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from application.errors import ModelNotFoundError
from application.projections.catalog import Catalog
from application.projections.model_documents import ModelStates
from infrastructure.api.caller import DEPRECATED_MODEL_VERSION, etag
from infrastructure.api.deps import READ, authorized
from infrastructure.api.pages import Name, PageRequest, paging
from infrastructure.api.problems import COMMAND_PROBLEMS, READ_MODEL_PROBLEMS
from infrastructure.api.read_models import read_models
from infrastructure.api.schemas import ModelPage, ModelPublic
from infrastructure.api.tokens import Principal
from infrastructure.projections.queries import CatalogFilter, catalog_page, model_document
from infrastructure.projections.runner import ProjectionRunner

router = APIRouter(prefix="/v1/models", tags=["models"], responses=COMMAND_PROBLEMS)
MAX_PAGE = 100
MODELS_PAGE = paging("models", key=Name, default=50, maximum=MAX_PAGE)
CatalogReader = Annotated[ProjectionRunner, Depends(read_models(Catalog.name))]
StateReader = Annotated[ProjectionRunner, Depends(read_models(ModelStates.name))]


@router.get("", response_model=ModelPage, responses=READ_MODEL_PROBLEMS)
def list_models(
    runner: CatalogReader,
    response: Response,
    _: Annotated[Principal, Depends(authorized(READ))],
    page: Annotated[PageRequest, Depends(MODELS_PAGE)],
    risk_tier: Literal["low", "medium", "high", "regulated"] | None = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["draft", "inactive", "active"] | None = None,
) -> dict[str, Any]:
    """List registered models from the catalog projection, filtered, a page at a time."""
    rows = catalog_page(
        runner.sql, cipher=runner.cipher,
        kept=CatalogFilter(risk_tier=risk_tier, owner=owner, status=status),
        after=page.after, limit=page.limit + 1,
    )  # fmt: skip
    response.headers.update(DEPRECATED_MODEL_VERSION)
    return page.page(rows, key=lambda row: row["name"])


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
