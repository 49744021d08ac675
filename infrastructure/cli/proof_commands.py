"""`modelgov proof MODEL --version N --environment ENV --out FILE` and `modelgov proof verify FILE
--vkey VKEY`: a proof of governance per version, written from the store (or a server) and checked
with no database."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from modelgov_client import ProblemError
from typer.core import TyperGroup

from application.errors import NeverActivatedError
from application.ledger.checkpoint import CheckpointError
from infrastructure.cli.exit_codes import BAD_INPUT, REFUSED
from infrastructure.cli.history_commands import JsonOption, ModelArgument, answered, echo_json
from infrastructure.cli.remote import ServerOption, TokenOption, fail
from infrastructure.db.store import load_cipher_key
from infrastructure.ledger.online import open_ledger
from infrastructure.ledger.proofs import build_proof, in_toto, verify_proof
from infrastructure.settings import get_settings


class _CreateUnlessNamed(TyperGroup):
    """`modelgov proof MODEL ...` is `modelgov proof create MODEL ...`: the group's first word is
    a subcommand only when it names one (`verify`, `create`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


proof_app = typer.Typer(
    cls=_CreateUnlessNamed,
    help="Ledger proofs. A proof of governance per version: `modelgov proof MODEL --version N "
    "--environment ENV --out FILE` writes one, `modelgov proof verify FILE --vkey VKEY` checks "
    "it; `inclusion` and `consistency` ask a server for one event's or two heads' proof.",
    no_args_is_help=True,
)


class Format(StrEnum):
    json = "json"
    in_toto = "in-toto"


@proof_app.command("create")
def create(
    name: ModelArgument,
    version: Annotated[int, typer.Option(min=1, help="The version (ML release) to prove.")],
    environment: Annotated[str, typer.Option(help="Where it was activated.")],
    out: Annotated[Path, typer.Option(help="The file to write.")],
    redact: Annotated[
        bool,
        typer.Option(
            help="Leave personal data out: actors pseudonymised (person-1, ...), reasons and "
            "stakeholders' names and e-mails replaced. Without it the file holds them in clear."
        ),
    ] = False,
    format_: Annotated[
        Format,
        typer.Option(
            "--format",
            help="json: the proof document; in-toto: the same as an in-toto Statement v1 (subject: "
            "the artifact's sha256) in a DSSE envelope signed by the ledger's key.",
        ),
    ] = Format.json,
    as_json: JsonOption = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Write the proof of a version's latest activation in an environment: the checkpoint, every
    event the activation rests on (stored record, position, inclusion proof, clear text), and the
    policy and gates as they stood. Exit 1 if it was never activated there."""
    if server and format_ is Format.in_toto:
        raise fail(
            BAD_INPUT,
            "--format in-toto is signed with the ledger's key: run it where that key is, "
            "without --server",
        )
    settings = get_settings().for_reading()

    def remote(client: Any) -> dict[str, Any]:
        try:
            found: dict[str, Any] = client.version_proof(
                name, version, environment=environment, redact=redact
            )
        except ProblemError as error:
            if str(error.problem.get("type", "")).endswith("/never_activated"):
                raise fail(REFUSED, str(error.problem.get("detail"))) from None
            raise
        return found

    def local(governance: Any) -> dict[str, Any]:
        ledger = open_ledger(settings, governance)
        document = build_proof(
            ledger, name=name, version=version, environment=environment, redact=redact
        )
        return in_toto(ledger, document) if format_ is Format.in_toto else document

    try:
        written = answered(server, token, remote=remote, local=local)
    except NeverActivatedError as error:
        raise fail(REFUSED, str(error)) from None
    out.write_text(json.dumps(written, indent=1) + "\n")
    document = written if format_ is Format.json else None
    summary = {
        "file": str(out),
        "format": format_.value,
        "model": name,
        "version": version,
        "environment": environment,
        "events": len(document["events"]) if document else None,
        "personal_data": "redacted" if redact else "included",
    }
    if as_json:
        echo_json(summary)
        return
    typer.echo(
        f"wrote {out}: proof of version {version} of {name} in {environment} ({format_.value})"
    )
    if not redact:
        typer.echo(
            "it holds personal data in clear text (names, e-mails, reasons): share it as such, "
            "or write it with --redact",
            err=True,
        )


@proof_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="The proof file (JSON or in-toto/DSSE).")],
    vkey: Annotated[
        str,
        typer.Option(
            help="The ledger's verifier key (`modelgov keys show`), or a file holding it; "
            "never taken from the proof itself."
        ),
    ],
    cipher_key_file: Annotated[
        Path | None,
        typer.Option(
            help="The store's data key: also check that each record decrypts to its clear text."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a proof with no database: the checkpoint's signature, every inclusion proof, that
    the events are the model's in revision order and end in the activation; exit 1 naming what
    failed."""
    vkey_text = Path(vkey).read_text().strip() if Path(vkey).is_file() else vkey
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise fail(BAD_INPUT, f"cannot read {file} as JSON: {error}") from None
    cipher_key = None
    if cipher_key_file is not None:
        settings = get_settings().model_copy(
            update={"cipher_key": None, "cipher_key_file": cipher_key_file}
        )
        cipher_key = load_cipher_key(settings)
    try:
        check = verify_proof(data, vkey_text=vkey_text, cipher_key=cipher_key)
    except CheckpointError as error:
        raise fail(BAD_INPUT, f"--vkey: {error}") from None
    if as_json:
        echo_json(
            {
                "ok": check.ok,
                "proves": check.proves,
                "not_checked": check.not_checked,
                "problems": check.problems,
            }
        )
    else:
        for line in check.proves:
            typer.echo(f"ok: {line}")
        for line in check.not_checked if check.ok else ():
            typer.echo(f"not checked: {line}")
        for line in check.problems:
            typer.echo(f"FAILED: {line}")
    if not check.ok:
        raise typer.Exit(REFUSED)
