"""Models: register, list, read, change policy."""

import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from application.errors import ModelNotFoundError
from infrastructure.api import context
from infrastructure.api.commands import etag
from infrastructure.api.deps import READ, authorized
from infrastructure.api.schemas import (
    COMMAND_PROBLEMS,
    CommandResult,
    ModelCreate,
    ModelPage,
    ModelPublic,
    PolicyChange,
)
from infrastructure.projections import ProjectionRunner
from infrastructure.read_models import catalog_page, model_document
from infrastructure.tokens import Principal

router = APIRouter(prefix="/v1/models", tags=["models"], responses=COMMAND_PROBLEMS)
MAX_PAGE = 100


@router.post("", status_code=201, response_model=CommandResult)
def register_model(body: ModelCreate, ctx: context.RegisterModel) -> Response:
    """Register a model under a unique name, with its risk tier and stakeholders."""
    response = ctx.run(
        body,
        lambda by: ctx.services.governance.register_model(
            name=body.name, description=body.description, owner=body.owner,
            business_objective=body.business_objective, risk_tier=body.risk_tier,
            stakeholders=[s.model_dump() for s in body.stakeholders], by=by,
        ),
        status=201,
    )  # fmt: skip
    if response.status_code == 201:
        response.headers["Location"] = f"/v1/models/{body.name}"
    return response


def _decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "\uffff"  # an unreadable cursor is past every name: an empty page, not an error


@router.get("", response_model=ModelPage)
def list_models(
    request: Request,
    _: Annotated[Principal, Depends(authorized(READ))],
    risk_tier: Literal["low", "medium", "high", "regulated"] | None = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["draft", "inactive", "active"] | None = None,
    cursor: Annotated[str | None, Query(max_length=400, description="From `next_cursor`.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    """List registered models from the catalog projection, filtered, a page at a time."""
    runner: ProjectionRunner = request.app.state.projections
    runner.catch_up()  # read your own writes: apply whatever the background runner has not yet
    rows = catalog_page(
        runner.sql, cipher=runner.cipher, risk_tier=risk_tier, owner=owner, status=status,
        after=_decode_cursor(cursor), limit=limit + 1,
    )  # fmt: skip
    items = rows[:limit]
    more = len(rows) > limit
    next_cursor = base64.urlsafe_b64encode(items[-1]["name"].encode()).decode() if more else None
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{name}", response_model=ModelPublic)
def get_model(
    name: str, request: Request, _: Annotated[Principal, Depends(authorized(READ))]
) -> Response:
    """A model's current state: versions and their gate status, targets, open findings; ETag = version."""
    runner: ProjectionRunner = request.app.state.projections
    runner.catch_up()  # read your own writes
    found = model_document(runner.sql, name, cipher=runner.cipher)
    if found is None:
        raise ModelNotFoundError(f"no model named {name!r} is registered")
    document, model_version = found
    return Response(document, media_type="application/json", headers={"ETag": etag(model_version)})


@router.post("/{name}/policy", response_model=CommandResult)
def change_policy(
    name: str,
    body: PolicyChange,
    ctx: context.ChangePolicy,
) -> Response:
    """Change the model's risk tier and policy (gates may be added to the tier's, never dropped)."""
    policy = body.policy.model_dump() if body.policy else None
    return ctx.run(
        body,
        lambda by: ctx.services.governance.change_policy(
            name, risk_tier=body.risk_tier, policy=policy, by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip
