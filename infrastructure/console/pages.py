"""The console's pages (GET): portfolio, model, time travel, queues, reports, ledger.

Pages only read: the model page and time travel replay the model's events as stored now (so a
decision just taken shows at once); the portfolio and the queues read the projections, and wait
for them to reach a position the console's own form just wrote (`?after=`), as the API's
Modelgov-After-Position does.

(No `from __future__ import annotations` here: FastAPI reads the routes' signatures at run time.)
"""

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from application.diff import model_diff
from application.errors import ModelNotFoundError
from application.governance import fold_model
from application.monitoring.cost import showback
from application.portfolio import SEVERITY_ORDER, by_severity
from application.queues import with_due_date
from application.views import model_state
from domain.history import effective_by
from domain.instants import utc_text
from domain.model import Model
from domain.record import monitoring_record
from domain.values import BIAS_RESOLUTIONS, RISK_TIERS
from infrastructure.api.read_models import MAX_POSITION
from infrastructure.console.model_events import RecentModelEvents
from infrastructure.console.paging import MAX_PAGE, PAGE_SIZE, pagings
from infrastructure.console.web import PREFIX, After, ViewerDep, caught_up, instant_field, now, page
from infrastructure.errors import BadQueryError
from infrastructure.ledger.report_source import signed_head
from infrastructure.projections.queries import (
    CatalogFilter,
    catalog_names,
    catalog_owners,
    catalog_page,
    compliance,
    queue_counts,
    queue_page,
)
from reports import Integrity
from reports.charts import Chart, cost_charts, metric_charts, monitored_metrics
from reports.model_report import model_report_of

router = APIRouter(prefix=PREFIX, include_in_schema=False)
STATUSES = ("active", "inactive", "draft")
CHART_POINTS = 500  # the latest observations drawn per metric and environment
AT_RISK_SHOWN = 50  # models at risk named at the top of the portfolio; the rest counted
HISTORY_PAGE = 100  # history entries on the model page at once (the report has all of them)


