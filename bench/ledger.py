"""Ledger benchmark: sealing and full verification of a large event store.

Run with `.venv/bin/python -m bench.ledger` (`--help` for the flags). For SQLite (a temp file) and
PostgreSQL (a fresh schema `bench_<random>`, dropped at the end, also after an error) it:

0. fills the event store with N genuine events (default 1,000,000, `--events`): through the
   application's domain and repository, one `Model` per 1,000 events (`register` + 999
   `report_cost`, `--events-per-model`), one `app.save(model)` per model; the rows are what the
   library writes (encrypted with AES-GCM) in stored_events / modelgov_events;
1. seals them: `Ledger.sealer()` catching up over all N (`seal_once()` until it appends 0, then
   a forced head), heads every 1,000 events: leaves/s and heads/s, and where the time goes;
2. verifies them: `Ledger.verify()` over all N events (every leaf recomputed, every head's root
   and signature checked): time, events/s and CPU seconds, beside the raw rate of reading the
   same rows in the same run (one plain streaming SELECT with sqlite3 / psycopg, no decoding; on
   PostgreSQL in the text protocol, as the ledger reads, and in the binary one), and the ratio;
   plus the cost per event of each stage of verification, measured apart on 200,000 events;
3. seals while events are appended: a new sealer (as `modelgov serve` starts one: it reloads every
   stored leaf first) runs `Sealer.run` in a thread while a writer thread appends events through
   the application for `--concurrent-seconds`; the sealer's lag when the writer stops, the largest
   lag seen, and how long it then takes to catch up; then the whole store is verified again;
   and the same from an offline bundle (`export_ledger`, then `verify_bundle` with only the
   public key trusted), beside reading the bundle's lines and parsing their JSON;
4. PASS/MISS: verification of 1,000,000 events in under 10 s on PostgreSQL (>= 100,000 events/s),
   and at >= 0.5x the rate of the raw read (binary protocol) of the same rows.

`--profile` adds a cProfile of one `Ledger.verify()` per store, grouped by area.
Exit code 1 if a verification reports damage or a count is wrong; a MISS alone exits 0.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from application.governance import DEFAULT_SNAPSHOT_INTERVAL, Governance
from application.ledger.damage import VerificationReport
from application.ledger.merkle import MerkleFrontier, leaf_hash
from application.ledger.records import StoredRecord, record_bytes
from bench.backends import Store, connect_postgres, opened
from bench.figures import (
    Cpu,
    Progress,
    Table,
    cpu_meter,
    peak_memory_mib,
    print_profile,
    profiled,
    progress,
    rate,
    rate_text,
)
from bench.script import Flag, benchmark_main, positive_int, store_flags
from bench.workload import bench_by, cost_report, registration
from domain.commands import RegisterModel
from domain.model import Model
from infrastructure.ledger.bundle import export_ledger, verify_bundle
from infrastructure.ledger.keys import (
    SignatureCheck,
    head_file_for,
    key_id_for,
    load_public_pem,
    public_path,
    write_key_pair,
)
from infrastructure.ledger.online import PAGE, Ledger, open_ledger
from infrastructure.settings import Settings

TARGET_EVENTS = 1_000_000
TARGET_SECONDS = 10.0
TARGET_RATE = TARGET_EVENTS / TARGET_SECONDS  # events/s
TARGET_BACKEND = "postgres"
TARGET_RAW_SHARE = 0.5  # verify's rate at least half the raw read's (issue 15)
BUILD_SNAPSHOT_INTERVAL = 10**9  # snapshots off while filling the store (see fill_store)
STAGE_SAMPLE = 200_000  # events over which each stage of verification is timed
CATCH_UP_TIMEOUT = 300.0  # seconds the sealer may take to catch up after the writer stops


FLAGS = (
    Flag("--events", positive_int, TARGET_EVENTS,
         f"events to fill each store with, seal and verify (default {TARGET_EVENTS})"),
    Flag("--events-per-model", positive_int, 1000,
         "events per model (register + report_cost), one save per model (default 1000)"),
    Flag("--concurrent-seconds", float, 10.0,
         "how long the writer appends while the sealer follows (default 10)"),
    Flag("--writer-batch", positive_int, 100,
         "events per save of the concurrent writer (1 = one command per event, as the "
         "API records them; default 100)"),
    *store_flags(skip_sqlite=True),
    Flag("--profile", switch=True,
         help="also run one Ledger.verify() per store under cProfile and print where the "
         "time goes"),
)  # fmt: skip


def check_flags(args: argparse.Namespace) -> str | None:
    if args.events_per_model < 2:
        return "--events-per-model must be 2 or more (a registration and a cost report)"
    return None


# --------------------------------------------------------------------------- figures


@dataclass
class Sealing:
    leaves: int = 0
    heads: int = 0
    seconds: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)  # seconds by part of seal_once


@dataclass
class Verification:
    seconds: float = 0.0
    report: VerificationReport | None = None
    cpu: Cpu = field(default_factory=Cpu)
    probe_us: float = 0.0  # cpu_probe_us() just before


@dataclass
class Concurrent:
    startup_seconds: float = 0.0  # Ledger.sealer(): reload and recheck every stored leaf
    seconds: float = 0.0  # how long the writer ran
    written: int = 0
    sealed: int = 0  # leaves appended while the writer ran
    heads: int = 0
    lag_at_stop: int = 0
    max_lag: int = 0
    catch_up_seconds: float = 0.0
    caught_up: bool = False
    error: str = ""


@dataclass
class Figures:
    events: int = 0
    build_seconds: float = 0.0
    sealing: Sealing = field(default_factory=Sealing)
    verification: Verification = field(default_factory=Verification)
    raw_stream_seconds: float = 0.0  # one streaming SELECT, all rows, no decoding
    raw_rows: int = 0
    raw_cpu: Cpu = field(default_factory=Cpu)
    raw_binary_seconds: float = 0.0  # PostgreSQL only: the same in the binary protocol
    stages: dict[str, float] = field(default_factory=dict)  # µs per event by stage
    bundle: Verification = field(default_factory=Verification)  # verify_bundle of an export
    bundle_raw_seconds: float = 0.0  # the bundle's lines read and parsed (json.loads), no checks
    export_seconds: float = 0.0  # export_ledger: events, leaves, heads, keys and the tlog tiles
    concurrent: Concurrent = field(default_factory=Concurrent)
    final: Verification = field(default_factory=Verification)
    problems: list[str] = field(default_factory=list)

    @property
    def verify_rate(self) -> float:
        return rate(self.events, self.verification.seconds)

    @property
    def final_events(self) -> int:
        return self.events + self.concurrent.written

    @property
    def raw_rate(self) -> float:
        return rate(self.raw_rows, self.raw_stream_seconds)


# --------------------------------------------------------------------------- stores


def ledger_settings(store: Store, signing_key: Path, interval: int) -> Settings:
    return store.settings(
        tag="ledger",
        interval=interval,
        extra={
            "MODELGOV_SIGNING_KEY_FILE": str(signing_key),
            "MODELGOV_SEAL_EVERY_EVENTS": "1000",
            "MODELGOV_SEAL_EVERY_SECONDS": "5",
        },
    )


@contextmanager
def opened_with_ledger(settings: Settings) -> Iterator[tuple[Governance, Ledger]]:
    """The application and its ledger; both closed afterwards (their pools too)."""
    with opened(settings) as app:
        ledger = open_ledger(settings, app)
        try:
            yield app, ledger
        finally:
            ledger.tables.sql.close()


def new_model(name: str) -> Model:
    return Model.register(
        RegisterModel(**registration(name, objective="Measure the ledger")), bench_by("ml_engineer")
    )


def report_costs(model: Model, count: int) -> None:
    """`count` CostReported events on the model, as a business owner reports them."""
    for _ in range(count):
        i = model.version
        period, amount = f"2026-{i % 12 + 1:02d}", Decimal(f"{i % 10_000}.{i % 100:02d}")
        cost = cost_report(model.name, period=period, amount=amount, business_unit=f"unit-{i % 7}")
        model.report_cost(cost, bench_by("business_owner"))


def fill_store(app: Governance, events: int, per_model: int, name: str) -> float:
    """`events` events through the domain and the repository: a model per `per_model` events.

    `app` has snapshots practically off: the library would otherwise rebuild each model from
    the store at every 100th version to snapshot it, tripling the time; snapshots live in
    another table, which the ledger never reads.
    """
    filled = Progress(name, "filled", events, unit=" events")
    done, models = 0, 0
    while done < events:
        model = new_model(f"ledger-{models:07d}")
        report_costs(model, min(per_model, events - done) - 1)
        app.save(model)
        models += 1
        done += model.version
        filled.done(done)
    return time.perf_counter() - filled.started


def count_events(store: Store) -> int:
    if not store.is_postgres:
        with sqlite3.connect(store.path("ledger")) as connection:
            return int(connection.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])
    with connect_postgres(store) as connection:
        row = connection.execute("SELECT COUNT(*) FROM modelgov_events").fetchone()
        return int(row[0]) if row else 0


# --------------------------------------------------------------------------- 1: sealing


class Timed:
    """Wraps an object and adds up the seconds spent in some of its methods, by method name."""

    def __init__(self, inner: Any, names: tuple[str, ...], seconds: dict[str, float]) -> None:
        self._inner = inner
        self._names = names
        self._seconds = seconds

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in self._names:
            return attribute

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            finally:
                self._seconds[name] = self._seconds.get(name, 0.0) + time.perf_counter() - start

        return timed


SEAL_PARTS = {
    "records_after": "read events (SELECT + StoredRecord)",
    "append_leaves": "insert leaves",
    "leaf_count": "check: SELECT COUNT(*) of leaves",
    "leaf_at": "check: SELECT last leaf",
    "sign": "Ed25519 sign",
    "append_head": "insert head",
    "save": "write the head file (anchor)",
}


def seal_all(ledger: Ledger, events: int, name: str) -> Sealing:
    """Ledger.sealer() catching up over all stored events, then a forced head (`ledger seal`)."""
    result = Sealing()
    sealer = ledger.sealer()
    parts: dict[str, float] = {}
    sealer.source = Timed(sealer.source, ("records_after",), parts)
    sealer.tables = Timed(
        sealer.tables, ("append_leaves", "leaf_count", "leaf_at", "append_head"), parts
    )
    sealer.signer = Timed(sealer.signer, ("sign",), parts)
    if getattr(sealer, "anchor", None) is not None:  # the head file beside the signing key
        sealer.anchor = Timed(sealer.anchor, ("save",), parts)
    sealed = Progress(name, "sealed", events, unit=" leaves")
    while True:
        outcome = sealer.seal_once()
        result.leaves += outcome.appended
        result.heads += outcome.head is not None
        if outcome.appended == 0:
            break
        sealed.done(result.leaves)
    result.heads += sealer.seal_once(force_head=True).head is not None
    result.seconds = time.perf_counter() - sealed.started
    result.parts = {label: parts.get(method, 0.0) for method, label in SEAL_PARTS.items()}
    result.parts["leaf hashes, frontier, loop (the rest)"] = result.seconds - sum(parts.values())
    return result


# --------------------------------------------------------------------------- 2: verification


PROBE_RECORD = StoredRecord(1, UUID(int=1), 1, "modelgov/Model.CostReported", bytes(400))


def cpu_probe_us(iterations: int = 100_000) -> float:
    """µs per leaf of a fixed pure-Python workload (record_bytes, leaf_hash, frontier append):
    how fast this machine ran just then. On a shared VM it varies from run to run."""
    frontier = MerkleFrontier()
    start = time.perf_counter()
    for _ in range(iterations):
        frontier.append(leaf_hash(record_bytes(PROBE_RECORD)))
    return per_event_us(time.perf_counter() - start, iterations)


def timed_verify(ledger: Ledger) -> Verification:
    probe = cpu_probe_us()
    with cpu_meter(ledger.settings.database.kind == "postgres") as cpu:
        start = time.perf_counter()
        report = ledger.verify()
        seconds = time.perf_counter() - start
    return Verification(seconds=seconds, report=report, cpu=cpu, probe_us=probe)


def raw_stream(store: Store, *, binary: bool = False) -> tuple[int, float]:
    """All event rows through one plain SELECT, as the driver returns them: (rows, seconds).

    On PostgreSQL a server-side cursor streams them, by default in the text protocol (as
    SqlRunner reads); with `binary`, in the binary one (bytea as bytes, no hex to decode).
    """
    columns = "originator_id, originator_version, topic, state"
    rows = 0
    start = time.perf_counter()
    if not store.is_postgres:
        database = sqlite3.connect(store.path("ledger"))
        try:
            rowids = database.execute(f"SELECT rowid, {columns} FROM stored_events ORDER BY rowid")
            while batch := rowids.fetchmany(PAGE):
                rows += len(batch)
        finally:
            database.close()
        return rows, time.perf_counter() - start
    with (
        connect_postgres(store) as connection,
        connection.cursor(name="bench_raw_stream", binary=binary) as cursor,
    ):
        cursor.itersize = PAGE
        cursor.execute(
            f"SELECT notification_id, {columns} FROM modelgov_events ORDER BY notification_id"
        )
        while batch := cursor.fetchmany(PAGE):
            rows += len(batch)
    return rows, time.perf_counter() - start


def timed_bundle(ledger: Ledger, folder: Path) -> tuple[Verification, float, float]:
    """Export the ledger to `folder`, verify it offline as an auditor does (`verify_bundle` with
    the public key and the head file), and read its lines with nothing checked: (verify, raw s,
    export s)."""
    start = time.perf_counter()
    export_ledger(ledger, folder)
    exported = time.perf_counter() - start
    keys = [public_path(ledger.settings.signing_key_file)]
    last = head_file_for(ledger.settings.signing_key_file).load()
    trusted = [last.head] if last is not None else []
    probe = cpu_probe_us()
    with cpu_meter(False) as cpu:
        start = time.perf_counter()
        report = verify_bundle(folder, public_keys=keys, trusted=trusted)
        seconds = time.perf_counter() - start
    start = time.perf_counter()
    for name in ("events.jsonl", "leaves.jsonl"):
        with (folder / name).open() as lines:
            for line in lines:
                json.loads(line)
    raw = time.perf_counter() - start
    return Verification(seconds=seconds, report=report, cpu=cpu, probe_us=probe), raw, exported


def per_event_us(seconds: float, count: int) -> float:
    return 1e6 * seconds / count if count else 0.0


def timed_sql(owner: Any, run: Callable[[], int]) -> tuple[int, float, float]:
    """Runs `run` (which reads through `owner.sql`) and returns (rows, seconds, seconds in SQL)."""
    runner, seconds = owner.sql, {"execute": 0.0}
    owner.sql = Timed(runner, ("execute",), seconds)
    try:
        start = time.perf_counter()
        rows = run()
        total = time.perf_counter() - start
    finally:
        owner.sql = runner
    return rows, total, seconds["execute"]


def stage_costs(ledger: Ledger, events: int, verify_seconds: float) -> dict[str, float]:
    """µs per event of each stage of `Ledger.verify()`, each measured on its own.

    All over the first STAGE_SAMPLE events (each costs about the same); reading with the SQL
    timed apart from building the records in the same pass. What is left of verify's time
    (per event) is its own loop.
    """
    stages: dict[str, float] = {}
    rows, total, sql = timed_sql(
        ledger.events, lambda: sum(1 for _ in itertools.islice(ledger.records(), STAGE_SAMPLE))
    )
    stages["events: SQL fetch (verifier's SELECT)"] = per_event_us(sql, rows)
    stages["events: StoredRecord per row (slow path only)"] = per_event_us(total - sql, rows)
    leaves = ledger.tables.iter_leaf_rows()
    rows, total, sql = timed_sql(
        ledger.tables, lambda: sum(1 for _ in itertools.islice(leaves, STAGE_SAMPLE))
    )
    stages["leaves: SQL fetch"] = per_event_us(sql, rows)
    stages["leaves: LeafRow per row (slow path only)"] = per_event_us(total - sql, rows)

    sample: list[StoredRecord] = list(itertools.islice(ledger.records(), STAGE_SAMPLE))
    start = time.perf_counter()
    encoded = [record_bytes(record) for record in sample]
    stages["record_bytes"] = per_event_us(time.perf_counter() - start, len(sample))
    start = time.perf_counter()
    hashes = [leaf_hash(data) for data in encoded]
    stages["leaf_hash (sha256)"] = per_event_us(time.perf_counter() - start, len(sample))
    del sample, encoded

    frontier = MerkleFrontier()
    start = time.perf_counter()
    for hashed in hashes:
        frontier.append(hashed)
    stages["MerkleFrontier.append"] = per_event_us(time.perf_counter() - start, len(hashes))

    heads = ledger.tables.signed_heads()
    check = signature_check(ledger.settings.signing_key_file)
    start = time.perf_counter()
    for head in heads:
        check(head)
    stages["head signature checks"] = per_event_us(time.perf_counter() - start, events)
    stages["the rest: verify_ledger's loop (difference)"] = per_event_us(
        verify_seconds, events
    ) - sum(stages.values())
    return stages


def signature_check(signing_key: Path) -> SignatureCheck:
    """Trusts the public key written beside the signing key, as `Ledger.verify()` does."""
    key = load_public_pem(public_path(signing_key).read_bytes(), source="the bench's public key")
    return SignatureCheck({key_id_for(key): key})


_AREAS = (
    ("database driver: SQL fetch (sqlite3 / psycopg)", ("sqlite3", "psycopg")),
    ("uuid.UUID from text", ("/uuid.py",)),
    ("named tuples (StoredRecord, LeafRow; slow path)", ("<string>:",)),
    ("EventRecords, records()", ("infrastructure/ledger/online.py",)),
    ("ledger tables: iter_leaf_fields", ("ledger/storage.py",)),
    ("record_bytes + struct.pack + join", ("records.py", "pack", "method 'join'")),
    ("sha256", ("sha256", "openssl", "method 'digest'")),
    ("merkle.py: frontier, node_hash", ("merkle.py",)),
    ("verify.py: verify_ledger loop", ("verify.py",)),
    ("Ed25519 signature checks", ("keys.py", "verify' of", "cryptography")),
)


def profile_verify(ledger: Ledger, name: str) -> None:
    """One Ledger.verify() under cProfile: own time by area, then the top functions."""
    functions = profiled(ledger.verify)
    print_profile(functions, _AREAS, title=f"profile [{name}]: one Ledger.verify() under cProfile")


# --------------------------------------------------------------------------- 3: concurrent


class Writer:
    """Appends events through the application: get_model, `batch` report_cost, save."""

    def __init__(self, app: Governance, batch: int, per_model: int) -> None:
        self.app = app
        self.batch = batch
        self.per_model = per_model
        self.written = 0
        self.error = ""
        self._models = itertools.count()
        self._name = ""
        self._version = 0

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self.step()
        except Exception as error:  # reported, and the run fails
            self.error = f"{error.__class__.__name__}: {error}"

    def step(self) -> None:
        if not self._name or self._version >= self.per_model:
            self._name = f"live-{next(self._models):06d}"
            registered = new_model(self._name)
            self.app.save(registered)
            self._version = registered.version
            self.written += 1
            return
        model = self.app.get_model(self._name)
        count = min(self.batch, self.per_model - model.version)
        report_costs(model, count)
        self.app.save(model)
        self._version = model.version
        self.written += count


def seal_while_writing(
    app: Governance, ledger: Ledger, args: argparse.Namespace, sealed_before: int, name: str
) -> Concurrent:
    """A writer thread and Sealer.run in another, for args.concurrent_seconds; then catch-up."""
    result = Concurrent()
    start = time.perf_counter()
    sealer = ledger.sealer()  # reloads every stored leaf, as `modelgov serve` does on start
    result.startup_seconds = time.perf_counter() - start
    progress(
        name,
        f"sealer started in {result.startup_seconds:.1f} s (reloaded {sealer.frontier.size:,} "
        f"leaves and checked them against the last head); peak memory so far "
        f"{peak_memory_mib():.0f} MiB",
    )
    heads_before = len(ledger.tables.signed_heads())
    writer = Writer(app, args.writer_batch, args.events_per_model)
    stop_writer, stop_sealer = threading.Event(), threading.Event()
    errors: list[str] = []

    def seal() -> None:
        try:
            sealer.run(stop_sealer, poll_seconds=0.5)
        except Exception as error:
            errors.append(f"{error.__class__.__name__}: {error}")

    def lag() -> int:
        return sealed_before + writer.written - sealer.frontier.size

    sealing = threading.Thread(target=seal, name="bench-sealer", daemon=True)
    writing = threading.Thread(target=writer.run, args=(stop_writer,), name="bench-writer")
    sealing.start()
    start = time.perf_counter()
    writing.start()
    try:
        while time.perf_counter() - start < args.concurrent_seconds and writing.is_alive():
            time.sleep(0.1)
            result.max_lag = max(result.max_lag, lag())
    finally:
        stop_writer.set()
        writing.join()
    result.seconds = time.perf_counter() - start
    result.written = writer.written
    result.lag_at_stop = lag()
    result.max_lag = max(result.max_lag, result.lag_at_stop)
    result.sealed = sealer.frontier.size - sealed_before
    progress(
        name,
        f"writer: {result.written:,} events in {result.seconds:.1f} s "
        f"({rate(result.written, result.seconds):,.0f}/s); sealer lag at stop "
        f"{result.lag_at_stop:,}, largest {result.max_lag:,}",
    )
    start = time.perf_counter()
    while sealing.is_alive() and time.perf_counter() - start < CATCH_UP_TIMEOUT:
        if lag() <= 0:
            result.caught_up = True
            break
        time.sleep(0.01)
    result.catch_up_seconds = time.perf_counter() - start
    stop_sealer.set()
    sealing.join(timeout=60)
    result.heads = len(ledger.tables.signed_heads()) - heads_before
    result.error = "; ".join(filter(None, [writer.error, *errors]))
    return result


# --------------------------------------------------------------------------- one store


def run_store(store: Store, args: argparse.Namespace) -> Figures:
    figures = Figures()
    name = store.name
    signing_key = store.workdir / f"{name}.signing.key"
    write_key_pair(signing_key, passphrase=None)
    build = ledger_settings(store, signing_key, BUILD_SNAPSHOT_INTERVAL)
    live = build.model_copy(update={"snapshot_interval": DEFAULT_SNAPSHOT_INTERVAL})

    progress(name, f"filling the store with {args.events:,} events ...")
    with opened(build) as app:
        figures.build_seconds = fill_store(app, args.events, args.events_per_model, name)
    figures.events = count_events(store)
    if figures.events != args.events:
        figures.problems.append(f"[{name}] {figures.events:,} events stored, not {args.events:,}")

    with opened_with_ledger(live) as (app, ledger):
        progress(name, f"sealing {figures.events:,} events (heads every 1,000) ...")
        figures.sealing = seal_all(ledger, figures.events, name)
        s = figures.sealing
        progress(
            name,
            f"sealed {s.leaves:,} leaves and {s.heads:,} heads in {s.seconds:.1f} s "
            f"({rate(s.leaves, s.seconds):,.0f} leaves/s, {rate(s.heads, s.seconds):,.1f} heads/s)",
        )

        progress(name, f"verifying all {figures.events:,} events (Ledger.verify) ...")
        figures.verification = timed_verify(ledger)
        check_report(figures, figures.verification, figures.events, name, "verify")
        progress(
            name,
            f"verified in {figures.verification.seconds:.1f} s "
            f"({figures.verify_rate:,.0f} events/s); ok: {report_ok(figures.verification)}; "
            f"{figures.verification.cpu}; CPU probe just before "
            f"{figures.verification.probe_us:.2f} µs",
        )
        with cpu_meter(store.is_postgres) as figures.raw_cpu:
            figures.raw_rows, figures.raw_stream_seconds = raw_stream(store)
        progress(
            name,
            f"raw read of the same rows: {figures.raw_rows:,} in "
            f"{figures.raw_stream_seconds:.1f} s ({figures.raw_rate:,.0f} rows/s)",
        )
        if store.is_postgres:
            rows, seconds = raw_stream(store, binary=True)
            figures.raw_binary_seconds = seconds
            progress(
                name,
                f"raw read in the binary protocol: {rows:,} in {seconds:.1f} s "
                f"({rate(rows, seconds):,.0f} rows/s)",
            )
        progress(name, "exporting an offline bundle and verifying it (verify_bundle) ...")
        figures.bundle, figures.bundle_raw_seconds, figures.export_seconds = timed_bundle(
            ledger, store.workdir / "bundle"
        )
        check_report(figures, figures.bundle, figures.events, name, "bundle verify")
        progress(
            name,
            f"exported in {figures.export_seconds:.1f} s; "
            f"bundle verified in {figures.bundle.seconds:.1f} s "
            f"({rate(figures.events, figures.bundle.seconds):,.0f} events/s); ok: "
            f"{report_ok(figures.bundle)}; its lines read and parsed in "
            f"{figures.bundle_raw_seconds:.1f} s",
        )
        progress(name, "cost per event of each stage of verification ...")
        figures.stages = stage_costs(ledger, figures.events, figures.verification.seconds)
        if args.profile:
            profile_verify(ledger, name)

        progress(
            name,
            f"sealing while a writer appends (batches of {args.writer_batch}) for "
            f"{args.concurrent_seconds:g} s ...",
        )
        figures.concurrent = seal_while_writing(app, ledger, args, s.leaves, name)
        c = figures.concurrent
        if c.error or not c.caught_up:
            figures.problems.append(
                f"[{name}] concurrent sealing: {c.error or 'the sealer did not catch up'}"
            )
        progress(
            name,
            f"sealer caught up {c.catch_up_seconds:.2f} s after the writer stopped; "
            f"{c.heads:,} heads signed; verifying everything again ...",
        )
        total = figures.events + c.written
        figures.final = timed_verify(ledger)
        check_report(figures, figures.final, total, name, "final verify")
        progress(
            name,
            f"final verify: {total:,} events in {figures.final.seconds:.1f} s "
            f"({rate(total, figures.final.seconds):,.0f}/s); ok: {report_ok(figures.final)}",
        )
    return figures


def report_ok(verification: Verification) -> bool:
    return verification.report is not None and verification.report.ok


def check_report(
    figures: Figures, verification: Verification, events: int, name: str, what: str
) -> None:
    report = verification.report
    if report is None:
        return
    counts = (report.events, report.leaves, report.unsealed)
    if not report.ok or counts != (events, events, 0):
        first = report.first_damage
        figures.problems.append(
            f"[{name}] {what}: events/leaves/unsealed {counts} for {events:,} events; "
            f"{len(report.damage)} damage(s), first: {first}"
        )


# --------------------------------------------------------------------------- report


def print_report(results: dict[str, Figures], _: argparse.Namespace) -> list[str]:
    table = Table(results, label_width=56)
    line = table.line
    table.heading()
    line("events in the store (N)", lambda f: f"{f.events:,}")
    line(
        "fill: events/s (domain + save, 1,000 per save)",
        lambda f: rate_text(f.events, f.build_seconds),
    )
    line("seal N: seconds", lambda f: f"{f.sealing.seconds:.1f}")
    line("seal N: leaves/s", lambda f: rate_text(f.sealing.leaves, f.sealing.seconds))
    line("seal N: heads signed", lambda f: f"{f.sealing.heads:,}")
    line("seal N: heads/s", lambda f: rate_text(f.sealing.heads, f.sealing.seconds, 1))
    first = next(iter(results.values()))
    for label in first.sealing.parts:
        table.line_for(
            f"  of which {label} (s)", label, lambda f, k: f"{f.sealing.parts.get(k, 0):.1f}"
        )
    line("verify N: seconds", lambda f: f"{f.verification.seconds:.1f}")
    line("verify N: events/s", lambda f: f"{f.verify_rate:,.0f}")
    line("verify N: CPU s, this process", lambda f: f"{f.verification.cpu.own:.1f}")
    line(
        "CPU probe just before (µs per leaf, lower = faster)",
        lambda f: f"{f.verification.probe_us:.2f}",
    )
    line("verify N: CPU s, PostgreSQL", lambda f: f"{f.verification.cpu.postgres:.1f}")
    line(
        "verify N: other processes meanwhile (cores)",
        lambda f: f"{f.verification.cpu.others_cores:.2f}",
    )
    line("raw read of the same rows: seconds", lambda f: f"{f.raw_stream_seconds:.1f}")
    line("raw read: rows/s", lambda f: f"{f.raw_rate:,.0f}")
    line("raw read: CPU s, this process", lambda f: f"{f.raw_cpu.own:.1f}")
    line("verify time / raw read time", lambda f: _ratio(f.verification, f.raw_stream_seconds))
    line("raw read, binary protocol: rows/s", lambda f: rate_text(f.raw_rows, f.raw_binary_seconds))
    line(
        "verify time / raw read time, binary",
        lambda f: _ratio(f.verification, f.raw_binary_seconds),
    )
    line("export N (export_ledger, with tiles): seconds", lambda f: f"{f.export_seconds:.1f}")
    line("bundle verify N: seconds", lambda f: f"{f.bundle.seconds:.1f}")
    line("bundle verify N: events/s", lambda f: rate_text(f.events, f.bundle.seconds))
    line("bundle: lines read + json.loads, seconds", lambda f: f"{f.bundle_raw_seconds:.1f}")
    line("bundle verify time / its raw read time", lambda f: _ratio(f.bundle, f.bundle_raw_seconds))
    for label in first.stages:
        table.line_for(f"  µs/event: {label}", label, lambda f, k: f"{f.stages.get(k, 0):.2f}")
    c = "concurrent:"
    line(f"{c} sealer start-up (reload leaves), s", lambda f: f"{f.concurrent.startup_seconds:.1f}")
    line(f"{c} writer events/s", lambda f: rate_text(f.concurrent.written, f.concurrent.seconds))
    line(
        f"{c} leaves/s sealed meanwhile",
        lambda f: rate_text(f.concurrent.sealed, f.concurrent.seconds),
    )
    line(f"{c} heads signed", lambda f: f"{f.concurrent.heads:,}")
    line(f"{c} lag when the writer stopped (events)", lambda f: f"{f.concurrent.lag_at_stop:,}")
    line(f"{c} largest lag seen (events)", lambda f: f"{f.concurrent.max_lag:,}")
    line(f"{c} catch-up after writer stopped, s", lambda f: f"{f.concurrent.catch_up_seconds:.2f}")
    line(
        "final verify (N + written): events/s", lambda f: rate_text(f.final_events, f.final.seconds)
    )
    line(
        "final verify: other processes meanwhile (cores)",
        lambda f: f"{f.final.cpu.others_cores:.2f}",
    )
    line(
        "all verifications ok",
        lambda f: str(all(map(report_ok, (f.verification, f.bundle, f.final)))),
    )
    print_target(results)
    return [problem for figures in results.values() for problem in figures.problems]


def _ratio(verification: Verification, raw_seconds: float) -> str:
    return f"{verification.seconds / raw_seconds:.1f}x" if raw_seconds else "-"


def print_target(results: dict[str, Figures]) -> None:
    figures = results.get(TARGET_BACKEND)
    print()
    if figures is None:
        print(f"MISS [{TARGET_BACKEND}] not measured: PostgreSQL was not reachable or skipped")
        return
    seconds_for_target = TARGET_EVENTS / figures.verify_rate if figures.verify_rate else 0.0
    ok = figures.verify_rate >= TARGET_RATE and report_ok(figures.verification)
    measured = (
        f"{figures.events:,} events in {figures.verification.seconds:.1f} s"
        if figures.events >= TARGET_EVENTS
        else f"{figures.events:,} events only (use --events {TARGET_EVENTS}), "
        f"{figures.verification.seconds:.1f} s, so 1,000,000 in about {seconds_for_target:.0f} s"
    )
    print(
        f"{'PASS' if ok else 'MISS'} [{TARGET_BACKEND}] verification at "
        f"{figures.verify_rate:,.0f} events/s: {measured} "
        f"(target: 1,000,000 in < {TARGET_SECONDS:.0f} s, >= {TARGET_RATE:,.0f} events/s)"
    )
    raw = figures.raw_binary_seconds or figures.raw_stream_seconds
    if raw and figures.verification.seconds and figures.bundle.seconds:
        ratio = raw / figures.verification.seconds
        print(
            f"{'PASS' if ratio >= TARGET_RAW_SHARE else 'MISS'} [{TARGET_BACKEND}] verification at "
            f"{ratio:.2f}x the raw read of the same rows (binary protocol; target >= "
            f"{TARGET_RAW_SHARE}x); offline bundle: {rate(figures.events, figures.bundle.seconds):,.0f} "
            f"events/s, {figures.bundle_raw_seconds / figures.bundle.seconds:.2f}x its JSON read"
        )
    for name, other in results.items():
        if name != TARGET_BACKEND:
            print(f"     [{name}] for comparison: {other.verify_rate:,.0f} events/s")


# --------------------------------------------------------------------------- main


main = benchmark_main(title="ledger benchmark", doc=__doc__, flags=FLAGS, check=check_flags,
                      run=run_store, report=print_report)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
