"""Targets and their approval; activations, deactivations and rollbacks."""

from typing import Any

from fastapi import APIRouter, Response

from infrastructure.api import context
from infrastructure.api.schemas import (
    COMMAND_PROBLEMS,
    ActivationCreate,
    CommandResult,
    RollbackCreate,
    TargetsApproval,
    TargetSet,
)

router = APIRouter(prefix="/v1/models/{name}", tags=["lifecycle"], responses=COMMAND_PROBLEMS)
REFUSALS: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 412: {}, 422: {}}


@router.post("/targets", response_model=CommandResult)
def set_target(name: str, body: TargetSet, ctx: context.SetTarget) -> Response:
    """Set or change a target on a dimension; approvals of the targets are withdrawn. `result`: revision."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.set_target(
            name, dimension=body.dimension, metric=body.metric, comparator=body.comparator,
            threshold=body.threshold, window=body.window, severity=body.severity, unit=body.unit,
            hysteresis=body.hysteresis, min_duration_seconds=body.min_duration_seconds,
            by=by, expected_version=ctx.expected_version,
        ),
    )  # fmt: skip


@router.post("/targets/approvals", response_model=CommandResult)
def approve_targets(name: str, body: TargetsApproval, ctx: context.ApproveTargets) -> Response:
    """Approve the targets at the revision reviewed (a data scientist and a business owner)."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.approve_targets(
            name, revision=body.revision, by=by, expected_version=ctx.expected_version
        ),
    )


@router.post("/activations", response_model=CommandResult)
def activate(name: str, body: ActivationCreate, ctx: context.Activate) -> Response:
    """Activate a version in an environment; 409 lists every unmet gate. Supersedes the active one."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.activate(
            name, version=body.version, environment=body.environment, by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip


@router.post("/deactivations", response_model=CommandResult)
def deactivate(name: str, body: ActivationCreate, ctx: context.Deactivate) -> Response:
    """Deactivate the version active in an environment, with a reason."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.deactivate(
            name, version=body.version, environment=body.environment, by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip


@router.post("/rollbacks", response_model=CommandResult)
def roll_back(name: str, body: RollbackCreate, ctx: context.RollBack) -> Response:
    """Roll an environment back to a version that served there, is approved and has no open bias flag."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.roll_back(
            name, environment=body.environment, to_version=body.to_version, by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip
