"""The context of a command route: the caller (allowed by the role matrix), the services, If-Match."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response

from application.results import Recorded
from domain.values import Attribution
from infrastructure.api.commands import run_command
from infrastructure.api.deps import Authorize, ExpectedVersion, Services, ServicesDep, attribution
from infrastructure.api.schemas import Request as CommandBody
from infrastructure.tokens import Principal

# No `from __future__ import annotations` here: FastAPI reads these signatures at run time.

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
        description="Makes a retry safe: the same key and body return the first response and "
        "record nothing new; the same key with another body is refused (422).",
    ),
]  # fmt: skip


@dataclass
class CommandContext:
    request: Request
    services: Services
    principal: Principal
    expected_version: int | None
    idempotency_key: str | None = None

    def run(
        self,
        body: CommandBody,
        command: Callable[[Attribution], Recorded[Any]],
        *,
        status: int = 200,
        reason: str | None = None,
    ) -> Response:
        """Attribute the command to the token's principal and run it (idempotent, ETag'd)."""
        by = attribution(
            self.principal,
            self.request,
            reason=reason if reason is not None else getattr(body, "reason", ""),
            effective_at=body.effective_at,
        )
        return run_command(
            request=self.request,
            idempotency_key=self.idempotency_key,
            principal=self.principal,
            found=self.services,
            payload=body,
            status=status,
            expected_version=self.expected_version,
            command=lambda: command(by),
            respond=lambda r: {
                "model": r.name,
                "model_version": r.model_version,
                "result": r.value,
            },
        )


def command_context(action: str) -> Callable[..., CommandContext]:
    """Dependency for a route that performs `action` of the role matrix."""
    authorize = Authorize(action)

    def dependency(
        request: Request,
        found: ServicesDep,
        expected: ExpectedVersion,
        idempotency_key: IdempotencyKey = None,
        principal: Principal = Depends(authorize),  # noqa: B008 - FastAPI's dependency idiom
    ) -> CommandContext:
        return CommandContext(
            request=request, services=found, principal=principal, expected_version=expected,
            idempotency_key=idempotency_key,
        )  # fmt: skip

    return dependency


# One alias per action of the role matrix: `ctx: Activate` in a route's signature.
RegisterModel = Annotated[CommandContext, Depends(command_context("register_model"))]
ChangePolicy = Annotated[CommandContext, Depends(command_context("change_policy"))]
RegisterVersion = Annotated[CommandContext, Depends(command_context("register_version"))]
RecordValidation = Annotated[CommandContext, Depends(command_context("record_validation"))]
SetTarget = Annotated[CommandContext, Depends(command_context("set_target"))]
ApproveTargets = Annotated[CommandContext, Depends(command_context("approve_targets"))]
ApproveRelease = Annotated[CommandContext, Depends(command_context("approve_release"))]
RejectRelease = Annotated[CommandContext, Depends(command_context("reject_release"))]
SignOff = Annotated[CommandContext, Depends(command_context("sign_off"))]
Activate = Annotated[CommandContext, Depends(command_context("activate"))]
Deactivate = Annotated[CommandContext, Depends(command_context("deactivate"))]
RollBack = Annotated[CommandContext, Depends(command_context("roll_back"))]
RetireVersion = Annotated[CommandContext, Depends(command_context("retire_version"))]
OpenBreach = Annotated[CommandContext, Depends(command_context("open_breach"))]
CloseBreach = Annotated[CommandContext, Depends(command_context("close_breach"))]
RaiseBiasFlag = Annotated[CommandContext, Depends(command_context("raise_bias_flag"))]
ResolveBiasFlag = Annotated[CommandContext, Depends(command_context("resolve_bias_flag"))]
ReportCost = Annotated[CommandContext, Depends(command_context("report_cost"))]
ChangeGamePlan = Annotated[CommandContext, Depends(command_context("change_game_plan"))]
