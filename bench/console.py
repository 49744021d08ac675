"""Console benchmark: how long the compliance officer's console pages take over a real `modelgov serve`.

Run with `.venv/bin/python -m bench.console` (`--help` for the flags). For SQLite and PostgreSQL it
builds two stores and, on each, starts `modelgov serve` (sealer, monitoring and the projections'
follower in its process, as `make demo` serves) on a free port of 127.0.0.1:

1. the demo store: seeded by `modelgov demo` itself (six models, four months of history, five days
   of production figures judged, the ledger sealed, the read models caught up);
2. the large store: `--models` models (default 1,000) living realistic lives through the domain
   aggregate (bench/projections.py's `Story`: releases, rollbacks, target reviews, monthly costs,
   breaches, bias flags), about `--events` events in all (default 100,000), one of them with a long
   history (`--long-history` events); then the read models caught up and the ledger sealed, so the
   clock measures a store in its steady state.

It signs in to the console as a compliance officer (the sign-in form, its CSRF cookie, the session
cookie, as a browser does) and requests, in rounds, each page: portfolio, portfolio with filters,
the model page of the model with the longest history, time travel on it (as of one date, compared
with another), queues, reports and ledger; in the same rounds, on the same keep-alive connection,
the baseline: `GET /v1/models/{name}` (the JSON API's read of the same model, from its projection)
and `GET /healthz` (the HTTP stack alone). It prints p50/p95/p99 per page and per store, the size of
each page, the server's peak memory, and PASS/MISS against p95 < 150 ms (demo) and < 300 ms (large).
`--profile` then shows, for each page that missed, where its time goes (cProfile, in this process).

Exit code 1 only if a request failed (a status other than 200, or a page that is not the page
asked for); a MISS alone exits 0.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import random
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from application.governance import Governance
from bench.api import HOST, modelgov_command, running_server, server_environ
from bench.backends import Store, opened, store_apart
from bench.figures import Latencies, Progress, Table, print_profile, profiled, progress
from bench.projections import SAVE_EVERY, Story, new_story
from bench.script import Flag, benchmark_main, positive_int, store_flags
from domain.instants import utc_text
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.ledger.online import open_ledger
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.settings import get_settings

TARGET_P95_MS = {"demo": 150.0, "large": 300.0}
WARMUP_ROUNDS = 3  # rounds of every page before the clock starts, not counted
POOL = 32  # models living at once while the large store fills, so their events interleave
ROLE = "compliance_officer"
QUICK = {"models": 100, "events": 10_000, "long_history": 500, "requests": 20}
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
PROFILE_CALLS = 5  # calls of a missed page under cProfile

# Where a page's time goes, by the file that spends it (the first area that matches wins).
AREAS = (
    ("database driver (sqlite3, psycopg)", ("sqlite3", "psycopg")),
    ("eventsourcing (recorder, mapper, cipher)", ("eventsourcing/", "cryptography/")),
    ("JSON", ("json/", "orjson", "<method 'loads'", "<built-in method _json")),
    ("templates (jinja2, rendering)", ("jinja2/", "markupsafe/", "/templates/", ".j2")),
    ("reports (documents for the page)", ("/reports/",)),
    ("domain (fold, record, history)", ("/domain/",)),
    ("application (views, queues, diff)", ("/application/",)),
    ("console and projections' queries", ("/infrastructure/",)),
)


@dataclass(frozen=True)
class Page:
    """One request of a round: a console page (with the session) or a baseline (with the token,
    or nothing); `shows` is a text the answer must hold."""

    label: str
    path: str
    auth: str  # "session", "token" or "none"
    shows: str = ""

    @property
    def is_console(self) -> bool:
        return self.auth == "session"


@dataclass
class Measured:
    """One store of one size, measured."""

    models: int = 0
    events: int = 0
    long_model: str = ""
    long_events: int = 0
    build_seconds: float = 0.0
    latencies: dict[str, Latencies] = field(default_factory=dict)
    page_bytes: dict[str, int] = field(default_factory=dict)
    server_peak_mib: float = 0.0
    load_average: tuple[float, float] = (0.0, 0.0)  # 1-minute load average, before and after
    failures: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the stores


def seed_demo(store: Store, folder: Path, environ: dict[str, str]) -> None:
    """`modelgov demo` on the store, as `make demo` runs it (its output in demo.log)."""
    log = folder / "demo.log"
    with log.open("wb") as out:
        done = subprocess.run(
            [*modelgov_command(), "demo"], env=server_environ(environ), cwd=folder,
            stdout=out, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"`modelgov demo` exited with {done.returncode}:\n{tail}")
    progress(store.name, f"demo seeded by `modelgov demo` (its output in {log})")


def fill_large(
    app: Governance, *, models: int, events: int, long_history: int, seed: int, name: str
) -> None:
    """`models` models, about `events` events in all: the first lives `long_history` events, the
    others about the same share each (0.4 to 1.6 times it); POOL of them at once, interleaved."""
    rng = random.Random(seed)
    share = max(10, (events - long_history) // max(1, models - 1))
    budgets = [long_history] + [round(share * rng.uniform(0.4, 1.6)) for _ in range(models - 1)]
    clock = datetime.fromisoformat("2023-01-02T08:00:00+00:00")
    pool: list[tuple[Story, int, int]] = []  # (story, budget, steps left)
    dirty: dict[str, Story] = {}
    registered = recorded = pending = 0
    filled = Progress(name, "filled", sum(budgets), unit=" events (about)")
    while registered < models or pool:
        while len(pool) < POOL and registered < models:
            story = new_story(registered, clock, rng)
            budget = budgets[registered]
            pool.append((story, budget, 4 * budget + 50))  # a model refused every step leaves
            registered += 1
            dirty[story.model.name] = story
            pending += story.model.version
        index = rng.randrange(len(pool))
        story, budget, steps = pool[index]
        story.clock.now = max(story.clock.now, clock)
        before = story.model.version
        story.step()
        clock = story.clock.now
        if story.model.version > before:
            pending += story.model.version - before
            dirty[story.model.name] = story
        pool[index] = (story, budget, steps - 1)
        if story.model.version >= budget or steps <= 1:
            pool.pop(index)
        if pending >= SAVE_EVERY or not pool:
            app.save(*(story.model for story in dirty.values()))
            dirty.clear()
            recorded, pending = recorded + pending, 0
            filled.done(recorded, f", {registered:,} models")


def steady_state(store: Store, settings_env: dict[str, str], governance: Governance) -> None:
    """The monitoring caught up (it reacts to every cost report and breach written: the large
    store's history was written without it), then the read models and every event sealed, before
    the server starts: the clock then measures pages, not the server's workers catching up on a
    store just written (a server started on a backlog shares its one interpreter with them)."""
    settings = get_settings(settings_env)
    sql = SqlRunner(settings.database)
    try:
        monitor = MonitorRunner(governance, sql)
        quiet = logging.getLogger("modelgov.monitoring")
        level, quiet.level = quiet.level, logging.ERROR  # one warning per refusal: counted below
        try:
            reacted = monitor.catch_up()
        finally:
            quiet.setLevel(level)
        progress(
            store.name,
            f"monitoring: {reacted:,} events reacted to, {len(monitor.totals.breaches_opened):,} "
            f"breaches opened, {len(monitor.totals.refused):,} judgements refused",
        )
        runner = ProjectionRunner(governance, sql, default_projections())
        applied = runner.catch_up()
        runner.close()
        progress(store.name, f"read models: {applied:,} event applications")
        sealed = open_ledger(settings, governance).sealer().seal_all()
        progress(store.name, f"ledger: {sealed:,} events sealed")
    finally:
        sql.close()


def compliance_token(settings_env: dict[str, str]) -> str:
    sql = SqlRunner(get_settings(settings_env).database)
    try:
        return TokenStore(sql).create(principal="bench-compliance", role=ROLE)
    finally:
        sql.close()


def longest_history(governance: Governance) -> tuple[int, str, int]:
    """(models, the name of the model with the most events, its events)."""
    names = governance.registered_model_names()
    sizes = {name: governance.get_model(name).version for name in names}
    name = max(sizes, key=lambda n: (sizes[n], n))
    return len(names), name, sizes[name]


def count_events(governance: Governance) -> int:
    return governance.recorder.max_notification_id() or 0


# --------------------------------------------------------------------------- the pages


def pages_for(governance: Governance, name: str) -> list[Page]:
    """The console's pages on this store, then the baselines. Time travel: the long model as of
    three quarters of its (effective) history, compared with a quarter of it."""
    events = governance.model_events(name)
    first = min(event.effective_at for event in events)
    last = max(event.effective_at for event in events)
    span = last - first

    def at(share: float) -> str:
        moment = first + timedelta(seconds=span.total_seconds() * share)
        return utc_text(moment.replace(microsecond=0))

    model = quote(name, safe="")
    as_of = urlencode({"at": at(0.75), "compare": at(0.25)})
    return [
        Page("portfolio", "/console/portfolio", "session", "<h1>Portfolio"),
        Page("portfolio, filtered (tier, status)",
             "/console/portfolio?tier=high&status=active", "session", "Portfolio"),
        Page("model page (longest history)", f"/console/models/{model}", "session", name),
        Page("time travel (as of, compared)", f"/console/models/{model}/as-of?{as_of}",
             "session", name),
        Page("queues", "/console/queues", "session", "<h1>Queues"),
        Page("reports", "/console/reports", "session", "<h1>Reports"),
        Page("ledger", "/console/ledger", "session", "<h1>Ledger"),
        Page("baseline: GET /v1/models/{name} (JSON API)", f"/v1/models/{model}", "token", name),
        Page("baseline: GET /healthz (HTTP stack alone)", "/healthz", "none"),
    ]  # fmt: skip


class Browser:
    """One keep-alive connection, signed in to the console as a browser is (the sign-in form's
    CSRF cookie, then the session cookie)."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        self.token = token
        self.session = ""

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes, http.client.HTTPMessage]:
        self.connection.request("GET", path, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read(), response.headers

    def sign_in(self) -> None:
        status, body, headers = self.get("/console/login", {})
        found = _CSRF.search(body.decode())
        login = cookies(headers).get("modelgov_login")
        if status != 200 or found is None or login is None:
            raise RuntimeError(f"GET /console/login: {status}, no sign-in form or CSRF cookie")
        form = urlencode({"csrf": found.group(1), "token": self.token, "next": "/console/queues"})
        self.connection.request(
            "POST", "/console/login", body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Cookie": f"modelgov_login={login}"},
        )  # fmt: skip
        response = self.connection.getresponse()
        response.read()
        session = cookies(response.headers).get("modelgov_session")
        if response.status != 303 or not session:
            raise RuntimeError(f"POST /console/login: {response.status}, no session cookie")
        self.session = session

    def headers_for(self, page: Page) -> dict[str, str]:
        if page.auth == "session":
            return {"Cookie": f"modelgov_session={self.session}"}
        if page.auth == "token":
            return {"Authorization": f"Bearer {self.token}"}
        return {}

    def close(self) -> None:
        self.connection.close()


def cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in headers.get_all("set-cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def measure(browser: Browser, pages: list[Page], rounds: int, into: Measured) -> None:
    """`rounds` rounds of every page in turn (after WARMUP_ROUNDS not counted), so that the
    machine's load falls on every page and on the baselines alike."""
    for page in pages:
        into.latencies[page.label] = Latencies()
    for round_number in range(-WARMUP_ROUNDS, rounds):
        for page in pages:
            started = time.perf_counter()
            status, body, _ = browser.get(page.path, browser.headers_for(page))
            elapsed = (time.perf_counter() - started) * 1000
            if round_number >= 0:
                into.latencies[page.label].ms.append(elapsed)
            into.page_bytes[page.label] = len(body)
            if status != 200 or (page.shows and page.shows.encode() not in body):
                into.failures.append(
                    f"GET {page.path}: {status}, {body[:200].decode(errors='replace')!r}"
                )


def server_peak_mib(pid: int) -> float:
    """The server process's peak resident memory (VmHWM), 0 where /proc is missing."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure_served(
    store: Store, settings_env: dict[str, str], folder: Path, pages: list[Page], rounds: int,
    into: Measured,
) -> None:  # fmt: skip
    token = compliance_token(settings_env)
    with running_server(settings_env, folder) as server:
        browser = Browser(server.port, token)
        try:
            browser.sign_in()
            into.load_average = (os.getloadavg()[0], 0.0)
            measure(browser, pages, rounds, into)
            into.load_average = (into.load_average[0], os.getloadavg()[0])
        finally:
            browser.close()
        into.server_peak_mib = server_peak_mib(server.process.pid)
    for page in pages:
        progress(store.name, f"{page.label}: p50/p95/p99 ms {into.latencies[page.label]}")


# --------------------------------------------------------------------------- profiling a missed page


def profile_pages(settings_env: dict[str, str], pages: list[Page], token: str) -> None:
    """Each page, PROFILE_CALLS times under cProfile, its route called in this process (the server
    runs a sync route in a worker thread, where cProfile does not follow)."""
    from fastapi.testclient import TestClient
    from starlette.requests import Request

    from infrastructure.api.app import create_app
    from infrastructure.console.web import Viewer

    app = create_app(get_settings(settings_env), project=False)
    with TestClient(app):
        opened_session = app.state.console_sessions.open(token)
        assert opened_session is not None
        viewer = Viewer(opened_session[1])
        for page in pages:
            path, _, query = page.path.partition("?")
            request = Request({
                "type": "http", "app": app, "method": "GET", "path": path, "root_path": "",
                "query_string": query.encode(), "headers": [], "scheme": "http",
                "server": (HOST, 80),
            })  # fmt: skip
            call = route_call(page, request, viewer)
            functions = profiled(lambda: [call() for _ in range(PROFILE_CALLS)])  # noqa: B023
            print_profile(functions, AREAS, title=f"{page.label}, {PROFILE_CALLS} calls")


def route_call(page: Page, request: Any, viewer: Any) -> Callable[[], object]:
    """The console route behind `page`, as a call with its query's values."""
    from urllib.parse import parse_qs, unquote

    from infrastructure.console import documents, pages

    path, _, query = page.path.partition("?")
    params = {key: values[-1] for key, values in parse_qs(query).items()}
    parts = path.split("/")
    if path.startswith("/console/models/") and path.endswith("/as-of"):
        return lambda: pages.time_travel(
            request, unquote(parts[3]), viewer, at=params.get("at", ""),
            compare=params.get("compare", ""), timeline="world",
        )  # fmt: skip
    if path.startswith("/console/models/"):
        return lambda: pages.model(request, unquote(parts[3]), viewer)
    routes: dict[str, Callable[[], object]] = {
        "/console/portfolio": lambda: pages.portfolio(
            request,
            viewer,
            tier=params.get("tier", ""),
            owner="",
            status=params.get("status", ""),
            after=None,
        ),
        "/console/queues": lambda: pages.queues(request, viewer, after=None),
        "/console/reports": lambda: documents.reports_page(request, viewer),
        "/console/ledger": lambda: documents.ledger_page(request, viewer),
    }
    return routes[path]


# --------------------------------------------------------------------------- a store, two sizes


def run_store(store: Store, args: argparse.Namespace) -> dict[str, Measured]:
    results = {"demo": run_demo(store, args)}
    if not args.skip_large:
        with store_apart(store, "large") as large:
            results["large"] = run_large(large, args)
    return results


def run_demo(store: Store, args: argparse.Namespace) -> Measured:
    folder = store.workdir / f"{store.name}-demo"
    folder.mkdir()
    environ = store.environ(
        tag="demo", extra={"MODELGOV_SIGNING_KEY_FILE": str(folder / "modelgov.signing.key")}
    )
    measured = Measured()
    started = time.perf_counter()
    seed_demo(store, folder, environ)
    measured.build_seconds = time.perf_counter() - started
    return measure_store(store, environ, folder, args, measured)


def run_large(store: Store, args: argparse.Namespace) -> Measured:
    folder = store.workdir / f"{store.name}-large"
    folder.mkdir(exist_ok=True)
    environ = store.environ(tag="large", extra=store.signing_key("large"))
    measured = Measured()
    started = time.perf_counter()
    with opened(get_settings(environ)) as governance:
        progress(store.name, f"large store: {args.models:,} models, about {args.events:,} events")
        fill_large(
            governance, models=args.models, events=args.events, long_history=args.long_history,
            seed=args.seed, name=store.name,
        )  # fmt: skip
        steady_state(store, environ, governance)
    measured.build_seconds = time.perf_counter() - started
    return measure_store(store, environ, folder, args, measured)


def measure_store(
    store: Store, environ: dict[str, str], folder: Path, args: argparse.Namespace,
    measured: Measured,
) -> Measured:  # fmt: skip
    with opened(get_settings(environ)) as governance:
        measured.models, measured.long_model, measured.long_events = longest_history(governance)
        measured.events = count_events(governance)
        pages = pages_for(governance, measured.long_model)
    progress(
        store.name,
        f"{measured.models:,} models, {measured.events:,} events, the longest history "
        f"{measured.long_model} ({measured.long_events:,} events); built in "
        f"{measured.build_seconds:.0f} s; measuring {args.requests} rounds of {len(pages)} requests",
    )
    measure_served(store, environ, folder, pages, args.requests, measured)
    if args.profile:
        target = TARGET_P95_MS["large" if "large" in folder.name else "demo"]
        missed = [
            page for page in pages
            if page.is_console and measured.latencies[page.label].pct(0.95) >= target
        ]  # fmt: skip
        if missed:
            progress(store.name, f"profiling {len(missed)} page(s) that missed {target:.0f} ms")
            profile_pages(environ, missed, compliance_token(environ))
    return measured


# --------------------------------------------------------------------------- the report


def flattened(results: dict[str, dict[str, Measured]]) -> dict[str, Measured]:
    return {
        f"{store} {size}": measured
        for store, sizes in results.items()
        for size, measured in sizes.items()
    }


def report(results: dict[str, dict[str, Measured]], args: argparse.Namespace) -> list[str]:
    columns = flattened(results)
    if not columns:
        return ["no store was measured"]
    table = Table(columns, label_width=46, value_width=26)
    table.heading("p50 / p95 / p99 ms")
    labels = list(next(iter(columns.values())).latencies)
    for label in labels:
        table.line_for(label, label, lambda m, key: m.latencies[key].summary())
    table.heading("context")
    table.line("models", lambda m: f"{m.models:,}")
    table.line("events", lambda m: f"{m.events:,}")
    table.line("the longest history, events", lambda m: f"{m.long_events:,}")
    for label in labels[:7]:
        table.line_for(f"size: {label[:38]}, KB", label, lambda m, key: f"{m.page_bytes[key] / 1024:,.0f}")  # fmt: skip
    table.line("server's peak memory (VmHWM), MiB", lambda m: f"{m.server_peak_mib:,.0f}")
    table.line("load average (1 min) before / after", lambda m: "{:.1f} / {:.1f}".format(*m.load_average))  # fmt: skip
    table.line("store built in, s", lambda m: f"{m.build_seconds:,.0f}")
    print()
    for column, measured in columns.items():
        size = column.rsplit(" ", 1)[1]
        target = TARGET_P95_MS[size]
        for label, latencies in measured.latencies.items():
            if label.startswith("baseline"):
                continue
            p95 = latencies.pct(0.95)
            verdict = "PASS" if p95 < target else "MISS"
            print(f"{verdict} {column}: {label}: p95 {p95:,.1f} ms (target < {target:.0f} ms)")
    return [f"{column}: {line}" for column, m in columns.items() for line in m.failures]


def check(args: argparse.Namespace) -> str | None:
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    if args.models < 2:
        return "--models must be at least 2"
    if args.long_history >= args.events:
        return "--long-history must be less than --events"
    return None


main = benchmark_main(
    title="console benchmark",
    doc=__doc__,
    flags=(
        Flag(
            "--requests",
            type=positive_int,
            default=50,
            help="timed rounds: requests per page and per store (default 50)",
        ),
        Flag(
            "--models",
            type=positive_int,
            default=1000,
            help="models in the large store (default 1000)",
        ),
        Flag(
            "--events",
            type=positive_int,
            default=100_000,
            help="events in the large store, about (default 100000)",
        ),
        Flag(
            "--long-history",
            type=positive_int,
            default=1000,
            help="events of the large store's longest-lived model, whose model page and time "
            "travel are measured (default 1000)",
        ),
        Flag(
            "--quick",
            switch=True,
            help="a short run: 100 models, 10000 events, a 500-event history, 20 rounds",
        ),
        Flag("--skip-large", switch=True, help="measure the demo store only"),
        Flag("--seed", type=int, default=14, help="random seed of the large store (default 14)"),
        Flag(
            "--profile",
            switch=True,
            help="profile (cProfile, in this process) every console page that missed its target",
        ),
        *store_flags(),
    ),
    run=run_store,
    report=report,
    check=check,
)


if __name__ == "__main__":
    raise SystemExit(main())
