"""Request dependencies: the services, the calling principal, If-Match.

A command's caller is only authenticated here: the domain checks the role matrix for every
command, whoever sends it (`rules.check_may`), and its refusal is answered 403. What records no
lifecycle event (reads, posted figures, portfolio reports) is authorized here, by `Access`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from application.governance import Governance
from domain.roles import ACCESS, Access, in_words
from infrastructure.api.idempotency import IdempotencyStore
from infrastructure.api.tokens import Principal, TokenStore
from infrastructure.errors import (
    AuthenticationRequiredError,
    BadPreconditionError,
    RoleForbiddenError,
)
from infrastructure.ledger.online import Ledger

# Reading models, histories and the event feed: every role that can hold a token.
READ = Access.READ
# Posting production figures: the people and pipelines that run models.
OBSERVE = Access.POST_OBSERVATIONS
# Reports across the whole portfolio (one model's report needs only READ, as its history does).
READ_REPORTS = Access.READ_REPORTS
# Asking whether an artifact may serve (a model server's start-up hook, an admission webhook).
CHECK_ADMISSION = Access.CHECK_ADMISSION
# If-Match uses the strong comparison (RFC 9110): a weak W/"12" never matches.
# Documents the scheme in OpenAPI; the check itself (and its problem+json 401) is `authenticated`'s.
BEARER = HTTPBearer(auto_error=False, description="A token from `modelgov tokens create`.")
_ETAG = re.compile(r'^"(\d{1,18})"$')


@dataclass
class Services:
    """What the routes work with; built once when the app starts."""

    governance: Governance
    tokens: TokenStore
    idempotency: IdempotencyStore


# Dependencies that do no I/O are async: FastAPI runs a sync one in a worker thread, a hop per
# dependency per request (the admission check's budget is a few milliseconds).
async def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(_ledger)]


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


async def authenticated(
    found: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> Principal:
    """Dependency: the bearer token's principal (401 without a valid token). A token checked
    within the last second is trusted without I/O, on the event loop; else its row is read in a
    worker thread."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationRequiredError(
            "send a bearer token: 'Authorization: Bearer mg_...' (`modelgov tokens create`)"
        )
    token = credentials.credentials.strip()
    principal = found.tokens.trusted(token) or await run_in_threadpool(
        found.tokens.authenticate, token
    )
    if principal is None:
        raise AuthenticationRequiredError("the bearer token is not valid or was revoked")
    return principal


class Authorize:
    """Dependency: the bearer token's principal, allowed by the role matrix this `access`."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self.roles = ACCESS[access]

    # Async, as it does no I/O: FastAPI runs it on the event loop, not in a worker thread (each
    # sync dependency is a thread hop; the admission check's budget is a few milliseconds).
    async def __call__(self, principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if principal.role not in self.roles:
            raise RoleForbiddenError(
                f"role {principal.role!r} may not {in_words(self.access)}; "
                f"allowed: {', '.join(sorted(self.roles))}"
            )
        return principal


def authorized(access: Access) -> Callable[..., Awaitable[Principal]]:
    return Authorize(access)


# What a route that any token may read depends on (Access.READ): the principal, once checked.
Reader = Annotated[Principal, Depends(authorized(READ))]


async def expected_revision(
    if_match: Annotated[
        str | None,
        Header(
            description='The model revision the command is based on, as its ETag (e.g. "12"); '
            "412 if the model has changed since.",
        ),
    ] = None,
) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match.strip())
    if not match:
        raise BadPreconditionError(
            f'If-Match must be a model revision ETag such as "12"; got {if_match!r}'
        )
    return int(match.group(1))


ExpectedRevision = Annotated[int | None, Depends(expected_revision)]
