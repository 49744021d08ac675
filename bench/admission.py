"""Admission check benchmark: `GET /v1/admission` latency over a real `modelgov serve`, 1,000 models.

Run with `.venv/bin/python -m bench.admission` (`--help` for the flags). For SQLite and
PostgreSQL it records `--models` low-tier models, each with one version (an artifact digest of its
own) approved and active in production, brings the read models and the ledger up to date (a store
in its steady state), starts `modelgov serve` (with a signing key, so its sealer runs) on 127.0.0.1
and asks, from one keep-alive client, `--requests` admission questions cycling over the models:
allowed (the active artifact in production), denied (the same artifact in staging) and
unknown (a digest no model has), a third each. It prints p50/p95/p99 of the HTTP answer, and, side
by side from the same run, the baseline: the same question as a bare SELECT on the same table
(modelgov_admission) through the same driver in this process (no HTTP, no token, no framework);
and, for context, `GET /healthz` on the same connection (the HTTP stack alone), alternated with
the admission questions in blocks.

PASS/MISS against the target: p99 of the HTTP answer under 5 ms. Exit code 1 only if an answer
was wrong (an allowed digest denied, or the reverse) or a request failed.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from application.governance import Governance
from bench.api import HOST, create_tokens, running_server
from bench.backends import Store
from bench.figures import Latencies, Table, progress
from bench.script import Flag, benchmark_main, positive_int, store_flags
from bench.workload import bench_by, registration
from domain.commands import Activate, ApproveRelease, RegisterModel, RegisterVersion
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.ledger.online import open_ledger
from infrastructure.projections.runner import ProjectionRunner, default_projections

TARGET_P99_MS = 5.0
WARMUP = 200  # requests before the clock starts, not counted


@dataclass
class Figures:
    http: Latencies = field(default_factory=Latencies)
    bare_select: Latencies = field(default_factory=Latencies)
    healthz: Latencies = field(default_factory=Latencies)
    wrong: list[str] = field(default_factory=list)


def digest_of(n: int) -> str:
    return hashlib.sha256(f"bench-artifact-{n}".encode()).hexdigest()


def record_models(governance: Governance, models: int, store: str) -> None:
    """`models` models, each with version 1 approved and active in production."""
    for n in range(models):
        name = f"admission-{n:05d}"
        governance.handle(
            RegisterModel(**registration(name, objective="Admission bench")),
            by=bench_by("ml_engineer"),
        )
        card = {
            "artifact_uri": f"s3://bench/{name}/model.onnx", "artifact_sha256": digest_of(n),
            "features": ["x"], "labels": ["y"], "training_data": ["warehouse://bench"],
            "assumptions": ["none"], "documentation_url": "https://wiki.example/bench",
            "provenance": {"git_commit": "abc1234", "pull_request": "PR-1", "pipeline_run": "r-1"},
        }  # fmt: skip
        governance.handle(RegisterVersion(name=name, card=card), by=bench_by("ml_engineer"))
        governance.handle(ApproveRelease(name=name, version=1), by=bench_by("data_scientist"))
        governance.handle(
            Activate(name=name, version=1, environment="production"), by=bench_by("devops_engineer")
        )
        if (n + 1) % 200 == 0:
            progress(store, f"recorded {n + 1:,} models")


def question(n: int, models: int) -> tuple[str, str, bool]:
    """The n-th question: (digest, environment, whether it must be allowed)."""
    model, kind = (n // 3) % models, n % 3
    if kind == 0:
        return digest_of(model), "production", True
    if kind == 1:
        return digest_of(model), "staging", False
    return hashlib.sha256(f"unknown-{n}".encode()).hexdigest(), "production", False


def measure(
    questions: range, models: int, ask: Callable[[str, str], bool], into: Latencies
) -> list[str]:
    """Ask `questions` (their numbers; negative ones warm up, not counted); the wrong answers."""
    wrong = []
    for n in questions:
        digest, environment, expected = question(n % (3 * models), models)
        started = time.perf_counter()
        allowed = ask(digest, environment)
        elapsed = (time.perf_counter() - started) * 1000
        if n >= 0:
            into.ms.append(elapsed)
        if allowed != expected:
            wrong.append(
                f"{digest[:12]}... in {environment}: allowed={allowed}, expected {expected}"
            )
    return wrong


def timed_healthz(connection: http.client.HTTPConnection, count: int, into: Latencies) -> None:
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        into.ms.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"GET /healthz: {response.status}")


def run_store(store: Store, args: argparse.Namespace) -> Figures:
    figures = Figures()
    signing = store.signing_key(
        "admission"
    )  # the server seals what is recorded, as a real one does
    settings = store.settings(tag="admission", extra=signing)
    governance = open_governance(settings)
    sql = SqlRunner(settings.database)
    try:
        progress(store.name, f"recording {args.models:,} models (4 commands each) ...")
        record_models(governance, args.models, store.name)
        runner = ProjectionRunner(governance, sql, default_projections())
        progress(store.name, f"read models: {runner.catch_up():,} event applications")
        runner.close()
        # A store in its steady state, as the read models are: the server's sealer would otherwise
        # hash and sign every event recorded above while the clock runs (4 per model).
        progress(
            store.name,
            f"ledger: {open_ledger(settings, governance).sealer().seal_all():,} events sealed",
        )

        def bare_select(digest: str, environment: str) -> bool:
            rows = sql.execute(
                "SELECT allowed FROM modelgov_admission WHERE artifact_sha256 = ? AND "
                "environment = ? LIMIT 1",
                (digest, environment),
            )
            return bool(rows and rows[0][0])

        questions = range(-WARMUP, args.requests)
        figures.wrong += measure(questions, args.models, bare_select, figures.bare_select)
        progress(store.name, f"bare SELECT p50/p95/p99 ms: {figures.bare_select}")
    finally:
        sql.close()
        governance.close()
    _, (token, *_) = create_tokens(settings, 1)
    with running_server(store.environ(tag="admission", extra=signing), store.workdir) as server:
        connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
        headers = {"Authorization": f"Bearer {token}"}

        def over_http(digest: str, environment: str) -> bool:
            path = f"/v1/admission?artifact_sha256={digest}&environment={environment}"
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
            allowed: bool = json.loads(body)["allowed"]
            return allowed

        # Alternated in blocks, so that the machine's load falls on both alike.
        figures.wrong += measure(range(-WARMUP, 0), args.models, over_http, Latencies())
        timed_healthz(connection, WARMUP, Latencies())
        block = max(1, args.requests // 10)
        for start in range(0, args.requests, block):
            questions = range(start, min(start + block, args.requests))
            figures.wrong += measure(questions, args.models, over_http, figures.http)
            timed_healthz(connection, len(questions), figures.healthz)
        connection.close()
    progress(store.name, f"HTTP p50/p95/p99 ms: {figures.http}")
    return figures


def report(results: dict[str, Figures], args: argparse.Namespace) -> list[str]:
    table = Table(results, label_width=58, value_width=22)
    table.heading()
    table.line(
        f"GET /v1/admission, {args.models:,} models, p50/p95/p99 ms", lambda f: f.http.summary()
    )
    table.line(
        "baseline: bare SELECT, same table and driver, ms", lambda f: f.bare_select.summary()
    )
    table.line("context: GET /healthz (the HTTP stack alone), ms", lambda f: f.healthz.summary())
    print()
    for store, figures in results.items():
        verdict = "PASS" if figures.http.pct(0.99) < TARGET_P99_MS else "MISS"
        print(
            f"{verdict} {store}: p99 {figures.http.pct(0.99):.2f} ms (target < {TARGET_P99_MS} ms)"
        )
    return [f"{store}: {line}" for store, figures in results.items() for line in figures.wrong]


main = benchmark_main(
    title="admission benchmark",
    doc=__doc__,
    flags=(
        Flag("--models", type=positive_int, default=1000, help="models recorded (default 1000)"),
        Flag(
            "--requests",
            type=positive_int,
            default=3000,
            help="questions asked per measurement (default 3000)",
        ),
        *store_flags(),
    ),
    run=run_store,
    report=report,
)

if __name__ == "__main__":
    raise SystemExit(main())
