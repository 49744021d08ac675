"""Snapshot benchmark: a model's snapshot stays small however long its history grows.

Run with `.venv/bin/python -m bench.snapshot` (`--help` for the flags). On SQLite (a temp file;
PostgreSQL too unless `--skip-postgres`) it records one model living through `--events` events
(default 100,000) of a monitoring-heavy life, drawn through the domain `Model` aggregate: breaches
opened and closed, the game plan's automated responses and pages, monthly cost reports, bias flags
raised and resolved, target reviews, game plan changes, staging activations, rollbacks and a few
releases. A snapshot of the model in memory is stored at each multiple of `--checkpoint` events;
the stored size (encrypted, as the store keeps it) at 1,000 events is the baseline, and the size
at the end is checked against the 200 KB target. Then the time to take a snapshot: from the model
in memory (`Snapshot.take` and encoding, median of 20), and as the application takes one after a
save (`take_snapshot`: load from the latest snapshot and the events after it, take, write).

Exit code 1 if a check failed (the model loaded from its snapshot differs from the model folded
from every event); a MISS alone exits 0.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from eventsourcing.domain import Snapshot

from application.governance import Governance, fold_model
from bench.backends import Store, opened
from bench.figures import Table, progress
from bench.projections import Story, comparable
from bench.script import Flag, benchmark_main, positive_int, store_flags
from domain.commands import ChangeGamePlan

TARGET_BYTES = 200 * 1024
BASELINE_EVENTS = 1_000
SAVE_EVERY = 1_000  # events per app.save(...) while building
NAME = "monitored-model"
START = datetime(2019, 1, 7, 8, 0, tzinfo=UTC)
# The weights of the actions of a model in production for years (an action records 1 to ~9
# events): most events are monitoring's; about 30 releases (some rejected) and 30 shadow tests in 100,000 events.
MONITORED_MIX = {
    "breach_open": 30.0,
    "breach_close": 30.0,
    "respond": 4.0,
    "production": 20.0,
    "cost": 10.0,
    "bias_raise": 3.0,
    "bias_resolve": 3.0,
    "targets": 1.0,
    "game_plan": 1.0,
    "staging": 4.0,
    "rollback": 2.0,
    "validation": 0.02,
    "release": 0.02,
    "retire": 0.05,
    "policy": 0.05,
}
HOOKS = ("https://hooks.northwind-bank.example/ml", "https://pager.northwind-bank.example/ml")


FLAGS = (
    Flag("--events", positive_int, 100_000, "events in the model (default 100,000)"),
    Flag("--checkpoint", positive_int, BASELINE_EVENTS,
         f"events between snapshots (default {BASELINE_EVENTS})"),
    Flag("--seed", int, 12, "the random life's seed"),
    *store_flags(),
)  # fmt: skip


class MonitoredStory(Story):
    """Story's life (bench/projections.py) with what monitoring's game plan adds to it."""

    def game_plan(self) -> None:
        """Where the model's events go and what monitoring does on a critical breach: revised."""
        plan = {
            "notifications": [
                {"url": url, "events": ["BreachOpened", "OnCallPaged"], "min_severity": "warning"}
                for url in self.rng.sample(HOOKS, self.rng.randint(1, len(HOOKS)))
            ],
            "responses": [
                {"dimension": "accuracy", "environment": "production",
                 "min_severity": "critical", "action": self.rng.choice(("roll_back", "deactivate"))}
            ],
        }  # fmt: skip
        self.model.change_game_plan(
            ChangeGamePlan(name=self.model.name, game_plan=plan),
            self.by("ml_engineer", "on-call rota revised"),
        )

    def production(self) -> None:
        """Production served again after the game plan deactivated it: the newest version that
        may be activated there."""
        if "production" in self.model.active:
            return
        for version in reversed(self.model.versions):
            if self.usable(version.number) and not self.model.unmet_gates(version.number):
                self.activate(version.number, "production")
                return

    def respond(self) -> None:
        """The game plan answers an open breach in production (roll back or deactivate, page)."""
        model = self.model
        serving = [b for b in model.open_breaches() if model.active.get(b.environment) == b.version]
        if serving:
            action = self.rng.choice(("roll_back", "deactivate"))
            model.respond_to_breach(
                breach_id=serving[0].breach_id, action=action, by=self.by("policy", "game plan")
            )


@dataclass
class Figures:
    events: int = 0
    build_seconds: float = 0.0
    sizes: dict[int, int] = field(default_factory=dict)  # events -> stored snapshot bytes
    take_ms: list[float] = field(default_factory=list)
    take_snapshot_ms: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> int:
        return self.sizes.get(BASELINE_EVENTS, 0)

    @property
    def final(self) -> int:
        return self.sizes[max(self.sizes)] if self.sizes else 0


