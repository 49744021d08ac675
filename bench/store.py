"""Event-store benchmark: modelgov's application against the bare library and raw inserts.

Run with `make bench` (or `.venv/bin/python bench/store.py --help`). For SQLite (temp files) and
PostgreSQL (a fresh schema `bench_<random>`, dropped at the end) it prints, side by side:

1. commands/s through `Governance` (get model + domain checks + save; one event per command);
2. commands/s through a plain `eventsourcing` Application with a trivial aggregate, over the
   same persistence settings (`library_env`: same module, AES cipher, snapshot interval),
   and, for context, the same with an event carrying TargetSet's fields (`Mirror`);
   these run in alternating blocks of 100 commands, so background load hits all alike;
3. single-row inserts/s with the bare driver, one transaction per row (the floor);
4. load time of one model with N events (default 10,000): through the repository with
   snapshots, and by folding every stored event without them.

Then the ratio application/bare library, PASS/MISS against the targets, and peak memory.
`--profile` adds, per backend, a cProfile breakdown of a command's time by area (our domain,
the library, json, driver...), application next to bare library.
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
from typing import Any, cast
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
RAW_PAYLOAD_BYTES = 650  # about the stored size of one encrypted TargetSet event
_requests = itertools.count(1)


# --------------------------------------------------------------------------- bare aggregates


class Counter(Aggregate):
    """The bare library's side of the comparison: one event, no checks."""

    def __init__(self) -> None:
        self.count = 0

    class Incremented(Aggregate.Event):
        amount: int

        def apply(self, aggregate: Counter) -> None:
            aggregate.count += self.amount

    def increment(self, amount: int) -> None:
        self.trigger_event(self.Incremented, amount=amount)


class Mirror(Aggregate):
    """The bare library with an event as big as modelgov's TargetSet (same fields, same values),
    but none of modelgov's code: it tells event size apart from our checks and application."""

    def __init__(self) -> None:
        self.targets: dict[str, dict[str, Any]] = {}

    class TargetSet(Aggregate.Event):
        actor: str
        role: str
        reason: str
        correlation_id: str
        effective_at: datetime
        dimension: str
        metric: str
        comparator: str
        threshold: float
        window: str
        severity: str
        unit: str
        previous: dict[str, Any] | None
        revision: int

        def apply(self, aggregate: Mirror) -> None:
            aggregate.targets[self.dimension] = {
                "dimension": self.dimension,
                "metric": self.metric,
                "comparator": self.comparator,
                "threshold": self.threshold,
                "window": self.window,
                "severity": self.severity,
                "unit": self.unit,
                "set_by": self.actor,
                "effective_at": self.effective_at,
            }

    def set_target(self, i: int, by: Attribution) -> None:
        dimension = DIMENSIONS[i % len(DIMENSIONS)]
        self.trigger_event(
            self.TargetSet,
            actor=by.principal,
            role=by.role,
            reason=by.reason,
            correlation_id=by.correlation_id,
            effective_at=by.effective_at,
            dimension=dimension,
            metric="latency_ms",
            comparator="<=",
            threshold=float(i),
            window="last",
            severity="warning",
            unit="ms",
            previous=self.targets.get(dimension),
            revision=i,
        )


class BareApplication(Application[UUID]):
    """A plain library Application; it snapshots at the same interval as Governance."""

    name = "BenchBare"
    is_snapshotting_enabled = True  # the snapshot store; the intervals are set per instance

    def __init__(self, env: dict[str, str], *, aggregate: type[Aggregate], interval: int) -> None:
        # As Governance does it: the library reads the intervals from the instance.
        self.snapshotting_intervals = {aggregate: interval}  # type: ignore[misc]
        super().__init__(env)
        if self.snapshots is None:
            raise RuntimeError("the bare library must snapshot, as Governance does")


class MirrorApplication(BareApplication):
    name = "BenchMirror"  # its own tables on PostgreSQL


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
        dimension=DIMENSIONS[i % len(DIMENSIONS)],
        metric="latency_ms",
        comparator="<=",
        threshold=float(i),
        window="last",
        severity="warning",
        unit="ms",
        by=attribution(),
    )


