"""Request dependencies: the services, the calling principal (checked against the role matrix), If-Match."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from application.governance import Governance
from domain.roles import PERMISSIONS, REPORT_READERS
from domain.values import Attribution
from infrastructure.api.errors import (
    AuthenticationRequiredError,
    BadPreconditionError,
    RoleForbiddenError,
)
from infrastructure.api.idempotency import IdempotencyStore
from infrastructure.api.request_context import request_id
from infrastructure.ledger import Ledger
from infrastructure.tokens import TOKEN_ROLES, Principal, TokenStore

# Reading models, histories and the event feed: every role that can hold a token.
READ = "read"
# Posting production figures: the people and pipelines that run models.
OBSERVE = "post_observations"
# Reports across the whole portfolio (one model's report needs only READ, as its history does).
READ_REPORTS = "read_reports"
ROUTE_PERMISSIONS: dict[str, frozenset[str]] = {
    **PERMISSIONS,
    READ: frozenset(TOKEN_ROLES),
    OBSERVE: frozenset({"devops_engineer", "itops_engineer", "ml_engineer", "data_engineer"}),
    READ_REPORTS: REPORT_READERS,
}
# If-Match uses the strong comparison (RFC 9110): a weak W/"12" never matches.
# Documents the scheme in OpenAPI; the check itself (and its problem+json 401) is Authorize's.
BEARER = HTTPBearer(auto_error=False, description="A token from `modelgov tokens create`.")
_ETAG = re.compile(r'^"(\d{1,18})"$')


@dataclass
class Services:
    """What the routes work with; built once when the app starts."""

    governance: Governance
    tokens: TokenStore
    idempotency: IdempotencyStore


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(_ledger)]


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


class Authorize:
    """Dependency: the bearer token's principal, allowed by the role matrix to perform `action`."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.roles = ROUTE_PERMISSIONS[action]

    def __call__(
        self,
        found: ServicesDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
    ) -> Principal:
        if (
            credentials is None
            or credentials.scheme.lower() != "bearer"
            or not credentials.credentials
        ):
            raise AuthenticationRequiredError(
                "send a bearer token: 'Authorization: Bearer mg_...' (`modelgov tokens create`)"
            )
        principal = found.tokens.authenticate(credentials.credentials.strip())
        if principal is None:
            raise AuthenticationRequiredError("the bearer token is not valid or was revoked")
        if principal.role not in self.roles:
            raise RoleForbiddenError(
                f"role {principal.role!r} may not {self.action.replace('_', ' ')}; "
                f"allowed: {', '.join(sorted(self.roles))}"
            )
        return principal


def authorized(action: str) -> Callable[..., Principal]:
    return Authorize(action)


def attribution(
    principal: Principal,
    request: Request,
    *,
    reason: str = "",
    effective_at: datetime | None = None,
) -> Attribution:
    """Who did it comes from the token, never from the body; the request id ties events together."""
    return Attribution(
        principal=principal.name,
        role=principal.role,
        correlation_id=request_id(request),
        effective_at=effective_at or datetime.now(UTC),
        reason=reason,
    )


def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            description='The model version the command is based on, as its ETag (e.g. "12"); '
            "412 if the model has changed since.",
        ),
    ] = None,
) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match.strip())
    if not match:
        raise BadPreconditionError(
            f'If-Match must be a model version ETag such as "12"; got {if_match!r}'
        )
    return int(match.group(1))


ExpectedVersion = Annotated[int | None, Depends(expected_version)]
