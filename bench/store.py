"""Event-store benchmark: modelgov's application against the bare library and raw inserts.

Run with `make bench` (or `.venv/bin/python bench/store.py --help`). For SQLite (temp files) and
PostgreSQL (a fresh schema `bench_<random>`, dropped at the end) it prints, side by side:

1. commands/s through `Governance` (get model + domain checks + save; one event per command);
2. commands/s through a plain `eventsourcing` Application with a trivial aggregate, over the
   same persistence settings (`library_env`: same module, AES cipher, snapshot interval);
3. single-row inserts/s with the bare driver, one transaction per row (the floor);
4. load time of one model with N events (default 10,000): through the repository with
   snapshots, and by folding every stored event without them.

Then the ratio application/bare library, PASS/MISS against the targets, and peak memory.
`--profile` adds a cProfile breakdown of the application's command loop on SQLite.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import math
import os
import pstats
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application, project_aggregate
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import Aggregate

from application.governance import DEFAULT_SNAPSHOT_INTERVAL, Governance
from domain.model import Model, model_id_for
from domain.values import DIMENSIONS, Attribution
from infrastructure.settings import Settings, get_settings
from infrastructure.store import library_env, open_governance

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
APP_TARGET_RATIO = 0.8  # the application should reach 0.8x the bare library's command rate
LOAD_TARGET_MS = 100.0  # a 10k-event model should load in under 100 ms with snapshots
WARMUP_COMMANDS = 50
RAW_PAYLOAD_BYTES = 400  # about the size of one encrypted, compressed-free TargetSet event
_requests = itertools.count(1)


# --------------------------------------------------------------------------- the two aggregates


class Counter(Aggregate):
    """The bare library's side of the comparison: one event, no checks."""

    def __init__(self) -> None:
        self.count = 0

    class Incremented(Aggregate.Event):
        amount: int

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Counter)
            aggregate.count += self.amount

    def increment(self, amount: int) -> None:
        self.trigger_event(self.Incremented, amount=amount)


class BareApplication(Application[UUID]):
    """A plain library Application, snapshotting at the same interval as Governance."""

    name = "BenchBare"
    snapshotting_intervals = {Counter: DEFAULT_SNAPSHOT_INTERVAL}


def attribution(principal: str = "bench", role: str = "data_scientist") -> Attribution:
    """A fresh attribution per command, as a request to the service would build one."""
    return Attribution(
        principal=principal,
        role=role,
        correlation_id=f"bench-{next(_requests)}",
        effective_at=datetime.now(UTC),
    )


def register(app: Governance, name: str) -> None:
    app.register_model(
        name=name,
        description="Benchmark model",
        owner="Bench",
        business_objective="Measure the event store",
        risk_tier="low",
        stakeholders=[{"name": "Bench", "email": "bench@example.com", "role": "business_owner"}],
        by=attribution(role="ml_engineer"),
    )


def set_target_on(model: Model, i: int) -> None:
    """One TargetSet event; the targets cycle over the dimensions, so the state stays small."""
    model.set_target(
        dimension=DIMENSIONS[i % len(DIMENSIONS)], metric="latency_ms", comparator="<=",
        threshold=float(i), window="last", severity="warning", unit="ms", by=attribution(),
    )


# --------------------------------------------------------------------------- backends


@dataclass
class Backend:
    """One store under test: how to open it, and the raw-insert floor for it."""

    name: str
    settings: Callable[[str], Settings]  # settings for one purpose: "commands", "bare", "replay"
    raw_insert_rate: Callable[[int], float]
    key: str


@dataclass
class Timing:
    median_ms: float
    p95_ms: float

    def __str__(self) -> str:
        return f"{self.median_ms:.1f} / {self.p95_ms:.1f}"


@dataclass
class Figures:
    application_rate: float = 0.0
    library_rate: float = 0.0
    raw_rate: float = 0.0
    replay: dict[str, Timing] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.application_rate / self.library_rate if self.library_rate else 0.0


def progress(backend: str, message: str) -> None:
    print(f"  [{backend}] {message}", flush=True)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def store_settings(url: str, key: str, schema: str = "") -> Settings:
    environ = {"MODELGOV_DATABASE_URL": url, "MODELGOV_CIPHER_KEY": key}
    if schema:
        environ["MODELGOV_PG_SCHEMA"] = schema
    return get_settings(environ)