def build(app: Governance, args: argparse.Namespace, label: str) -> tuple[Story, Figures]:
    """The model through `args.events` events, saved every SAVE_EVERY; a snapshot of the model in
    memory stored at each multiple of `args.checkpoint` (or the first action past it)."""
    figures = Figures()
    story = MonitoredStory(NAME, "high", START, random.Random(args.seed), MONITORED_MIX, 1800.0)
    model = story.model
    snapshots = app.snapshots
    assert snapshots is not None, "snapshotting is enabled"
    started = time.perf_counter()
    checkpoint = args.checkpoint
    while model.version < args.events:
        boundary = min(args.events, (model.version // checkpoint + 1) * checkpoint)
        while model.version < boundary:
            story.step()
        figures.kinds.update(type(event).__name__ for event in model.pending_events)
        app.save(model)
        snapshots.put([Snapshot.take(model)])
        [stored] = snapshots.recorder.select_events(model.id, desc=True, limit=1)
        figures.sizes[boundary] = len(stored.state)
        if boundary % (args.events // 5 or 1) < checkpoint:
            progress(label, f"{model.version:,} / {args.events:,} events")
    figures.build_seconds = time.perf_counter() - started
    figures.events = model.version
    return story, figures


def run_store(store: Store, args: argparse.Namespace) -> Figures:
    label = store.name
    # Snapshots only where the build stores them, as the long model of bench/projections.py.
    with opened(store.settings(interval=10**9)) as app:
        story, figures = build(app, args, label)
        model = story.model
        for _ in range(20):
            started = time.perf_counter()
            app.mapper.to_stored_event(Snapshot.take(model))
            figures.take_ms.append(1000 * (time.perf_counter() - started))
        # One more event, saved; then the snapshot the application would take after that save.
        story.cost()
        app.save(model)
        started = time.perf_counter()
        app.take_snapshot(model.id, version=model.version, projector_func=fold_model)
        figures.take_snapshot_ms = 1000 * (time.perf_counter() - started)
        loaded = app.repository.get(model.id, projector_func=fold_model)
        folded = fold_model(None, app.events.get(model.id))
        if folded is None or comparable(loaded) != comparable(folded):
            figures.problems.append(
                f"[{label}] the model at {model.version:,} events differs when loaded from its "
                "snapshot and when folded from every event"
            )
    return figures


def print_report(results: dict[str, Figures], args: argparse.Namespace) -> list[str]:
    table = Table(results, label_width=54)
    table.heading()
    table.line("events in the model", lambda f: f"{f.events:,}")
    table.line("build time, s", lambda f: f"{f.build_seconds:.0f}")
    for events in sorted({e for f in results.values() for e in f.sizes}):
        if events in (BASELINE_EVENTS, args.events) or events % (args.events // 10 or 1) == 0:
            table.line_for(f"snapshot at {events:,} events, bytes", events, _size)
    table.line("target, bytes", lambda f: f"< {TARGET_BYTES:,}")
    table.line(
        f"at {args.events:,} / at {BASELINE_EVENTS:,} events",
        lambda f: f"{f.final / f.baseline:.2f}x" if f.baseline else "-",
    )
    table.line(
        "take (model in memory): median / max ms",
        lambda f: f"{statistics.median(f.take_ms):.1f} / {max(f.take_ms):.1f}",
    )
    table.line("take_snapshot after a save (load + take + write), ms",
               lambda f: f"{f.take_snapshot_ms:.0f}")  # fmt: skip
    for name, figures in results.items():
        verdict = "PASS" if figures.final < TARGET_BYTES else "MISS"
        print(f"\n{verdict} [{name}] snapshot at {figures.events:,} events: {figures.final:,} "
              f"bytes (target < {TARGET_BYTES:,}; {figures.baseline:,} at {BASELINE_EVENTS:,})")  # fmt: skip
        total = sum(figures.kinds.values())
        print(f"[{name}] events by kind: " + ", ".join(
            f"{kind} {count / total:.1%}" for kind, count in figures.kinds.most_common()
        ))  # fmt: skip
    return [problem for figures in results.values() for problem in figures.problems]


def _size(figures: Figures, events: int) -> str:
    size = figures.sizes.get(events)
    return f"{size:,}" if size is not None else "-"


main = benchmark_main(title="snapshot benchmark", doc=__doc__, flags=FLAGS, run=run_store,
                      report=print_report)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
