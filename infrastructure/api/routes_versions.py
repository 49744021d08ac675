"""Versions: register with a model card, read; validation evidence; release decisions; retirement."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from application.errors import ModelNotFoundError
from domain.errors import VersionNotFoundError
from infrastructure.api import context
from infrastructure.api.deps import READ, authorized
from infrastructure.api.schemas import (
    COMMAND_PROBLEMS,
    CommandResult,
    Decision,
    ValidationCreate,
    VersionCreate,
)
from infrastructure.projections import ProjectionRunner
from infrastructure.read_models import model_version, version_document
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
    request: Request,
    _: Annotated[Principal, Depends(authorized(READ))],
) -> Response:
    """One version: its model card, evidence, decisions, where it served, and its gate status."""
    runner: ProjectionRunner = request.app.state.projections
    runner.catch_up()  # read your own writes
    document = version_document(runner.sql, name, number, cipher=runner.cipher)
    if document is None:
        if model_version(runner.sql, name) is None:
            raise ModelNotFoundError(f"no model named {name!r} is registered")
        raise VersionNotFoundError(f"model {name!r} has no version {number}")
    return Response(document, media_type="application/json")


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
