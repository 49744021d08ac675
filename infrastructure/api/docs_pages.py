"""/docs (Swagger UI) and /redoc (ReDoc), served with their scripts, style sheet and icon from this
server: FastAPI's own pages load them from a CDN, which an offline or locked-down network lacks.

The files come from the pinned `fastapi-offline` package (Swagger UI 5, ReDoc 2); the pages are
FastAPI's, pointed at them, and ReDoc's without Google's fonts. ReDoc's script is served with the
one remote file it names, the Redocly logo beside "API docs by Redocly", replaced by an empty
image; and both pages carry a Content-Security-Policy that lets the browser load nothing from
elsewhere. Like FastAPI's own, they are plain routes: public and outside the OpenAPI schema.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

DOCS = "/docs"
REDOC = "/redoc"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
ASSETS = "/docs/assets"  # swagger-ui-bundle.js, swagger-ui.css, favicon.png (the package's files)
REDOC_SCRIPT = f"{ASSETS}/redoc.offline.js"  # its redoc.standalone.js, without the remote logo

REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
# Swagger UI's page starts it with an inline script; ReDoc styles itself inline and searches in
# a worker it makes from a blob.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@cache
def redoc_script() -> bytes:
    """ReDoc's standalone script, naming no remote file."""
    script = files("fastapi_offline").joinpath("static/redoc.standalone.js").read_text("utf-8")
    return script.replace(REDOCLY_LOGO, EMPTY_IMAGE).encode()


def _confined(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets; the app must be built with docs_url=redoc_url=None."""
    assert app.docs_url is None and app.redoc_url is None, "FastAPI's CDN pages would shadow these"
    openapi_url = app.openapi_url or "/openapi.json"

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    async def swagger_ui(request: Request) -> HTMLResponse:
        base = root(request)
        page = get_swagger_ui_html(
            openapi_url=base + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{base}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{base}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{base}{ASSETS}/favicon.png",
            oauth2_redirect_url=base + OAUTH2_REDIRECT,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return _confined(page)

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        base = root(request)
        page = get_redoc_html(
            openapi_url=base + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=base + REDOC_SCRIPT,
            redoc_favicon_url=f"{base}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        return _confined(page)

    async def redoc_offline_script(request: Request) -> Response:
        return Response(redoc_script(), media_type="text/javascript; charset=utf-8")

    app.add_route(DOCS, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT, oauth2_redirect, include_in_schema=False)
    app.add_route(REDOC, redoc, include_in_schema=False)
    app.add_route(REDOC_SCRIPT, redoc_offline_script, include_in_schema=False)  # before the mount
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")
