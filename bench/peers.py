"""Peers benchmark: one model lifecycle written through MLflow 3's registry and modelgov's API.

The same lifecycle goes through MLflow 3's registry REST server and through modelgov's HTTP API,
in one run, on the same database server, and the ratio is printed.

Run with `.venv/bin/python -m bench.peers` (`--help` for the flags; MLflow comes with the
project's `mlflow` extra). Both servers run as subprocesses on free ports of 127.0.0.1 at once:
`modelgov serve` on the store's schema (bench/backends.py) and `mlflow server` on a database of
its own (`bench_mlflow_<random>`, created and dropped here) of the same PostgreSQL, or a SQLite
file with `--only sqlite`. Their measurements alternate (modelgov first in odd rounds, MLflow
first in even ones), and each starts once both servers are idle again, so that background load on
the machine and one server's catching up fall on neither alone.

A lifecycle is five writes, each one request (the mapping is in bench/README.md, "Peers"):
register the model, register version 1 with its card, record validation evidence, approve the
release, activate it in production. Each client (a thread with its own keep-alive connection)
writes lifecycles of its own models one after the other; its first lifecycle is a warm-up.
Printed: writes/s, latency p50/p95/p99, server CPU and PostgreSQL CPU per write, per peer and
client count, the ratio modelgov / MLflow, and PASS/MISS against the goals: at 8 clients
modelgov >= 10x MLflow's writes/s; at 1 client a lower p50 than MLflow's.

Checks: every response must be 2xx, and each client's last model must hold what its writes
said (modelgov: its revision; MLflow: its version, tags and alias). Exit code 1 if not.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from application.demo.simulation import model_card
from bench.api import (
    HOST,
    Client,
    console_script,
    describe_failure,
    free_port,
    log_tail,
    model_versions,
    running_server,
    server_errors,
    wait_until_ready,
)
from bench.backends import Store, postgres_database
from bench.figures import (
    Latencies,
    ServerCpu,
    ServerCpuSample,
    Table,
    progress,
    tree_cpu_seconds,
)
from bench.script import (
    PG_URL_FLAG,
    Flag,
    benchmark_main,
    positive_float,
    positive_int,
    positive_ints,
)
from bench.workload import registration
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings

MODELGOV, MLFLOW = "modelgov", "MLflow"
GOAL_RATIO = 10.0  # modelgov's writes/s over MLflow's, at GOAL_CLIENTS
GOAL_CLIENTS = 8
MLFLOW_START_TIMEOUT = 180.0  # its first start migrates the database (about 45 s here)
IDLE_CORES = 0.05  # a server under this many cores is idle
IDLE_WAIT_SECONDS = 30.0
ROLES = ("ml_engineer", "validator", "data_scientist")  # the roles a modelgov lifecycle needs
API = "/api/2.0/mlflow"

# --------------------------------------------------------------------------- the lifecycle


@dataclass(frozen=True)
class Write:
    """One request of a lifecycle, a POST; `role`: whose modelgov token sends it (MLflow: none)."""

    step: str
    path: str
    body: dict[str, Any]
    role: str | None = None


EVIDENCE = {
    "kind": "ab_test",
    "dataset": "holdout-2026-11",
    "metrics": {"auc": 0.84},
    "passed": True,
}


def card_of(name: str) -> dict[str, Any]:
    return model_card(name, number=1, commit="4e1f2a9c0b7d", features=["tenure", "balance"])


def modelgov_lifecycle(name: str) -> list[Write]:
    version = f"/v1/models/{name}/versions/1"
    model = registration(name, objective="Compare with MLflow's registry")
    return [
        Write("register model", "/v1/models", model, "ml_engineer"),
        Write("register version", f"/v1/models/{name}/versions",
              {"card": card_of(name)}, "ml_engineer"),
        Write("record evidence", f"{version}/validations", EVIDENCE, "validator"),
        Write("approve release", f"{version}/approvals",
              {"reason": "evidence reviewed"}, "data_scientist"),
        Write("activate", f"/v1/models/{name}/activations",
              {"version": 1, "environment": "production"}, "ml_engineer"),
    ]  # fmt: skip


def mlflow_lifecycle(name: str) -> list[Write]:
    model = registration(name, objective="Compare with MLflow's registry")
    card = card_of(name)
    version = {"name": name, "version": "1"}
    return [
        Write("register model", f"{API}/registered-models/create", {
            "name": name, "description": model["description"],
            "tags": [{"key": key, "value": str(model[key])}
                     for key in ("owner", "business_objective", "risk_tier")]}),
        Write("register version", f"{API}/model-versions/create", {
            "name": name, "source": card["artifact_uri"], "description": json.dumps(card),
            "tags": [{"key": "git_commit", "value": card["provenance"]["git_commit"]}]}),
        Write("record evidence", f"{API}/model-versions/set-tag",
              {**version, "key": "validation.ab_test", "value": json.dumps(EVIDENCE)}),
        Write("approve release", f"{API}/model-versions/set-tag",
              {**version, "key": "approved_by", "value": "data_scientist: evidence reviewed"}),
        Write("activate", f"{API}/registered-models/alias",
              {"name": name, "alias": "production", "version": "1"}),
    ]  # fmt: skip


STEPS = len(modelgov_lifecycle("x"))

# --------------------------------------------------------------------------- the servers


@dataclass
class Peer:
    """A server under test: how to write a lifecycle to it and check what a model holds."""

    label: str
    port: int
    pid: int
    log: Path
    lifecycle: Callable[[str], list[Write]]
    tokens: list[dict[str, str]]  # per client, by role (MLflow: empty)
    check: Callable[[Peer, str, int], str | None]  # (peer, model, writes 2xx) -> problem

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pid)


def check_modelgov(peer: Peer, name: str, writes: int) -> str | None:
    """One event per 2xx write: the model's revision is the number of its writes."""
    revision = model_versions(peer.port, peer.tokens[0]["ml_engineer"], [name])[name]
    return None if revision == writes else f"{name}: revision {revision}, {writes} writes 2xx"


