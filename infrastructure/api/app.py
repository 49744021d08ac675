"""The FastAPI application: built by `create_app(settings)`, never at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.projections.outbox import WebhookOutbox
from infrastructure.api import (
    routes_admission,
    routes_commands,
    routes_dossier,
    routes_health,
    routes_history,
    routes_inventory,
    routes_ledger,
    routes_metrics,
    routes_mlflow,
    routes_models,
    routes_monitoring,
    routes_portfolio,
    routes_reports,
    routes_versions,
)
from infrastructure.api.access_log import redact_access_log
from infrastructure.api.deps import Services
from infrastructure.api.docs_pages import install_docs
from infrastructure.api.idempotency import open_idempotency
from infrastructure.api.middleware import HttpMiddleware
from infrastructure.api.pages import refuse_unknown_parameters
from infrastructure.api.problems import install_problem_handlers, problem
from infrastructure.api.rate_limits import RateLimits, is_loopback
from infrastructure.api.request_context import RequestContext
from infrastructure.api.request_metrics import RequestMetrics
from infrastructure.api.tokens import TokenStore
from infrastructure.background import follow
from infrastructure.console import install_console
from infrastructure.console.model_events import RecentModelEvents
from infrastructure.console.sessions import SessionStore
from infrastructure.db import fault_points
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.db.write_probe import WriteProbe
from infrastructure.integrations.mlflow_webhook import MlflowWebhookReceiver
from infrastructure.leases import PROJECTIONS, SEALER, Lease, start_leased
from infrastructure.ledger.online import open_ledger
from infrastructure.ledger.sealing_thread import start_sealing
from infrastructure.metrics.instruments import Instruments, registry_of
from infrastructure.metrics.store_gauges import StoreGauges
from infrastructure.monitoring.monitor import MonitorRunner, start_monitoring
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.settings import Settings
from infrastructure.webhooks.delivery import open_deliverer

MAX_BODY_BYTES = 64 * 1024
MAX_METRICS_BODY_BYTES = 4 * 1024 * 1024  # a batch of up to 10,000 observations

DESCRIPTION = """
modelgov's HTTP API: engineers and pipelines record lifecycle events; compliance officers and
auditors read. Every request needs `Authorization: Bearer <token>` (`modelgov tokens create`);
the token's principal and role are recorded on every event.

* Errors are `application/problem+json` (RFC 9457) with a stable `type` per error.
* Model responses carry the model's revision (the number of its events) as `ETag`; send it as
  `If-Match` on a command to get 412 instead of acting on a model that changed. (A model's
  *version* is one of its ML releases; `model_version` in answers is the revision's old name,
  kept for one release and marked with a `Deprecation` header.)
* Every POST accepts `Idempotency-Key`: a retry with the same key and body returns the original
  response and records nothing new.
* Reads never write. A successful POST answers `Modelgov-Position` (the store position of its last
  event); send it as `Modelgov-After-Position` on a GET of a read model (models, versions, usage,
  exposure, portfolio) to get an answer that includes that write: it waits up to
  MODELGOV_READ_WAIT_SECONDS (5 s), then answers 503 `read_model_behind` with Retry-After.
  Without it, a GET answers from the read models as they are.
* Request bodies are limited to 64 KiB (413 beyond); pages to 100 models or 500 events (422 beyond).
* Every list pages alike: `limit` and `cursor` in, `{"items": [...], "next_cursor": ...}` out,
  `next_cursor` null at the end; a cursor is opaque, and one the list did not give is 422
  `invalid_cursor`. A query parameter the route does not take is 422 `unknown_parameter`.
* Every answer carries `X-Request-Id` (the client's, when it sends 1-200 printable ASCII
  characters; a new one otherwise), recorded as the correlation id of a command's events.
