"""Models: register, list, read, change policy."""

import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from application.views import model_state
from domain.model import Model
from infrastructure.api import context
from infrastructure.api.commands import state_response
from infrastructure.api.deps import READ, ServicesDep, authorized
from infrastructure.api.schemas import (
    COMMAND_PROBLEMS,
    CommandResult,
    ModelCreate,
    ModelPage,
    ModelPublic,
    PolicyChange,
)
from infrastructure.tokens import Principal

router = APIRouter(prefix="/v1/models", tags=["models"], responses=COMMAND_PROBLEMS)
MAX_PAGE = 100


def summary(model: Model) -> dict[str, Any]:
    status = "active" if model.active else "inactive" if model.versions else "draft"
    return {
        "name": model.name, "risk_tier": model.risk_tier, "owner": model.owner, "status": status,
        "versions": len(model.versions), "active": dict(sorted(model.active.items())),
        "open_breaches": len(model.open_breaches()),
        "open_bias_flags": len(model.open_bias_flags()), "model_version": model.version,
    }  # fmt: skip


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
    found: ServicesDep,
    _: Annotated[Principal, Depends(authorized(READ))],
    risk_tier: Literal["low", "medium", "high", "regulated"] | None = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["draft", "inactive", "active"] | None = None,
    cursor: Annotated[str | None, Query(max_length=400, description="From `next_cursor`.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    """List registered models, filtered by risk tier, owner and status, a page at a time."""
    after = _decode_cursor(cursor)
    names = sorted(found.governance.registered_model_names())
    items: list[dict[str, Any]] = []
    next_cursor = None
    for name in names:
        if after is not None and name <= after:
            continue
        row = summary(found.governance.get_model(name))
        if (risk_tier and row["risk_tier"] != risk_tier) or (owner and row["owner"] != owner):
            continue
        if status and row["status"] != status:
            continue
        if len(items) == limit:
            next_cursor = base64.urlsafe_b64encode(items[-1]["name"].encode()).decode()
            break
        items.append(row)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{name}", response_model=ModelPublic)
def get_model(
    name: str, found: ServicesDep, _: Annotated[Principal, Depends(authorized(READ))]
) -> JSONResponse:
    """A model's current state: versions and their gate status, targets, open findings; ETag = version."""
    model = found.governance.get_model(name)
    return state_response(model_state(model), model_version=model.version)


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
