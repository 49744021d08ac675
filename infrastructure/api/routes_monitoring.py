"""Monitoring: production figures in; the game plan, costs and webhook deliveries out.

Breaches and bias flags are usually recorded by the evaluator from posted observations; people
and pipelines may also record them directly, with their commands (routes_commands.py).
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, get_type_hints

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, ValidationError, create_model
from typing_extensions import TypedDict

from application.monitoring.cost import showback
from application.monitoring.observations import checked_observations
from application.receipts import (
    Receipt,
    judged_by_receipts,
    nothing_recorded_on_failure,
    raise_if_answered,
)
from application.results import Recorded
from domain.commands import PERMISSIONS, Action
from domain.errors import InvalidValueError
from domain.instants import aware_in_utc
from infrastructure.api.caller import Caller, IdempotencyKey, answer_recorded
from infrastructure.api.deps import OBSERVE, READ, ServicesDep, authorized
from infrastructure.api.pages import PageRequest, Position, Url, paging
from infrastructure.api.problems import COMMAND_PROBLEMS
from infrastructure.api.read_models import POSITION_HEADERS
from infrastructure.api.schemas import (
    GamePlan,
    ObservationBatch,
    ObservationIn,
    ObservationsAccepted,
)
from infrastructure.api.tokens import Principal
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.webhooks.delivery import Deliverer

router = APIRouter(prefix="/v1/models/{name}", tags=["monitoring"], responses=COMMAND_PROBLEMS)
# A delivery's key, newest first: its event's position and its URL.
DELIVERIES_PAGE = paging("webhook_deliveries", key=tuple[Position, Url], default=100, maximum=500)


# An entry as pydantic parses it, with no Python call of ours per entry: ObservationIn with its
# time left as parsed (aware, any offset), and entries that are not objects refused in pydantic's
# own words. `batch_from_json` does the rest in one loop; a body it refuses is read again by
# ObservationBatch itself, whose words the refusal then has.
_ParsedEntry: Any = TypedDict(
    "_ParsedEntry",
    {**get_type_hints(ObservationIn, include_extras=True), "observed_at": AwareDatetime},  # type: ignore[misc]
)
_ParsedEntry.__pydantic_config__ = ObservationIn.__pydantic_config__  # type: ignore[attr-defined]
_ParsedBatch: Any = create_model(
    "_ParsedBatch",
    __config__=ObservationBatch.model_config,
    observations=(list[_ParsedEntry], ObservationBatch.model_fields["observations"]),
)


def batch_from_json(body: bytes) -> ObservationBatch | None:
    """The batch `body` holds, as ObservationBatch validates it (times in UTC, the same keys), or
    None when ObservationBatch would refuse it (it then says why, in its words)."""
    try:
        parsed = _ParsedBatch.model_validate_json(body)
        for entry in parsed.observations:  # as Instant's validator does, out of range refused
            entry["observed_at"] = aware_in_utc("observed_at", entry["observed_at"])
    except (ValidationError, InvalidValueError):
        return None
    return ObservationBatch.model_construct(observations=parsed.observations)


class _BatchRequest(Request):
    """Its JSON body read as an observation batch in one pass, pydantic from the bytes (FastAPI
    then takes the batch as it is). A body that is not one is read as JSON, as for any route, for
    FastAPI to refuse it in its usual words: the same 422 (or 400) as ever."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            batch = batch_from_json(await self.body())
            if batch is None:
                return await super().json()
            self._json = batch
        return self._json


class _BatchRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def read_as_batch(request: Request) -> Response:
            return await handler(_BatchRequest(request.scope, request.receive))

        return read_as_batch


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
    caller = Caller(
        request=request, services=found, principal=principal, expected_revision=None,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    keyed = caller.keyed(body, status=202, respond=_accepted)
    if keyed is not None:
        replay = caller.replay(keyed)
        if replay is not None:
            return replay
    try:
        with nothing_recorded_on_failure():
            model = found.governance.get_model(name)
            observations = checked_observations(model, body.observations)  # dicts, as parsed
            recorded = Recorded(name, model_revision=model.version, value=len(observations))
            receipt = Receipt.for_command(recorded, keyed)
        try:
            # The batch and its receipt (its Idempotency-Key answer) in one transaction.
            with judged_by_receipts(
                [receipt], store=found.governance.receipts, conflicts=stored.sql.integrity_errors
            ):
                stored.append(observations, receipt=receipt)
        except stored.sql.integrity_errors:
            raise_if_answered(found.governance.receipts, keyed)  # a twin with the key came first
            raise
    except Exception as error:
        return caller.refused(error, keyed)
    monitor.wake.set()
    # No event of its own (the evaluator records breaches later): the store's head as position.
    return caller.with_position(answer_recorded(recorded, 202, _accepted), None)


# As @router.post would, with the route class that reads the body as a batch.
router.add_api_route(
    "/metrics", post_metrics, methods=["POST"], status_code=202,
    response_model=ObservationsAccepted,
    responses={202: {"description": "Stored, to be judged", "headers": POSITION_HEADERS}},
    route_class_override=_BatchRoute,
)  # fmt: skip


def _accepted(recorded: Recorded[int]) -> dict[str, Any]:
    return {"model": recorded.name, "accepted": recorded.value}


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
    page: Annotated[PageRequest, Depends(DELIVERIES_PAGE)],
) -> dict[str, Any]:
    """The model's webhook deliveries, newest first, a page at a time: status, attempts and, for
    the roles that may change the game plan, how the last attempt failed (refused, timeout, TLS,
    HTTP 500, ...).

    The others do not get `last_error`: per URL, it would tell them which hosts and ports answer.
    """
    found.governance.get_model(name)  # 404 for an unknown model
    deliverer: Deliverer = request.app.state.deliverer
    before = None if page.after is None else tuple(page.after)
    deliveries = deliverer.deliveries(name, limit=page.limit + 1, before=before)
    if principal.role not in PERMISSIONS[Action.CHANGE_GAME_PLAN]:
        for delivery in deliveries:
            del delivery["last_error"]
    return page.page(deliveries, key=lambda row: (row["position"], row["url"]))
