"""History: a model's events, its state at a point in the past, and the global feed for integrations."""

from typing import Annotated, Any

from eventsourcing.utils import get_topic
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from application.as_of import ReplayPoint, model_with_record
from application.feed import read_feed
from application.views import history_entry, model_state
from domain.errors import InvalidValueError
from domain.events import EVENT_CLASSES
from domain.instants import require_instant
from infrastructure.api.caller import DEPRECATED_MODEL_VERSION, state_response
from infrastructure.api.deps import Reader, ServicesDep
from infrastructure.api.pages import PageRequest, Position, paging
from infrastructure.api.problems import READ_PROBLEMS
from infrastructure.api.schemas import FeedPage, HistoryPage, Instant, ModelPublic
from infrastructure.errors import BadQueryError

router = APIRouter(tags=["history"], responses=READ_PROBLEMS)
MAX_FEED_PAGE = 500
FEED_PAGE = paging("events", key=Position, default=100, maximum=MAX_FEED_PAGE)
HISTORY_PAGE = paging("model_events", key=Position, default=100, maximum=MAX_FEED_PAGE)
# The type names a feed may be filtered by (`event` in its entries), and their stored topics.
EVENT_TOPICS = {cls.__name__: get_topic(cls) for cls in EVENT_CLASSES}
# The two moments a model is read as of (its state here, its dossier): in the world, in the ledger.
EffectiveAt = Annotated[
    Instant | None, Query(description="As effective in the world at this time (with a zone).")
]
KnownAt = Annotated[
    Instant | None, Query(description="As the ledger knew it at this time (with a zone).")
]


@router.get("/v1/models/{name}/events", response_model=HistoryPage)
def model_events(
    name: str,
    found: ServicesDep,
    _: Reader,
    response: Response,
    page: Annotated[PageRequest, Depends(HISTORY_PAGE)],
) -> dict[str, Any]:
    """The model's lifecycle events in order, a page at a time: who, in which role, why, when."""
    response.headers.update(DEPRECATED_MODEL_VERSION)
    events = found.governance.model_events(
        name, after_revision=page.after or 0, limit=page.limit + 1
    )
    return page.page([history_entry(event) for event in events], key=lambda e: e["model_revision"])


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
    at: EffectiveAt = None,
    known_at: KnownAt = None,
) -> JSONResponse:
    """Replay the model: as of a revision, as effective at a time, or as known at a time."""
    points = (("revision", revision), ("version", version), ("at", at), ("known_at", known_at))
    given = [point for point, value in points if value is not None]
    if len(given) > 1:
        raise BadQueryError(f"give one of revision, at, known_at; not {' and '.join(given)}")
    point = ReplayPoint(revision=revision or version, effective_at=at, known_at=known_at)
    model, record = model_with_record(found.governance, name, point)
    answer = state_response(model_state(model, record), model_revision=model.version)
    if version is not None:
        answer.headers.append("Warning", '299 modelgov "?version= is deprecated: use ?revision="')
    return answer


@router.get("/v1/events", response_model=FeedPage)
def event_feed(
    found: ServicesDep,
    _: Reader,
    response: Response,
    page: Annotated[PageRequest, Depends(FEED_PAGE)],
    model: Annotated[str | None, Query(max_length=63, description="Only this model's.")] = None,
    event: Annotated[
        list[str] | None,
        Query(max_length=20, description="Only events of these types (e.g. VersionActivated)."),
    ] = None,
    after: Annotated[
        int | None,
        Query(ge=0, le=2**62, deprecated=True, description="Deprecated: send `cursor`."),
    ] = None,
) -> dict[str, Any]:
    """Every model's events in commit order, for integrations. Page with `next_cursor` (null at the
    end of the log); poll for newer events later with `resume_cursor`. A filtered page may hold
    fewer than `limit` events (a page looks at 5,000 positions at most): only a null
    `next_cursor` means the end."""
    if after is not None:
        if page.after is not None:
            raise BadQueryError("give cursor or the deprecated after, not both")
        response.headers["Deprecation"] = "true"
        response.headers["Warning"] = '299 modelgov "?after= is deprecated: use ?cursor="'
    else:
        response.headers.update(DEPRECATED_MODEL_VERSION)
    start = after if after is not None else page.after or 0
    feed = read_feed(
        found.governance, after=start, limit=page.limit, topics=_topics(event), model=model
    )
    items = [
        {**history_entry(e), "position": position, "model": name}
        for position, name, e in feed.entries
    ]
    answer = page.answer(items, next_key=None if feed.at_end else feed.scanned_to)
    return {**answer, "resume_cursor": page.cursor(feed.scanned_to)}


def _topics(names: list[str] | None) -> list[str]:
    if not names:
        return []
    unknown = [name for name in names if name not in EVENT_TOPICS]
    if unknown:
        raise BadQueryError(
            f"unknown event type {unknown[0]!r}; known: {', '.join(sorted(EVENT_TOPICS))}"
        )
    return [EVENT_TOPICS[name] for name in names]


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
