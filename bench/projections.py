"""Projections benchmark: rebuilding the read models, and as-of queries on a long-lived model.

Run with `.venv/bin/python -m bench.projections` (`--help` for the flags). For SQLite (a temp file)
and PostgreSQL (a fresh schema `bench_<random>`, dropped at the end, also after an error) it:

1. fills the store with N events (`--events`) of many models living realistic lives through the
   domain `Model` aggregate (releases with validations, approvals, sign-offs and activations,
   rollbacks, staging toggles, target changes and their approvals, monthly cost reports recorded
   after the month, breaches opened and closed, bias flags raised and resolved, retirements, tier
   changes), saved in batches through the application;
2. rebuilds every projection (`ProjectionRunner.rebuild()`: in `--processes` processes sharing
   the work by model, as `modelgov projections rebuild` does, and in one) and reports events/s,
   beside the raw rate of selecting the same rows in the same pages and decoding them with the application's
   mapper (decrypt + JSON + event object), split into SELECT, decrypt and `json.loads`; then the
   ratio, PASS/MISS against rebuild >= 0.3x select-and-decode, and a consistency check of the
   projections against the models themselves;
3. adds one model with `--as-of-events` events (default 100,000) to the same store and measures
   p50/p95/p99 of `get_model(name, version=random)`, `model_as_known_at(name, random time)` and
   `model_as_effective_at(name, random time)` (after a first one, timed on its own, that indexes
   the model's history in this process); PASS/MISS against p99 < 50 ms; where the time of
   the two time-travel queries goes; and a prototype of the known-at query by bisection.

Exit code 1 if a count or a consistency check is wrong; a MISS alone exits 0.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from application.demo.simulation import Clock, ModelLife, model_card, production_targets
from application.governance import Governance, fold_model
from bench.backends import Store, opened
from bench.figures import (
    Cpu,
    Latencies,
    Progress,
    Table,
    cpu_meter,
    print_profile,
    profiled,
    progress,
    rate,
    rate_text,
    timed_ms,
)
from bench.script import Flag, benchmark_main, positive_int, store_flags
from bench.workload import cost_report
from domain.commands import (
    ChangePolicy,
    CloseBreach,
    Deactivate,
    OpenBreach,
    RaiseBiasFlag,
    RecordValidation,
    ResolveBiasFlag,
    RetireVersion,
    RollBack,
    SetTarget,
)
from domain.errors import DomainError
from domain.events import Event as ModelEvent
from domain.gates import approval_shortfalls
from domain.history import replay_as_effective
from domain.model import Model, model_id_for
from domain.values import BIAS_RESOLUTIONS, DIMENSIONS, RISK_TIERS, target_key
from infrastructure.db.personal_data import PersonalDataCipher
from infrastructure.db.sql import SqlRunner
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.projections.shares import processes_for
from infrastructure.settings import Settings

TARGET_RATIO = 0.3  # rebuild at >= 0.3x the raw select-and-decode rate
TARGET_P99_MS = 50.0  # as-of queries: p99 under 50 ms
TARGET_EVENTS = 1_000_000  # the rebuild's target case
DEFAULT_EVENTS = 150_000  # what fits a ~10-minute run on both stores (see bench/README.md)
PAGE = ProjectionRunner.rebuild_batch  # the rebuild's batch: the baselines read pages of that size
SAVE_EVERY = 2_000  # events per app.save(...) while filling
POOL = 32  # models living at once while filling, so their events interleave
BUILD_SNAPSHOT_INTERVAL = 10**9  # no snapshots while filling: projections never read them
AS_OF_SNAPSHOT_INTERVAL = 100  # Governance's default, for the as-of model
CONSISTENCY_SAMPLE = 300  # models whose projected rows are compared with the model itself
FLEET_START = datetime(2023, 1, 2, 8, 0, tzinfo=UTC)

TARGETS = {target["dimension"]: target for target in production_targets()}
OWNERS = ("Retail Credit", "Fraud Operations", "Customer Care", "Treasury")
BUSINESS_UNITS = ("retail", "cards", "mortgages", "wealth", "operations")
FEATURES = ("income", "tenure", "balance", "utilisation", "region", "channel", "age_band")


FLAGS = (
    Flag("--events", positive_int, DEFAULT_EVENTS,
         f"events of many models to fill each store with and rebuild from (default "
         f"{DEFAULT_EVENTS}, about a 10-minute run on both stores; the target case is "
         f"{TARGET_EVENTS})"),
    Flag("--as-of-events", int, 100_000,
         "events of the one model the as-of queries run on (default 100000; 0 skips them)"),
    Flag("--as-of-queries", positive_int, 100, "queries per kind of as-of query (default 100)"),
    Flag("--as-of-seconds", float, 25.0,
         "time budget per kind of as-of query: after it, stop (after at least 5 queries) "
         "(default 25)"),
    *store_flags(skip_sqlite=True),
    Flag("--processes", positive_int, None,
         "processes the rebuild shares its work across, by model (default: as `modelgov "
         "projections rebuild` chooses for the store); with more than one, the rebuild in one "
         "process is measured too"),
    Flag("--seed", int, 7, "random seed (default 7)"),
    Flag("--profile", switch=True,
         help="also run a second rebuild per store under cProfile and print where the time "
         "goes"),
)  # fmt: skip


def check_flags(args: argparse.Namespace) -> str | None:
    if args.as_of_events and args.as_of_events < 100:
        return "--as-of-events must be 0 or at least 100"
    return None


# Weights of the actions a model's life is drawn from (an action records 1 to about 9 events).
FLEET_MIX = {
    "release": 6.0,
    "rollback": 3.0,
    "staging": 4.0,
    "targets": 4.0,
    "cost": 20.0,
    "breach_open": 6.0,
    "breach_close": 8.0,
    "bias_raise": 2.0,
    "bias_resolve": 4.0,
    "validation": 4.0,
    "retire": 2.0,
    "policy": 0.5,
}
# The long-lived model: mostly operations that replace state (staging deploys, rollbacks, target
# reviews and their approvals), about 1% cost reports, 0.6% breaches opened and as many closed, a
# new version every ~750 events. Versions (with their validations and decisions) stay in the
# model's state; breaches, bias flags and cost reports no longer do beyond what the rules need
# (domain/state.py; the snapshot's size is bench/snapshot.py's figure).
LONG_MIX = {
    "release": 0.06,
    "rollback": 10.0,
    "staging": 10.0,
    "targets": 8.0,
    "cost": 0.6,
    "breach_open": 0.3,
    "breach_close": 0.6,
    "bias_raise": 0.1,
    "bias_resolve": 0.3,
    "validation": 0.2,
    "retire": 0.05,
    "policy": 0.05,
}


# --------------------------------------------------------------------------- realistic histories


class Story(ModelLife):
    """One model's simulated life, driven through the domain aggregate on a simulated clock.

    Every event is effective at the clock's time, which moves on by a random gap per event, except
    cost reports: they come after the month they cover and are effective at its last second
    (backdated). Events are recorded now (their timestamp is the wall clock, as in production):
    a simulated recording time (`Attribution.recorded_at`) would be lost on the deactivation that
    `Model.activate` records for the version it supersedes (see bench/README.md).
    """

    def __init__(
        self,
        name: str,
        tier: str,
        start: datetime,
        rng: random.Random,
        mix: dict[str, float],
        gap_seconds: float = 60.0,
    ) -> None:
        self.rng = rng
        self.actions = list(mix)
        self.weights = [mix[action] for action in self.actions]
        self.refusals: Counter[str] = Counter()
        clock = Clock(start, lambda: timedelta(seconds=rng.expovariate(1 / gap_seconds) + 1))
        super().__init__(name, tier=tier, clock=clock, owner=rng.choice(OWNERS))
        for dimension in DIMENSIONS:
            self.set_target(dimension, "initial targets")
        self.approve_targets()

    # -- helpers

    def step(self) -> None:
        """One action, drawn by weight; actions the model's state doesn't allow are skipped."""
        action = self.rng.choices(self.actions, self.weights)[0]
        try:
            getattr(self, action)()
        except DomainError as refusal:  # the state refused it (rare): count it, go on
            self.refusals[type(refusal).__name__] += 1

    def usable(self, number: int) -> bool:
        version = self.model.versions[number - 1]  # versions are numbered 1, 2, ... in order
        return not version.retired and not version.rejected

    def card(self, number: int) -> dict[str, Any]:
        commit = f"{self.rng.getrandbits(40):010x}"
        return model_card(
            self.model.name,
            number=number,
            commit=commit,
            sha256=f"{self.rng.getrandbits(256):064x}",
            features=self.rng.sample(FEATURES, 4),
        )

    def set_target(self, dimension: str, reason: str) -> None:
        """The dimension's production target, its threshold within 10% of the usual one."""
        target = TARGETS[dimension]
        self.model.set_target(
            SetTarget(
                name=self.model.name,
                **{
                    **target,
                    "threshold": round(target["threshold"] * self.rng.uniform(0.9, 1.1), 3),
                },
            ),
            self.by(self.rng.choice(("data_scientist", "business_owner")), reason),
        )

    # -- actions

    def release(self) -> None:
        """A new version: card, A/B test, approvals, sign-off, staging then production."""
        model = self.model
        served = [v.number for v in model.versions if "production" in v.environments_served]
        card = self.card(len(model.versions) + 1)
        self.release_version(
            card,
            dataset=f"holdout-{self.clock.now:%Y-%m}",
            metrics={"auc": round(self.rng.uniform(0.78, 0.9), 4), "uplift_pct": 1.5},
            passed=self.rng.random() > 0.05,
            compared_to=served[-1] if served else None,
        )

    def rollback(self) -> None:
        """Production back to the newest other version that served there and is still approved."""
        model = self.model
        current = model.active.get("production")
        if current is None:
            return
        for version in reversed(model.versions):
            if (
                "production" in version.environments_served
                and version.number != current
                and self.usable(version.number)
                and not model.open_bias_flags(version.number)
                and not approval_shortfalls(model, version.number)
            ):
                role = self.rng.choice(("devops_engineer", "policy"))
                model.roll_back(
                    RollBack(name=model.name, environment="production", to_version=version.number),
                    self.by(role, "p99 latency regression after release"),
                )
                return

    def staging(self) -> None:
        """Free staging, or put the newest activatable version back there."""
        model = self.model
        current = model.active.get("staging")
        if current is not None:
            model.deactivate(
                Deactivate(name=model.name, version=current, environment="staging"),
                self.by("devops_engineer", "staging freed for a load test"),
            )
            return
        for version in reversed(model.versions):
            if self.usable(version.number) and not model.unmet_gates(version.number):
                self.activate(version.number, "staging")
                return

    def targets(self) -> None:
        self.set_target(self.rng.choice(DIMENSIONS), "quarterly target review")
        self.approve_targets()

    def cost(self) -> None:
        """Last month's cost, recorded now and effective at the month's last second."""
        model = self.model
        now = self.clock.now + timedelta(seconds=1)
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        effective = month_start - timedelta(seconds=1)
        if effective < model.registered_at:
            effective = now
        version = model.active.get("production")
        if version is not None and model.version_by_number(version).registered_at > effective:
            version = None
        cost = cost_report(
            model.name,
            period=f"{effective:%Y-%m}",
            amount=Decimal(f"{self.rng.uniform(200, 20_000):.2f}"),
            business_unit=self.rng.choice(BUSINESS_UNITS),
            version=version,
        )
        by = self.by(self.rng.choice(("business_owner", "data_engineer")), effective=effective)
        model.report_cost(cost, by)

    def breach_open(self) -> None:
        model = self.model
        version = model.active.get("production")
        if version is None:
            return
        dimension = self.rng.choice(DIMENSIONS)
        metric = TARGETS[dimension]["metric"]
        target = model.targets.get(target_key(dimension, metric))
        if target is None or any(
            (b.version, b.environment, b.dimension) == (version, "production", dimension)
            for b in model.open_breaches()
        ):
            return
        crossed = target.threshold * (1.3 if target.comparator.startswith("<") else 0.8)
        model.open_breach(
            OpenBreach(
                name=model.name,
                version=version,
                environment="production",
                dimension=dimension,
                metric=metric,
                observed_value=round(crossed, 4),
            ),
            self.by(self.rng.choice(("policy", "itops_engineer"))),
        )

    def breach_close(self) -> None:
        model = self.model
        open_breaches = model.open_breaches()
        if not open_breaches:
            return
        breach = open_breaches[0]
        target = model.targets.get(target_key(breach.dimension, breach.metric))
        comparator = target.comparator if target else breach.target["comparator"]
        threshold = target.threshold if target else breach.target["threshold"]
        recovered = threshold * (0.7 if comparator.startswith("<") else 1.1)
        model.close_breach(
            CloseBreach(
                name=model.name, breach_id=breach.breach_id, observed_value=round(recovered, 4)
            ),
            self.by(self.rng.choice(("policy", "itops_engineer"))),
        )

    def bias_raise(self) -> None:
        model = self.model
        version = model.active.get("production")
        if version is None:
            return
        model.raise_bias_flag(
            RaiseBiasFlag(
                name=model.name,
                version=version,
                attribute=self.rng.choice(("age_band", "gender", "postcode_region")),
                metric="demographic_parity_gap",
                value=round(self.rng.uniform(0.1, 0.2), 3),
                threshold=0.1,
            ),
            self.by("data_scientist"),
        )

    def bias_resolve(self) -> None:
        open_flags = self.model.open_bias_flags()
        if not open_flags:
            return
        self.model.resolve_bias_flag(
            ResolveBiasFlag(
                name=self.model.name,
                flag_id=open_flags[0].flag_id,
                resolution=self.rng.choice(BIAS_RESOLUTIONS),
            ),
            self.by(
                self.rng.choice(("data_scientist", "compliance_officer")),
                "reviewed with the fairness board",
            ),
        )

    def validation(self) -> None:
        version = self.model.active.get("production")
        if version is None:
            return
        self.model.record_validation(
            RecordValidation(
                name=self.model.name,
                version=version,
                kind="shadow_test",
                dataset=f"live-{self.clock.now:%Y-%m-%d}",
                metrics={"auc": round(self.rng.uniform(0.78, 0.9), 4)},
                passed=True,
            ),
            self.by("data_engineer"),
        )

    def retire(self) -> None:
        model = self.model
        active = set(model.active.values())
        idle = [v.number for v in model.versions if not v.retired and v.number not in active]
        if len([v for v in model.versions if not v.retired]) > 3 and idle:
            model.retire_version(
                RetireVersion(name=model.name, version=idle[0]),
                self.by("ml_engineer", "superseded"),
            )

    def policy(self) -> None:
        model = self.model
        index = RISK_TIERS.index(model.risk_tier)
        tier = RISK_TIERS[min(len(RISK_TIERS) - 1, max(0, index + self.rng.choice((-1, 1))))]
        model.change_policy(
            ChangePolicy(name=model.name, risk_tier=tier, policy=None),
            self.by("compliance_officer", "annual tier review"),
        )


