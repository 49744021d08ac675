"""Monitoring: production figures in, breaches, bias flags, costs, the game plan, webhook deliveries.

Breaches and bias flags are usually recorded by the evaluator from posted observations; people
and pipelines may also record them directly.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from application.monitoring.cost import showback
from application.monitoring.observations import checked_observations
from application.receipts import (
    Receipt,
    commit_with_receipts,
    current_request,
    nothing_recorded_on_failure,
    raise_if_answered,
)
from application.results import Recorded
from domain.errors import InvalidValueError
from domain.roles import PERMISSIONS
from infrastructure.api import context
from infrastructure.api.commands import run_command
from infrastructure.api.context import IdempotencyKey
from infrastructure.api.deps import OBSERVE, READ, ServicesDep, authorized
from infrastructure.api.schemas import (
    COMMAND_PROBLEMS,
    BiasFlagRaise,
    BiasFlagResolve,
    BreachClose,
    BreachOpen,
    CommandResult,
    CostReport,
    GamePlan,
    GamePlanChange,
    ObservationBatch,
    ObservationsAccepted,
)
from infrastructure.monitoring import MonitorRunner
from infrastructure.tokens import Principal
from infrastructure.webhook_guard import refusal_of_route
from infrastructure.webhooks import Deliverer

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


@router.post("/metrics", status_code=202, response_model=ObservationsAccepted)
def post_metrics(
    name: str,
    body: ObservationBatch,
    request: Request,
    found: ServicesDep,
    principal: Annotated[Principal, Depends(authorized(OBSERVE))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Post a batch of production figures (up to 10,000), judged against the targets in force.

    Stored at once, judged moments later by the evaluator: breaches open and close, and bias
    flags are raised from per-group figures, as lifecycle events attributed to the policy.
    A bad entry refuses the whole batch (422, naming the entry); nothing is stored then.
    """
    monitor: MonitorRunner = request.app.state.monitor
    stored = monitor.observations

    def store() -> Recorded[int]:
        keyed = current_request()
        with nothing_recorded_on_failure():
            model = found.governance.get_model(name)
            observations = checked_observations(
                model, [item.model_dump() for item in body.observations]
            )
            recorded = Recorded(name=name, model_version=model.version, value=len(observations))
            receipt = Receipt.for_command(recorded, keyed)
        try:
            # The batch and its receipt (its Idempotency-Key answer) in one transaction.
            commit_with_receipts(
                lambda: stored.append(observations, receipt=receipt),
                receipts=[receipt], store=found.governance.receipts,
                conflicts=stored.sql.integrity_errors,
            )  # fmt: skip
        except stored.sql.integrity_errors:
            raise_if_answered(found.governance.receipts, keyed)  # a twin with the key came first
            raise
        monitor.wake.set()
        return recorded

    return run_command(
        request=request, idempotency_key=idempotency_key, principal=principal, found=found,
        payload=body, status=202, expected_version=None, command=store,
        respond=lambda r: {"model": r.name, "accepted": r.value},
    )  # fmt: skip


@router.post("/game-plan", response_model=CommandResult)
def change_game_plan(name: str, body: GamePlanChange, ctx: context.ChangeGamePlan) -> Response:
    """Replace the game plan: notification routes and the automated responses to breaches.

    A route whose host is a loopback, private or link-local address (or localhost) is refused unless
    MODELGOV_WEBHOOK_ALLOW_HOSTS names it; names are judged again on every delivery, where it counts.
    """
    deliverer: Deliverer = ctx.request.app.state.deliverer
    for index, route in enumerate(body.game_plan.notifications):
        refusal = refusal_of_route(route.url, allow=deliverer.allow)
        if refusal is not None:
            raise InvalidValueError(f"game_plan.notifications[{index}].url", refusal)
    return ctx.run(
        body,
        lambda by: ctx.services.governance.change_game_plan(
            name, game_plan=body.game_plan.model_dump(), by=by,
            expected_version=ctx.expected_version,
        ),
    )  # fmt: skip


@router.get("/game-plan", response_model=GamePlan)
def read_game_plan(
    name: str, found: ServicesDep, _: Annotated[Principal, Depends(authorized(READ))]
) -> dict[str, Any]:
    """The game plan in force."""
    return dict(found.governance.get_model(name).game_plan)


@router.get("/costs")
def read_costs(
    name: str, found: ServicesDep, _: Annotated[Principal, Depends(authorized(READ))]
) -> dict[str, Any]:
    """Showback: cost per month and business unit, with the month's total and budget."""
    lines = showback(found.governance.get_model(name))
    return {
        "model": name,
        "months": [
            {
                "period": line.period, "business_unit": line.business_unit,
                "currency": line.currency, "amount": str(line.amount),
                "month_total": str(line.month_total), "budget": line.budget,
                "over_budget": line.over_budget,
            }
            for line in lines
        ],
    }  # fmt: skip


@router.get("/webhook-deliveries")
def read_deliveries(
    name: str,
    request: Request,
    found: ServicesDep,
    principal: Annotated[Principal, Depends(authorized(READ))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The model's webhook deliveries, newest first: status, attempts and, for the roles that may
    change the game plan, how the last attempt failed (refused, timeout, TLS, HTTP 500, ...).

    The others do not get `last_error`: per URL, it would tell them which hosts and ports answer.
    """
    found.governance.get_model(name)  # 404 for an unknown model
    deliverer: Deliverer = request.app.state.deliverer
    deliveries = deliverer.deliveries(name, limit=limit)
    if principal.role not in PERMISSIONS["change_game_plan"]:
        for delivery in deliveries:
            del delivery["last_error"]
    return {"model": name, "deliveries": deliveries}