def check_mlflow(peer: Peer, name: str, writes: int) -> str | None:
    """Version 1 after the second write, its two tags after the fourth, the alias after the last."""
    client = Client(peer.port, None)
    try:
        status, body = client.request("GET", f"{API}/registered-models/get?name={name}")
    finally:
        client.close()
    if status != 200:
        return f"{name}: {describe_failure(status, body)}"
    model = json.loads(body)["registered_model"]
    versions = model.get("latest_versions", [])
    tags = [t for v in versions for t in v.get("tags", []) if t["key"] != "git_commit"]
    seen = 1 + len(versions) + len(tags) + len(model.get("aliases", []))
    return None if seen == writes else f"{name}: holds {seen} of the writes, {writes} writes 2xx"


def modelgov_tokens(settings: Settings, clients: int) -> list[dict[str, str]]:
    """A token per role a lifecycle needs, for each client (created before the server starts)."""
    open_governance(settings).close()  # creates the store's tables, the tokens' included
    sql = SqlRunner(settings.database)
    try:
        store = TokenStore(sql)
        return [
            {role: store.create(principal=f"peer-{i}-{role}".replace("_", "-"), role=role)
             for role in ROLES}
            for i in range(clients)
        ]  # fmt: skip
    finally:
        sql.close()


@contextmanager
def modelgov_peer(store: Store, clients: int) -> Iterator[Peer]:
    tokens = modelgov_tokens(store.settings(tag="peers"), clients)
    environ = store.environ(tag="peers", extra=store.signing_key("peers"))  # the sealer seals
    with running_server(environ, store.workdir) as server:
        yield Peer(MODELGOV, server.port, server.process.pid, server.log, modelgov_lifecycle,
                   tokens, check_modelgov)  # fmt: skip


@contextmanager
def mlflow_backend(store: Store) -> Iterator[str]:
    """MLflow's SQLAlchemy URL: a database of its own on the store's PostgreSQL (psycopg 3), or a
    SQLite file beside the store's."""
    if not store.is_postgres:
        yield f"sqlite:///{store.workdir / 'mlflow.db'}"
        return
    info = psycopg.conninfo.conninfo_to_dict(store.pg_url)
    with postgres_database(store.pg_url, prefix="bench_mlflow") as name:
        user, password = info.get("user", ""), info.get("password")
        login = f"{user}:{password}@" if password else f"{user}@" if user else ""
        place = f"{info.get('host', 'localhost')}:{info.get('port', 5432)}"
        yield f"postgresql+psycopg://{login}{place}/{name}"