# --------------------------------------------------------------------------- filling the store


@dataclass
class Fill:
    events: int = 0
    models: int = 0
    seconds: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)


def new_story(index: int, clock: datetime, rng: random.Random) -> Story:
    tier = rng.choices(RISK_TIERS, (35, 35, 20, 10))[0]
    return Story(f"model-{index:06d}", tier, clock, rng, FLEET_MIX, gap_seconds=90.0)


def fill_store(app: Governance, events: int, rng: random.Random, name: str) -> Fill:
    """About `events` events of many models, interleaved as they would be in a shared ledger.

    POOL models live at once; each step picks one at random and runs one action on it; a model
    that has recorded its budget (40-400 events) leaves the pool and a new one is registered.
    Every SAVE_EVERY events, all models with new events are saved in one `app.save(...)`.
    """
    fill = Fill()
    start = time.perf_counter()
    clock = FLEET_START
    pool: list[Story] = []
    budgets: dict[str, int] = {}
    dirty: dict[str, Story] = {}
    recorded = pending = 0
    filled = Progress(name, "filled", events, unit=" events")

    def save() -> None:
        nonlocal pending
        app.save(*(story.model for story in dirty.values()))
        for story in dirty.values():
            fill.refusals.update(story.refusals)
            story.refusals.clear()
        dirty.clear()
        fill.events += pending
        pending = 0

    while recorded < events:
        while len(pool) < POOL:
            story = new_story(fill.models, clock, rng)
            clock = story.clock.now
            fill.models += 1
            pool.append(story)
            budgets[story.model.name] = rng.randint(40, 400)
            dirty[story.model.name] = story
            recorded += story.model.version
            pending += story.model.version
        story = rng.choice(pool)
        story.clock.now = max(story.clock.now, clock)
        before = story.model.version
        story.step()
        clock = story.clock.now
        added = story.model.version - before
        if added:
            recorded += added
            pending += added
            dirty[story.model.name] = story
        if story.model.version >= budgets[story.model.name]:
            pool.remove(story)
        if pending >= SAVE_EVERY:
            for event in (e for s in dirty.values() for e in s.model.pending_events):
                fill.kinds[type(event).__name__] += 1
            save()
        filled.done(fill.events, f", {fill.models:,} models")
    for event in (e for s in dirty.values() for e in s.model.pending_events):
        fill.kinds[type(event).__name__] += 1
    save()
    fill.seconds = time.perf_counter() - start
    return fill


