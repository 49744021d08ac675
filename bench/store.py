"""Event-store benchmark: modelgov's application against the bare library and raw inserts.

Run with `make bench` (or `.venv/bin/python -m bench.store --help`). For SQLite (temp files) and
PostgreSQL (a fresh schema `bench_<random>`, dropped at the end) it prints, side by side:

1. commands/s through `Governance` (get model + domain checks + save; one event per command);
2. commands/s through a plain `eventsourcing` Application with a trivial aggregate, over the
   same persistence settings (`library_env`: same module, AES cipher, snapshot interval) but
   the library's own recorder, as a user of the library alone would have it; for context, the
   same with an event carrying TargetSet's fields (`Mirror`), and the same on modelgov's
   recorder; these run in alternating blocks of 100 commands, so background load hits all alike;
3. single-row inserts/s with the bare driver, one transaction per row (the floor);
4. commands/s on models with a long past (`--histories`, default 10, 1,000 and 100,000 prior
   events of a monitoring-heavy life of mixed kinds, drawn by bench/snapshot.py's MonitoredStory:
   breaches, costs, bias flags, target reviews, activations, rollbacks, releases), interleaved in
   blocks of 100: a command's cost must not grow with the model's history (flat within 20%);
5. load time of one model with N events (default 10,000): through the repository with
   snapshots, and by folding every stored event without them.

Then the ratio application/bare library, PASS/MISS against the targets, and peak memory.
`--profile` adds, per backend, a cProfile breakdown of a command's time by area (our domain,
the library, json, driver...), application next to bare library.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import Application, project_aggregate
from eventsourcing.domain import Aggregate, Snapshot

from application.governance import DEFAULT_SNAPSHOT_INTERVAL, Governance
from bench.backends import Store, opened
from bench.figures import (
    FunctionTime,
    Latencies,
    Table,
    own_time_by_area,
    profiled,
    progress,
    rate,
    timed_ms,
)
from bench.script import Flag, benchmark_main, positive_int, positive_ints, store_flags
from bench.snapshot import MONITORED_MIX, START, MonitoredStory
from bench.workload import bench_by, registration, target_change
from domain import events
from domain.commands import RegisterModel, SetTarget
from domain.model import Model, model_id_for
from domain.values import Attribution
from infrastructure.db.store import library_env, open_governance
from infrastructure.settings import Settings

APP_TARGET_RATIO = 0.8  # the application should reach 0.8x the bare library's command rate
FLAT_TARGET = 0.8  # commands/s on the longest history at least 0.8x that on the shortest
LOAD_TARGET_MS = 100.0  # a 10k-event model should load in under 100 ms with snapshots
WARMUP_COMMANDS = 50


FLAGS = (
    Flag("--commands", positive_int, 2000,
         "commands (and raw inserts) per rate figure (default 2000)"),
    Flag("--replay-events", positive_int, 10_000,
         "events in the model whose load time is measured (default 10000)"),
    Flag("--histories", positive_ints,
         [10, 1_000, 100_000],
         "prior events of the models whose command rates are compared, comma-separated "
         "(default 10,1000,100000)"),
    Flag("--loads", positive_int, 20,
         "loads per replay figure, for median and p95 (default 20)"),
    *store_flags(skip_sqlite=True),
    Flag("--snapshot-interval", positive_int, DEFAULT_SNAPSHOT_INTERVAL,
         f"snapshot every N events, for both applications (default "
         f"{DEFAULT_SNAPSHOT_INTERVAL}, Governance's default)"),
    Flag("--profile", switch=True,
         help="also profile the application and the bare library (cProfile, "
         "at most 1000 commands each) and print where the time goes"),
)  # fmt: skip


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

    def command(self, _: int) -> None:
        self.increment(1)


class Mirror(Aggregate):
    """The bare library with an event as big as modelgov's TargetSet (same fields, same values),
    but none of modelgov's code: it tells event size apart from our checks and application."""

    def __init__(self) -> None:
        self.targets: dict[str, dict[str, Any]] = {}

    class TargetSet(events.TargetSet):
        """modelgov's TargetSet fields (inherited, so the two stay the same size), none of its code."""

        TOPIC = "bench/Mirror.TargetSet"

        def apply(self, aggregate: Mirror) -> None:  # type: ignore[override]
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
        target = target_change(i)
        self.trigger_event(
            self.TargetSet,
            actor=by.principal,
            role=by.role,
            reason=by.reason,
            correlation_id=by.correlation_id,
            effective_at=by.effective_at,
            window="last",
            severity="warning",
            previous=self.targets.get(target["dimension"]),
            revision=i,
            hysteresis=0.0,
            min_duration_seconds=0,
            **target,
        )

    def command(self, i: int) -> None:
        self.set_target(i, bench_by("data_scientist"))


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