# --------------------------------------------------------------------------- backends


@dataclass
class Backend:
    """One store under test: how to open it, and the raw-insert floor for it."""

    name: str
    settings: Callable[[str], Settings]  # settings for one purpose: "commands", "replay"...
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
    mirror_rate: float = 0.0
    raw_rate: float = 0.0
    replay: dict[str, Timing] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.application_rate / self.library_rate if self.library_rate else 0.0

    @property
    def mirror_ratio(self) -> float:
        return self.application_rate / self.mirror_rate if self.mirror_rate else 0.0


def progress(backend: str, message: str) -> None:
    print(f"  [{backend}] {message}", flush=True)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def store_settings(url: str, key: str, interval: int, schema: str = "") -> Settings:
    environ = {
        "MODELGOV_DATABASE_URL": url,
        "MODELGOV_CIPHER_KEY": key,
        "MODELGOV_SNAPSHOT_INTERVAL": str(interval),
    }
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


Command = Callable[[int], None]  # the i-th command of a run


@contextmanager
def governance_commands(settings: Settings) -> Iterator[Command]:
    """Governance.set_target on one model: get model, check, record one event, save."""
    app = open_governance(settings)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    register(app, name)

    def command(i: int) -> None:
        app.set_target(
            name,
            dimension=DIMENSIONS[i % len(DIMENSIONS)],
            metric="latency_ms",
            comparator="<=",
            threshold=float(i),
            unit="ms",
            by=attribution(),
        )

    try:
        yield command
    finally:
        app.close()


@contextmanager
def bare_library_commands(settings: Settings, key: str) -> Iterator[Command]:
    """A plain Application: repository.get + trigger one event + save, same env as Governance."""
    env = library_env(settings, cipher_key=key)
    app = BareApplication(env, aggregate=Counter, interval=settings.snapshot_interval)
    created = Counter()
    app.save(created)
    counter_id = created.id

    def command(_: int) -> None:
        counter: Counter = app.repository.get(counter_id)
        counter.increment(1)
        app.save(counter)

    try:
        yield command
    finally:
        app.close()


@contextmanager
def mirror_commands(settings: Settings, key: str) -> Iterator[Command]:
    """As bare_library_commands, with Mirror's TargetSet-sized event instead of Counter's."""
    env = library_env(settings, cipher_key=key)
    app = MirrorApplication(env, aggregate=Mirror, interval=settings.snapshot_interval)
    created = Mirror()
    app.save(created)
    mirror_id = created.id

    def command(i: int) -> None:
        mirror: Mirror = app.repository.get(mirror_id)
        mirror.set_target(i, attribution())
        app.save(mirror)

    try:
        yield command
    finally:
        app.close()


def run_commands(command: Command, first: int, count: int) -> float:
    """Seconds to run commands first .. first+count-1."""
    start = time.perf_counter()
    for i in range(first, first + count):
        command(i)
    return time.perf_counter() - start


def interleaved_rates(
    commands: dict[str, Command], total: int, block: int = 100
) -> dict[str, float]:
    """Commands/s of each runner, run in alternating blocks so background load hits all alike."""
    for command in commands.values():
        run_commands(command, -WARMUP_COMMANDS, WARMUP_COMMANDS)
    elapsed = dict.fromkeys(commands, 0.0)
    for first in range(0, total, block):
        for label, command in commands.items():
            elapsed[label] += run_commands(command, first, min(block, total - first))
    return {label: rate(total, seconds) for label, seconds in elapsed.items()}


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
    return cast(Model, project_aggregate(None, app.events.get(model_id)))


def replay_timings(settings: Settings, events: int, loads: int, backend: str) -> dict[str, Timing]:
    """Load times of one `events`-event model: from the latest snapshot (+0 events), from a
    snapshot + interval-1 events (the worst case), and from all events without snapshots."""
    app = open_governance(settings)
    try:
        start = time.perf_counter()
        model_id = build_long_model(app, "bench-replay", events)
        progress(backend, f"built a {events:,}-event model in {time.perf_counter() - start:.1f} s")
        interval = settings.snapshot_interval
        # The latest version that lies interval-1 events after a snapshot: 9,999 for 10,000.
        worst = events - (events + 1) % interval
        if fold_all_events(app, model_id).version != events:
            raise RuntimeError(f"the replay model should have {events} events")
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


