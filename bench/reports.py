"""Reports benchmark: time and peak memory to build and render the model audit report of a model
with 10,000 events, and the portfolio compliance report of 1,000 models.

Run with `.venv/bin/python bench/reports.py` (`--help` for the flags). For each store (a SQLite
temp file; PostgreSQL in a fresh schema `bench_<random>`, dropped at the end, unless
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
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

# `store` is bench/store.py, beside this script (on sys.path) ...
from store import DEFAULT_PG_URL, check_postgres, postgres_schema

# ... and so is this script, which would shadow the `reports` package: drop its folder from the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from application.governance import Governance  # noqa: E402
from application.ledger.sealer import Sealer  # noqa: E402
from domain.model import Model  # noqa: E402
from domain.values import Attribution  # noqa: E402
from infrastructure.keys import head_file_for, write_key_pair  # noqa: E402
from infrastructure.ledger import Ledger, open_ledger  # noqa: E402
from infrastructure.report_source import LedgerCut  # noqa: E402
from infrastructure.settings import Settings, get_settings  # noqa: E402
from infrastructure.store import open_governance  # noqa: E402
from reports import (  # noqa: E402
    Integrity,
    build_model_report,
    build_portfolio_report,
    events_by_model,
    render,
)

TARGET_SECONDS = 1.0
TARGET_MB = 200.0
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
ROLES = {"eng": "ml_engineer", "ds": "data_scientist", "bo": "business_owner",
         "ops": "devops_engineer", "itops": "itops_engineer", "co": "compliance_officer"}  # fmt: skip
_requests = count(1)


class Clock:
    """Simulated time: each attribution an hour after the previous one."""

    def __init__(self) -> None:
        self.now = START

    def by(self, who: str, reason: str = "") -> Attribution:
        self.now += timedelta(hours=1)
        return Attribution(principal=who, role=ROLES[who], correlation_id=f"b-{next(_requests)}",
                           effective_at=self.now, recorded_at=self.now, reason=reason)  # fmt: skip


def card(number: int) -> dict[str, Any]:
    return {
        "artifact_uri": f"s3://bench/model/{number}/model.onnx", "artifact_sha256": f"{number:064x}",
        "features": ["income", "tenure", "balance"], "labels": ["outcome"],
        "training_data": [f"warehouse://bench/{number}"], "assumptions": ["stable population"],
        "documentation_url": "https://wiki.example/bench",
        "provenance": {"git_commit": f"{number:07x}", "pull_request": f"PR-{number}", "pipeline_run": f"run-{number}"},
    }  # fmt: skip


def born(name: str, clock: Clock) -> Model:
    """A registered model with targets on every dimension and one approved version serving."""
    model = Model.register(name=name, description=f"Benchmark model {name}", owner="Bench",
                           business_objective="Measure reports", risk_tier="low", stakeholders=[],
                           by=clock.by("eng"))  # fmt: skip
    for dimension, metric, comparator, threshold in (
        ("performance", "latency_p99_ms", "<=", 250.0), ("accuracy", "auc", ">=", 0.8),
        ("governance", "disparate_impact_ratio", ">=", 0.8), ("cost", "monthly_cost_eur", "<=", 9000.0),
    ):  # fmt: skip
        model.set_target(dimension=dimension, metric=metric, comparator=comparator,
                         threshold=threshold, window="last", severity="critical", unit="",
                         by=clock.by("ds", "targets"))  # fmt: skip
    release(model, clock)
    return model


def release(model: Model, clock: Clock) -> None:
    number = model.register_version(card=card(len(model.versions) + 1), by=clock.by("eng"))
    model.record_validation(version=number, kind="ab_test", dataset="holdout", metrics={"auc": 0.83},
                            passed=True, compared_to=None, by=clock.by("eng"))  # fmt: skip
    model.approve_release(version=number, by=clock.by("ds", "evidence reviewed"))
    model.activate(version=number, environment="production", by=clock.by("ops"))


def live_a_cycle(model: Model, clock: Clock, cycle: int) -> None:
    """About ten events: a breach and its recovery, a bias flag and its resolution, a target change
    and its approvals, a cost report; a new release every 50 cycles."""
    version = model.active["production"]
    breach = model.open_breach(version=version, environment="production", dimension="accuracy",
                               metric="auc", observed_value=0.7, by=clock.by("itops"))  # fmt: skip
    model.close_breach(breach_id=breach, observed_value=0.85, by=clock.by("itops"))
    flag = model.raise_bias_flag(version=version, attribute="age", metric="dpd", value=0.2,
                                 threshold=0.1, by=clock.by("ds"))  # fmt: skip
    model.resolve_bias_flag(flag_id=flag, resolution="retrain" if cycle % 2 else "accept_risk",
                            by=clock.by("co", "reviewed"))  # fmt: skip
    model.set_target(dimension="accuracy", metric="auc", comparator=">=",
                     threshold=0.8 if cycle % 2 else 0.79, window="last", severity="critical",
                     unit="", by=clock.by("ds", "quarterly review"))  # fmt: skip
    model.approve_targets(revision=model.targets_revision, by=clock.by("ds"))
    model.approve_targets(revision=model.targets_revision, by=clock.by("bo"))
    model.report_cost(period=f"{2025 + cycle // 12}-{cycle % 12 + 1:02d}", amount="8000.00",
                      currency="EUR", business_unit="Bench", version=version, by=clock.by("bo"))  # fmt: skip
    if cycle % 50 == 49:
        release(model, clock)


def fill_model(app: Governance, name: str, events: int) -> None:
    clock = Clock()
    model = born(name, clock)
    cycle = 0
    while model.version < events:
        live_a_cycle(model, clock, cycle)
        cycle += 1
        if cycle % 100 == 0:
            app.save(model)
    app.save(model)


def fill_portfolio(app: Governance, models: int, cycles: int) -> int:
    total = 0
    for index in range(models):
        clock = Clock()
        model = born(f"bench-{index:05d}", clock)
        for cycle in range(cycles):
            live_a_cycle(model, clock, cycle)
        app.save(model)
        total += model.version
    return total


def seal(ledger: Ledger, when: datetime) -> int:
    sealer = Sealer(source=ledger.events, tables=ledger.tables, signer=ledger.signer(),
                    every_events=10**9, anchor=head_file_for(ledger.settings.signing_key_file),
                    now=lambda: when)  # fmt: skip
    while sealer.seal_once().appended:
        pass
    sealer.seal_once(force_head=True)
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
    print(f"    fastest run: read {best.read:.3f} s, verify {best.verify:.3f} s, "
          f"build {best.build:.3f} s, render {best.render:.3f} s")  # fmt: skip


def settings_for(url: str, key_file: Path, schema: str = "") -> Settings:
    environ = {"MODELGOV_DATABASE_URL": url, "MODELGOV_CIPHER_KEY": "7hS2bQ4Kq1tN9mY0cV3xZ8wR5uP6eA1dF4gH7jK2lMo=",
               "MODELGOV_SIGNING_KEY_FILE": str(key_file)}  # fmt: skip
    if schema:
        environ["MODELGOV_PG_SCHEMA"] = schema
    return get_settings(environ)


@contextmanager
def stores(
    args: argparse.Namespace, folder: Path
) -> Iterator[list[tuple[str, Callable[[str], Settings]]]]:
    found: list[tuple[str, Callable[[str], Settings]]] = [
        (
            "SQLite",
            lambda tag: settings_for(f"sqlite:///{folder / tag}.db", folder / f"sqlite-{tag}.key"),
        )
    ]
    if args.skip_postgres or not check_postgres(args.pg_url):
        yield found
        return
    with postgres_schema(args.pg_url) as first, postgres_schema(args.pg_url) as second:
        schemas = {"model": first, "portfolio": second}
        found.append(
            (
                "PostgreSQL",
                lambda tag: settings_for(args.pg_url, folder / f"pg-{tag}.key", schemas[tag]),
            )
        )
        yield found


def bench_store(
    label: str, settings_of: Callable[[str], Settings], args: argparse.Namespace
) -> None:
    print(f"\n{label}", flush=True)
    settings = settings_of("model")
    write_key_pair(settings.signing_key_file, passphrase=None)
    app = open_governance(settings)
    try:
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
    finally:
        app.close()
    settings = settings_of("portfolio")
    write_key_pair(settings.signing_key_file, passphrase=None)
    app = open_governance(settings)
    try:
        start = time.perf_counter()
        total = fill_portfolio(app, args.models, args.cycles)
        ledger = open_ledger(settings, app)
        seal(ledger, START + timedelta(days=3650))
        print(
            f"  filled and sealed {args.models} models ({total} events) in {time.perf_counter() - start:.1f} s"
        )
        timings = [timed_portfolio_report(ledger) for _ in range(max(1, args.runs // 2))]
        peak = peak_mb(lambda: timed_portfolio_report(ledger))
        report_line(f"portfolio report ({args.models} models, HTML)", timings, peak, target=False)
    finally:
        app.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000, help="events of the long-lived model")
    parser.add_argument("--models", type=int, default=1_000, help="models in the portfolio")
    parser.add_argument(
        "--cycles", type=int, default=1, help="monitoring cycles (~9 events) per portfolio model"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed renders per report")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="modelgov-bench-reports-") as tmp,
        stores(args, Path(tmp)) as found,
    ):
        for label, settings_of in found:
            bench_store(label, settings_of, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