@contextmanager
def mlflow_peer(store: Store, workers: int) -> Iterator[Peer]:
    """`mlflow server` with its registry on its own database; the job runner (GenAI jobs, not
    the registry) off. In a session of its own, so that stopping it stops its workers too."""
    port = free_port()
    log_path = store.workdir / f"mlflow-{port}.log"
    with mlflow_backend(store) as backend:
        command = [
            *console_script("mlflow", install="install the `mlflow` extra"), "server", "--backend-store-uri", backend,
            "--default-artifact-root", (store.workdir / "mlflow-artifacts").as_uri(),
            "--no-serve-artifacts", "--host", HOST, "--port", str(port),
            "--workers", str(workers),
        ]  # fmt: skip
        environ = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, env=environ, cwd=store.workdir, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            wait_until_ready(process, port, log_path, path="/health", timeout=MLFLOW_START_TIMEOUT)
            yield Peer(MLFLOW, port, process.pid, log_path, mlflow_lifecycle, [], check_mlflow)
        finally:
            stop_session(process)


def stop_session(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's session (it and the workers it started), SIGKILL after 10 s."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sent)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
            time.sleep(0.5)  # the workers' own exits
        except subprocess.TimeoutExpired:
            continue
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a worker left behind


def wait_until_idle(peers: list[Peer]) -> float:
    """Seconds until every server used under IDLE_CORES over half a second (at most
    IDLE_WAIT_SECONDS): modelgov's projections catch up after a burst of writes."""
    started = time.perf_counter()
    while time.perf_counter() - started < IDLE_WAIT_SECONDS:
        before = [peer.cpu_seconds() for peer in peers]
        time.sleep(0.5)
        used = [peer.cpu_seconds() - was for peer, was in zip(peers, before, strict=True)]
        if max(used) / 0.5 < IDLE_CORES:
            break
    return time.perf_counter() - started


# --------------------------------------------------------------------------- a measurement


@dataclass
class Measurement:
    """What one peer did with `clients` clients for one period."""

    peer: str
    clients: int
    latencies: Latencies = field(default_factory=Latencies)
    ok: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu: ServerCpu = field(default_factory=ServerCpu)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def per_write_ms(self, cpu: float) -> float:
        return 1000 * cpu / self.ok if self.ok else math.nan


def measure(peer: Peer, clients: int, seconds: float, tag: str, with_postgres: bool) -> Measurement:
    """`clients` threads writing lifecycles to `peer` for `seconds` after one warm-up each."""
    measurement = Measurement(peer.label, clients)
    lock = threading.Lock()
    last: dict[int, tuple[str, int]] = {}  # per client: its last model and its 2xx writes
    clock: dict[str, float] = {}
    cpu: dict[str, ServerCpuSample] = {}

    def start() -> None:
        cpu["before"] = ServerCpuSample.take(peer.pid, with_postgres)
        clock["start"] = time.perf_counter()
        clock["deadline"] = clock["start"] + seconds

    barrier = threading.Barrier(clients, action=start)

    def write_lifecycle(client: Client, k: int, i: int, timed: bool) -> bool:
        name = f"{tag}-{k}-{i}"
        writes = 0
        for write in peer.lifecycle(name):
            if timed and time.perf_counter() >= clock["deadline"]:
                break
            token = peer.tokens[k][write.role] if write.role else None
            began = time.perf_counter()
            status, body = client.request("POST", write.path, write.body, token=token)
            spent = 1000 * (time.perf_counter() - began)
            ok = 200 <= status < 300
            writes += ok
            with lock:
                if timed:
                    measurement.latencies.ms.append(spent)
                    measurement.ok += ok
                if not ok:
                    where = "" if timed else "warm-up: "
                    measurement.failures[
                        f"{where}{write.step}: {describe_failure(status, body)}"
                    ] += 1
        with lock:
            last[k] = (name, writes)
        return writes == STEPS

    def client_thread(k: int) -> None:
        client = Client(peer.port, None)
        try:
            write_lifecycle(client, k, 0, timed=False)
            barrier.wait()
            i = 1
            while time.perf_counter() < clock["deadline"]:
                write_lifecycle(client, k, i, timed=True)
                i += 1
        finally:
            with lock:
                clock[f"end-{k}"] = time.perf_counter()
            client.close()

    threads = [threading.Thread(target=client_thread, args=(k,), daemon=True)
               for k in range(clients)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = ServerCpuSample.take(peer.pid, with_postgres)
    measurement.seconds = max(clock[f"end-{k}"] for k in range(clients)) - clock["start"]
    measurement.cpu = ServerCpu.between(cpu["before"], after, measurement.seconds)
    for name, writes in sorted(last.values()):
        problem = peer.check(peer, name, writes)
        if problem:
            measurement.mismatches.append(problem)
    return measurement


def describe(measurement: Measurement) -> str:
    m = measurement
    return (
        f"{m.peer}, {m.clients} client{'s' if m.clients > 1 else ''}: {m.rate:,.0f} writes/s "
        f"({m.ok:,} in {m.seconds:.1f} s), p50/p95/p99 {m.latencies.summary(sep='/')} ms, "
        f"server CPU {m.per_write_ms(m.cpu.server):.2f} ms/write, machine busy "
        f"{100 * m.cpu.busy:.0f}%, other processes {m.cpu.others_cores:.2f} cores, "
        f"failures {sum(m.failures.values()) + len(m.mismatches)}"
    )


# --------------------------------------------------------------------------- one store


@dataclass
class Figures:
    measurements: list[Measurement] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def of(self, peer: str, clients: int) -> list[Measurement]:
        return [m for m in self.measurements if m.peer == peer and m.clients == clients]


def run_store(store: Store, args: argparse.Namespace) -> Figures:
    figures = Figures()
    name = store.name
    most = max(args.clients)
    with ExitStack() as stack:
        progress(name, f"starting `mlflow server` ({args.mlflow_workers} workers; its first start "
                       "migrates its database) ...")  # fmt: skip
        mlflow = stack.enter_context(mlflow_peer(store, args.mlflow_workers))
        progress(name, f"MLflow: pid {mlflow.pid} on http://{HOST}:{mlflow.port}")
        progress(name, "starting `modelgov serve` ...")
        modelgov = stack.enter_context(modelgov_peer(store, most))
        progress(name, f"modelgov: pid {modelgov.pid} on http://{HOST}:{modelgov.port}")
        for round_number in range(1, args.rounds + 1):
            order = [modelgov, mlflow] if round_number % 2 else [mlflow, modelgov]
            for clients in args.clients:
                for peer in order:
                    waited = wait_until_idle([modelgov, mlflow])
                    progress(name, f"round {round_number}: {peer.label}, {clients} clients, "
                                   f"{args.seconds:g} s (waited {waited:.1f} s for idle) ...")  # fmt: skip
                    tag = f"peer-r{round_number}-c{clients}"
                    measurement = measure(peer, clients, args.seconds, tag, store.is_postgres)
                    progress(name, describe(measurement))
                    for failure, count in measurement.failures.most_common(5):
                        progress(name, f"  FAILED x{count}: {failure}")
                    for mismatch in measurement.mismatches:
                        progress(name, f"  MISMATCH: {mismatch}")
                    figures.measurements.append(measurement)
        for peer in (modelgov, mlflow):
            errors = server_errors(peer.log) if peer is modelgov else mlflow_errors(peer.log)
            figures.server_errors += [f"{peer.label} log: {line}" for line in errors]
    return figures


def mlflow_errors(log: Path) -> list[str]:
    """MLflow's log lines at ERROR or above (its lines start with a date, then the level)."""
    lines = log.read_text(errors="replace").splitlines()
    return [line.strip() for line in lines if " ERROR" in line or "Traceback" in line] or (
        [] if lines else [f"empty log: {log_tail(log)}"]
    )


# --------------------------------------------------------------------------- report


def median_rate(measurements: list[Measurement]) -> float:
    return statistics.median(m.rate for m in measurements) if measurements else math.nan


def pooled(measurements: list[Measurement]) -> Latencies:
    return Latencies([ms for m in measurements for ms in m.latencies.ms])


def cpu_per_write(measurements: list[Measurement], part: str) -> float:
    writes = sum(m.ok for m in measurements)
    spent = sum(getattr(m.cpu, part) for m in measurements)
    return 1000 * spent / writes if writes else math.nan


def print_report(results: dict[str, Figures], args: argparse.Namespace) -> list[str]:
    table = Table(results, label_width=56)
    table.heading()
    rounds = f" (median of {args.rounds} rounds)" if args.rounds > 1 else ""
    for clients in args.clients:
        unit = f"{clients} client{'s' if clients > 1 else ''}"
        for peer in (MODELGOV, MLFLOW):
            lines: list[tuple[str, Callable[[list[Measurement]], str]]] = [
                (f"{peer}, {unit}: writes/s{rounds}", rates),
                ("  latency p50 / p95 / p99 ms (all rounds)", latencies),
                ("  CPU ms/write: server / postgres", cpus),
                ("  machine busy / other processes (cores)", machine),
            ]
            for label, value in lines:
                table.line_for(label, (peer, clients), of_peer(value))
        table.line_for(f"ratio modelgov / MLflow, {unit}: writes/s", clients,
                       lambda f, c: f"{ratio(f, c):.2f}x")  # fmt: skip
        table.line_for("  p50 latency, modelgov / MLflow", clients,
                       lambda f, c: f"{p50_ratio(f, c):.2f}x")  # fmt: skip
    print()
    for name, figures in results.items():
        print_goals(name, figures, args.clients)
    return problems_of(results)


def of_peer(
    value: Callable[[list[Measurement]], str],
) -> Callable[[Figures, tuple[str, int]], str]:
    """`value` of a peer's measurements with a number of clients, for `Table.line_for`."""
    return lambda figures, key: value(figures.of(*key))


def latencies(measurements: list[Measurement]) -> str:
    return pooled(measurements).summary(sep="/")


def rates(measurements: list[Measurement]) -> str:
    if not measurements:
        return "-"
    each = ", ".join(f"{m.rate:,.0f}" for m in measurements)
    return f"{median_rate(measurements):,.0f}" + (f" ({each})" if len(measurements) > 1 else "")


def cpus(measurements: list[Measurement]) -> str:
    server = cpu_per_write(measurements, "server")
    postgres = cpu_per_write(measurements, "postgres")
    return f"{server:.2f}" if math.isnan(postgres) else f"{server:.2f} / {postgres:.2f}"


def machine(measurements: list[Measurement]) -> str:
    if not measurements:
        return "-"
    busy = statistics.mean(m.cpu.busy for m in measurements)
    return f"{100 * busy:.0f}% / {max(m.cpu.others_cores for m in measurements):.2f}"


def ratio(figures: Figures, clients: int) -> float:
    theirs = median_rate(figures.of(MLFLOW, clients))
    return median_rate(figures.of(MODELGOV, clients)) / theirs if theirs else math.nan


def p50_ratio(figures: Figures, clients: int) -> float:
    theirs = pooled(figures.of(MLFLOW, clients)).pct(0.5)
    return pooled(figures.of(MODELGOV, clients)).pct(0.5) / theirs if theirs else math.nan


def print_goals(name: str, figures: Figures, clients: list[int]) -> None:
    if GOAL_CLIENTS in clients:
        found = ratio(figures, GOAL_CLIENTS)
        verdict = "PASS" if found >= GOAL_RATIO else "MISS"
        print(f"{verdict} [{name}] {GOAL_CLIENTS} clients: modelgov >= {GOAL_RATIO:g}x MLflow's "
              f"writes/s: measured {found:.2f}x")  # fmt: skip
    if 1 in clients:
        ours, theirs = (pooled(figures.of(p, 1)).pct(0.5) for p in (MODELGOV, MLFLOW))
        verdict = "PASS" if ours < theirs else "MISS"
        print(f"{verdict} [{name}] 1 client: modelgov's p50 below MLflow's: measured {ours:.1f} "
              f"against {theirs:.1f} ms")  # fmt: skip


def problems_of(results: dict[str, Figures]) -> list[str]:
    problems = []
    for name, figures in results.items():
        for m in figures.measurements:
            label = f"[{name}] {m.peer}, {m.clients} clients"
            problems += [f"{label}: x{count} {what}" for what, count in m.failures.items()]
            problems += [f"{label}: {mismatch}" for mismatch in m.mismatches]
        problems += [f"[{name}] {line}" for line in figures.server_errors]
    if not problems:
        print("every write was 2xx; every checked model holds exactly its writes")
    return problems


# --------------------------------------------------------------------------- main

FLAGS = (
    Flag("--clients", positive_ints, [1, 8], "concurrent client counts, comma-separated "
         "(default 1,8)"),
    Flag("--seconds", positive_float, 10.0, "length of each measurement in seconds (default 10)"),
    Flag("--rounds", positive_int, 2, "measurements per peer and client count, alternating "
         "which peer goes first (default 2)"),
    Flag("--mlflow-workers", positive_int, 4, "`mlflow server --workers` (default 4, MLflow's "
         "own default)"),
    Flag("--only", default="postgres", choices=("postgres", "sqlite", "both"),
         help="the store both peers use (default postgres; sqlite: a file each)"),
    PG_URL_FLAG,
)  # fmt: skip

main = benchmark_main(title="peers benchmark (modelgov and MLflow's registry)", doc=__doc__,
                      flags=FLAGS, run=run_store, report=print_report)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