class OnOurRecorderApplication(BareApplication):
    name = "BenchOurRecorder"


def register(app: Governance, name: str) -> None:
    app.handle(
        RegisterModel(**registration(name, objective="Measure the event store")),
        by=bench_by("ml_engineer"),
    )


def set_target_on(model: Model, i: int) -> None:
    """One TargetSet event; the targets cycle over the dimensions, so the state stays small."""
    model.set_target(
        SetTarget(name=model.name, severity="warning", **target_change(i)),
        bench_by("data_scientist"),
    )


# --------------------------------------------------------------------------- figures


@dataclass
class Figures:
    """One backend's figures: rates in commands (or rows) per second, replay times by way."""

    application_rate: float = 0.0  # 1. through Governance
    library_rate: float = 0.0  # 2. a plain eventsourcing Application, the same settings
    mirror_rate: float = 0.0  # 2. the same, with an event carrying TargetSet's fields
    ours_rate: float = 0.0  # 2. the bare library's Counter on modelgov's recorder
    raw_rate: float = 0.0  # 3. single-row inserts with the bare driver: the floor
    by_history: dict[int, float] = field(default_factory=dict)  # 4. prior events -> commands/s
    replay: dict[str, Latencies] = field(default_factory=dict)  # 5. a model's load time

    @property
    def ratio(self) -> float:
        return self.application_rate / self.library_rate if self.library_rate else 0.0

    @property
    def flatness(self) -> float:
        """Commands/s on the longest history / on the shortest (1.0: flat)."""
        if not self.by_history:
            return 0.0
        return self.by_history[max(self.by_history)] / self.by_history[min(self.by_history)]

    @property
    def mirror_ratio(self) -> float:
        return self.application_rate / self.mirror_rate if self.mirror_rate else 0.0

    @property
    def ours_ratio(self) -> float:
        return self.application_rate / self.ours_rate if self.ours_rate else 0.0


# --------------------------------------------------------------------------- 1-3: command rates


Command = Callable[[int], None]  # the i-th command of a run
K = TypeVar("K")  # what names a runner: "app", a number of prior events


@contextmanager
def governance_commands(settings: Settings, name: str | None = None) -> Iterator[Command]:
    """Governance.set_target on one model: get model, check, record one event, save. On a new
    model, or on the model `name` (one with a long past)."""
    app = open_governance(settings)
    if name is None:
        name = f"bench-{uuid.uuid4().hex[:8]}"
        register(app, name)

    def command(i: int) -> None:
        app.handle(SetTarget(name=name, **target_change(i)), by=bench_by("data_scientist"))

    try:
        yield command
    finally:
        app.close()


@contextmanager
def library_commands(
    settings: Settings, key: str, *, aggregate: type[Counter | Mirror], our_recorder: bool = False
) -> Iterator[Command]:
    """A plain Application: repository.get + trigger one event + save, same env as Governance
    but the library's own recorder (or, `our_recorder`, modelgov's, which writes receipts and
    saves in one round trip on PostgreSQL); with Counter's one-int event, or Mirror's
    TargetSet-sized one."""
    env = library_env(settings, cipher_key=key)
    application: type[BareApplication] = BareApplication
    if our_recorder:
        application = OnOurRecorderApplication
    else:
        del env["APPLICATION_RECORDER_TOPIC"]
    if aggregate is Mirror:
        application = MirrorApplication
    app = application(env, aggregate=aggregate, interval=settings.snapshot_interval)
    created = aggregate()
    app.save(created)
    aggregate_id = created.id

    def command(i: int) -> None:
        found: Counter | Mirror = app.repository.get(aggregate_id)
        found.command(i)
        app.save(found)

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


