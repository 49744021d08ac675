"""HTTP API benchmark: lifecycle events per second through a real `modelgov serve` process.

Run with `.venv/bin/python -m bench.api` (`--help` for the flags). For SQLite (a temp file) and
PostgreSQL (a fresh schema `bench_<random>`, dropped at the end) it starts `modelgov serve` as a
subprocess on 127.0.0.1 and drives it from this process with concurrent clients, each a thread
with its own keep-alive `http.client` connection and its own data_scientist token. Every request
is `POST /v1/models/{name}/targets`, a command that records exactly one event. It prints:

1. events/s and latency p50/p95/p99 per configuration: 1 and 8 clients (`--clients`), each
   client on its own model, and for more than one client also all clients on the SAME model
   (which the API serialises);
2. failures: any non-2xx response or transport error, by status and problem type, and the
   errors the server logged; after each run the models' versions are checked against the
   number of 2xx responses (one event per 2xx, none for a failure);
3. CPU milliseconds per event of the server's processes (it and its workers), of PostgreSQL's
   processes and of this load generator, how busy the machine was, and how much CPU other
   processes took (from /proc);
4. for context, from the same run: `GET /healthz` with 1 client (no token, no database, no
   event: what the HTTP stack alone costs), the in-process rate of `Governance.set_target`
   (figure 1 of bench.store, no HTTP) and the raw single-row insert rate (the floor);
5. PASS/MISS against the target: on PostgreSQL at 8 clients, >= 1,000 events/s with p99 < 50 ms.

Exit code 1 if any request failed or a model's event count was wrong; a MISS alone exits 0.

The server subprocess is always terminated; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.backends import Store
from bench.figures import (
    Latencies,
    ServerCpu,
    ServerCpuSample,
    Table,
    progress,
)
from bench.script import (
    Flag,
    benchmark_main,
    positive_float,
    positive_int,
    positive_ints,
    store_flags,
)
from bench.store import WARMUP_COMMANDS, governance_commands, run_commands
from bench.workload import registration, target_change
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings

TARGET_BACKEND = "postgres"
TARGET_CLIENTS = 8
TARGET_RATE = 1000.0  # events/s
TARGET_P99_MS = 50.0
WARMUP_PER_CLIENT = 20  # requests per client before the clock starts, not counted
RAW_ROWS = 2000  # rows for the raw-insert floor
IN_PROCESS_COMMANDS = 500  # commands for the in-process Governance rate
PROBE_SECONDS = 3.0  # at most, for GET /healthz
SERVER_START_TIMEOUT = 30.0
HOST = "127.0.0.1"

# --------------------------------------------------------------------------- the server


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def console_script(name: str, *, install: str) -> list[str]:
    """The console script `name` next to this interpreter (the venv's), else on PATH; `install`
    says how to get it."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"cannot find the `{name}` command: {install}")
    return [found]


def modelgov_command() -> list[str]:
    return console_script("modelgov", install="run `make install` first")


def server_environ(settings_env: dict[str, str]) -> dict[str, str]:
    """This process's environment without any MODELGOV_* setting, plus the benchmark's."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
    return {**environ, **settings_env}


@contextmanager
def running_server(settings_env: dict[str, str], workdir: Path) -> Iterator[Server]:
    """`modelgov serve` on a free port of 127.0.0.1, output in a log file; always terminated."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    command = [*modelgov_command(), "serve", "--host", HOST, "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=server_environ(settings_env),
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(process, port, log_path)
        yield Server(process, port, log_path)
    finally:
        stop_server(process)


def wait_until_ready(
    process: subprocess.Popen[bytes],
    port: int,
    log: Path,
    *,
    path: str = "/readyz",
    timeout: float = SERVER_START_TIMEOUT,
) -> None:
    """Until `GET path` answers 200 (RuntimeError if the server exits or `timeout` passes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_tail(log)}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server was not ready after {timeout:.0f} s:\n{log_tail(log)}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def log_tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# A log line's level: serve's text lines start `<UTC instant> LEVEL logger: ...` (infrastructure/
# logs.py); a line logged before logging is configured starts with the level.
LOG_LEVEL = re.compile(r"(?:\S+Z )?(DEBUG|INFO|WARNING|ERROR|CRITICAL):? ")
# The warning `serve` gives when its database role could switch the append-only triggers off:
# a benchmark connects as --pg-url's role (postgres, a superuser) on purpose.
EXPECTED_WARNING = " modelgov.store: the database role "


def server_errors(log: Path) -> list[str]:
    """Lines of the server log that report a warning or an error (with tracebacks' last line),
    but EXPECTED_WARNING."""
    found: list[str] = []
    lines = log.read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        level = LOG_LEVEL.match(line)
        if EXPECTED_WARNING in line:
            continue
        if (level and level[1] in ("WARNING", "ERROR", "CRITICAL")) or "Traceback" in line:
            found.append(line.strip())
        elif i > 0 and lines[i - 1].startswith("  ") and not line.startswith(" ") and not level:
            found.append(line.strip())  # the exception line closing a traceback
    return found


# --------------------------------------------------------------------------- the clients


class Client:
    """One caller: a keep-alive HTTP connection to the server and a bearer token (none: no
    Authorization header)."""

    def __init__(self, port: int, token: str | None) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.headers = {"Content-Type": "application/json"}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> tuple[int, bytes]:
        """(status, body); status 0 and the error's text for a transport error. `body`: what is
        sent as JSON, or its bytes already encoded; `token`: this request's bearer token instead
        of the client's."""
        status, answer, _ = self.request_with_etag(method, path, body, token=token)
        return status, answer

    def request_with_etag(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> tuple[int, bytes, str]:
        """As `request`, with the answer's ETag header ("" if none)."""
        payload = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        headers = (
            self.headers if token is None else {**self.headers, "Authorization": f"Bearer {token}"}
        )
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.read(), response.getheader("ETag") or ""
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()  # the next request reconnects
            return 0, f"{error.__class__.__name__}: {error}".encode(), ""

    def close(self) -> None:
        self.connection.close()


def describe_failure(status: int, body: bytes) -> str:
    """A failure as `status problem-type: detail` (or the transport error)."""
    if status == 0:
        return f"transport error: {body.decode(errors='replace')}"
    try:
        problem = json.loads(body)
        code = str(problem.get("type", "")).rsplit("/", 1)[-1]
        return f"{status} {code}: {problem.get('detail', '')}"[:300]
    except (ValueError, AttributeError):
        return f"{status}: {body[:200].decode(errors='replace')}"


@dataclass
class Config:
    """One measurement: how many clients, whether they share one model; or the HTTP-floor probe."""

    clients: int
    shared_model: bool = False
    probe: bool = False  # GET /healthz instead of a command: no token, no database, no event

    @property
    def label(self) -> str:
        if self.probe:
            return f"GET /healthz, {self.clients} client{'s' if self.clients > 1 else ''}"
        if self.clients == 1:
            return "1 client"
        return f"{self.clients} clients, " + ("same model" if self.shared_model else "own models")

    def request(self, model: str, n: int) -> tuple[str, str, dict[str, Any] | None]:
        """(method, path, body) of the n-th request."""
        if self.probe:
            return "GET", "/healthz", None
        return "POST", f"/v1/models/{model}/targets", target_change(n)


@dataclass
class Run:
    """What one measurement saw."""

    config: Config
    latencies: Latencies = field(default_factory=Latencies)
    ok: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    cpu_before: ServerCpuSample | None = None  # taken as the clients start
    cpu: ServerCpu = field(default_factory=ServerCpu)
    version_mismatches: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def cpu_ms_per_event(self, part: str) -> float:
        """CPU ms per event (or request) that `part` (server, postgres or client) used."""
        return 1000 * float(getattr(self.cpu, part)) / self.ok if self.ok else math.nan


@dataclass
class Limits:
    seconds: float
    requests: int  # 0: no limit but time


class Load:
    """Shared state of the client threads: a start line, the stop rule, request numbers."""

    def __init__(self, run: Run, limits: Limits, server_pid: int, with_postgres: bool) -> None:
        self.run = run
        self.limits = limits
        self.server_pid = server_pid
        self.with_postgres = with_postgres
        self.barrier = threading.Barrier(run.config.clients, action=self._start)
        self.tickets = itertools.count()
        self.numbers = itertools.count(1)  # distinct thresholds across clients
        self.lock = threading.Lock()
        self.start = 0.0
        self.deadline = 0.0
        self.ends: list[float] = []

    def _start(self) -> None:
        """Run by the last client to reach the start line, before any is released."""
        self.run.cpu_before = ServerCpuSample.take(self.server_pid, self.with_postgres)
        self.start = time.perf_counter()
        self.deadline = self.start + self.limits.seconds

    def another(self) -> bool:
        if self.limits.requests and next(self.tickets) >= self.limits.requests:
            return False
        return time.perf_counter() < self.deadline

    def record(self, latency_ms: float, status: int, body: bytes) -> None:
        with self.lock:
            self.run.latencies.ms.append(latency_ms)
            if 200 <= status < 300:
                self.run.ok += 1
            else:
                self.run.failures[describe_failure(status, body)] += 1


def client_thread(client: Client, model: str, load: Load, ok_per_model: Counter[str]) -> None:
    """Warm up, wait for every client at the start line, then send requests until told to stop."""
    config = load.run.config
    warm_ok = 0
    for _ in range(WARMUP_PER_CLIENT):
        status, body = client.request(*config.request(model, next(load.numbers)))
        if 200 <= status < 300:
            warm_ok += 1
        else:
            with load.lock:
                load.run.failures["warm-up: " + describe_failure(status, body)] += 1
    load.barrier.wait()
    measured_ok = 0
    while load.another():
        began = time.perf_counter()
        status, body = client.request(*config.request(model, next(load.numbers)))
        load.record(1000 * (time.perf_counter() - began), status, body)
        measured_ok += 200 <= status < 300
    with load.lock:
        load.ends.append(time.perf_counter())
        ok_per_model[model] += warm_ok + measured_ok


# --------------------------------------------------------------------------- one store


@dataclass
class Figures:
    runs: list[Run] = field(default_factory=list)
    raw_rate: float = 0.0
    in_process_rate: float = 0.0
    in_process_cpu_ms: float = 0.0
    server_errors: list[str] = field(default_factory=list)


def create_tokens(settings: Settings, clients: int) -> tuple[str, list[str]]:
    """One ml_engineer token (to register models) and one data_scientist token per client."""
    open_governance(settings).close()  # creates the store's tables, the tokens' included
    sql = SqlRunner(settings.database)
    try:
        store = TokenStore(sql)
        engineer = store.create(principal="bench-engineer", role="ml_engineer")
        scientists = [
            store.create(principal=f"bench-client-{i}", role="data_scientist")
            for i in range(clients)
        ]
        return engineer, scientists
    finally:
        sql.close()


def register_models(port: int, token: str, names: list[str]) -> None:
    client = Client(port, token)
    try:
        for name in names:
            model = registration(name, objective="Measure the HTTP API")
            status, body = client.request("POST", "/v1/models", model)
            if status != 201:
                raise RuntimeError(f"registering {name}: {describe_failure(status, body)}")
    finally:
        client.close()


def model_versions(port: int, token: str, names: list[str]) -> dict[str, int]:
    client = Client(port, token)
    try:
        versions = {}
        for name in names:
            # The model replayed from the event store (its ETag is its revision), not a read
            # model that may still lag.
            status, body, etag = client.request_with_etag("GET", f"/v1/models/{name}/state")
            if status != 200:
                raise RuntimeError(f"reading {name}: {describe_failure(status, body)}")
            versions[name] = int(etag.strip('"'))
        return versions
    finally:
        client.close()


def measure(
    server: Server, tokens: tuple[str, list[str]], config: Config, limits: Limits, backend: str
) -> Run:
    """Register the run's models, drive the server with the run's clients, check the versions."""
    engineer, scientists = tokens
    models = models_for(config)
    if not config.probe:
        register_models(server.port, engineer, sorted(set(models)))
    run = Run(config)
    load = Load(run, limits, server.process.pid, with_postgres=backend == "postgres")
    clients = [Client(server.port, scientists[i]) for i in range(config.clients)]
    ok_per_model: Counter[str] = Counter()
    threads = [
        # Daemons: on Ctrl-C the server is stopped and the run ends without waiting for them.
        threading.Thread(
            target=client_thread, args=(client, model, load, ok_per_model), daemon=True
        )
        for client, model in zip(clients, models, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_after = ServerCpuSample.take(server.process.pid, with_postgres=backend == "postgres")
    run.seconds = max(load.ends) - load.start
    if run.cpu_before is not None:
        run.cpu = ServerCpu.between(run.cpu_before, cpu_after, run.seconds)
    for client in clients:
        client.close()
    if not config.probe:
        check_versions(run, server.port, engineer, ok_per_model)
    return run


def models_for(config: Config) -> list[str]:
    """The model each client writes to: its own, or one for all."""
    tag = f"c{config.clients}{'s' if config.shared_model else 'o'}"
    if config.shared_model:
        return [f"bench-{tag}-shared"] * config.clients
    return [f"bench-{tag}-{i}" for i in range(config.clients)]


def check_versions(run: Run, port: int, token: str, ok_per_model: Counter[str]) -> None:
    """Each model: 1 registration event + one event per 2xx response, nothing for failures."""
    for name, version in model_versions(port, token, sorted(ok_per_model)).items():
        expected = 1 + ok_per_model[name]
        if version != expected:
            run.version_mismatches.append(
                f"{name}: model_revision {version}, expected {expected} (1 + 2xx responses)"
            )


def report_run(backend: str, run: Run) -> None:
    failures = sum(run.failures.values())
    unit = "request" if run.config.probe else "event"
    progress(
        backend,
        f"{run.config.label}: {run.rate:,.0f} {unit}s/s, {len(run.latencies.ms):,} requests in "
        f"{run.seconds:.1f} s, p50/p95/p99 {latency(run)} ms, failures {failures}, "
        f"server CPU {run.cpu_ms_per_event('server'):.2f} ms/{unit}",
    )
    for failure, count in run.failures.most_common(10):
        progress(backend, f"  FAILED x{count}: {failure}")
    for mismatch in run.version_mismatches:
        progress(backend, f"  EVENT COUNT MISMATCH: {mismatch}")


def in_process_rate(settings: Settings, commands: int) -> tuple[float, float]:
    """Governance.set_target on one model, no HTTP (bench/store.py's application figure):
    (commands/s, CPU ms per command of this process)."""
    with governance_commands(settings) as command:
        run_commands(command, -WARMUP_COMMANDS, WARMUP_COMMANDS)
        cpu = time.process_time()
        seconds = run_commands(command, 0, commands)
        cpu = time.process_time() - cpu
    return commands / seconds, 1000 * cpu / commands


def run_store(store: Store, args: argparse.Namespace) -> Figures:
    configs, limits = configs_for(args.clients), limits_of(args)
    figures = Figures()
    name = store.name
    progress(name, f"raw inserts: {RAW_ROWS:,} rows, one transaction each ...")
    figures.raw_rate = store.raw_insert_rate(RAW_ROWS)
    progress(name, f"raw inserts: {figures.raw_rate:,.0f} rows/s")
    progress(name, f"in-process Governance.set_target: {IN_PROCESS_COMMANDS} commands ...")
    # On PostgreSQL measured before the server starts, on the same tables.
    figures.in_process_rate, figures.in_process_cpu_ms = in_process_rate(
        store.settings(tag="in-process"), IN_PROCESS_COMMANDS
    )
    progress(
        name,
        f"in-process: {figures.in_process_rate:,.0f} commands/s, "
        f"{figures.in_process_cpu_ms:.2f} CPU ms/command",
    )
    tokens = create_tokens(store.settings(tag="api"), max(c.clients for c in configs))
    progress(name, "starting `modelgov serve` ...")
    environ = store.environ(tag="api", extra=store.signing_key("api"))  # the sealer seals
    with running_server(environ, store.workdir) as server:
        progress(name, f"server pid {server.process.pid} on http://{HOST}:{server.port}")
        for config in configs:
            run_limits = probe_limits(limits) if config.probe else limits
            progress(name, f"{config.label}: {describe_limits(run_limits)} after warm-up ...")
            run = measure(server, tokens, config, run_limits, name)
            report_run(name, run)
            figures.runs.append(run)
    figures.server_errors = server_errors(server.log)
    for line in figures.server_errors[:20]:
        progress(name, f"server log: {line}")
    return figures


def probe_limits(limits: Limits) -> Limits:
    """The HTTP-floor probe is short: it only puts the commands' figures in context."""
    return Limits(seconds=min(limits.seconds, PROBE_SECONDS), requests=limits.requests)


def describe_limits(limits: Limits) -> str:
    if limits.requests:
        return f"{limits.requests:,} requests (at most {limits.seconds:g} s)"
    return f"{limits.seconds:g} s"


# --------------------------------------------------------------------------- report


def by_label(figures: Figures) -> dict[str, Run]:
    return {run.config.label: run for run in figures.runs}


def print_report(results: dict[str, Figures], args: argparse.Namespace) -> list[str]:
    table = Table(results, label_width=46)
    table.heading()
    for config in configs_for(args.clients):
        unit = "requests" if config.probe else "events"
        lines: list[tuple[str, Callable[[Run | None], str]]] = [
            (f"{config.label}: {unit}/s", lambda r: f"{r.rate:,.0f}" if r else "-"),
            ("  latency p50 / p95 / p99 ms", latency),
            ("  failures", failure_count),
            (f"  CPU ms/{unit[:-1]}: server / postgres", cpu),
            (f"  CPU ms/{unit[:-1]}: load generator", lambda r: one_cpu(r, "client")),
            ("  machine busy / other processes (cores)", busy),
        ]
        for label, value in lines:
            table.line(label, run_column(value, config.label))
    table.line("in-process Governance commands/s (no HTTP)", in_process)
    table.line("raw single-row inserts/s (floor)", lambda f: f"{f.raw_rate:,.0f}")
    print()
    print_target(results)
    return problems_of(results)


def run_column(value: Callable[[Run | None], str], label: str) -> Callable[[Figures], str]:
    """`value` of the run labelled `label` in a store's figures."""
    return lambda figures: value(by_label(figures).get(label))


def latency(run: Run | None) -> str:
    if run is None:
        return "-"
    return run.latencies.summary(sep="/")


def failure_count(run: Run | None) -> str:
    if run is None:
        return "-"
    return str(sum(run.failures.values()) + len(run.version_mismatches))


def cpu(run: Run | None) -> str:
    if run is None:
        return "-"
    if run.config.probe or math.isnan(run.cpu_ms_per_event("postgres")):
        return f"{run.cpu_ms_per_event('server'):.2f}"
    return f"{run.cpu_ms_per_event('server'):.2f} / {run.cpu_ms_per_event('postgres'):.2f}"


def one_cpu(run: Run | None, part: str) -> str:
    return "-" if run is None else f"{run.cpu_ms_per_event(part):.2f}"


def busy(run: Run | None) -> str:
    return "-" if run is None else f"{100 * run.cpu.busy:.0f}% / {run.cpu.others_cores:.2f}"


def in_process(figures: Figures) -> str:
    return f"{figures.in_process_rate:,.0f} ({figures.in_process_cpu_ms:.2f} ms)"


def print_target(results: dict[str, Figures]) -> None:
    label = Config(TARGET_CLIENTS, shared_model=False).label
    what = (
        f"[{TARGET_BACKEND}] {label}: target >= {TARGET_RATE:,.0f} events/s with p99 < "
        f"{TARGET_P99_MS:.0f} ms"
    )
    figures = results.get(TARGET_BACKEND)
    run = by_label(figures).get(label) if figures else None
    if run is None:
        print(f"NOT MEASURED {what} (PostgreSQL skipped or {TARGET_CLIENTS} not in --clients)")
        return
    p99 = run.latencies.pct(0.99)
    met = run.rate >= TARGET_RATE and p99 < TARGET_P99_MS and not run.failures
    print(
        f"{'PASS' if met else 'MISS'} {what}: measured {run.rate:,.0f} events/s, p99 "
        f"{p99:.1f} ms, {sum(run.failures.values())} failures"
    )


def problems_of(results: dict[str, Figures]) -> list[str]:
    """Every failure and server error, again; the problems of the run."""
    problems = []
    for name, figures in results.items():
        for run in figures.runs:
            for failure, count in run.failures.most_common():
                problems.append(f"[{name}] {run.config.label}: x{count} {failure}")
            for mismatch in run.version_mismatches:
                problems.append(f"[{name}] {run.config.label}: event count {mismatch}")
        problems += [f"[{name}] server log: {line}" for line in figures.server_errors]
    if not problems:
        print("every response was 2xx; every model holds exactly one event per 2xx response")
    return problems


# --------------------------------------------------------------------------- main


FLAGS = (
    Flag("--clients", positive_ints, [1, 8],
         "concurrent client counts, comma-separated (default 1,8); for each count above 1 "
         "a second run puts all clients on the same model"),
    Flag("--seconds", positive_float, 10.0,
         "length of each measurement in seconds (default 10); with --requests, its upper "
         "bound"),
    Flag("--requests", positive_int, 0,
         "stop each measurement after this many requests in all (default: no limit, "
         "--seconds alone decides)"),
    *store_flags(),
)  # fmt: skip


def limits_of(args: argparse.Namespace) -> Limits:
    return Limits(seconds=args.seconds, requests=args.requests)


def configs_for(counts: list[int]) -> list[Config]:
    configs = [Config(1, probe=True)]
    for count in sorted(set(counts)):
        configs.append(Config(count, shared_model=False))
        if count > 1:
            configs.append(Config(count, shared_model=True))
    return configs


main = benchmark_main(title="HTTP API benchmark", doc=__doc__, flags=FLAGS, run=run_store,
                      report=print_report)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
