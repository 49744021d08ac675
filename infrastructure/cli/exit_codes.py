"""How the CLI fails: one line on stderr and an exit code per kind of fault; `--debug` adds the traceback."""

from __future__ import annotations

import traceback
from dataclasses import dataclass

import typer

from application.errors import ApplicationError
from domain.errors import DomainError, RuleViolationError
from infrastructure.db.faults import NOT_WRITABLE_ERRNOS, missing_table, one_line, store_fault
from infrastructure.errors import InfrastructureError, StoreNotFoundError, StoreNotWritableError
from infrastructure.projections.shares import RebuildHelperError
from infrastructure.settings import get_settings

# One set for every command, local or with --server.
DONE = 0
REFUSED = 1  # a governance rule said no, or a check found what it looks for
BAD_INPUT = 2  # also click's code for a usage error
UNREACHABLE = 3
NOT_WRITABLE = 4
UNEXPECTED = 5
EXIT_CODES = {
    DONE: "done",
    REFUSED: "refused by a governance rule (each unmet gate printed on its own line), or a check "
    "found a problem (verify: the ledger was altered)",
    BAD_INPUT: "bad usage or input: a missing option, an invalid value or file, an unknown model or "
    "version, a bad setting (no store where it points)",
    UNREACHABLE: "not reachable or not authorised: the store or the server cannot be reached "
    "(PostgreSQL down; wrong host, port or login), or the server did not accept the token",
    NOT_WRITABLE: "the store or a file cannot be written (read-only, no permission, disk full)",
    UNEXPECTED: "unexpected error: run again with --debug and report the traceback",
}
EXIT_CODES_HELP = "Exit codes: " + "; ".join(f"{c} {m}" for c, m in EXIT_CODES.items()) + "."


def document_exit_codes(app: typer.Typer) -> None:
    """End every command's --help with the exit codes, unless it documents its own."""
    for command in app.registered_commands:
        command.epilog = command.epilog or EXIT_CODES_HELP
    for group in app.registered_groups:
        if group.typer_instance is not None:
            document_exit_codes(group.typer_instance)


@dataclass
class Reporting:
    """How faults are reported in this run (set by the global options)."""

    debug: bool = False


REPORTING = Reporting()


def report_fault(error: Exception) -> int:
    """Print `error` as one line on stderr (after its traceback with --debug); its exit code."""
    code, message = _classify(error)
    if REPORTING.debug:
        traceback.print_exception(error)
    typer.echo(f"modelgov: {message}", err=True)
    return code


def _classify(error: Exception) -> tuple[int, str]:
    fault = store_fault(error, where=_where())
    if isinstance(fault, StoreNotFoundError):  # the settings point where no store is
        return BAD_INPUT, str(fault)
    if (table := missing_table(error)) is not None:
        return BAD_INPUT, (
            f"{_where()} lacks what this command reads ({table}): a store made by an earlier "
            "release, or read models not built yet; its owner runs `modelgov init` (or "
            "`modelgov db init`), then `modelgov projections run`"
        )
    if fault is not None:
        return (NOT_WRITABLE if isinstance(fault, StoreNotWritableError) else UNREACHABLE), str(
            fault
        )
    if isinstance(error, RuleViolationError):
        return REFUSED, str(error)
    if isinstance(error, RebuildHelperError):  # what it left and how to go on; --debug: where
        return UNEXPECTED, str(error)
    if isinstance(error, DomainError | ApplicationError | InfrastructureError):
        return BAD_INPUT, str(error)
    if isinstance(error, OSError) and error.errno in NOT_WRITABLE_ERRNOS:
        return NOT_WRITABLE, f"cannot use {error.filename}: {error.strerror}"
    return UNEXPECTED, (
        f"unexpected error: {type(error).__name__}: {one_line(error)} "
        "(run again with --debug for the traceback, and report it)"
    )


def _where() -> str:
    try:
        return get_settings().database.describe()
    except InfrastructureError:  # the settings themselves are the fault; reported as such
        return "the event store"