def interleaved_rates(commands: dict[K, Command], total: int, block: int = 100) -> dict[K, float]:
    """Commands/s of each runner, run in alternating blocks so background load hits all alike."""
    for command in commands.values():
        run_commands(command, -WARMUP_COMMANDS, WARMUP_COMMANDS)
    elapsed = dict.fromkeys(commands, 0.0)
    for first in range(0, total, block):
        for label, command in commands.items():
            elapsed[label] += run_commands(command, first, min(block, total - first))
    return {label: rate(total, seconds) for label, seconds in elapsed.items()}


# --------------------------------------------------------------------------- 4: long histories

SAVE_EVERY = 1_000  # events per save while a history is built


def build_history(store: Store, prior: int) -> str:
    """A model through `prior` events of a monitoring-heavy life, saved without the application's
    snapshots (bench/snapshot.py does the same), then one snapshot at its head, as a model that
    lived that long would have; its name."""
    story = MonitoredStory(
        f"bench-history-{prior}", "high", START, random.Random(prior), MONITORED_MIX, 1800.0
    )
    model = story.model
    started = time.perf_counter()
    with opened(store.settings(tag="history", interval=10**9)) as app:
        while model.version < prior:
            story.step()
            if len(model.pending_events) >= SAVE_EVERY:
                app.save(model)
        app.save(model)
        assert app.snapshots is not None, "snapshotting is enabled"
        app.snapshots.put([Snapshot.take(model)])
    progress(store.name, f"built a {model.version:,}-event history in "
                    f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return model.name


def measure_history_rates(
    store: Store, args: argparse.Namespace, figures: Figures
) -> dict[int, str]:
    """Figure 4: commands/s on models with 10, 1,000 and 100,000 prior events, interleaved."""
    settings = settings_for(store, "history", args)
    names = {prior: build_history(store, prior) for prior in args.histories}
    progress(store.name, f"{args.commands:,} commands on each history, alternating blocks of 100")
    with ExitStack() as stack:
        commands = {
            prior: stack.enter_context(governance_commands(settings, name))
            for prior, name in names.items()
        }
        rates = interleaved_rates(commands, args.commands)
    figures.by_history = rates
    progress(store.name, "commands/s by prior events: " + ", ".join(
        f"{prior:,}: {rate:,.0f}" for prior, rate in rates.items()
    ))  # fmt: skip
    return names


# --------------------------------------------------------------------------- 5: replay


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


def time_calls(call: Callable[[], Any], repeats: int) -> Latencies:
    return Latencies([timed_ms(call)[0] for _ in range(repeats)])


def median_p95(latencies: Latencies) -> str:
    return f"{latencies.median:.1f} / {latencies.pct(0.95):.1f}"


def fold_all_events(app: Governance, model_id: UUID) -> Model:
    """The model from every stored event, ignoring snapshots."""
    return cast(Model, project_aggregate(None, app.events.get(model_id)))


def replay_timings(settings: Settings, events: int, loads: int, store: str) -> dict[str, Latencies]:
    """Load times of one `events`-event model: from the latest snapshot (+0 events), from a
    snapshot + interval-1 events (the worst case), and from all events without snapshots."""
    app = open_governance(settings)
    try:
        start = time.perf_counter()
        model_id = build_long_model(app, "bench-replay", events)
        progress(store, f"built a {events:,}-event model in {time.perf_counter() - start:.1f} s")
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


def settings_for(store: Store, purpose: str, args: argparse.Namespace) -> Settings:
    """A store per purpose ("commands", "replay"...): each application its own SQLite file."""
    return store.settings(tag=purpose, interval=args.snapshot_interval)


def measure_command_rates(store: Store, args: argparse.Namespace, figures: Figures) -> None:
    """Figures 1 and 2, the bare library with a TargetSet-sized event and on modelgov's recorder,
    interleaved."""
    progress(
        store.name,
        f"{args.commands:,} commands each through the application, the bare library, the bare "
        "library with a TargetSet-sized event and on modelgov's recorder, alternating blocks of "
        "100 ...",
    )
    with (
        governance_commands(settings_for(store, "commands", args)) as app,
        library_commands(settings_for(store, "bare", args), store.key, aggregate=Counter) as bare,
        library_commands(
            settings_for(store, "mirror", args), store.key, aggregate=Mirror
        ) as mirror,
        library_commands(
            settings_for(store, "ours", args), store.key, aggregate=Counter, our_recorder=True
        ) as ours,
    ):
        runners = {"app": app, "bare": bare, "mirror": mirror, "ours": ours}
        rates = interleaved_rates(runners, args.commands)
    figures.application_rate = rates["app"]
    figures.library_rate = rates["bare"]
    figures.mirror_rate = rates["mirror"]
    figures.ours_rate = rates["ours"]
    progress(
        store.name,
        f"commands/s: application {rates['app']:,.0f}, bare library {rates['bare']:,.0f}, "
        f"bare library with a TargetSet-sized event {rates['mirror']:,.0f}, bare library on "
        f"modelgov's recorder {rates['ours']:,.0f}",
    )


def run_store(store: Store, args: argparse.Namespace) -> Figures:
    figures = Figures()
    name = store.name
    measure_command_rates(store, args, figures)
    histories = measure_history_rates(store, args, figures)
    progress(name, f"raw inserts: {args.commands:,} rows, one transaction each ...")
    figures.raw_rate = store.raw_insert_rate(args.commands)
    progress(name, f"raw inserts: {figures.raw_rate:,.0f} rows/s")
    progress(name, f"replay: building a {args.replay_events:,}-event model ...")
    replay_settings = settings_for(store, "replay", args)
    figures.replay = replay_timings(replay_settings, args.replay_events, args.loads, name)
    for label, timing in figures.replay.items():
        progress(name, f"replay ({label}): median / p95 {median_p95(timing)} ms")
    if args.profile:
        progress(name, "profiling the application and the bare library ...")
        profile_store(store, args, min(args.commands, 1000))
        profile_histories(store, args, histories, min(args.commands, 1000))
    return figures


def print_report(results: dict[str, Figures], args: argparse.Namespace) -> list[str]:
    table = Table(results, label_width=50, value_width=20)
    n = f"{args.replay_events:,}"
    table.heading()
    table.line("application commands/s", lambda f: f"{f.application_rate:,.0f}")
    table.line("bare library commands/s", lambda f: f"{f.library_rate:,.0f}")
    table.line("bare library, TargetSet-sized event, commands/s", lambda f: f"{f.mirror_rate:,.0f}")
    table.line("bare library on modelgov's recorder, commands/s", lambda f: f"{f.ours_rate:,.0f}")
    table.line("raw single-row inserts/s (floor)", lambda f: f"{f.raw_rate:,.0f}")
    table.line("application / bare library", lambda f: f"{f.ratio:.2f}x")
    table.line("application / bare library, TargetSet-sized", lambda f: f"{f.mirror_ratio:.2f}x")
    table.line(
        "application / bare library on modelgov's recorder", lambda f: f"{f.ours_ratio:.2f}x"
    )
    table.line("application / raw inserts", lambda f: f"{f.application_rate / f.raw_rate:.2f}x")
    for prior in args.histories:
        table.line_for(f"application commands/s, {prior:,} prior events", prior,
                       lambda f, p: f"{f.by_history[p]:,.0f}" if p in f.by_history else "-")  # fmt: skip
    table.line("longest / shortest history (target >= 0.8x)", lambda f: f"{f.flatness:.2f}x")
    labels = {
        "head": f"load {n} events, snapshot + 0 (ms med/p95)",
        "worst": f"load {n} events, snapshot + {args.snapshot_interval - 1} (ms med/p95)",
        "none": f"load {n} events, no snapshot (ms med/p95)",
    }
    for key, label in labels.items():
        table.line_for(label, key, lambda f, k: median_p95(f.replay[k]) if k in f.replay else "-")
    print()
    for name, f in results.items():
        print_targets(name, f)
    return []  # a MISS is not a problem: the run always exits 0


def print_targets(name: str, figures: Figures) -> None:
    ratio_ok = figures.ratio >= APP_TARGET_RATIO
    print(
        f"{'PASS' if ratio_ok else 'MISS'} [{name}] application at {figures.ratio:.3f}x "
        f"the bare library (target >= {APP_TARGET_RATIO}x)"
    )
    flat_ok = figures.flatness >= FLAT_TARGET
    print(
        f"{'PASS' if flat_ok else 'MISS'} [{name}] commands/s at {max(figures.by_history):,} prior "
        f"events at {figures.flatness:.2f}x that at {min(figures.by_history):,} (target >= "
        f"{FLAT_TARGET}x: flat within 20%)"
    )
    load = figures.replay.get("worst") or figures.replay["head"]
    load_ok = load.pct(0.95) < LOAD_TARGET_MS
    print(
        f"{'PASS' if load_ok else 'MISS'} [{name}] model load with snapshots p95 "
        f"{load.pct(0.95):.1f} ms, worst case after the latest snapshot (target < "
        f"{LOAD_TARGET_MS:.0f} ms)"
    )


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

Functions = dict[str, FunctionTime]


def cumulative(functions: Functions, path_part: str, function: str) -> float:
    return max(
        (
            spent.cumulative
            for where, spent in functions.items()
            if where.endswith(f" {function}") and path_part in where
        ),
        default=0.0,
    )


def calls_of(functions: Functions, function: str) -> int:
    return sum(spent.calls for where, spent in functions.items() if where.endswith(f" {function}"))


def profile_store(store: Store, args: argparse.Namespace, commands: int) -> None:
    """Milliseconds per command by area, application next to bare library (under cProfile)."""
    with governance_commands(settings_for(store, "profile-app", args)) as command:
        run_commands(command, -WARMUP_COMMANDS, WARMUP_COMMANDS)
        app = profiled(lambda: run_commands(command, 0, commands))
    bare_settings = settings_for(store, "profile-bare", args)
    with library_commands(bare_settings, store.key, aggregate=Counter) as command:
        run_commands(command, -WARMUP_COMMANDS, WARMUP_COMMANDS)
        bare = profiled(lambda: run_commands(command, 0, commands))
    runs = commands  # per-command figures below
    app_areas = own_time_by_area(app, _AREAS, _OTHER_AREA)
    bare_areas = own_time_by_area(bare, _AREAS, _OTHER_AREA)
    print(f"\n  profile [{store.name}], {commands:,} commands each, ms per command under cProfile")
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


# What may grow with a model's history, per command: (label, path part, function).
_HISTORY_STEPS = (
    ("get the model (cache, fast-forward, copy)", "application/governance.py", "_load"),
    ("  of which copying the cached model", "copy.py", "deepcopy"),
    ("save (+ a snapshot every interval)", "eventsourcing/application.py", "save"),
    ("  of which snapshots taken", "eventsourcing/application.py", "take_snapshot"),
)


def profile_histories(
    store: Store, args: argparse.Namespace, names: dict[int, str], commands: int
) -> None:
    """Milliseconds per command on the shortest and the longest history (under cProfile), by the
    steps that could grow with the history."""
    settings = settings_for(store, "history", args)
    shown = sorted({min(names), max(names)})
    functions: dict[int, Functions] = {}
    for prior in shown:
        with governance_commands(settings, names[prior]) as command:
            run_commands(command, 10**6, WARMUP_COMMANDS)
            functions[prior] = profiled(lambda: run_commands(command, 2 * 10**6, commands))
    print(f"\n  profile [{store.name}], {commands:,} commands on each history, ms per command")
    print(f"  {'':<46}" + "".join(f"{f'{prior:,} prior':>16}" for prior in shown))
    totals = [sum(spent.own for spent in functions[p].values()) for p in shown]
    print(f"  {'total':<46}" + "".join(f"{1000 * t / commands:>16.3f}" for t in totals))
    for label, path_part, function in _HISTORY_STEPS:
        values = [1000 * cumulative(functions[p], path_part, function) / commands for p in shown]
        print(f"  {label:<46}" + "".join(f"{v:>16.3f}" for v in values))
    calls = [calls_of(functions[p], "deepcopy") / commands for p in shown]
    print(f"  {'deepcopy calls per command':<46}" + "".join(f"{c:>16.1f}" for c in calls))


# --------------------------------------------------------------------------- main


main = benchmark_main(title="store benchmark", doc=__doc__, flags=FLAGS, run=run_store,
                      report=print_report)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