# --------------------------------------------------------------------------- 1: rebuild


@dataclass
class RebuildProgress:
    """Prints a rebuild's progress about every 15 s (called by the runner once per batch)."""

    label: str
    started: float = field(default_factory=time.perf_counter)
    next_report: float = field(default_factory=lambda: time.perf_counter() + 15.0)

    def __call__(self, position: int, head: int | None) -> None:
        now = time.perf_counter()
        if now < self.next_report:
            return
        self.next_report = now + 15.0
        elapsed = now - self.started
        progress(
            self.label,
            f"rebuild: at position {position:,} of {head or 0:,} "
            f"(~{rate(position, elapsed):,.0f} events/s, {elapsed:.0f} s)",
        )


@dataclass
class Rebuild:
    seconds: float = 0.0
    applications: int = 0  # what rebuild() returned: events x projections
    processes: int = 1
    projections: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    cpu: Cpu = field(default_factory=Cpu)


def rebuild(app: Governance, settings: Settings, name: str, processes: int) -> Rebuild:
    sql = SqlRunner(settings.database)
    try:
        runner = ProjectionRunner(app, sql, default_projections())
        shown = RebuildProgress(name)
        with cpu_meter(settings.database.kind == "postgres") as cpu:
            start = time.perf_counter()
            applications = runner.rebuild(progress=shown, processes=processes, settings=settings)
            seconds = time.perf_counter() - start
        result = Rebuild(seconds=seconds, applications=applications, processes=processes, cpu=cpu)
        result.projections = [projection.name for projection in runner.projections]
        for projection in runner.projections:
            for table in projection.tables:
                result.rows[table] = int(sql.execute(f"SELECT COUNT(*) FROM {table}")[0][0])
        return result
    finally:
        sql.close()


