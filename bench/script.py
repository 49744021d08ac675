"""What every benchmark script does around its measurements: its flags, declared as data (`Flag`),
the ones it shares with the others, and its `main` (`benchmark_main`)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import infrastructure
from bench.backends import DEFAULT_PG_URL, Store, on_each_store
from bench.figures import peak_memory_mib

Result = TypeVar("Result")
MAX_PROBLEMS_SHOWN = 20


class Main(Protocol):
    def __call__(self, argv: list[str] | None = None) -> int: ...


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more; got {value}")
    return value


def positive_ints(text: str) -> list[int]:
    """Comma-separated numbers of 1 or more, like `1,8`."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 1,8; got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"each must be 1 or more; got {text!r}")
    return counts


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0; got {text}")
    return value


@dataclass(frozen=True)
class Flag:
    """One flag of a script, as `argparse`'s `add_argument` takes it; `switch` is a flag without a
    value (`action="store_true"`)."""

    name: str
    type: Callable[[str], Any] = str
    default: object = None
    help: str | None = None
    choices: Sequence[str] | None = None
    switch: bool = False

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        if self.switch:
            parser.add_argument(self.name, action="store_true", help=self.help)
        else:
            parser.add_argument(
                self.name, type=self.type, default=self.default, help=self.help,
                choices=self.choices,
            )  # fmt: skip


PG_URL_FLAG = Flag(
    "--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL server to use (default {DEFAULT_PG_URL})"
)


def store_flags(*, skip_sqlite: bool = False) -> tuple[Flag, ...]:
    """--skip-postgres, --pg-url and, if offered, --skip-sqlite (which is False otherwise)."""
    skip_postgres = Flag("--skip-postgres", switch=True, help="run on SQLite only")
    if not skip_sqlite:
        return skip_postgres, PG_URL_FLAG
    return (
        skip_postgres,
        Flag("--skip-sqlite", switch=True, help="run on PostgreSQL only"),
        PG_URL_FLAG,
    )


def no_check(_: argparse.Namespace) -> str | None:
    """No flag depends on another."""
    return None


def benchmark_main(
    *,
    title: str,
    doc: str | None,
    flags: Sequence[Flag],
    run: Callable[[Store, argparse.Namespace], Result],
    report: Callable[[dict[str, Result], argparse.Namespace], Sequence[str]],
    check: Callable[[argparse.Namespace], str | None] = no_check,
    whole_doc: bool = False,
) -> Main:
    """A script's `main`: its `flags` parsed (the parser described by `doc`, its first line or all
    of it), `check` run on them (a message it returns is a usage error), then `run_benchmark`."""

    def main(argv: list[str] | None = None) -> int:
        parser = new_parser(doc, whole_doc=whole_doc)
        parser.set_defaults(skip_sqlite=False, skip_postgres=False)  # when not offered: off
        for flag in flags:
            flag.add_to(parser)
        args = parser.parse_args(argv)
        problem = check(args)
        if problem is not None:
            parser.error(problem)
        return run_benchmark(args, title=title, run=run, report=report)

    return main


def new_parser(doc: str | None, *, whole_doc: bool = False) -> argparse.ArgumentParser:
    """A parser described by the script's docstring: its first line, or all of it."""
    if whole_doc:
        return argparse.ArgumentParser(
            description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
        )
    return argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)


def run_benchmark(
    args: argparse.Namespace,
    *,
    title: str,
    run: Callable[[Store, argparse.Namespace], Result],
    report: Callable[[dict[str, Result], argparse.Namespace], Sequence[str]],
) -> int:
    """The skeleton of a script's `main`: a header, `run` on each store the flags ask for, then
    `report`, which prints the figures and returns the problems it found; then the problems, peak
    memory and time. The exit code is 1 if there were problems (a MISS is not one)."""
    exit_on_sigterm()
    started = time.perf_counter()
    print(f"modelgov {title}: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    print(f"flags: {flags_of(args)}", flush=True)
    print(f"modelgov code: {code_version()}", flush=True)
    only = getattr(args, "only", None)  # bench.monitoring's --only sqlite|postgres
    results = on_each_store(
        lambda store: run(store, args),
        sqlite=not args.skip_sqlite and only != "postgres",
        postgres=not args.skip_postgres and only != "sqlite",
        pg_url=args.pg_url,
        purpose=title.split()[0],
    )
    problems = report(results, args) if results else ["no store was measured"]
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"PROBLEM {problem}")
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(f"PROBLEM ... and {len(problems) - MAX_PROBLEMS_SHOWN} more")
    print(
        f"\npeak memory (maxrss): {peak_memory_mib():.0f} MiB; "
        f"total time {time.perf_counter() - started:.0f} s"
    )
    return 1 if problems else 0


def flags_of(args: argparse.Namespace) -> str:
    """The run's flags as a command line gives them (switches only when on)."""
    flags = []
    for name, value in vars(args).items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is not False and value is not None:
            shown = ",".join(map(str, value)) if isinstance(value, list) else value
            flags.append(f"{flag} {shown}")
    return " ".join(flags)


def code_version() -> str:
    """Which modelgov code runs: its directory, and its git commit if it is a checkout."""
    root = Path(infrastructure.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "domain", "application",
             "infrastructure", "reports"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return str(root)
    return f"{root} at {commit}" + (" with uncommitted changes" if dirty else "")


def exit_on_sigterm() -> None:
    """SIGTERM exits through the `finally` blocks (server stopped, schema dropped), as Ctrl-C does."""

    def handler(signum: int, _: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
