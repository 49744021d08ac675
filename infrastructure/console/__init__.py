"""The console at /console: server-rendered pages for compliance officers and auditors, over the
same commands, rules and ledger as the API (docs: README "The console")."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from infrastructure.console import actions, documents, pages
from infrastructure.console.web import PREFIX, ProblemsAsPages

STATIC = "static"


def install_console(app: FastAPI) -> None:
    """Serve the console's pages, forms and static files (vendored htmx, the style sheet); its
    refusals as pages. The app's lifespan opens `app.state.console_sessions`."""
    for module in (pages, actions, documents):
        app.include_router(module.router)
    app.mount(
        f"{PREFIX}/{STATIC}",
        StaticFiles(packages=[("infrastructure.console", STATIC)]),
        name="console-static",
    )
    app.add_middleware(ProblemsAsPages)
