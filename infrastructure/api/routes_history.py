"""History: a model's events, its state at a point in the past, and the global feed for integrations."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from application.as_of import model_with_record
from application.views import history_entry, model_state
from domain.errors import InvalidValueError
from domain.instants import require_instant
from infrastructure.api.caller import DEPRECATED_MODEL_VERSION, state_response
from infrastructure.api.deps import READ, ServicesDep, authorized
from infrastructure.api.schemas import READ_PROBLEMS, FeedPage, HistoryEntry, Instant, ModelPublic
from infrastructure.api.tokens import Principal
from infrastructure.errors import BadQueryError

router = APIRouter(tags=["history"], responses=READ_PROBLEMS)
Reader = Annotated[Principal, Depends(authorized(READ))]
MAX_FEED_PAGE = 500


@router.get("/v1/models/{name}/events", response_model=list[HistoryEntry])
def model_events(
    name: str, found: ServicesDep, _: Reader, response: Response
) -> list[dict[str, Any]]:
    """Every lifecycle event of the model: who, in which role, why, effective and recorded times."""
    response.headers.update(DEPRECATED_MODEL_VERSION)
    return [history_entry(event) for event in found.governance.model_events(name)]


@router.get("/v1/models/{name}/state", response_model=ModelPublic)
def model_state_at(
    name: str,
    found: ServicesDep,
    _: Reader,
    revision: Annotated[
        int | None, Query(ge=1, le=10**12, description="After the N-th event.")
    ] = None,
    version: Annotated[
        int | None,
        Query(ge=1, le=10**12, deprecated=True, description="Deprecated: `revision`."),
    ] = None,
    at: Annotated[
        Instant | None, Query(description="As effective in the world at this time (with a zone).")
    ] = None,
    known_at: Annotated[
        Instant | None, Query(description="As recorded by this time (with a zone).")
    ] = None,
) -> JSONResponse:
    """Replay the model: as of a revision, as effective at a time, or as known at a time."""
    points = (("revision", revision), ("version", version), ("at", at), ("known_at", known_at))
    given = [point for point, value in points if value is not None]
    if len(given) > 1:
        raise BadQueryError(f"give one of revision, at, known_at; not {' and '.join(given)}")
    model, record = model_with_record(
        found.governance, name, revision=revision or version, effective_at=at, known_at=known_at
    )
    answer = state_response(model_state(model, record), model_revision=model.version)
    if version is not None:
        answer.headers.append("Warning", '299 modelgov "?version= is deprecated: use ?revision="')
    return answer


@router.get("/v1/events", response_model=FeedPage)
def event_feed(
    found: ServicesDep,
    _: Reader,
    response: Response,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="The last position you have seen.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_PAGE)] = 100,
) -> dict[str, Any]:
    """Every model's events in commit order, for integrations: poll with `after=next_cursor`."""
    feed = found.governance.event_feed(after=after, limit=limit)
    items = [
        {**history_entry(event), "position": position, "model": model} for position, model, event in feed
    ]
    response.headers.update(DEPRECATED_MODEL_VERSION)
    next_cursor = items[-1]["position"] if items else after
    return {"items": items, "next_cursor": next_cursor}


def _point(governance: Any, name: str, value: str, label: str) -> int:
    """A revision given as a number, or as an ISO 8601 time (as the ledger knew it then)."""
    if value.isascii() and value.isdigit():  # not "²": a digit to str.isdigit, not to int()
        return int(value)
    try:
        moment = require_instant(label, value)
    except InvalidValueError:
        raise BadQueryError(
            f"{label} must be a model revision or an ISO 8601 time with a zone, such as "
            f"2026-11-01T09:30:00Z; got {value!r}"
        ) from None
    return int(governance.revision_known_at(name, moment))


@router.get("/v1/models/{name}/diff", responses={404: {}, 422: {}})
def model_diff(
    name: str,
    found: ServicesDep,
    _: Reader,
    from_: Annotated[
        str, Query(alias="from", max_length=40, description="Revision number or ISO time.")
    ],
    to: Annotated[str | None, Query(max_length=40, description="Default: now.")] = None,
) -> dict[str, Any]:
    """What changed between two points (versions, targets, approvals, activations, flags, breaches)."""
    governance = found.governance
    start = _point(governance, name, from_, "from")
    end = _point(governance, name, to, "to") if to is not None else None
    diff: dict[str, Any] = governance.diff(name, from_revision=start, to_revision=end)
    return diff