@dataclass
class Baseline:
    """One pass over all events in pages of PAGE, each stage timed on its own, page by page."""

    rows: int = 0
    select: float = 0.0  # app.recorder.select_notifications (driver, rows to Notification)
    decrypt: float = 0.0  # AES-GCM of every row's state
    loads: float = 0.0  # json.loads of the decrypted bytes (no transcoding)
    mapper: float = 0.0  # app.mapper.to_domain_event: decrypt + transcoder + event object
    cpu: Cpu = field(default_factory=Cpu)

    @property
    def decode_rate(self) -> float:
        """The select-and-decode baseline: SELECT + mapper.to_domain_event."""
        return rate(self.rows, self.select + self.mapper)

    @property
    def plain_rate(self) -> float:
        return rate(self.rows, self.select + self.decrypt + self.loads)


def select_and_decode(app: Governance, postgres: bool) -> Baseline:
    with cpu_meter(postgres) as cpu:
        result = _select_and_decode(app)
    result.cpu = cpu
    return result


def _select_and_decode(app: Governance) -> Baseline:
    result = Baseline()
    cipher, mapper = app.mapper.cipher, app.mapper
    assert cipher is not None, "the store is encrypted"
    start = 1
    while True:
        t0 = time.perf_counter()
        page = app.recorder.select_notifications(start=start, limit=PAGE)
        t1 = time.perf_counter()
        if not page:
            break
        plain = [cipher.decrypt(notification.state) for notification in page]
        t2 = time.perf_counter()
        for data in plain:
            json.loads(data)
        t3 = time.perf_counter()
        for notification in page:
            mapper.to_domain_event(notification)
        t4 = time.perf_counter()
        result.rows += len(page)
        result.select += t1 - t0
        result.decrypt += t2 - t1
        result.loads += t3 - t2
        result.mapper += t4 - t3
        start = page[-1].id + 1
    return result


# --------------------------------------------------------------------------- consistency


def check_projections(
    app: Governance, settings: Settings, names: Sequence[str], name: str
) -> tuple[list[str], int]:
    """Each sampled model's projected rows against the model itself (get_model, model_events).

    Returns the problems, and how many models have a catalog `last_changed_at` earlier than the
    latest effective time of their events (the catalog takes the last recorded event's time).
    """
    problems: list[str] = []
    went_back = 0
    sql = SqlRunner(settings.database)
    cipher = PersonalDataCipher.of_store(app)
    try:
        for model_name in names:
            model = app.get_model(model_name)
            events = app.model_events(model_name)
            catalog = sql.execute(
                "SELECT owner, risk_tier, versions, open_breaches, open_bias_flags, "
                "model_version, last_changed_at FROM modelgov_catalog WHERE model = ?",
                (model_name,),
            )
            expected = (
                model.owner,
                model.risk_tier,
                len(model.versions),
                len(model.open_breaches()),
                len(model.open_bias_flags()),
                model.version,
            )
            if catalog:  # the owner is sealed (infrastructure/db/personal_data.py)
                catalog = [(cipher.open(catalog[0][0]), *catalog[0][1:])]
            if not catalog or tuple(catalog[0][:6]) != expected:
                problems.append(f"[{name}] catalog of {model_name}: {catalog} != {expected}")
            elif datetime.fromisoformat(catalog[0][6]) < max(e.effective_at for e in events):
                went_back += 1
            active = dict(
                sql.execute(
                    "SELECT environment, version FROM modelgov_catalog_active WHERE model = ?",
                    (model_name,),
                )
            )
            if active != model.active:
                problems.append(f"[{name}] active of {model_name}: {active} != {model.active}")
            windows = sql.execute(
                "SELECT environment, version, ended_at FROM modelgov_usage_windows WHERE model = ?",
                (model_name,),
            )
            opened = {env: version for env, version, ended in windows if ended is None}
            starts = sum(isinstance(e, Model.VersionActivated | Model.RolledBack) for e in events)
            if opened != model.active or len(windows) != starts:
                problems.append(
                    f"[{name}] usage windows of {model_name}: open {opened}, {len(windows)} rows; "
                    f"model active {model.active}, {starts} activations and rollbacks"
                )
            targets = sql.execute(
                "SELECT dimension, metric, threshold, in_force_until FROM "
                "modelgov_target_history WHERE model = ?",
                (model_name,),
            )
            in_force = {
                target_key(d, m): threshold for d, m, threshold, until in targets if until is None
            }
            wanted = {key: target.threshold for key, target in model.targets.items()}
            sets = sum(isinstance(e, Model.TargetSet) for e in events)
            if in_force != wanted or len(targets) != sets:
                problems.append(
                    f"[{name}] target history of {model_name}: {in_force} ({len(targets)} rows) "
                    f"!= {wanted} ({sets} TargetSet events)"
                )
    finally:
        sql.close()
    return problems, went_back