def postgres_reachable(url: str) -> str | None:
    """None if PostgreSQL answers, else why not."""
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"{error.__class__.__name__}: {str(error).strip().splitlines()[0]}"


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema `bench_<random>`, dropped with everything in it afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


# --------------------------------------------------------------------------- 1-3: command rates


def application_rate(settings: Settings, commands: int) -> float:
    """Commands/s through Governance.set_target: get model, check, record one event, save."""
    app = open_governance(settings)
    try:
        register(app, "bench-commands")
        for i in range(WARMUP_COMMANDS):
            app.set_target("bench-commands", dimension="cost", metric="warmup", comparator="<=",
                           threshold=float(i), by=attribution())
        start = time.perf_counter()
        for i in range(commands):
            app.set_target(
                "bench-commands", dimension=DIMENSIONS[i % len(DIMENSIONS)], metric="latency_ms",
                comparator="<=", threshold=float(i), unit="ms", by=attribution(),
            )
        return rate(commands, time.perf_counter() - start)
    finally:
        app.close()


def library_rate(settings: Settings, key: str, commands: int) -> float:
    """Commands/s through a plain Application: repository.get + trigger one event + save."""
    app = BareApplication(library_env(settings, cipher_key=key))
    try:
        counter = Counter()
        app.save(counter)
        for _ in range(WARMUP_COMMANDS):
            bare_command(app, counter.id)
        start = time.perf_counter()
        for _ in range(commands):
            bare_command(app, counter.id)
        return rate(commands, time.perf_counter() - start)
    finally:
        app.close()


def bare_command(app: BareApplication, counter_id: UUID) -> None:
    counter = app.repository.get(counter_id)
    assert isinstance(counter, Counter)
    counter.increment(1)
    app.save(counter)


_RAW_ID = "8c0d8ec4-0000-4000-8000-000000000001"
_RAW_PAYLOAD = os.urandom(RAW_PAYLOAD_BYTES)


def raw_row(i: int) -> tuple[str, int, str, bytes]:
    return (_RAW_ID, i + 1, "bench/Event", _RAW_PAYLOAD)


