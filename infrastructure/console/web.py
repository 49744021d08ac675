"""What every console page and form shares: the templates, the signed-in session, the form's fields
and CSRF check, and refusals shown as pages.

A refusal is decided once, by the API's problem handlers (infrastructure/api/problems.py: the same
status and words as the API gives); under /console, `ProblemsAsPages` shows the problem as an HTML
page with that status.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment
from starlette.types import Message, Receive, Scope, Send

from application.projections.catalog import Catalog
from application.projections.model_documents import ModelStates
from domain.commands import PERMISSIONS, Action
from domain.instants import require_instant
from domain.roles import ACCESS, Access
from infrastructure.api.middleware import HttpMiddleware
from infrastructure.api.problems import PROBLEM_MEDIA_TYPE
from infrastructure.api.read_models import MAX_POSITION
from infrastructure.console.sessions import SESSION_COOKIE, Session, SessionStore
from infrastructure.errors import FormRefusedError, ReadModelBehindError, SignInRequiredError
from infrastructure.projections.runner import ProjectionRunner
from reports.render import duration, moment, template_environment

PREFIX = "/console"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


@cache
def environment() -> Environment:
    env = template_environment("infrastructure.console")
    env.filters["moment"] = moment
    env.filters["duration"] = duration
    env.filters["words"] = lambda value: str(value).replace("_", " ")
    env.filters["quote"] = lambda value: quote(str(value), safe="")
    env.globals["new_form_id"] = lambda: secrets.token_urlsafe(16)
    return env


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and what the console may offer them (the server refuses the rest anyway)."""

    session: Session

    @property
    def name(self) -> str:
        return self.session.principal.name

    @property
    def role(self) -> str:
        return self.session.principal.role

    def may(self, action: str) -> bool:
        """May this role record `action` (a command's Action value)?"""
        return self.role in PERMISSIONS[Action(action)]

    def may_access(self, access: str) -> bool:
        return self.role in ACCESS[Access(access)]


def sessions(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.console_sessions
    return store


def viewer(request: Request) -> Viewer:
    """Dependency: the signed-in viewer; without a live session, the way to the sign-in page."""
    session = sessions(request).find(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise SignInRequiredError("your console session has ended or was never opened: sign in")
    return Viewer(session)


ViewerDep = Annotated[Viewer, Depends(viewer)]


def page(
    request: Request, template: str, *, viewer: Viewer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A console page: the template, with the viewer and the page's own context."""
    html = (
        environment()
        .get_template(template)
        .render(request=request, viewer=viewer, prefix=PREFIX, **context)
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # pages show personal data and live state
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's fields (the last value of each), URL-encoded as a browser sends them."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM_MEDIA_TYPE:
        raise FormRefusedError(
            f"a console form is sent as {FORM_MEDIA_TYPE}, not {kind or 'nothing'}"
        )
    body = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}


def checked_form(fields: dict[str, str], found: Viewer) -> dict[str, str]:
    """The fields of a form whose CSRF token is the session's (403 otherwise)."""
    if not found.session.csrf_matches(fields.get("csrf")):
        raise FormRefusedError(
            "this form's security token does not match your session (it may be from an earlier "
            "session): reload the page and send it again"
        )
    return fields


def instant_field(fields: dict[str, str], name: str, *, label: str) -> datetime | None:
    """A date or date-and-time field in UTC (a bare date is its midnight UTC); None when empty."""
    value = fields.get(name, "").strip()
    if not value:
        return None
    if len(value) == 10:
        value += "T00:00:00Z"
    elif len(value) == 16:  # <input type="datetime-local"> sends 2026-11-01T09:30
        value += ":00Z"
    return require_instant(label, value if value[-1] in "Zz" or "+" in value[10:] else value + "Z")


def now() -> datetime:
    return datetime.now(UTC)


def _error_page(status: int, problem: dict[str, Any]) -> bytes:
    html = (
        environment()
        .get_template("error.html.j2")
        .render(status=status, problem=problem, prefix=PREFIX, viewer=None)
    )
    return html.encode()


class ProblemsAsPages(HttpMiddleware):
    """Under /console, a problem+json answer becomes an HTML page with its status and words; a
    sign-in required becomes the way to the sign-in page (303), back to the page asked for."""

    def handles(self, scope: Scope) -> bool:
        path = scope["path"]
        return bool(path == PREFIX or path.startswith(PREFIX + "/"))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(PROBLEM_MEDIA_TYPE.encode()):
                    held.append(message)
                    return
            elif held:
                held.append(message)
                if not message.get("more_body"):
                    await self._as_page(scope, held, send)
                return
            await send(message)

        await self.app(scope, receive, hold)

    @staticmethod
    async def _as_page(scope: Scope, held: list[Message], send: Send) -> None:
        start = held[0]
        body = b"".join(m.get("body", b"") for m in held[1:])
        problem = json.loads(body or b"{}")
        status = int(start["status"])
        if problem.get("type", "").endswith("/" + SignInRequiredError.code) or status == 401:
            target = scope["path"] if scope["method"] == "GET" else PREFIX
            location = f"{PREFIX}/login?next={quote(target, safe='/')}"
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", location.encode()), (b"content-length", b"0")]})  # fmt: skip
            await send({"type": "http.response.body", "body": b""})
            return
        page_body = _error_page(status, problem)
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(page_body)).encode()), (b"cache-control", b"no-store")]})  # fmt: skip
        await send({"type": "http.response.body", "body": page_body})


# A console page given `after` (the position of a write this console just made) waits for it.
After = Annotated[int | None, Query(ge=0, le=MAX_POSITION)]


def caught_up(request: Request, after: int | None) -> ProjectionRunner:
    """The projections, once they include position `after` (a write this console just made)."""
    runner: ProjectionRunner = request.app.state.projections
    if after is not None:
        waited: float = request.app.state.read_wait_seconds
        reached = runner.wait_for(after, names=(ModelStates.name, Catalog.name), timeout=waited)
        if reached < after:
            raise ReadModelBehindError(wanted=after, reached=reached, waited=waited)
    return runner