def measure_command_rates(backend: Backend, commands: int, figures: Figures) -> None:
    """Figures 1 and 2, and the bare library with a TargetSet-sized event, interleaved."""
    progress(
        backend.name,
        f"{commands:,} commands each through the application, the bare library and the bare "
        "library with a TargetSet-sized event, alternating blocks of 100 ...",
    )
    with (
        governance_commands(backend.settings("commands")) as app,
        bare_library_commands(backend.settings("bare"), backend.key) as bare,
        mirror_commands(backend.settings("mirror"), backend.key) as mirror,
    ):
        rates = interleaved_rates({"app": app, "bare": bare, "mirror": mirror}, commands)
    figures.application_rate = rates["app"]
    figures.library_rate = rates["bare"]
    figures.mirror_rate = rates["mirror"]
    progress(
        backend.name,
        f"commands/s: application {rates['app']:,.0f}, bare library {rates['bare']:,.0f}, "
        f"bare library with a TargetSet-sized event {rates['mirror']:,.0f}",
    )


def run_backend(backend: Backend, args: argparse.Namespace) -> Figures:
    figures = Figures()
    name = backend.name
    measure_command_rates(backend, args.commands, figures)
    progress(name, f"raw inserts: {args.commands:,} rows, one transaction each ...")
    figures.raw_rate = backend.raw_insert_rate(args.commands)
    progress(name, f"raw inserts: {figures.raw_rate:,.0f} rows/s")
    progress(name, f"replay: building a {args.replay_events:,}-event model ...")
    replay_settings = backend.settings("replay")
    figures.replay = replay_timings(replay_settings, args.replay_events, args.loads, name)
    for label, timing in figures.replay.items():
        progress(name, f"replay ({label}): median / p95 {timing} ms")
    if args.profile:
        progress(name, "profiling the application and the bare library ...")
        profile_backend(backend, min(args.commands, 1000))
    return figures


def row(label: str, values: list[str]) -> str:
    return f"{label:<50}" + "".join(f"{value:>20}" for value in values)


def print_report(results: dict[str, Figures], args: argparse.Namespace) -> None:
    names = list(results)
    figures = list(results.values())
    n = f"{args.replay_events:,}"
    print()
    print(row("figure", names))
    print(row("-" * 50, ["-" * 18] * len(names)))
    print(row("application commands/s", [f"{f.application_rate:,.0f}" for f in figures]))
    print(row("bare library commands/s", [f"{f.library_rate:,.0f}" for f in figures]))
    print(
        row(
            "bare library, TargetSet-sized event, commands/s",
            [f"{f.mirror_rate:,.0f}" for f in figures],
        )
    )
    print(row("raw single-row inserts/s (floor)", [f"{f.raw_rate:,.0f}" for f in figures]))
    print(row("application / bare library", [f"{f.ratio:.2f}x" for f in figures]))
    print(
        row(
            "application / bare library, TargetSet-sized",
            [f"{f.mirror_ratio:.2f}x" for f in figures],
        )
    )
    print(
        row(
            "application / raw inserts",
            [f"{f.application_rate / f.raw_rate:.2f}x" for f in figures],
        )
    )
    labels = {
        "head": f"load {n} events, snapshot + 0 (ms med/p95)",
        "worst": f"load {n} events, snapshot + {args.snapshot_interval - 1} (ms med/p95)",
        "none": f"load {n} events, no snapshot (ms med/p95)",
    }
    for key, label in labels.items():
        print(row(label, [str(f.replay[key]) if key in f.replay else "-" for f in figures]))
    print()
    for name, f in results.items():
        print_targets(name, f)