def raw_sqlite_rate(path: Path, rows: int) -> float:
    """One row per transaction with sqlite3, in WAL mode like the library's SQLite recorder."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE events (id TEXT, version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (id, version)) WITHOUT ROWID"
        )
        start = time.perf_counter()
        for i in range(rows):
            connection.execute("BEGIN")
            connection.execute("INSERT INTO events VALUES (?, ?, ?, ?)", raw_row(i))
            connection.execute("COMMIT")
        return rate(rows, time.perf_counter() - start)
    finally:
        connection.close()


def raw_postgres_rate(url: str, schema: str, rows: int) -> float:
    """One INSERT and one COMMIT per row with psycopg, prepared as the library prepares them."""
    with psycopg.connect(url) as connection:
        connection.execute(
            f"CREATE TABLE {schema}.raw_events (id uuid, version bigint, topic text, "
            "state bytea, PRIMARY KEY (id, version))"
        )
        connection.commit()
        statement = f"INSERT INTO {schema}.raw_events VALUES (%s, %s, %s, %s)"
        start = time.perf_counter()
        for i in range(rows):
            connection.execute(statement, raw_row(i), prepare=True)
            connection.commit()
        return rate(rows, time.perf_counter() - start)


# --------------------------------------------------------------------------- 4: replay


def build_long_model(app: Governance, name: str, events: int, batch: int = 100) -> UUID:
    """Register a model and bring it to `events` events, saving `batch` events per save."""
    register(app, name)
    version = 1
    while version < events:
        model = app.get_model(name)
        for i in range(min(batch, events - version)):
            set_target_on(model, version + i)
        app.save(model)
        version = model.version
    return model_id_for(name)


def time_calls(call: Callable[[], Any], repeats: int) -> Timing:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return Timing(statistics.median(ordered), p95)


def fold_all_events(app: Governance, model_id: UUID) -> Model:
    """The model from every stored event, ignoring snapshots."""
    model = project_aggregate(None, app.events.get(model_id))
    assert isinstance(model, Model)
    return model


def replay_timings(settings: Settings, events: int, loads: int, backend: str) -> dict[str, Timing]:
    """Load times of one `events`-event model: snapshot + 0 events, + 99 events, no snapshots."""
    app = open_governance(settings)
    try:
        start = time.perf_counter()
        model_id = build_long_model(app, "bench-replay", events)
        progress(backend, f"built a {events:,}-event model in {time.perf_counter() - start:.1f} s")
        interval = settings.snapshot_interval
        worst = events - (events + 1) % interval  # the latest version with interval-1 events
        assert fold_all_events(app, model_id).version == events  # after the latest snapshot
        timings = {"head": time_calls(lambda: app.repository.get(model_id), loads)}
        if worst >= interval:
            timings["worst"] = time_calls(
                lambda: app.repository.get(model_id, version=worst), loads
            )
        timings["none"] = time_calls(lambda: fold_all_events(app, model_id), loads)
        return timings
    finally:
        app.close()


# --------------------------------------------------------------------------- running it


def run_backend(backend: Backend, args: argparse.Namespace) -> Figures:
    figures = Figures()
    name = backend.name
    progress(name, f"application: {args.commands:,} set_target commands ...")
    figures.application_rate = application_rate(backend.settings("commands"), args.commands)
    progress(name, f"application: {figures.application_rate:,.0f} commands/s")
    progress(name, f"bare library: {args.commands:,} commands ...")
    figures.library_rate = library_rate(backend.settings("bare"), backend.key, args.commands)
    progress(name, f"bare library: {figures.library_rate:,.0f} commands/s")
    progress(name, f"raw inserts: {args.commands:,} rows, one transaction each ...")
    figures.raw_rate = backend.raw_insert_rate(args.commands)
    progress(name, f"raw inserts: {figures.raw_rate:,.0f} rows/s")
    progress(name, f"replay: building a {args.replay_events:,}-event model ...")
    replay_settings = backend.settings("replay")
    figures.replay = replay_timings(replay_settings, args.replay_events, args.loads, name)
    for label, timing in figures.replay.items():
        progress(name, f"replay ({label}): median / p95 {timing} ms")
    return figures


def row(label: str, values: list[str]) -> str:
    return f"{label:<46}" + "".join(f"{value:>20}" for value in values)


def print_report(results: dict[str, Figures], args: argparse.Namespace) -> None:
    names = list(results)
    figures = list(results.values())
    n = f"{args.replay_events:,}"
    print()
    print(row("figure", names))
    print(row("-" * 46, ["-" * 18] * len(names)))
    print(row("application commands/s", [f"{f.application_rate:,.0f}" for f in figures]))
    print(row("bare library commands/s", [f"{f.library_rate:,.0f}" for f in figures]))
    print(row("raw single-row inserts/s (floor)", [f"{f.raw_rate:,.0f}" for f in figures]))
    print(row("application / bare library", [f"{f.ratio:.2f}x" for f in figures]))
    print(row("application / raw inserts", [f"{f.application_rate / f.raw_rate:.2f}x"
                                              for f in figures]))
    labels = {
        "head": f"load {n} events, snapshot + 0 (ms med/p95)",
        "worst": f"load {n} events, snapshot + 99 (ms med/p95)",
        "none": f"load {n} events, no snapshot (ms med/p95)",
    }
    for key, label in labels.items():
        print(row(label, [str(f.replay[key]) if key in f.replay else "-" for f in figures]))
    print()
    for name, f in results.items():
        print_targets(name, f)


def print_targets(name: str, figures: Figures) -> None:
    ratio_ok = figures.ratio >= APP_TARGET_RATIO
    print(f"{'PASS' if ratio_ok else 'MISS'} [{name}] application at {figures.ratio:.2f}x "
          f"the bare library (target >= {APP_TARGET_RATIO}x)")
    load = figures.replay.get("worst") or figures.replay["head"]
    load_ok = load.p95_ms < LOAD_TARGET_MS
    print(f"{'PASS' if load_ok else 'MISS'} [{name}] model load with snapshots p95 "
          f"{load.p95_ms:.1f} ms, worst case after the latest snapshot (target < "
          f"{LOAD_TARGET_MS:.0f} ms)")


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# --------------------------------------------------------------------------- --profile

_CATEGORIES = (
    ("modelgov domain (checks, events, apply)", ("/domain/",)),
    ("modelgov application (Governance)", ("/application/",)),
    ("bench script", ("/bench/",)),
    ("eventsourcing library", ("/eventsourcing/",)),
    ("sqlite3 driver", ("sqlite3",)),
    ("cipher (cryptography/AES)", ("cryptography", "AESGCM", "aesgcm")),
    ("json", ("/json/", "_json", "json.")),
    ("copy (deepcopy)", ("/copy.py",)),
    ("uuid / datetime / re", ("/uuid.py", "datetime", "/re/", "_sre", "re.Pattern")),
)


def category_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for name, needles in _CATEGORIES:
        if any(needle in where for needle in needles):
            return name
    return "other (stdlib, builtins)"


def profile_application(settings: Settings, commands: int) -> None:
    """Where the application's command time goes, by own time per area and by call."""
    profiler = cProfile.Profile()
    profiler.enable()
    application_rate(settings, commands)
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    by_area: dict[str, float] = {}
    for (filename, _, function), entry in raw.items():
        area = category_of(filename, function)
        by_area[area] = by_area.get(area, 0.0) + entry[2]
    print(f"\nprofile of {commands:,} application commands (own time by area, {total:.2f} s):")
    for area, seconds in sorted(by_area.items(), key=lambda item: -item[1]):
        print(f"  {100 * seconds / total:5.1f}%  {area}")
    print("cumulative time of the main steps (share of the profiled run):")
    for needle in ("_change", "get_model", "set_target", "check_may", "__post_init__",
                   "trigger_event", "save", "_take_snapshots", "take_snapshot", "put",
                   "to_stored_event", "to_domain_event", "encrypt", "decrypt"):
        matches = [(key, entry) for key, entry in raw.items() if key[2] == needle]
        for (filename, line, function), entry in matches:
            short = "/".join(Path(filename).parts[-2:])
            print(f"  {100 * entry[3] / total:5.1f}%  {function} ({short}:{line}), "
                  f"{entry[1]:,} calls")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=2000,
                        help="commands (and raw inserts) per rate figure (default 2000)")
    parser.add_argument("--replay-events", type=int, default=10_000,
                        help="events in the model whose load time is measured (default 10000)")
    parser.add_argument("--loads", type=int, default=20,
                        help="loads per replay figure, for median and p95 (default 20)")
    parser.add_argument("--skip-postgres", action="store_true", help="run on SQLite only")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL,
                        help=f"PostgreSQL server to use (default {DEFAULT_PG_URL})")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the application's commands on SQLite (cProfile)")
    return parser.parse_args(argv)


