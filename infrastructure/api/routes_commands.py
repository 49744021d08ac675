"""Every command's route, as a table: path -> command -> status, with the sentence that documents it.

A route takes the command's fields from its body (the schema is derived from the command:
command_schemas.py) and from its path, and hands the command to its caller to carry out
(commands.py). Adding a command's route is adding a row.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Response

from domain import commands
from domain.hold_commands import PlaceLegalHold, ReleaseLegalHold
from domain.incident_commands import DeclareIncident, ReportIncident
from infrastructure.api.caller import CallerDep
from infrastructure.api.command_schemas import path_parameter, request_schema
from infrastructure.api.problems import COMMAND_PROBLEMS
from infrastructure.api.read_models import POSITION_HEADERS
from infrastructure.api.schemas import CommandResult
from infrastructure.api.schemas import Request as CommandBody
from infrastructure.webhooks.delivery import Deliverer
from infrastructure.webhooks.guard import refuse_private_routes

MODELS = "/v1/models"
MODEL = "/v1/models/{name}"
VERSION = "/v1/models/{name}/versions/{number}"
# Path parameters: the command field each one fills, and how it is documented and checked.
PATH: Mapping[str, tuple[str, Any]] = {
    "name": ("name", str),  # any text: a name no model has is a 404, as on every route
    "number": (
        "version",
        path_parameter(commands.RecordValidation, "version", description="The version number."),
    ),
    "breach_id": ("breach_id", path_parameter(commands.CloseBreach, "breach_id")),
    "flag_id": ("flag_id", path_parameter(commands.ResolveBiasFlag, "flag_id")),
    "incident_id": ("incident_id", path_parameter(ReportIncident, "incident_id")),
}


@dataclass(frozen=True)
class CommandRoute:
    """One command's route; `doc` is its one-line description in the API's documentation."""

    path: str
    command: type[commands.Command[Any]]
    tag: str
    doc: str
    status: int = 200
    reason_as: str = "reason"  # the body field that carries the attribution's reason
    internal: frozenset[str] = frozenset()  # command fields no request sets
    location: str | None = None  # where a created resource is, from the command's fields
    # A check of the command against the app's state, on the event loop: no I/O (no DNS either).
    check: Callable[[Any, Any], None] | None = field(default=None, compare=False)


def _no_private_webhooks(state: Any, command: commands.ChangeGamePlan) -> None:
    """A game plan's webhooks go to public hosts only, unless an admin allows one (a 422 here)."""
    deliverer: Deliverer = state.deliverer
    refuse_private_routes(command.game_plan, allow=deliverer.allow)


