"""What the benchmarks measure with and how they print it: rates, percentiles, CPU and memory,
tables with a column per store, and cProfile time by area."""

from __future__ import annotations

import cProfile
import math
import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

Figures = TypeVar("Figures")
Key = TypeVar("Key")
Result = TypeVar("Result")


def progress(store: str, message: str) -> None:
    print(f"  [{store}] {message}", flush=True)


class Progress:
    """Tells how far a long step has come, each `1/parts` of the way: done of total, the rate and
    the time so far (`progress.done(n)` after each piece of work)."""

    def __init__(self, store: str, doing: str, total: int, *, unit: str = "", parts: int = 10):
        self.store, self.doing, self.total, self.unit = store, doing, total, unit
        self.step = max(total // parts, 1)
        self.next = self.step
        self.started = time.perf_counter()

    def done(self, count: int, also: str = "") -> None:
        if count < self.next and count != self.total:
            return
        elapsed = time.perf_counter() - self.started
        progress(
            self.store,
            f"{self.doing} {count:,} / {self.total:,}{self.unit}{also} "
            f"({rate(count, elapsed):,.0f}/s, {elapsed:.0f} s)",
        )
        self.next = (count // self.step + 1) * self.step


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def rate_text(count: int, seconds: float, digits: int = 0) -> str:
    """`count` per second, for a table: `12,345`; `-` if nothing was timed."""
    return f"{rate(count, seconds):,.{digits}f}" if seconds else "-"


def percentile(values: Sequence[float], share: float) -> float:
    """By nearest rank: with 20 values, p95 (share 0.95) is the 19th smallest; NaN if none."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


@dataclass
class Latencies:
    """How long each call of one kind took, in milliseconds."""

    ms: list[float] = field(default_factory=list)

    def pct(self, share: float) -> float:
        return percentile(self.ms, share)

    @property
    def median(self) -> float:
        return statistics.median(self.ms) if self.ms else math.nan

    def summary(self, sep: str = " / ") -> str:
        """p50, p95 and p99 (by nearest rank): `12.0 / 21.2 / 25.8`."""
        return sep.join(f"{self.pct(share):,.1f}" for share in (0.5, 0.95, 0.99))

    def __str__(self) -> str:
        return self.summary()


def timed_ms(call: Callable[[], Result]) -> tuple[float, Result]:
    """Milliseconds `call` took, and what it returned."""
    start = time.perf_counter()
    value = call()
    return (time.perf_counter() - start) * 1000, value


def peak_memory_mib() -> float:
    """The whole process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


class Table(Generic[Figures]):
    """Figures side by side: a label, then the figure of each store in its own column."""

    def __init__(
        self, results: Mapping[str, Figures], *, label_width: int, value_width: int = 18
    ) -> None:
        self.results = results
        self.label_width = label_width
        self.value_width = value_width

    def heading(self, first: str = "figure") -> None:
        print()
        self.row(first, list(self.results))
        self.row("-" * (self.label_width - 2), ["-" * (self.value_width - 2)] * len(self.results))

    def line(self, label: str, value: Callable[[Figures], str]) -> None:
        self.row(label, [value(figures) for figures in self.results.values()])

    def line_for(self, label: str, key: Key, value: Callable[[Figures, Key], str]) -> None:
        """A line of figures that are looked up by a key too: a stage, a table, a kind of query."""
        self.row(label, [value(figures, key) for figures in self.results.values()])

    def row(self, label: str, values: Sequence[str]) -> None:
        width = self.value_width
        print(f"{label:<{self.label_width}}" + "".join(f"{value:>{width}}" for value in values))


# --------------------------------------------------------------------------- CPU (Linux /proc)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads (0.0 if unknown)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()  # after the command name: index 0 is field 3
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and every process descended from it that is alive now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, waiting = [], [pid]
    while waiting:
        found = waiting.pop()
        tree.append(found)
        waiting += children.get(found, [])
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and of the processes descended from it alive now (a
    server and its workers), all threads: how both bench.api and bench.peers read a server's."""
    return sum(process_cpu_seconds(each) for each in process_tree(pid))


def postgres_cpu_by_pid() -> dict[int, float]:
    """CPU seconds of each process named `postgres` on this machine."""
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    cpu[int(entry.name)] = process_cpu_seconds(int(entry.name))
            except OSError:
                continue
    return cpu


def machine_cpu_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks over all CPUs since boot, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


@dataclass
class Cpu:
    """CPU seconds of this process, of its children that ended meanwhile (a rebuild's helpers)
    and of PostgreSQL, and cores other processes used meanwhile."""

    own: float = 0.0
    postgres: float = 0.0
    others_cores: float = 0.0
    children: float = 0.0

    def __str__(self) -> str:
        return (
            f"CPU s: this process {self.own:.1f}, PostgreSQL {self.postgres:.1f}; other "
            f"processes used {self.others_cores:.2f} cores meanwhile"
        )


@contextmanager
def cpu_meter(with_postgres: bool) -> Iterator[Cpu]:
    """Fills the Cpu it yields when the block ends (zeros where /proc is missing).

    PostgreSQL's CPU is summed per process over the processes alive at the end, so that the
    backends of a pool closed meanwhile don't make it negative (their last moments are lost).
    """
    cpu = Cpu()
    hz = os.sysconf("SC_CLK_TCK")
    times = os.times()
    postgres = postgres_cpu_by_pid() if with_postgres else {}
    busy = machine_cpu_ticks()[0]
    start = time.perf_counter()
    try:
        yield cpu
    finally:
        wall = time.perf_counter() - start
        after = os.times()
        cpu.own = after.user + after.system - times.user - times.system
        cpu.children = (
            after.children_user + after.children_system
            - times.children_user - times.children_system
        )  # fmt: skip
        if with_postgres:
            now = postgres_cpu_by_pid()
            cpu.postgres = sum(max(0.0, now[pid] - postgres.get(pid, 0.0)) for pid in now)
        machine = (machine_cpu_ticks()[0] - busy) / hz
        mine = cpu.own + cpu.children + cpu.postgres
        cpu.others_cores = max(0.0, machine - mine) / wall if wall else 0.0


@dataclass(frozen=True)
class ServerCpuSample:
    """CPU seconds so far of a server's processes, of each PostgreSQL process (None: not
    measured), of this process (the load generator), and the machine's (busy, total) ticks."""

    server: float
    postgres: dict[int, float] | None
    client: float
    machine: tuple[int, int]

    @classmethod
    def take(cls, server_pid: int, with_postgres: bool) -> ServerCpuSample:
        times = os.times()
        return cls(
            server=tree_cpu_seconds(server_pid),
            postgres=postgres_cpu_by_pid() if with_postgres else None,
            client=times.user + times.system,
            machine=machine_cpu_ticks(),
        )


@dataclass(frozen=True)
class ServerCpu:
    """What a server, PostgreSQL (NaN: not measured) and the load generator used over a
    measurement, in CPU seconds; how busy the machine was, and the cores other processes took."""

    server: float = math.nan
    postgres: float = math.nan
    client: float = math.nan
    busy: float = math.nan  # share of all CPUs
    others_cores: float = math.nan

    @classmethod
    def between(cls, before: ServerCpuSample, after: ServerCpuSample, seconds: float) -> ServerCpu:
        """PostgreSQL's summed per process alive at the end, as `cpu_meter` does."""
        postgres = math.nan
        if before.postgres is not None and after.postgres is not None:
            was = before.postgres
            postgres = sum(max(0.0, now - was.get(pid, 0.0)) for pid, now in after.postgres.items())
        server, client = after.server - before.server, after.client - before.client
        busy = after.machine[0] - before.machine[0]
        total = after.machine[1] - before.machine[1]
        ours = server + client + (0.0 if math.isnan(postgres) else postgres)
        others = max(0.0, busy / os.sysconf("SC_CLK_TCK") - ours) / seconds if seconds else math.nan
        return cls(server, postgres, client, busy / total if total else math.nan, others)


# --------------------------------------------------------------------------- cProfile

Areas = Sequence[tuple[str, Sequence[str]]]  # (area, parts of "file:line function" that place it)


@dataclass
class FunctionTime:
    calls: int = 0
    own: float = 0.0
    cumulative: float = 0.0


def profiled(run: Callable[[], object]) -> dict[str, FunctionTime]:
    """`run` under cProfile: each function's calls, own and cumulative seconds by `file:line name`.

    Read from the profiler's own entries, not pstats: pstats keys functions by (file, line,
    name), so the `__init__`s of all dataclasses (all '<string>', line 2) would overwrite
    each other.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        run()
    finally:
        profiler.disable()
    functions: dict[str, FunctionTime] = {}
    for entry in profiler.getstats():
        code = entry.code
        where = (
            code
            if isinstance(code, str)
            else f"{code.co_filename}:{code.co_firstlineno} {code.co_name}"
        )
        totals = functions.setdefault(where, FunctionTime())
        totals.calls += entry.callcount
        totals.own += entry.inlinetime
        totals.cumulative += entry.totaltime
    return functions


def own_time_by_area(
    functions: Mapping[str, FunctionTime], areas: Areas, other: str = "other"
) -> dict[str, float]:
    """Own seconds by area: a function goes to the first area one of whose parts its name holds."""
    totals = dict.fromkeys([area for area, _ in areas] + [other], 0.0)
    for where, spent in functions.items():
        area = next((a for a, parts in areas if any(part in where for part in parts)), other)
        totals[area] += spent.own
    return totals


def print_profile(functions: Mapping[str, FunctionTime], areas: Areas, *, title: str) -> None:
    """Own time by area, largest first, then the functions with the most own time."""
    by_area = own_time_by_area(functions, areas)
    total = sum(by_area.values())
    print(f"\n  {title}, {total:.1f} s own time")
    for area, seconds in sorted(by_area.items(), key=lambda item: -item[1]):
        print(f"    {area:<52}{seconds:>8.2f} s{100 * seconds / total:>6.0f}%")
    print("    top functions by own time (calls, own, cumulative):")
    top = sorted(functions.items(), key=lambda item: -item[1].own)[:14]
    for where, spent in top:
        short = where.rsplit("/", 1)[-1]
        print(
            f"      {short[:68]:<70}{spent.calls:>11,}{spent.own:>8.2f} s{spent.cumulative:>8.2f} s"
        )
    print(flush=True)