def print_targets(name: str, figures: Figures) -> None:
    ratio_ok = figures.ratio >= APP_TARGET_RATIO
    print(
        f"{'PASS' if ratio_ok else 'MISS'} [{name}] application at {figures.ratio:.3f}x "
        f"the bare library (target >= {APP_TARGET_RATIO}x)"
    )
    load = figures.replay.get("worst") or figures.replay["head"]
    load_ok = load.p95_ms < LOAD_TARGET_MS
    print(
        f"{'PASS' if load_ok else 'MISS'} [{name}] model load with snapshots p95 "
        f"{load.p95_ms:.1f} ms, worst case after the latest snapshot (target < "
        f"{LOAD_TARGET_MS:.0f} ms)"
    )


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# --------------------------------------------------------------------------- --profile

_AREAS = (
    ("modelgov domain (checks, events, apply)", ("/domain/",)),
    ("modelgov application (Governance)", ("/application/",)),
    ("bench script (attributions, Counter)", ("/bench/",)),
    ("eventsourcing library (Python code)", ("/eventsourcing/",)),
    ("typing: runtime Protocol isinstance checks", ("/typing.py",)),
    ("json encode/decode", ("/json/", "_json")),
    ("cipher (AES-GCM)", ("cryptography", "AESGCM")),
    ("database driver (sqlite3 / psycopg)", ("sqlite3", "psycopg")),
    ("uuid / datetime / re", ("/uuid.py", "datetime", "/re/", "_sre", "re.Pattern")),
)
_OTHER_AREA = "other stdlib and builtins"

# (label, (path part, function) for the application, the same for the bare library)
_RECONSTRUCT = ("eventsourcing/application.py", "_reconstruct_aggregate")
_SAVE = ("eventsourcing/application.py", "save")
_STEPS = (
    ("load: snapshot + events since", _RECONSTRUCT, _RECONSTRUCT),
    (
        "command: checks + trigger event",
        ("domain/model.py", "set_target"),
        ("bench/store.py", "increment"),
    ),
    ("save: insert (+ snapshot)", _SAVE, _SAVE),
)

Stats = dict[tuple[str, int, str], tuple[int, int, float, float, Any]]


def profiled(run: Callable[[], object]) -> Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    return pstats.Stats(profiler).stats  # type: ignore[attr-defined]


def area_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for area, needles in _AREAS:
        if any(needle in where for needle in needles):
            return area
    return _OTHER_AREA


def own_time_by_area(stats: Stats) -> dict[str, float]:
    areas = dict.fromkeys([area for area, _ in _AREAS] + [_OTHER_AREA], 0.0)
    for (filename, _, function), (_, _, own, _, _) in stats.items():
        areas[area_of(filename, function)] += own
    return areas


def cumulative(stats: Stats, path_part: str, function: str) -> float:
    return max(
        (
            entry[3]
            for (filename, _, name), entry in stats.items()
            if name == function and path_part in filename
        ),
        default=0.0,
    )


def calls_of(stats: Stats, function: str) -> int:
    return sum(entry[1] for (_, _, name), entry in stats.items() if name == function)


def profile_backend(backend: Backend, commands: int) -> None:
    """Milliseconds per command by area, application next to bare library (under cProfile)."""
    with governance_commands(backend.settings("profile-app")) as command:
        run_commands(command, -WARMUP_COMMANDS, WARMUP_COMMANDS)
        app = profiled(lambda: run_commands(command, 0, commands))
    with bare_library_commands(backend.settings("profile-bare"), backend.key) as command:
        run_commands(command, -WARMUP_COMMANDS, WARMUP_COMMANDS)
        bare = profiled(lambda: run_commands(command, 0, commands))
    runs = commands  # per-command figures below
    app_areas, bare_areas = own_time_by_area(app), own_time_by_area(bare)
    print(
        f"\n  profile [{backend.name}], {commands:,} commands each, ms per command under cProfile"
    )
    print(f"  {'':<46}{'application':>14}{'bare library':>14}{'difference':>14}")
    for area in app_areas:
        a, b = 1000 * app_areas[area] / runs, 1000 * bare_areas[area] / runs
        print(f"  {area:<46}{a:>14.3f}{b:>14.3f}{a - b:>+14.3f}")
    a, b = 1000 * sum(app_areas.values()) / runs, 1000 * sum(bare_areas.values()) / runs
    print(f"  {'total':<46}{a:>14.3f}{b:>14.3f}{a - b:>+14.3f}")
    for label, app_step, bare_step in _STEPS:
        a, b = 1000 * cumulative(app, *app_step) / runs, 1000 * cumulative(bare, *bare_step) / runs
        print(f"  {'  of which ' + label:<46}{a:>14.3f}{b:>14.3f}{a - b:>+14.3f}")
    a, b = calls_of(app, "to_domain_event") / runs, calls_of(bare, "to_domain_event") / runs
    print(f"  {'events + snapshots decoded per command':<46}{a:>14.1f}{b:>14.1f}")