ROUTES = (
    CommandRoute(MODELS, commands.RegisterModel, "models", status=201, location=MODEL,
        doc="Register a model under a unique name, with its risk tier and stakeholders."),
    CommandRoute(f"{MODEL}/policy", commands.ChangePolicy, "models",
        doc="Change the model's risk tier and policy (gates may be added to the tier's, never dropped)."),
    CommandRoute(f"{MODEL}/versions", commands.RegisterVersion, "versions", status=201,
        doc="Register a new version with its model card; `result` is the new version number."),
    CommandRoute(f"{VERSION}/validations", commands.RecordValidation, "versions",
        doc="Record validation evidence for the version, e.g. an A/B test against another version."),
    CommandRoute(f"{VERSION}/approvals", commands.ApproveRelease, "versions",
        doc="Approve the version's release (not by the person who registered it); `reason` is the comment."),
    CommandRoute(f"{VERSION}/rejections", commands.RejectRelease, "versions",
        doc="Reject the version's release, with a reason; a rejected version is never activated."),
    CommandRoute(f"{VERSION}/signoffs", commands.SignOff, "versions",
        doc="A compliance officer's sign-off on the version."),
    CommandRoute(f"{VERSION}/retirement", commands.RetireVersion, "versions",
        doc="Retire the version for good, with a reason; it must not be active anywhere."),
    CommandRoute(f"{MODEL}/targets", commands.SetTarget, "lifecycle",
        doc="Set or change a target on a dimension; approvals of the targets are withdrawn. `result`: revision."),
    CommandRoute(f"{MODEL}/targets/approvals", commands.ApproveTargets, "lifecycle",
        doc="Approve the targets at the revision reviewed (a data scientist and a business owner)."),
    CommandRoute(f"{MODEL}/activations", commands.Activate, "lifecycle",
        doc="Activate a version in an environment; 409 lists every unmet gate. Supersedes the active one."),
    CommandRoute(f"{MODEL}/deactivations", commands.Deactivate, "lifecycle",
        doc="Deactivate the version active in an environment, with a reason."),
    CommandRoute(f"{MODEL}/rollbacks", commands.RollBack, "lifecycle",
        doc="Roll an environment back to a version that served there, is approved and has no open bias flag."),
    CommandRoute(f"{MODEL}/breaches", commands.OpenBreach, "monitoring",
        doc="Open a breach: a value that fails the target in force. `result` is the breach id."),
    CommandRoute(f"{MODEL}/breaches/{{breach_id}}/closure", commands.CloseBreach, "monitoring",
        doc="Close a breach with a value that meets the target again."),
    CommandRoute(f"{MODEL}/bias-flags", commands.RaiseBiasFlag, "monitoring", internal=frozenset({"evidence"}),
        doc="Raise a bias flag on a version; it blocks activation until resolved. `result` is the flag id."),
    CommandRoute(f"{MODEL}/bias-flags/{{flag_id}}/resolution", commands.ResolveBiasFlag, "monitoring",
        reason_as="justification",
        doc="Resolve a bias flag once, with a decision and a justification."),
    CommandRoute(f"{MODEL}/costs", commands.ReportCost, "monitoring",
        doc="Report a month's cost for a business unit (and optionally a version)."),
    CommandRoute(f"{MODEL}/game-plan", commands.ChangeGamePlan, "monitoring", check=_no_private_webhooks,
        doc="Replace the game plan: notification routes and automated responses to breaches; a route "
        "to a non-public host is refused unless MODELGOV_WEBHOOK_ALLOW_HOSTS names it."),
    CommandRoute(f"{MODEL}/incidents", DeclareIncident, "incidents", status=201,
        doc="Declare a serious incident (EU AI Act Art. 73); its initial report is due 2, 10 or 15 "
        "days after awareness, by severity class. `result` is the incident id."),
    CommandRoute(f"{MODEL}/incidents/{{incident_id}}/reports", ReportIncident, "incidents", status=201,
        doc="Record a report submitted on a serious incident: initial (may be incomplete), follow-up, final."),
    CommandRoute(f"{MODEL}/legal-hold", PlaceLegalHold, "models",
        doc="Place a legal hold on the model, with a reason: none of its observations is dropped until released."),
    CommandRoute(f"{MODEL}/legal-hold/release", ReleaseLegalHold, "models",
        doc="Release the model's legal hold, with a reason; its observations past retention may then be dropped."),
)  # fmt: skip


def endpoint(route: CommandRoute) -> Callable[..., Awaitable[Response]]:
    """The route's function, with the signature FastAPI reads: path parameters, body, caller."""
    parameters = [name for name in PATH if f"{{{name}}}" in route.path]
    from_path = frozenset(PATH[name][0] for name in parameters)
    body_schema = request_schema(
        route.command, from_path=from_path, internal=route.internal, reason_as=route.reason_as
    )

    async def run(*, body: CommandBody, caller: CallerDep, **path: Any) -> Response:
        # The command a request asks for: its body's fields (documents as plain data), its path's.
        fields = body.model_dump(exclude={"effective_at", route.reason_as})
        command = route.command(**fields, **{PATH[name][0]: value for name, value in path.items()})
        if route.check is not None:
            route.check(caller.request.app.state, command)
        reason = getattr(body, route.reason_as, "")
        response = await caller.run(command, body=body, status=route.status, reason=reason)
        if route.location is not None and response.status_code == route.status:
            response.headers["Location"] = route.location.format(name=command.name)
        return response

    keyword = inspect.Parameter.KEYWORD_ONLY
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, keyword, annotation=PATH[name][1]) for name in parameters]
        + [
            inspect.Parameter("body", keyword, annotation=body_schema),
            inspect.Parameter("caller", keyword, annotation=CallerDep),
        ],
        return_annotation=Response,
    )
    run.__name__ = route.command.ACTION.value
    run.__doc__ = route.doc
    run.command = route.command  # type: ignore[attr-defined]  # which command a route sends
    return run


def command_router() -> APIRouter:
    """One router with every command's route (each under its resource's tag)."""
    router = APIRouter(responses=COMMAND_PROBLEMS)
    for route in ROUTES:
        router.add_api_route(
            route.path, endpoint(route), methods=["POST"], status_code=route.status,
            response_model=CommandResult, tags=[route.tag], name=route.command.ACTION.value,
            responses={route.status: {"description": "Recorded", "headers": POSITION_HEADERS}},
        )  # fmt: skip
    return router


router = command_router()
