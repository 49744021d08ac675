"""The webhook outbox: which event goes to which URL, decided in order as the events are applied.

A route takes the events it names ("*" for all) at or above its minimum severity; an event goes
to each URL once, however many of the model's routes lead there. The routes are the model's game
plan when the event was recorded: held in memory per model, and on first sight (a restart, another
runner got ahead) read from the model as the store has it just before the event. The routes table
shows operators the routes in force; nothing reads it back.

Not one of the rebuildable read models: a rebuild would send every past event again. It runs in a
runner of its own, each event's deliveries queued in the same transaction as its tracking
position (each event queued exactly once).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from application.projections.changes import Delete, Insert, RowChange
from application.projections.folds import ModelFolds
from application.projections.projection import Projection
from domain.events import BreachOpened
from domain.events import Event as ModelEvent
from domain.game_plan import severity_of, severity_rank
from domain.model import Model

ROUTES = "modelgov_webhook_routes"
OUTBOX = "modelgov_webhook_outbox"
Routes = Sequence[Mapping[str, Any]]  # a game plan's notifications


def event_id(event: ModelEvent) -> str:
    """A stable id receivers deduplicate on: the model's id and the event's version in it."""
    return f"{event.originator_id}:{event.originator_version}"


def urls_for(routes: Routes, *, event_name: str, severity: str) -> list[str]:
    """Where an event goes: each URL once, in order, of the routes that take it."""
    rank = severity_rank(severity)
    taken = [
        route["url"] for route in routes
        if ("*" in route["events"] or event_name in route["events"])
        and severity_rank(route["min_severity"]) <= rank
    ]  # fmt: skip
    return sorted(set(taken))


class WebhookOutbox(Projection):
    name = "webhook_outbox"
    tables: Sequence[str] = (ROUTES, OUTBOX)

    def __init__(self, *, models_in_memory: int = 1000) -> None:
        self._folds = ModelFolds()  # the runner's, once attached: it loads a model on first sight
        self._limit = models_in_memory
        self._routes: OrderedDict[UUID, tuple[int, Routes]] = OrderedDict()  # at a version

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        changes: list[RowChange] = []
        if isinstance(event, Model.GamePlanChanged):
            routes: Routes = event.game_plan.get("notifications", [])
            changes.append(Delete(ROUTES, where={"model": model}))
            for index, route in enumerate(routes):
                events = "*" if "*" in route["events"] else "," + ",".join(route["events"]) + ","
                changes.append(Insert(ROUTES, {
                    "model": model, "route": index, "url": route["url"], "events": events,
                    "min_rank": severity_rank(route["min_severity"]),
                }))  # fmt: skip
        else:
            routes = self._routes_before(event)
        self._keep(event, routes)
        name = type(event).__name__
        target = event.target.get("severity") if isinstance(event, BreachOpened) else None
        severity = severity_of(name, role=event.role, target_severity=target)
        for url in urls_for(routes, event_name=name, severity=severity):
            changes.append(Insert(OUTBOX, {
                "position": position, "url": url, "event_id": event_id(event), "model": model,
                "event_type": name, "severity": severity, "status": "pending", "attempts": 0,
                "next_attempt_at": "",
            }))  # fmt: skip
        return changes

    def attach(self, folds: ModelFolds) -> None:
        self._folds = folds

    def reset(self) -> None:
        self._routes.clear()

    def _routes_before(self, event: ModelEvent) -> Routes:
        """The model's routes just before the event: held, or read from its game plan."""
        held = self._routes.get(event.originator_id)
        if held is not None and held[0] == event.originator_version - 1:
            return held[1]
        if event.originator_version == 1:
            return []
        model, _ = self._folds.load(event.originator_id, event.originator_version - 1)
        return list(model.game_plan.get("notifications", []))

    def _keep(self, event: ModelEvent, routes: Routes) -> None:
        self._routes[event.originator_id] = (event.originator_version, routes)
        self._routes.move_to_end(event.originator_id)
        while len(self._routes) > self._limit:
            self._routes.popitem(last=False)