# --------------------------------------------------------------------------- 2: as-of queries


AS_OF_NAME = "long-lived-model"
AS_OF_START = datetime(2019, 1, 7, 8, 0, tzinfo=UTC)


@dataclass
class AsOf:
    events: int = 0
    build_seconds: float = 0.0
    snapshot_kib: float = 0.0  # the latest snapshot's stored size
    kinds: Counter[str] = field(default_factory=Counter)
    latency: dict[str, Latencies] = field(default_factory=dict)
    parts_ms: dict[str, float] = field(default_factory=dict)  # medians of the breakdown
    # The first model_as_effective_at in this process: it indexes the model's whole history
    # (application/effective_timeline.py); the timed queries after it use that index.
    first_effective_ms: float = 0.0
    problems: list[str] = field(default_factory=list)


def build_long_model(app: Governance, events: int, rng: random.Random, name: str) -> AsOf:
    """One model living through `events` events (LONG_MIX, 30 minutes apart on average).

    `app` takes no snapshots itself. Instead, after the action that brings the model to or past
    each multiple of AS_OF_SNAPSHOT_INTERVAL, the events so far are saved and a snapshot of the
    model in memory is stored (`Snapshot.take`, as the library does). The library would reload
    the model from the store at exactly each multiple, which doubles the build time; here an
    action of several events can put a snapshot a few versions past the multiple.
    """
    result = AsOf()
    story = Story(AS_OF_NAME, "high", AS_OF_START, rng, LONG_MIX, gap_seconds=1800.0)
    model = story.model
    snapshots = app.snapshots
    assert snapshots is not None, "snapshotting is enabled"
    snapshot_class = getattr(Model, "Snapshot", type(app).snapshot_class)
    assert snapshot_class is not None, "the application snapshots"
    start = time.perf_counter()
    built = Progress(name, "as-of model:", events, unit=" events", parts=5)
    while model.version < events:
        boundary = (model.version // AS_OF_SNAPSHOT_INTERVAL + 1) * AS_OF_SNAPSHOT_INTERVAL
        while model.version < min(boundary, events):
            story.step()
        result.kinds.update(type(event).__name__ for event in model.pending_events)
        app.save(model)
        if model.version >= boundary:
            snapshots.put([snapshot_class.take(model)])
        built.done(model.version)
    result.build_seconds = time.perf_counter() - start
    result.events = model.version
    latest = list(snapshots.recorder.select_events(model.id, desc=True, limit=1))
    result.snapshot_kib = len(latest[0].state) / 1024 if latest else 0.0
    # A snapshot taken this way loads into the same model as folding every event up to it.
    version = rng.randint(events // 2, events)
    loaded = app.repository.get(model.id, version=version, projector_func=fold_model)
    folded = fold_model(None, app.events.get(model.id, lte=version))
    if folded is None or comparable(loaded) != comparable(folded):
        result.problems.append(
            f"[{name}] the as-of model at version {version} differs when "
            "loaded from a snapshot and folded from all its events"
        )
    return result


def comparable(model: Model) -> dict[str, Any]:
    return {key: value for key, value in vars(model).items() if key != "_pending_events"}


def known_at_by_bisection(app: Governance, name: str, at: datetime) -> Model:
    """Prototype: model_as_known_at without reading every event. Timestamps grow with the version
    (see bench/README.md), so the version known at `at` is found by bisection, one event read per
    probe by primary key, then loaded with snapshots like get_model(version=...)."""
    model_id = model_id_for(name)

    def timestamp(version: int) -> datetime:
        return cast(
            ModelEvent, next(iter(app.events.get(model_id, gt=version - 1, lte=version)))
        ).timestamp

    head = cast(ModelEvent, next(iter(app.events.get(model_id, desc=True, limit=1))))
    low, high = 0, head.originator_version  # timestamp(low) <= at < timestamp(high)
    if head.timestamp <= at:
        low = high
    while high - low > 1:
        middle = (low + high) // 2
        if timestamp(middle) <= at:
            low = middle
        else:
            high = middle
    if low == 0:
        raise LookupError(f"{name} was not registered at {at}")
    return cast(Model, app.repository.get(model_id, version=low, projector_func=fold_model))


def run_queries(
    kind: str,
    query: Callable[[], Any],
    queries: int,
    budget: float,
    name: str,
) -> Latencies:
    """Up to `queries` calls, stopping early (after at least 5) once `budget` seconds are spent.

    Kinds that answer within a second get two warm-up calls, not counted; for the slow ones
    (seconds per call) the first call counts, as warming up would only spend their budget."""
    latency = Latencies()
    start = time.perf_counter()
    first, _ = timed_ms(query)
    if first < 1000:
        timed_ms(query)
        start = time.perf_counter()
    else:
        latency.ms.append(first)
    while len(latency.ms) < queries:
        latency.ms.append(timed_ms(query)[0])
        spent, done = time.perf_counter() - start, len(latency.ms)
        if done >= 5 and spent > budget and done < queries:
            progress(name, f"{kind}: {done} queries in {spent:.0f} s; the budget is spent")
            break
    return latency


def as_of_queries(app: Governance, result: AsOf, args: argparse.Namespace, name: str) -> None:
    rng = random.Random(args.seed + 1)
    events = app.model_events(AS_OF_NAME)
    last = events[-1].originator_version
    recorded = (events[0].timestamp, events[-1].timestamp)
    effective = (events[0].effective_at, max(e.effective_at for e in events))
    stamps = [event.timestamp for event in events]
    if stamps != sorted(stamps):
        result.problems.append(f"[{name}] the as-of model's timestamps do not grow with versions")

    def between(bounds: tuple[datetime, datetime]) -> datetime:
        return bounds[0] + (bounds[1] - bounds[0]) * rng.random()

    kinds: dict[str, Callable[[], Any]] = {
        "get_model(version=random)": lambda: app.get_model(
            AS_OF_NAME, revision=rng.randint(1, last)
        ),
        "model_as_known_at(random time)": lambda: app.model_as_known_at(
            AS_OF_NAME, between(recorded)
        ),
        "model_as_effective_at(random time)": lambda: app.model_as_effective_at(
            AS_OF_NAME, between(effective)
        ),
        "prototype: known_at by bisection": lambda: known_at_by_bisection(
            app, AS_OF_NAME, between(recorded)
        ),
    }
    result.first_effective_ms = timed_ms(kinds["model_as_effective_at(random time)"])[0]
    progress(name, f"model_as_effective_at: first query (indexes the history) "
                   f"{result.first_effective_ms:,.0f} ms")  # fmt: skip
    for kind, query in kinds.items():
        progress(name, f"{kind}: up to {args.as_of_queries} queries ...")
        result.latency[kind] = run_queries(
            kind, query, args.as_of_queries, args.as_of_seconds, name
        )
        samples = result.latency[kind].ms
        slowest = max(range(len(samples)), key=samples.__getitem__)
        progress(
            name,
            f"{kind}: p50 / p95 / p99 ms {result.latency[kind]}; slowest: query "
            f"{slowest + 1} of {len(samples)}, {samples[slowest]:,.1f} ms",
        )

    # The prototype answers exactly what model_as_known_at answers.
    for _ in range(3):
        at = between(recorded)
        if comparable(known_at_by_bisection(app, AS_OF_NAME, at)) != comparable(
            app.model_as_known_at(AS_OF_NAME, at)
        ):
            result.problems.append(f"[{name}] known_at by bisection differs at {at}")

    # Where the time of the two time-travel queries goes (medians of 3).
    parts: dict[str, list[float]] = {}
    for _ in range(3):
        sample = breakdown(app, between(recorded), between(effective))
        for key, value in sample.items():
            parts.setdefault(key, []).append(value)
    result.parts_ms = {key: sorted(values)[len(values) // 2] for key, values in parts.items()}


def breakdown(app: Governance, at_known: datetime, at_effective: datetime) -> dict[str, float]:
    """The steps of model_as_known_at and model_as_effective_at, each timed on its own (ms)."""
    model_id = model_id_for(AS_OF_NAME)
    cipher = app.mapper.cipher
    assert cipher is not None, "the store is encrypted"
    marks = [time.perf_counter()]

    def mark() -> None:
        marks.append(time.perf_counter())

    stored = app.recorder.select_events(model_id)
    mark()
    decoded = cast(list[ModelEvent], [app.mapper.to_domain_event(s) for s in stored])
    mark()
    known = [event for event in decoded if event.timestamp <= at_known]
    mark()
    app.get_model(AS_OF_NAME, revision=known[-1].originator_version)
    mark()
    ordered = sorted(
        (event for event in decoded if event.effective_at <= at_effective),
        key=lambda event: (event.effective_at, event.originator_version),
    )
    mark()
    replay_as_effective(ordered, at_effective)
    mark()
    for item in stored:
        cipher.decrypt(item.state)
    mark()
    labels = (
        "SELECT all the model's events (recorder.select_events)",
        "decode them (mapper.to_domain_event: decrypt, JSON, objects)",
        "known_at: filter by timestamp",
        "known_at: get_model(version) (snapshot + events)",
        "effective_at: filter + sort by effective time",
        "effective_at: fold (replay_as_effective, sorted events)",
        "  for comparison: decrypt alone",
    )
    return {label: 1000 * (marks[i + 1] - marks[i]) for i, label in enumerate(labels)}


# --------------------------------------------------------------------------- profile


_AREAS = (
    ("database driver (psycopg, sqlite3)", ("psycopg", "sqlite3")),
    ("AES-GCM decrypt (cryptography)", ("cryptography", "decrypt' of")),
    ("JSON decode + transcoder", ("json/", "transcod")),
    ("eventsourcing: recorder, mapper, events", ("eventsourcing/",)),
    ("projections: statements per event", ("application/projections/",)),
    (
        "ProjectionRunner + SqlRunner",
        ("infrastructure/projections/runner.py", "infrastructure/db/sql.py"),
    ),
    ("connection pool, threading, locks", ("psycopg_pool", "threading.py", "acquire")),
)


def profile_rebuild(app: Governance, settings: Settings, name: str) -> None:
    """A second rebuild under cProfile: own time by area, then the top functions."""
    sql = SqlRunner(settings.database)
    try:
        runner = ProjectionRunner(app, sql, default_projections())
        functions = profiled(runner.rebuild)
    finally:
        sql.close()
    print_profile(functions, _AREAS, title=f"profile [{name}]: one rebuild under cProfile")


# --------------------------------------------------------------------------- running it


@dataclass
class Figures:
    fill: Fill = field(default_factory=Fill)
    events: int = 0  # in the store when rebuilt
    rebuild: Rebuild = field(default_factory=Rebuild)  # in --processes processes
    single: Rebuild | None = None  # in one process, when --processes is more than one
    baselines: list[Baseline] = field(default_factory=list)  # before and after the rebuild
    stale_last_changed: int = 0
    checked_models: int = 0
    inconsistent: int = 0
    as_of: AsOf | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def passes(self) -> int:
        # The runner reads and decodes each batch once for all projections at the same position
        # (every projection, in a rebuild).
        return 1

    @property
    def rebuild_rate(self) -> float:
        return rate(self.events, self.rebuild.seconds)

    @property
    def baseline(self) -> Baseline:
        """The faster of the two passes: the stricter comparison for the rebuild."""
        return max(self.baselines, key=lambda b: b.decode_rate)

    @property
    def ratio(self) -> float:
        return self.rebuild_rate / self.baseline.decode_rate if self.baselines else 0.0

    def single_text(self) -> str:
        if self.single is None:
            return "(not measured)"
        single = rate(self.events, self.single.seconds)
        return f"{single:,.0f} ({single / self.baseline.decode_rate:.2f}x)"


def count_events(app: Governance) -> int:
    return app.recorder.max_notification_id() or 0


def run_store(store: Store, args: argparse.Namespace) -> Figures:
    figures = Figures()
    name = store.name
    rng = random.Random(args.seed)
    build = store.settings(interval=BUILD_SNAPSHOT_INTERVAL)
    live = store.settings(interval=AS_OF_SNAPSHOT_INTERVAL)

    progress(name, f"filling the store with {args.events:,} events of many models ...")
    with opened(build) as app:
        figures.fill = fill_store(app, args.events, rng, name)
    with opened(live) as app:
        figures.events = count_events(app)
        if figures.events != figures.fill.events:
            figures.problems.append(
                f"[{name}] {figures.events:,} events stored, {figures.fill.events:,} recorded"
            )
        f = figures.fill
        progress(
            name,
            f"filled {figures.events:,} events of {f.models:,} models in {f.seconds:.0f} s "
            f"({rate(f.events, f.seconds):,.0f}/s); select and decode them (baseline) ...",
        )
        figures.baselines.append(select_and_decode(app, store.is_postgres))
        progress(name, f"select-and-decode: {figures.baselines[0].decode_rate:,.0f} events/s")
        expected = figures.events * len(default_projections())
        shared = args.processes or processes_for(figures.events, ProjectionRunner.rebuild_batch)
        for processes in sorted({1, shared}):
            progress(
                name,
                f"rebuilding all projections from {figures.events:,} events in {processes} "
                "process(es) ...",
            )
            done = rebuild(app, live, name, processes)
            progress(
                name,
                f"rebuilt in {done.seconds:.1f} s ({rate(figures.events, done.seconds):,.0f} "
                "events/s)",
            )
            if done.applications != expected:
                figures.problems.append(
                    f"[{name}] rebuild in {processes} process(es) applied {done.applications:,} "
                    f"events, not {expected:,}"
                )
            if processes == shared:
                figures.rebuild = done
            else:
                figures.single = done
        progress(name, "select and decode again ...")
        figures.baselines.append(select_and_decode(app, store.is_postgres))
        progress(name, f"select-and-decode: {figures.baselines[1].decode_rate:,.0f} events/s")
        if args.profile:
            profile_rebuild(app, live, name)

        sample = random.Random(args.seed + 2).sample(
            range(f.models), min(CONSISTENCY_SAMPLE, f.models)
        )
        names = [f"model-{index:06d}" for index in sample]
        progress(name, f"checking the projections of {len(names)} models against the models ...")
        problems, figures.stale_last_changed = check_projections(app, live, names, name)
        figures.checked_models, figures.inconsistent = len(names), len(problems)
        figures.problems += problems

        if args.as_of_events:
            progress(name, f"adding one model with {args.as_of_events:,} events ...")
            with opened(build) as builder:
                figures.as_of = build_long_model(
                    builder, args.as_of_events, random.Random(args.seed + 3), name
                )
            progress(
                name,
                f"as-of model built in {figures.as_of.build_seconds:.0f} s; latest snapshot "
                f"{figures.as_of.snapshot_kib:,.0f} KiB",
            )
            as_of_queries(app, figures.as_of, args, name)
            figures.problems += figures.as_of.problems
    return figures


# --------------------------------------------------------------------------- report


def us(seconds: float, count: int) -> str:
    return f"{1e6 * seconds / count:,.1f}" if count else "-"


def print_report(results: dict[str, Figures], _: argparse.Namespace) -> list[str]:
    table = Table(results, label_width=62, value_width=30)
    line = table.line
    first = next(iter(results.values()))
    table.heading()
    line("events in the store (N)", lambda f: f"{f.events:,}")
    line("models", lambda f: f"{f.fill.models:,}")
    line(
        "fill: events/s (domain + save, ~2,000 per save)",
        lambda f: rate_text(f.fill.events, f.fill.seconds),
    )
    line("rebuild: processes (sharing the work by model)", lambda f: f"{f.rebuild.processes}")
    line("rebuild: seconds", lambda f: f"{f.rebuild.seconds:,.1f}")
    line("rebuild: events/s", lambda f: f"{f.rebuild_rate:,.0f}")
    line("rebuild: µs per event", lambda f: us(f.rebuild.seconds, f.events))
    line(
        "select-and-decode: events/s (before / after rebuild)",
        lambda f: " / ".join(f"{b.decode_rate:,.0f}" for b in f.baselines),
    )
    line(
        f"  µs/event: SELECT (select_notifications, pages of {PAGE:,})",
        lambda f: us(f.baseline.select, f.baseline.rows),
    )
    line("  µs/event: mapper.to_domain_event", lambda f: us(f.baseline.mapper, f.baseline.rows))
    line("    of which decrypt (AES-GCM)", lambda f: us(f.baseline.decrypt, f.baseline.rows))
    line(
        "    plain json.loads of the decrypted bytes",
        lambda f: us(f.baseline.loads, f.baseline.rows),
    )
    line("SELECT + decrypt + json.loads: events/s", lambda f: f"{f.baseline.plain_rate:,.0f}")
    line("rebuild / select-and-decode (target >= 0.3x)", lambda f: f"{f.ratio:.2f}x")
    line(
        "rebuild / SELECT + decrypt + json.loads",
        lambda f: f"{f.rebuild_rate / f.baseline.plain_rate:.2f}x",
    )
    line(
        "rebuild µs/event minus select-and-decode (projections, SQL, runner)",
        lambda f: f"{1e6 * (1 / f.rebuild_rate - f.passes / f.baseline.decode_rate):,.1f}",
    )
    line(
        "  (passes: the events are read and decoded once for all projections)",
        lambda f: f"{f.passes}",
    )
    line(
        "rebuild CPU s: this process / its helpers / PostgreSQL",
        lambda f: (
            f"{f.rebuild.cpu.own:,.0f} / {f.rebuild.cpu.children:,.0f} / "
            f"{f.rebuild.cpu.postgres:,.0f}"
        ),
    )
    line("rebuild in one process: events/s (/ select-and-decode)", lambda f: f.single_text())
    line(
        "other processes (cores): rebuild / baselines",
        lambda f: (
            f"{f.rebuild.cpu.others_cores:.2f} / "
            + " / ".join(f"{b.cpu.others_cores:.2f}" for b in f.baselines)
        ),
    )
    for rows_of in first.rebuild.rows:
        table.line_for(f"rows in {rows_of}", rows_of, lambda f, t: f"{f.rebuild.rows.get(t, 0):,}")
    line(
        "consistency: models checked / problems",
        lambda f: f"{f.checked_models} / {f.inconsistent}",
    )
    line(
        "catalog last_changed_at before latest effective time",
        lambda f: f"{f.stale_last_changed} of {f.checked_models}",
    )
    print("\nevent mix of the fill (share of events, first store):")
    kinds = first.fill.kinds
    total = sum(kinds.values())
    print("  " + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in kinds.most_common()))

    print_as_of_report(results)
    print_targets(results)
    return [problem for figures in results.values() for problem in figures.problems]


def print_as_of_report(results: dict[str, Figures]) -> None:
    as_ofs = {name: f.as_of for name, f in results.items()}
    first = next((a for a in as_ofs.values() if a), None)
    if first is None:
        return
    table = Table(as_ofs, label_width=62, value_width=30)
    table.heading("as-of model")

    def as_of_line(label: str, value: Callable[[AsOf], str]) -> None:
        table.line(label, lambda a: value(a) if a else "-")

    def as_of_line_for(label: str, key: str, value: Callable[[AsOf, str], str]) -> None:
        table.line_for(label, key, lambda a, k: value(a, k) if a else "-")

    as_of_line("events of the model", lambda a: f"{a.events:,}")
    as_of_line("build: seconds (snapshot every 100)", lambda a: f"{a.build_seconds:,.0f}")
    as_of_line("latest snapshot: KiB stored", lambda a: f"{a.snapshot_kib:,.0f}")
    as_of_line("model_as_effective_at: first query in the process, ms",
               lambda a: f"{a.first_effective_ms:,.0f}")  # fmt: skip
    for kind in first.latency:
        as_of_line_for(f"{kind}: queries", kind, lambda a, k: f"{len(a.latency[k].ms)}")
        as_of_line_for("  p50 / p95 / p99 ms", kind, lambda a, k: str(a.latency[k]))
    print("  where the time goes (ms, median of 3):")
    for part in first.parts_ms:
        as_of_line_for(f"    {part}", part, lambda a, p: f"{a.parts_ms.get(p, 0):,.1f}")
    print("\n  event mix of the as-of model (first store):")
    total = sum(first.kinds.values())
    print("  " + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in first.kinds.most_common()))


TARGET_KINDS = (
    "get_model(version=random)",
    "model_as_known_at(random time)",
    "model_as_effective_at(random time)",
)


def print_targets(results: dict[str, Figures]) -> None:
    print()
    for name, f in results.items():
        ok = f.ratio >= TARGET_RATIO
        scale = (
            ""
            if f.events >= TARGET_EVENTS
            else f"; {f.events:,} events, not the {TARGET_EVENTS:,} of the target case"
        )
        print(
            f"{'PASS' if ok else 'MISS'} [{name}] rebuild in {f.rebuild.processes} process(es) "
            f"at {f.ratio:.2f}x the select-and-decode rate ({f.rebuild_rate:,.0f} against "
            f"{f.baseline.decode_rate:,.0f} events/s{scale}; target >= {TARGET_RATIO}x; in one "
            f"process {f.single_text()})"
        )
    for name, f in results.items():
        if f.as_of is None:
            continue
        for kind in TARGET_KINDS:
            latency = f.as_of.latency[kind]
            ok = latency.pct(0.99) < TARGET_P99_MS
            print(
                f"{'PASS' if ok else 'MISS'} [{name}] {kind} on {f.as_of.events:,} events: "
                f"p99 {latency.pct(0.99):,.1f} ms over {len(latency.ms)} queries "
                f"(target < {TARGET_P99_MS:.0f} ms)"
            )


# --------------------------------------------------------------------------- main


main = benchmark_main(title="projections benchmark", doc=__doc__, flags=FLAGS, check=check_flags,
                      run=run_store, report=print_report)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