* Rate limits per token (when on: MODELGOV_RATE_LIMIT): 429 `rate_limited` with `Retry-After`.
* Every instant is UTC, written with `Z`.
"""


class BodySizeLimit(HttpMiddleware):
    """Refuse bodies over the limit with 413, whether or not Content-Length is sent.

    Observation batches (POST /v1/models/{name}/metrics) have a larger limit than commands
    (GET /metrics, the Prometheus scrape, has no body and the commands' limit). A body
    without Content-Length (chunked) is read here first, up to the limit, and then handed on:
    refusing it halfway through the app would surface as a parse error instead of a 413.
    """

    def __init__(self, app: ASGIApp, *, limit: int, metrics_limit: int) -> None:
        super().__init__(app)
        self.limit = limit
        self.metrics_limit = metrics_limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        observations = path.startswith("/v1/models/") and path.endswith("/metrics")
        limit = self.metrics_limit if observations else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await self._refuse(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            status=413, code="payload_too_large", title="Request body too large",
            detail=f"request bodies are limited to {limit} bytes",
        )  # fmt: skip
        await response(scope, receive, send)


# Every module with a `router`, in the order they are served (the client is generated from them too:
# infrastructure/api/client_codegen.py).
ROUTE_MODULES = (
    routes_commands, routes_models, routes_versions, routes_monitoring, routes_history,
    routes_ledger, routes_portfolio, routes_inventory, routes_reports, routes_dossier,
    routes_admission, routes_health,
)  # fmt: skip


def create_app(
    settings: Settings,
    *,
    seal: bool = False,
    monitor: bool = False,
    project: bool = True,
    host: str | None = None,
) -> FastAPI:
    """The API over the configured store; in the background, with `seal`, the ledger sealer, with
    `monitor`, evaluation, the game plans' responses and webhook delivery, and with `project`, the
    projections' follower (reads never apply events: without it, another process must). `host`:
    the interface `serve` listens on (None: in-process), which decides whether the rate limits of
    MODELGOV_RATE_LIMIT=auto apply."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redact_access_log()  # after the server has configured its logging
        governance = open_governance(settings)
        governance.enable_group_commits()
        sql = SqlRunner(settings.database)
        tokens = TokenStore(sql)
        app.state.services = Services(
            governance=governance, tokens=tokens, idempotency=open_idempotency(governance)
        )
        app.state.settings = settings
        app.state.console_sessions = SessionStore(sql, tokens)
        app.state.recent_model_events = RecentModelEvents(governance)
        app.state.write_probe = WriteProbe(sql)
        app.state.sql = sql
        app.state.mlflow_webhook = MlflowWebhookReceiver(governance, settings)
        app.state.ledger = open_ledger(settings, governance)
        sealing = start_sealing(app.state.ledger, Lease(sql, SEALER)) if seal else None
        app.state.sealing = sealing
        behind = settings.lag_warning_events  # the followers log crossing it
        app.state.projections = ProjectionRunner(
            governance, sql, default_projections(), lag_warning_events=behind
        )
        app.state.monitor = MonitorRunner(governance, sql, lag_warning_events=behind)
        app.state.outbox = ProjectionRunner(
            governance, sql, [WebhookOutbox()], lag_warning_events=behind
        )
        app.state.deliverer = open_deliverer(settings, governance, sql)
        app.state.deliverer.on_attempted.append(instruments.count_webhook_attempt)
        governance.on_saved.append(instruments.count_events)
        app.state.metrics = instruments
        app.state.store_gauges = registry_of(
            StoreGauges(
                governance=governance, sql=sql, projections=app.state.projections,
                outbox=app.state.outbox, monitor=app.state.monitor,
                ledger=app.state.ledger.tables, deliverer=app.state.deliverer,
            )
        )  # fmt: skip
        # What this process decrypts of a person from now on goes once they are forgotten,
        # whichever process applies the forgetting (the projections' lease holder, or
        # `modelgov projections run --follow`).
        app.state.projections.look_for_forgettings()
        stoppers = [follow(app.state.projections.watch_forgettings, "modelgov-forgettings")]
        app.state.read_wait_seconds = settings.read_wait_seconds
        app.state.projecting = project
        if project:
            # This process's commands wake the follower at once (on SQLite it would poll).
            governance.on_saved.append(lambda _: app.state.projections.wake())
            stoppers.append(
                start_leased(
                    Lease(sql, PROJECTIONS), app.state.projections.run, name="modelgov-projections"
                )
            )
        app.state.monitoring = monitor
        if monitor:
            stoppers += start_monitoring(app.state.monitor, app.state.outbox, app.state.deliverer)
        try:
            yield
        finally:
            for stop in stoppers:
                stop()
            app.state.deliverer.close()
            if sealing is not None:
                sealing.stop()
            app.state.projections.close()
            app.state.outbox.close()
            app.state.services.tokens.close()
            governance.close()
            sql.close()

    instruments = Instruments()  # before the app: its middleware counts every request
    app = FastAPI(
        title="modelgov",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc: install_docs, with their assets served from here
        redoc_url=None,
        dependencies=[Depends(refuse_unknown_parameters)],
        openapi_tags=[
            {"name": "models", "description": "Register and read models; change their policy."},
            {"name": "versions", "description": "Versions, evidence and release decisions."},
            {"name": "lifecycle", "description": "Targets, activations, rollbacks."},
            {"name": "monitoring", "description": "Breaches, bias flags, costs."},
            {
                "name": "incidents",
                "description": "Serious incidents (EU AI Act Art. 73), their deadlines and reports.",
            },
            {"name": "history", "description": "Events, replays and the global feed."},
            {
                "name": "reports",
                "description": "Audit reports (HTML, PDF, JSON) as of a signed tree head.",
            },
            {"name": "admission", "description": "May this artifact serve there now?"},
            {"name": "health", "description": "Liveness and readiness."},
            {"name": "integrations", "description": "MLflow's registry webhooks."},
        ],
    )
    install_problem_handlers(app)
    for module in ROUTE_MODULES:
        app.include_router(module.router)
    # MLflow's webhooks: for MLflow to call, not for clients (so not in ROUTE_MODULES); nor is
    # the Prometheus scrape.
    app.include_router(routes_mlflow.router)
    app.include_router(routes_metrics.router)
    install_docs(app)
    install_console(app)
    if settings.fault_point:  # a test hook, never set in a deployment (see fault_points)
        fault_points.arm(settings.fault_point)
        app.add_middleware(fault_points.ResponseFaults)
    app.add_middleware(BodySizeLimit, limit=MAX_BODY_BYTES, metrics_limit=MAX_METRICS_BODY_BYTES)
    if settings.rate_limit == "on" or (settings.rate_limit == "auto" and not is_loopback(host)):
        app.add_middleware(
            RateLimits, per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst
        )
    app.add_middleware(RequestContext)  # every answer carries the request id
    app.add_middleware(RequestMetrics, instruments=instruments)  # outermost: counts every answer
    return app