def sqlite_backend(workdir: Path, key: str) -> Backend:
    """One file per purpose: the library's SQLite tables are named stored_events whatever the
    application, so Governance and the bare library must not share a file."""
    return Backend(
        name="sqlite",
        settings=lambda purpose: store_settings(f"sqlite:///{workdir / purpose}.db", key),
        raw_insert_rate=lambda rows: raw_sqlite_rate(workdir / "raw.db", rows),
        key=key,
    )


def postgres_backend(url: str, schema: str, key: str) -> Backend:
    """One schema: there the library names tables after the application (modelgov_events...)."""
    return Backend(
        name="postgres",
        settings=lambda purpose: store_settings(url, key, schema),
        raw_insert_rate=lambda rows: raw_postgres_rate(url, schema, rows),
        key=key,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    key = AESCipher.create_key(32)
    started = time.perf_counter()
    print(f"modelgov store benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"{args.commands:,} commands, {args.replay_events:,}-event replay, {args.loads} loads")
    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="modelgov-bench-") as tmp:
        workdir = Path(tmp)
        print("SQLite (temp files):", flush=True)
        results["sqlite"] = run_backend(sqlite_backend(workdir, key), args)
        if args.profile:
            profile_application(sqlite_backend(workdir, key).settings("profile"), args.commands)
    if not args.skip_postgres:
        problem = postgres_reachable(args.pg_url)
        if problem:
            print(f"PostgreSQL is not reachable at {args.pg_url} ({problem}); "
                  "SQLite figures only. Pass --pg-url, or --skip-postgres to silence this.")
        else:
            with postgres_schema(args.pg_url) as schema:
                print(f"PostgreSQL ({args.pg_url}, schema {schema}, dropped afterwards):",
                      flush=True)
                results["postgres"] = run_backend(postgres_backend(args.pg_url, schema, key), args)
    print_report(results, args)
    print(f"\npeak memory (maxrss): {peak_memory_mib():.0f} MiB; "
          f"total time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