# --------------------------------------------------------------------------- main


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more; got {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--commands",
        type=positive_int,
        default=2000,
        help="commands (and raw inserts) per rate figure (default 2000)",
    )
    parser.add_argument(
        "--replay-events",
        type=positive_int,
        default=10_000,
        help="events in the model whose load time is measured (default 10000)",
    )
    parser.add_argument(
        "--loads",
        type=positive_int,
        default=20,
        help="loads per replay figure, for median and p95 (default 20)",
    )
    parser.add_argument("--skip-postgres", action="store_true", help="run on SQLite only")
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help=f"PostgreSQL server to use (default {DEFAULT_PG_URL})",
    )
    parser.add_argument(
        "--snapshot-interval",
        type=positive_int,
        default=DEFAULT_SNAPSHOT_INTERVAL,
        help="snapshot every N events, for both applications (default "
        f"{DEFAULT_SNAPSHOT_INTERVAL}, Governance's default)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile the application and the bare library (cProfile, "
        "at most 1000 commands each) and print where the time goes",
    )
    return parser.parse_args(argv)


def sqlite_backend(workdir: Path, key: str, interval: int) -> Backend:
    """One file per purpose: the library's SQLite tables are named stored_events whatever the
    application, so Governance and the bare library must not share a file."""
    return Backend(
        name="sqlite",
        settings=lambda purpose: store_settings(f"sqlite:///{workdir / purpose}.db", key, interval),
        raw_insert_rate=lambda rows: raw_sqlite_rate(workdir / "raw.db", rows),
        key=key,
    )


def postgres_backend(url: str, schema: str, key: str, interval: int) -> Backend:
    """One schema: there the library names tables after the application (modelgov_events...)."""
    return Backend(
        name="postgres",
        settings=lambda purpose: store_settings(url, key, interval, schema),
        raw_insert_rate=lambda rows: raw_postgres_rate(url, schema, rows),
        key=key,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    key = AESCipher.create_key(32)
    started = time.perf_counter()
    print(
        f"modelgov store benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"{args.commands:,} commands, {args.replay_events:,}-event replay, {args.loads} loads, "
        f"snapshot interval {args.snapshot_interval}"
    )
    with_postgres = not args.skip_postgres and check_postgres(args.pg_url)
    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="modelgov-bench-") as tmp:
        print("SQLite (temp files):", flush=True)
        backend = sqlite_backend(Path(tmp), key, args.snapshot_interval)
        results["sqlite"] = run_backend(backend, args)
    if with_postgres:
        with postgres_schema(args.pg_url) as schema:
            print(f"PostgreSQL ({args.pg_url}, schema {schema}, dropped afterwards):", flush=True)
            backend = postgres_backend(args.pg_url, schema, key, args.snapshot_interval)
            results["postgres"] = run_backend(backend, args)
    print_report(results, args)
    print(
        f"\npeak memory (maxrss): {peak_memory_mib():.0f} MiB; "
        f"total time {time.perf_counter() - started:.0f} s"
    )
    return 0


def check_postgres(url: str) -> bool:
    problem = postgres_reachable(url)
    if problem:
        print(
            f"PostgreSQL is not reachable at {url} ({problem}).\n"
            "Running on SQLite only. Pass --pg-url to point at a server, or --skip-postgres.",
            flush=True,
        )
    return problem is None


if __name__ == "__main__":
    sys.exit(main())