@router.get("", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/portfolio", status_code=303)


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio(
    request: Request,
    viewer: ViewerDep,
    tier: Annotated[str, Query(max_length=20)] = "",
    owner: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    models_page: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    findings_page: Annotated[int, Query(alias="fpage", ge=1, le=MAX_PAGE)] = 1,
    incidents_page: Annotated[int, Query(alias="ipage", ge=1, le=MAX_PAGE)] = 1,
    after: After = None,
) -> HTMLResponse:
    """The portfolio: findings by severity, open incidents and the models, each list a page at
    a time (narrow projection rows only: no model's whole document is read)."""
    for label, value, choices in (("tier", tier, RISK_TIERS), ("status", status, STATUSES)):
        if value and value not in choices:
            raise BadQueryError(f"{label} must be one of {', '.join(choices)}; got {value!r}")
    runner = caught_up(request, after)
    moment = now()
    filters = {"tier": tier, "owner": owner, "status": status}
    kept = CatalogFilter(risk_tier=tier or None, owner=owner or None, status=status or None)
    names = catalog_names(runner.sql, cipher=runner.cipher, kept=kept)
    shown = names if tier or owner or status else None  # None: every model, no IN list
    findings: list[dict[str, Any]] | None = None
    if viewer.may_access("read_reports"):
        last_observed = request.app.state.monitor.observations.last_observed()
        findings = by_severity([
            {**finding, "model": entry["model"]}
            for entry in compliance(runner.sql, now=moment, last_observed=last_observed, models=shown)
            for finding in entry["findings"]
        ])  # fmt: skip
    at_risk = sorted({f["model"] for f in findings or [] if f["severity"] in ("critical", "high")})
    open_counts = queue_counts(runner.sql, models=shown)
    paging = pagings(
        f"{PREFIX}/portfolio", filters=filters,
        numbers={"page": models_page, "fpage": findings_page, "ipage": incidents_page},
        totals={"page": len(names), "fpage": len(findings or []),
                "ipage": open_counts.get("bias_flag", 0) + open_counts.get("breach", 0)},
        anchors={"page": "models", "fpage": "findings", "ipage": "incidents"},
    )  # fmt: skip
    models = catalog_page(
        runner.sql, cipher=runner.cipher, kept=kept, after=None, limit=PAGE_SIZE,
        offset=paging["page"].offset,
    )  # fmt: skip
    incidents = queue_page(
        runner.sql, cipher=runner.cipher, kinds=("bias_flag", "breach"), models=shown,
        offset=paging["ipage"].offset, limit=PAGE_SIZE,
    )  # fmt: skip
    flags = [
        with_due_date(item, max_open_days=item["max_open_days"], now=moment)
        for kind, item in incidents
        if kind == "bias_flag"
    ]
    breaches = [
        {**item, "age_days": (moment - datetime.fromisoformat(item["opened_at"])).days}
        for kind, item in incidents
        if kind == "breach"
    ]
    start = paging["fpage"].offset
    return page(
        request, "portfolio.html.j2", viewer=viewer, models=models, paging=paging,
        findings=None if findings is None else findings[start : start + PAGE_SIZE],
        severity_counts=Counter(f["severity"] for f in findings or []),
        severities=tuple(SEVERITY_ORDER), at_risk=at_risk, at_risk_shown=AT_RISK_SHOWN,
        flags=flags, breaches=breaches, owners=catalog_owners(runner.sql, cipher=runner.cipher),
        tiers=RISK_TIERS, statuses=STATUSES, chosen=filters, as_of=utc_text(moment),
    )  # fmt: skip


def live_integrity(request: Request) -> Integrity:
    """What a console view is built from: the store as it is now (the latest signed head named,
    for reference; the events after it are not sealed yet, and nothing is verified here)."""
    try:
        head = signed_head(request.app.state.ledger, None).head
        size, root, key_id = head.tree_size, head.root.hex(), head.key_id
    except Exception:  # nothing sealed yet: the view still shows the store
        size, root, key_id = 0, "", ""
    return Integrity(
        tree_size=size, root=root, timestamp=utc_text(now()), key_id=key_id, signature="",
        verified=False, problems=["a live view of the store, not a signed report"],
    )  # fmt: skip


def usage_offsets(windows: list[dict[str, Any]], *, now: datetime) -> list[tuple[float, float]]:
    """Each usage window's start and length as percentages of the time from the first start to
    now: where its bar sits on the timeline."""
    if not windows:
        return []
    first = min(datetime.fromisoformat(w["started_at"]) for w in windows)
    span = max((now - first).total_seconds(), 1.0)
    offsets = []
    for window in windows:
        start = datetime.fromisoformat(window["started_at"])
        end = datetime.fromisoformat(window["ended_at"]) if window["ended_at"] else now
        left = (start - first).total_seconds() / span * 100
        offsets.append(
            (round(left, 2), round(max((end - start).total_seconds() / span * 100, 0.5), 2))
        )
    return offsets


def model_charts(
    request: Request, model: Model, report: dict[str, Any]
) -> tuple[list[Chart], list[Chart]]:
    """The model's charts: each monitored metric per environment against its targets (the latest
    CHART_POINTS observations), and cost against budget, as of the report's moment."""
    environments = list(model.policy.environments)
    environments += sorted({w["environment"] for w in report["usage"]} - set(environments))
    observed = request.app.state.monitor.observations.latest_series(
        model.name, versions=[v.number for v in model.versions], environments=environments,
        metrics=sorted({metric for _, metric in monitored_metrics(report)}), limit=CHART_POINTS,
    )  # fmt: skip
    series = {key: [(o.observed_at, o.value) for o in found] for key, found in observed.items()}
    moment = datetime.fromisoformat(report["integrity"]["timestamp"])
    return metric_charts(report, series, now=moment), cost_charts(showback(model))


def _model_events(request: Request, name: str) -> list[Any]:
    """The model's events as stored now, through the console's copy of recently viewed ones."""
    recent: RecentModelEvents = request.app.state.recent_model_events
    return recent.of(name)


def history_page(revision: int, until: int | None) -> dict[str, Any]:
    """The revisions of the model page's history: HISTORY_PAGE of them up to `until` (the latest
    by default), and where the earlier and later pages end (None: there is none)."""
    last = revision if until is None else min(until, revision)
    first = max(1, last - HISTORY_PAGE + 1)
    return {
        "revisions": range(first, last + 1), "first": first, "last": last, "of": revision,
        "earlier": first - 1 if first > 1 else None,
        "later": min(last + HISTORY_PAGE, revision) if last < revision else None,
    }  # fmt: skip


@router.get("/models/{name}", response_class=HTMLResponse)
def model(
    request: Request,
    name: str,
    viewer: ViewerDep,
    history_until: Annotated[int | None, Query(ge=1, le=MAX_POSITION)] = None,
) -> HTMLResponse:
    """The model: versions, targets, usage, breaches, flags, costs, charts, and its history a
    page at a time (`history_until`: the last revision shown; the latest by default)."""
    events = _model_events(request, name)
    if not events:
        raise ModelNotFoundError(f"no model named {name!r} is registered")
    history = history_page(events[-1].originator_version, history_until)
    built = model_report_of(
        events, integrity=live_integrity(request), timeline=history["revisions"]
    )
    report, found = built.document, built.model
    state = model_state(found, built.record)
    charts, costs = model_charts(request, found, report)
    activated_in: dict[int, list[str]] = {}
    for window in report["usage"]:
        environments = activated_in.setdefault(window["version"], [])
        if window["environment"] not in environments:
            environments.append(window["environment"])
    return page(
        request, "model.html.j2", viewer=viewer, state=state, report=report,
        resolutions=BIAS_RESOLUTIONS, usage_offsets=usage_offsets(report["usage"], now=now()),
        charts=charts, cost_charts=costs, activated_in=activated_in, history=history,
    )  # fmt: skip


def _instant(value: str, label: str) -> datetime | None:
    return instant_field({label: value}, label, label=label)


@router.get("/models/{name}/as-of", response_class=HTMLResponse)
def time_travel(
    request: Request,
    name: str,
    viewer: ViewerDep,
    at: Annotated[str, Query(max_length=40)] = "",
    compare: Annotated[str, Query(max_length=40)] = "",
    timeline: Annotated[str, Query(pattern="^(world|ledger)$")] = "world",
) -> HTMLResponse:
    """The model as it was on a date (in the world, or as the ledger knew it), and what changed
    between that date and another."""
    governance = request.app.state.services.governance
    when = _instant(at, "at") or now()
    other = _instant(compare, "compare")
    events = _model_events(request, name)

    def as_of(moment: datetime) -> tuple[Any, list[Any]]:
        if timeline == "world":
            seen = effective_by(events, moment)
        else:
            seen = events[: governance.revision_known_at(name, moment)]
        return fold_model(None, seen), seen

    model_then, seen = as_of(when)
    state = None if model_then is None else model_state(model_then, monitoring_record(seen))
    changes = None
    if other is not None:
        (before, before_seen), (after, after_seen) = sorted(
            (as_of(other), (model_then, seen)), key=lambda pair: len(pair[1])
        )
        if after is not None:
            changes = model_diff(before=before, after=after, events=after_seen, earlier=before_seen)
    return page(
        request, "time_travel.html.j2", viewer=viewer, name=name, state=state, changes=changes,
        at=utc_text(when), compare=None if other is None else utc_text(other), timeline=timeline,
        known=len(events),
    )  # fmt: skip


@router.get("/queues", response_class=HTMLResponse)
def queues(
    request: Request,
    viewer: ViewerDep,
    signoffs_page: Annotated[int, Query(alias="spage", ge=1, le=MAX_PAGE)] = 1,
    flags_page: Annotated[int, Query(alias="fpage", ge=1, le=MAX_PAGE)] = 1,
    targets_page: Annotated[int, Query(alias="tpage", ge=1, le=MAX_PAGE)] = 1,
    after: After = None,
) -> HTMLResponse:
    """The work waiting on a person, each list a page at a time (its own projection rows)."""
    runner = caught_up(request, after)
    counts = queue_counts(runner.sql)
    paging = pagings(
        f"{PREFIX}/queues", filters={},
        numbers={"spage": signoffs_page, "fpage": flags_page, "tpage": targets_page},
        totals={"spage": counts.get("signoff", 0), "fpage": counts.get("bias_flag", 0),
                "tpage": counts.get("targets", 0)},
        anchors={"spage": "q-signoff", "fpage": "q-flags", "tpage": "q-targets"},
    )  # fmt: skip

    def items(kind: str, parameter: str) -> list[dict[str, Any]]:
        found = queue_page(
            runner.sql, cipher=runner.cipher, kinds=(kind,), offset=paging[parameter].offset,
            limit=PAGE_SIZE,
        )  # fmt: skip
        return [item for _, item in found]

    moment = now()
    flags = [
        with_due_date(item, max_open_days=item["max_open_days"], now=moment)
        for item in items("bias_flag", "fpage")
    ]
    return page(
        request, "queues.html.j2", viewer=viewer, signoffs=items("signoff", "spage"),
        flags=flags, targets=items("targets", "tpage"), paging=paging,
        resolutions=BIAS_RESOLUTIONS,
    )  # fmt: skip
