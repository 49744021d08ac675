"""The console's forms (POST): sign in and out, and the decisions that end a queue's item in an event.

Every form carries the session's CSRF token and a form id drawn when the page was rendered: the
form id is the command's Idempotency-Key, so a double click, or a resend after a lost answer,
records the decision once. The command goes through `Governance.handle` (the API's routes await
the same steps: `handle_awaited`), by
the signed-in principal; the domain checks the role matrix (an auditor's hand-made POST is 403,
as on the API) and the four-eyes rules, and its refusal is shown in its own words.

(No `from __future__ import annotations` here: FastAPI reads the routes' signatures at run time.)
"""

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from application.errors import AnsweredBeforeError
from application.results import Recorded
from domain import commands
from domain.errors import InvalidValueError
from infrastructure.api.caller import attribution
from infrastructure.api.idempotency import StoredResponse
from infrastructure.api.tokens import token_id_of
from infrastructure.console.sessions import LOGIN_COOKIE, SESSION_COOKIE, new_secret
from infrastructure.console.web import (
    PREFIX,
    Viewer,
    checked_form,
    form_fields,
    page,
    see_other,
    sessions,
    viewer,
)
from infrastructure.errors import FormRefusedError, RoleForbiddenError, TokenExpiredError

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="strict", path=PREFIX,
        secure=request.url.scheme == "https",
    )  # fmt: skip


def _next_page(value: str | None) -> str:
    """Where to go after signing in: a console page only (never another site)."""
    if (
        value
        and value.startswith(PREFIX + "/")
        and not value.startswith("//")
        and "\\" not in value
    ):
        return value
    return f"{PREFIX}/portfolio"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "") -> HTMLResponse:
    secret = new_secret()
    response = page(
        request, "login.html.j2", viewer=None, csrf=secret, next=_next_page(next), error=None
    )
    _cookie(response, request, LOGIN_COOKIE, secret)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, fields: Form) -> Response:
    """A token becomes a session cookie; a wrong token is told as such, on the sign-in page."""
    secret = request.cookies.get(LOGIN_COOKIE, "")
    if not secret or fields.get("csrf") != secret:
        raise FormRefusedError("the sign-in form has expired: reload the page and sign in again")
    token = fields.get("token", "").strip()
    target = _next_page(fields.get("next"))
    error = None
    opened = None
    status = 401
    if token_id_of(token) is None:
        error = "that is not a modelgov token (they look like mg_0123456789abcdef_...)"
    else:
        try:
            opened = sessions(request).open(token)
        except TokenExpiredError as expired:
            error = str(expired)
        except RoleForbiddenError as refused:
            error, status = str(refused), 403
        if opened is None and error is None:
            error = "that token is not valid, or was revoked: ask an admin for a new one"
    if opened is None:
        fresh = new_secret()
        response: Response = page(
            request, "login.html.j2", viewer=None, csrf=fresh, next=target, error=error,
            status=status,
        )  # fmt: skip
        _cookie(response, request, LOGIN_COOKIE, fresh)
        return response
    session_id, _ = opened
    response = see_other(target)
    _cookie(response, request, SESSION_COOKIE, session_id)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
def logout(request: Request, fields: Form) -> RedirectResponse:
    found = viewer(request)
    checked_form(fields, found)
    sessions(request).end(request.cookies.get(SESSION_COOKIE))
    response = see_other(f"{PREFIX}/login")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def _number(fields: dict[str, str], name: str) -> int:
    value = fields.get(name, "")
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise InvalidValueError(name, f"{name} must be a whole number; got {value!r}")
    return int(value)


def _record(
    request: Request, found: Viewer, command: Any, fields: dict[str, str], reason: str
) -> int | None:
    """Carry the command out once per form id; the store position of what it recorded (None when
    this form was answered before, or the position is not known)."""
    services = request.app.state.services
    form_id = fields.get("form_id", "")
    if not 20 <= len(form_id) <= 100:
        raise FormRefusedError("the form has no form id: reload the page and send it again")
    fingerprint = hashlib.sha256(
        json.dumps([request.url.path, sorted(fields.items())], sort_keys=True).encode()
    ).hexdigest()
    keyed = services.idempotency.request(
        principal=found.name, key=f"console-{form_id}", request_hash=fingerprint,
        answer=lambda recorded: StoredResponse(status=303, body="{}", etag=None),
    )  # fmt: skip
    answered = services.idempotency.answered(keyed)
    if answered is not None:
        services.idempotency.opened(answered, keyed)  # the same form, sent again: done already
        return None
    by = attribution(found.session.principal, request, reason=reason)
    try:
        recorded: Recorded[Any] = services.governance.handle(
            command, by=by, expected_revision=None, request=keyed
        )
    except AnsweredBeforeError:
        return None
    return recorded.position


def _back(to: str, position: int | None) -> RedirectResponse:
    separator = "&" if "?" in to else "?"
    return see_other(to if position is None else f"{to}{separator}after={position}")


async def _decide(
    request: Request, fields: dict[str, str], command: Callable[[dict[str, str]], Any],
    *, why: str = "reason",
) -> RedirectResponse:  # fmt: skip
    """A decision form: the session and its CSRF token checked, the command built from the form
    (`command`), recorded with the form's `why` field as the reason; back to the page it came
    from (the queues by default), which waits for the decision to show."""
    found = await run_in_threadpool(viewer, request)
    fields = checked_form(fields, found)
    position = await run_in_threadpool(
        _record, request, found, command(fields), fields, fields.get(why, "")
    )
    return _back(_next_page(fields.get("return_to") or f"{PREFIX}/queues"), position)


@router.post("/models/{name}/versions/{number}/signoff")
async def sign_off(request: Request, name: str, number: int, fields: Form) -> RedirectResponse:
    return await _decide(request, fields, lambda _: commands.SignOff(name=name, version=number))


@router.post("/models/{name}/versions/{number}/rejection")
async def reject(request: Request, name: str, number: int, fields: Form) -> RedirectResponse:
    return await _decide(
        request, fields, lambda _: commands.RejectRelease(name=name, version=number)
    )


@router.post("/models/{name}/bias-flags/{flag_id}/resolution")
async def resolve_flag(request: Request, name: str, flag_id: str, fields: Form) -> RedirectResponse:
    return await _decide(
        request, fields,
        lambda form: commands.ResolveBiasFlag(
            name=name, flag_id=flag_id, resolution=form.get("resolution", "")
        ),
        why="justification",
    )  # fmt: skip


@router.post("/models/{name}/targets/approval")
async def approve_targets(request: Request, name: str, fields: Form) -> RedirectResponse:
    return await _decide(
        request, fields,
        lambda form: commands.ApproveTargets(name=name, revision=_number(form, "revision")),
    )  # fmt: skip


def model_page(name: str) -> str:
    return f"{PREFIX}/models/{quote(name, safe='')}"
