"""Breaches, bias flags and cost reports (monitoring will post these automatically later)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from infrastructure.api import context
from infrastructure.api.schemas import (
    COMMAND_PROBLEMS,
    BiasFlagRaise,
    BiasFlagResolve,
    BreachClose,
    BreachOpen,
    CommandResult,
    CostReport,
)

router = APIRouter(prefix="/v1/models/{name}", tags=["monitoring"], responses=COMMAND_PROBLEMS)
REFUSALS: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 412: {}, 422: {}}
BreachId = Annotated[str, Path(pattern=r"^B-\d{1,9}$", examples=["B-1"])]
FlagId = Annotated[str, Path(pattern=r"^BF-\d{1,9}$", examples=["BF-1"])]


@router.post("/breaches", response_model=CommandResult)
def open_breach(name: str, body: BreachOpen, ctx: context.OpenBreach) -> Response:
    """Open a breach: a value that fails the target in force. `result` is the breach id."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.open_breach(
            name, version=body.version, environment=body.environment, dimension=body.dimension,
            metric=body.metric, observed_value=body.observed_value, by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip


@router.post("/breaches/{breach_id}/closure", response_model=CommandResult)
def close_breach(
    name: str, breach_id: BreachId, body: BreachClose, ctx: context.CloseBreach
) -> Response:
    """Close a breach with a value that meets the target again."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.close_breach(
            name, breach_id=breach_id, observed_value=body.observed_value, by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip


@router.post("/bias-flags", response_model=CommandResult)
def raise_bias_flag(name: str, body: BiasFlagRaise, ctx: context.RaiseBiasFlag) -> Response:
    """Raise a bias flag on a version; it blocks activation until resolved. `result` is the flag id."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.raise_bias_flag(
            name, version=body.version, attribute=body.attribute, metric=body.metric,
            value=body.value, threshold=body.threshold, by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip


@router.post("/bias-flags/{flag_id}/resolution", response_model=CommandResult)
def resolve_bias_flag(
    name: str, flag_id: FlagId, body: BiasFlagResolve, ctx: context.ResolveBiasFlag
) -> Response:
    """Resolve a bias flag once, with a decision and a justification."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.resolve_bias_flag(
            name, flag_id=flag_id, resolution=body.resolution, by=by,
            expected_version=ctx.expected_version,
        ),
        reason=body.justification,
    )  # fmt: skip


@router.post("/costs", response_model=CommandResult)
def report_cost(name: str, body: CostReport, ctx: context.ReportCost) -> Response:
    """Report a month's cost for a business unit (and optionally a version)."""
    return ctx.run(
        body,
        lambda by: ctx.services.governance.report_cost(
            name, period=body.period, amount=body.amount, currency=body.currency,
            business_unit=body.business_unit, version=body.version, by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip
