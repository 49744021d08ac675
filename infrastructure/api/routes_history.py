"""History: a model's events, its state at a point in the past, and the global feed for integrations."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from application.views import history_entry, model_state
from domain.errors import InvalidValueError
from domain.instants import require_instant
from infrastructure.api.commands import state_response
from infrastructure.api.deps import READ, ServicesDep, authorized
from infrastructure.api.errors import BadQueryError
from infrastructure.api.schemas import READ_PROBLEMS, FeedPage, HistoryEntry, Instant, ModelPublic
from infrastructure.tokens import Principal

router = APIRouter(tags=["history"], responses=READ_PROBLEMS)
Reader = Annotated[Principal, Depends(authorized(READ))]
MAX_FEED_PAGE = 500


@router.get("/v1/models/{name}/events", response_model=list[HistoryEntry])
def model_events(name: str, found: ServicesDep, _: Reader) -> list[dict[str, Any]]:
    """Every lifecycle event of the model: who, in which role, why, effective and recorded times."""
    return [history_entry(event) for event in found.governance.model_events(name)]


@router.get("/v1/models/{name}/state", response_model=ModelPublic)
def model_state_at(
    name: str,
    found: ServicesDep,
    _: Reader,
    version: Annotated[
        int | None, Query(ge=1, le=10**12, description="After the N-th event.")
    ] = None,
    at: Annotated[
        Instant | None, Query(description="As effective in the world at this time (with a zone).")
    ] = None,
    known_at: Annotated[
        Instant | None, Query(description="As recorded by this time (with a zone).")
    ] = None,
) -> JSONResponse:
    """Replay the model: as of a model version, as effective at a time, or as known at a time."""
    given = [
        n for n, v in (("version", version), ("at", at), ("known_at", known_at)) if v is not None
    ]
    if len(given) > 1:
        raise BadQueryError(f"give one of version, at, known_at; not {' and '.join(given)}")
    governance = found.governance
    if at is not None:
        model = governance.model_as_effective_at(name, at)
    elif known_at is not None:
        model = governance.model_as_known_at(name, known_at)
    else:
        model = governance.get_model(name, version=version)
    return state_response(model_state(model), model_version=model.version)


@router.get("/v1/events", response_model=FeedPage)
def event_feed(
    found: ServicesDep,
    _: Reader,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="The last position you have seen.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_PAGE)] = 100,
) -> dict[str, Any]:
    """Every model's events in commit order, for integrations: poll with `after=next_cursor`."""
    feed = found.governance.event_feed(after=after, limit=limit)
    items = [
        {**history_entry(event), "position": position, "model": model}
        for position, model, event in feed
    ]
    next_cursor = items[-1]["position"] if items else after
    return {"items": items, "next_cursor": next_cursor}


def _point(governance: Any, name: str, value: str, label: str) -> int:
    """A model version given as a number, or as an ISO 8601 time (as the ledger knew it then)."""
    if value.isdigit():
        return int(value)
    try:
        moment = require_instant(label, value)
    except InvalidValueError:
        raise BadQueryError(
            f"{label} must be a model version or an ISO 8601 time with a zone, such as "
            f"2026-11-01T09:30:00Z; got {value!r}"
        ) from None
    return int(governance.version_known_at(name, moment))


@router.get("/v1/models/{name}/diff", responses={404: {}, 422: {}})
def model_diff(
    name: str,
    found: ServicesDep,
    _: Reader,
    from_: Annotated[
        str, Query(alias="from", max_length=40, description="Version number or ISO time.")
    ],
    to: Annotated[str | None, Query(max_length=40, description="Default: now.")] = None,
) -> dict[str, Any]:
    """What changed between two points (versions, targets, approvals, activations, flags, breaches)."""
    governance = found.governance
    start = _point(governance, name, from_, "from")
    end = _point(governance, name, to, "to") if to is not None else None
    diff: dict[str, Any] = governance.diff(name, from_version=start, to_version=end)
    return diff
