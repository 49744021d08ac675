"""Talking to a modelgov server from the command line: the options, the answers, the exit codes.

Commands that go over HTTP (every write, and every read given `--server`) use modelgov_client and
end with the exit codes every command uses (exit_codes.py), whatever went wrong: no traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from modelgov_client import (
    Client,
    ModelgovError,
    ProblemError,
    Refused,
    ServerError,
    Unauthorized,
    UnmetGate,
    Unreachable,
    Written,
)

from infrastructure.cli.exit_codes import BAD_INPUT, REFUSED, UNREACHABLE

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server", envvar="MODELGOV_SERVER", metavar="URL",
        help="The modelgov server, e.g. https://modelgov.example (env MODELGOV_SERVER).",
    ),
]  # fmt: skip
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="MODELGOV_TOKEN", show_envvar=False,
        help="Your bearer token (env MODELGOV_TOKEN).",
    ),
]  # fmt: skip
AnswerJson = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]


def fail(code: int, message: str, *lines: str) -> typer.Exit:
    """Say why on stderr (one line, then any details one per line); the exit to raise."""
    typer.echo(f"modelgov: {message}", err=True)
    for line in lines:
        typer.echo(f"  {line}", err=True)
    return typer.Exit(code)


def exit_code_for(error: ModelgovError) -> int:
    if isinstance(error, Refused):
        return REFUSED
    if isinstance(error, Unreachable | Unauthorized | ServerError):
        return UNREACHABLE
    if isinstance(error, ProblemError) and error.status in (409, 412):  # a conflict: not done
        return REFUSED
    if isinstance(error, ProblemError) and error.status == 429:
        return UNREACHABLE
    return BAD_INPUT


@contextmanager
def connected(server: str | None, token: str | None, *, as_json: bool = False) -> Iterator[Client]:
    """A client of `server`; a refusal or a fault ends the command with its exit code."""
    if not server:
        raise fail(
            BAD_INPUT, "this command talks to a server: give --server URL or set MODELGOV_SERVER"
        )
    client = Client(server, token=token)
    try:
        yield client
    except ModelgovError as error:
        if as_json and isinstance(error, ProblemError):
            echo_document(error.problem)
        gates = getattr(error, "unmet_gates", [])
        kind = "refused" if exit_code_for(error) == REFUSED else "failed"
        raise fail(
            exit_code_for(error), f"{kind}: {error}", *(f"{g.gate}: {g.detail}" for g in gates)
        ) from None
    finally:
        client.close()


def echo_document(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, sort_keys=True))


def echo_written(operation: str, written: Written, *, as_json: bool) -> None:
    if as_json:
        document = written.document if isinstance(written.document, dict) else {}
        echo_document(
            {**document, "position": written.position, "replayed": written.replayed,
             "idempotency_key": written.idempotency_key}
        )  # fmt: skip
        return
    result = "" if written.result is None else f"; result: {written.result}"
    typer.echo(
        f"{operation}: recorded on {written.model} (revision {written.model_revision}{result})"
    )


def echo_read(answer: Any, *, output: Path | None) -> None:
    """A read's answer: JSON printed, a document (a report) written to `output` or stdout."""
    if isinstance(answer, bytes):
        if output is None:
            typer.echo(answer.decode("utf-8", errors="replace"), nl=False)
        else:
            output.write_bytes(answer)
            typer.echo(f"wrote {output} ({len(answer)} bytes)", err=True)
        return
    echo_document(answer)


def json_input(option: str, value: str) -> Any:
    """A JSON document given inline or as the path of a file holding it."""
    text = value
    if not value.lstrip().startswith(("{", "[")):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as error:
            raise fail(BAD_INPUT, f"{option}: cannot read {value}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise fail(BAD_INPUT, f"{option}: {value} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(BAD_INPUT, f"{option}: {value} is not JSON ({error})") from None


def print_gate(name: str, version: int, environment: str, unmet: list[UnmetGate]) -> None:
    if not unmet:
        typer.echo(f"{name} version {version} may be activated in {environment} now")
        return
    typer.echo(f"{name} version {version} may not be activated in {environment} now:")
    for gate in unmet:
        typer.echo(f"  {gate.gate}: {gate.detail}")
