"""Versions: register with a model card, read; validation evidence; release decisions; retirement."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from application.views import model_state
from infrastructure.api import context
from infrastructure.api.deps import READ, ServicesDep, authorized
from infrastructure.api.schemas import (
    COMMAND_PROBLEMS,
    CommandResult,
    Decision,
    ValidationCreate,
    VersionCreate,
)
from infrastructure.tokens import Principal

router = APIRouter(
    prefix="/v1/models/{name}/versions", tags=["versions"], responses=COMMAND_PROBLEMS
)
Number = Annotated[int, Path(ge=1, le=1_000_000, description="The version number.")]
REFUSALS: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 412: {}, 422: {}}


@router.post("", status_code=201, response_model=CommandResult)
def register_version(name: str, body: VersionCreate, ctx: context.RegisterVersion) -> Response:
    """Register a new version with its model card; `result` is the new version number."""
    card = body.card.model_dump()
    response = ctx.run(
        body,
        lambda by: ctx.services.governance.register_version(
            name, card=card, by=by, expected_version=ctx.expected_version
        ),
        status=201,
    )
    return response


@router.get("/{number}")
def get_version(
    name: str,
    number: Number,
    found: ServicesDep,
    _: Annotated[Principal, Depends(authorized(READ))],
) -> dict[str, Any]:
    """One version: its model card, evidence, decisions, where it served, and its gate status."""
    model = found.governance.get_model(name)
    model.version_by_number(number)
    return next(v for v in model_state(model)["versions"] if v["number"] == number)


@router.post("/{number}/validations", response_model=CommandResult)
def record_validation(
    name: str, number: Number, body: ValidationCreate, ctx: context.RecordValidation
) -> Response:
    """Record validation evidence for the version, e.g. an A/B test against another version."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.record_validation(
            name, version=number, kind=body.kind, dataset=body.dataset, metrics=body.metrics,
            passed=body.passed, compared_to=body.compared_to, by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip


@router.post("/{number}/approvals", response_model=CommandResult)
def approve_release(
    name: str, number: Number, body: Decision, ctx: context.ApproveRelease
) -> Response:
    """Approve the version's release (not by the person who registered it); `reason` is the comment."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.approve_release(
            name, version=number, by=by, expected_version=ctx.expected_version
        ),
    )


@router.post("/{number}/rejections", response_model=CommandResult)
def reject_release(
    name: str, number: Number, body: Decision, ctx: context.RejectRelease
) -> Response:
    """Reject the version's release, with a reason; a rejected version is never activated."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.reject_release(
            name, version=number, by=by, expected_version=ctx.expected_version
        ),
    )


@router.post("/{number}/signoffs", response_model=CommandResult)
def sign_off(name: str, number: Number, body: Decision, ctx: context.SignOff) -> Response:
    """A compliance officer's sign-off on the version."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.sign_off(
            name, version=number, by=by, expected_version=ctx.expected_version
        ),
    )


@router.post("/{number}/retirement", response_model=CommandResult)
def retire_version(
    name: str, number: Number, body: Decision, ctx: context.RetireVersion
) -> Response:
    """Retire the version for good, with a reason; it must not be active anywhere."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.retire_version(
            name, version=number, by=by, expected_version=ctx.expected_version
        ),
    )
