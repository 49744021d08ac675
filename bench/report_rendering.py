"""Reports benchmark: time and peak memory to build and render the model audit report of a model
with 10,000 events, and the portfolio compliance report of 1,000 models.

Run with `.venv/bin/python -m bench.report_rendering` (`--help` for the flags). For each store
(SQLite temp files; PostgreSQL in fresh schemas `bench_<random>`, dropped at the end, unless
--skip-postgres) it fills the store through the `Model` aggregate saved in batches, seals it under a
head signed at a fixed time, then times `--runs` renders of each report (median and max), split into
reading the events under the head, verifying the ledger up to it, building the document and
rendering it, and measures the peak of Python allocations (tracemalloc) in one more run.

Targets (model report, HTML): under 1 s and under 200 MB. A MISS is reported, never an error.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from application.demo.simulation import Clock, ModelLife, model_card, production_targets
from application.governance import Governance
from application.ledger.sealer import Sealer
from bench.backends import Store, opened, store_apart
from bench.script import Flag, benchmark_main, positive_int, store_flags
from bench.workload import cost_report
from domain.commands import (
    CloseBreach,
    OpenBreach,
    RaiseBiasFlag,
    ResolveBiasFlag,
    SetTarget,
)
from infrastructure.ledger.keys import head_file_for
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.ledger.report_source import LedgerCut
from reports import Integrity, build_model_report, build_portfolio_report, events_by_model, render

TARGET_SECONDS = 1.0
TARGET_MB = 200.0
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
FEATURES = ("income", "tenure", "balance")
TARGETS = production_targets(cost_ceiling=9000.0, window="last", severity="critical")


FLAGS = (
    Flag("--events", positive_int, 10_000, "events of the long-lived model"),
    Flag("--models", positive_int, 1_000, "models in the portfolio"),
    Flag("--cycles", int, 1, "monitoring cycles (~9 events) per portfolio model"),
    Flag("--runs", positive_int, 5, "timed renders per report"),
    *store_flags(),
)


def born(name: str) -> ModelLife:
    """A registered low-tier model with targets on every dimension and one approved version
    serving, each step an hour after the previous one (and recorded then)."""
    life = ModelLife(
        name,
        tier="low",
        clock=Clock(START),
        owner="Bench",
        description=f"Benchmark model {name}",
        objective="Measure reports",
        stakeholders=[],
        record_at_clock=True,
    )
    life.set_targets(TARGETS, "targets")
    release(life)
    return life


def release(life: ModelLife) -> None:
    number = len(life.model.versions) + 1
    card = model_card(life.model.name, number=number, commit=f"{number:07x}", features=FEATURES)
    life.release_version(
        card,
        dataset="holdout",
        metrics={"auc": 0.83},
        approvers=("data_scientist",),
        environments=("production",),
    )


# What every cycle records, but the model, the version and what alternates between cycles.
BREACH: dict[str, Any] = {"environment": "production", "dimension": "accuracy", "metric": "auc"}
BIAS: dict[str, Any] = {"attribute": "age", "metric": "dpd", "value": 0.2, "threshold": 0.1}
TIGHTER: dict[str, Any] = {
    "dimension": "accuracy",
    "metric": "auc",
    "comparator": ">=",
    "severity": "critical",
}


def live_a_cycle(life: ModelLife, cycle: int) -> None:
    """About ten events: a breach and its recovery, a bias flag and its resolution, a target change
    and its approvals, a cost report; a new release every 50 cycles."""
    model, by, odd = life.model, life.by, cycle % 2 == 1
    name, version = model.name, model.active["production"]
    crossing = OpenBreach(name=name, version=version, observed_value=0.7, **BREACH)
    breach = model.open_breach(crossing, by("itops_engineer"))
    recovery = CloseBreach(name=name, breach_id=breach, observed_value=0.85)
    model.close_breach(recovery, by("itops_engineer"))
    flag = model.raise_bias_flag(
        RaiseBiasFlag(name=name, version=version, **BIAS), by("data_scientist")
    )
    resolution = ResolveBiasFlag(
        name=name, flag_id=flag, resolution="retrain" if odd else "accept_risk"
    )
    model.resolve_bias_flag(resolution, by("compliance_officer", "reviewed"))
    target = SetTarget(name=name, threshold=0.8 if odd else 0.79, **TIGHTER)
    model.set_target(target, by("data_scientist", "quarterly review"))
    life.approve_targets()
    period = f"{2025 + cycle // 12}-{cycle % 12 + 1:02d}"
    cost = cost_report(
        name, period=period, amount=Decimal("8000.00"), business_unit="Bench", version=version
    )
    model.report_cost(cost, by("business_owner"))
    if cycle % 50 == 49:
        release(life)


def fill_model(app: Governance, name: str, events: int) -> None:
    life = born(name)
    cycle = 0
    while life.model.version < events:
        live_a_cycle(life, cycle)
        cycle += 1
        if cycle % 100 == 0:
            app.save(life.model)
    app.save(life.model)


def fill_portfolio(app: Governance, models: int, cycles: int) -> int:
    total = 0
    for index in range(models):
        life = born(f"bench-{index:05d}")
        for cycle in range(cycles):
            live_a_cycle(life, cycle)
        app.save(life.model)
        total += life.model.version
    return total


def seal(ledger: Ledger, when: datetime) -> int:
    sealer = Sealer(
        source=ledger.events,
        tables=ledger.tables,
        signer=ledger.signer(),
        every_events=10**9,
        anchor=head_file_for(ledger.settings.signing_key_file),
        now=lambda: when,
    )
    sealer.seal_all()
    return sealer.frontier.size


@dataclass
class Timing:
    read: float
    verify: float
    build: float
    render: float

    @property
    def total(self) -> float:
        return self.read + self.verify + self.build + self.render


def timed(
    ledger: Ledger,
    read: Callable[[LedgerCut], Any],
    build: Callable[[Any, Integrity], dict[str, Any]],
) -> Timing:
    """One report as the CLI and the API make it, timed step by step."""
    t0 = time.perf_counter()
    cut = LedgerCut.at(ledger, None)
    events = read(cut)
    t1 = time.perf_counter()
    integrity = cut.integrity
    t2 = time.perf_counter()
    document = build(events, integrity)
    t3 = time.perf_counter()
    render(document, "html")
    return Timing(t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3)


def timed_model_report(ledger: Ledger, name: str) -> Timing:
    return timed(
        ledger,
        lambda cut: cut.model_events(name),
        lambda events, integrity: build_model_report(events, integrity=integrity),
    )


def timed_portfolio_report(ledger: Ledger) -> Timing:
    return timed(
        ledger,
        lambda cut: events_by_model(cut.feed()),
        lambda models, integrity: build_portfolio_report(models, integrity=integrity),
    )


def peak_mb(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def report_line(label: str, timings: list[Timing], peak: float, *, target: bool) -> None:
    totals = [t.total for t in timings]
    median = statistics.median(totals)
    best = min(timings, key=lambda t: t.total)
    verdict = ""
    if target:
        ok = median < TARGET_SECONDS and peak < TARGET_MB
        verdict = f"  {'PASS' if ok else 'MISS'} (< {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB)"
    print(f"  {label}: median {median:.3f} s, max {max(totals):.3f} s, peak {peak:.1f} MB{verdict}")
    print(
        f"    fastest run: read {best.read:.3f} s, verify {best.verify:.3f} s, "
        f"build {best.build:.3f} s, render {best.render:.3f} s"
    )


def bench_store(store: Store, args: argparse.Namespace) -> None:
    """The model report on one store, then the portfolio report on a store apart."""
    settings = store.settings(tag="model", extra=store.signing_key("model"))
    with opened(settings) as app:
        start = time.perf_counter()
        fill_model(app, "long-lived", args.events)
        ledger = open_ledger(settings, app)
        size = seal(ledger, START + timedelta(days=3650))
        print(
            f"  filled and sealed {size} events of one model in {time.perf_counter() - start:.1f} s"
        )
        timings = [timed_model_report(ledger, "long-lived") for _ in range(args.runs)]
        peak = peak_mb(lambda: timed_model_report(ledger, "long-lived"))
        report_line(f"model report ({size} events, HTML)", timings, peak, target=True)
    with store_apart(store, "portfolio") as apart:
        settings = apart.settings(tag="portfolio", extra=apart.signing_key("portfolio"))
        with opened(settings) as app:
            start = time.perf_counter()
            total = fill_portfolio(app, args.models, args.cycles)
            ledger = open_ledger(settings, app)
            seal(ledger, START + timedelta(days=3650))
            print(
                f"  filled and sealed {args.models} models ({total} events) in "
                f"{time.perf_counter() - start:.1f} s"
            )
            timings = [timed_portfolio_report(ledger) for _ in range(max(1, args.runs // 2))]
            peak = peak_mb(lambda: timed_portfolio_report(ledger))
            report_line(
                f"portfolio report ({args.models} models, HTML)", timings, peak, target=False
            )


def no_problems(_: dict[str, None], __: argparse.Namespace) -> list[str]:
    """The figures were printed as they were measured; a MISS is not a problem."""
    return []


main = benchmark_main(title="reports benchmark", doc=__doc__, whole_doc=True, flags=FLAGS,
                      run=bench_store, report=no_problems)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
