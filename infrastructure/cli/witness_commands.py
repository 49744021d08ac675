"""`modelgov witness init|show|serve`: run a witness (C2SP tlog-witness) for a modelgov ledger,
and the witness quorum `modelgov verify --witness-vkey ... --witness-quorum K` requires."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from application.ledger.checkpoint import COSIGNATURE_V1, CheckpointError, NoteKey, parse_vkey, vkey
from application.ledger.witness import QuorumVerdict, check_quorum
from infrastructure.api.http_server import ConnectionLimits, run_server
from infrastructure.errors import CommandFailedError
from infrastructure.ledger.keys import Ed25519Signer, load_signer, public_path, write_key_pair
from infrastructure.ledger.online import Ledger
from infrastructure.witness.server import Witness, witness_app
from infrastructure.witness.state import WitnessState, state_path_for

witness_app_cli = typer.Typer(
    help="A witness: cosigns a log's checkpoints only while they extend the last it cosigned."
)
DEFAULT_NAME = "modelgov.localhost/witness"
KeyOption = Annotated[
    Path, typer.Option("--key", help="The witness's Ed25519 private key file (mode 0600).")
]
NameOption = Annotated[
    str,
    typer.Option(
        help="The witness's name in its cosignature lines and vkey: a URL without scheme "
        "(keep it for the key's life)."
    ),
]


def _signer(key: Path) -> Ed25519Signer:
    if not key.exists():
        raise CommandFailedError(
            f"no witness key at {key}: run `modelgov witness init --key {key}`"
        )
    return load_signer(key, passphrase=None)


def _witness_vkey(name: str, signer: Ed25519Signer) -> str:
    try:
        return vkey(name, signer.public_key, COSIGNATURE_V1)
    except CheckpointError as error:
        raise typer.BadParameter(str(error), param_hint="--name") from None


@witness_app_cli.command("init")
def init(key: KeyOption, name: NameOption = DEFAULT_NAME) -> None:
    """Write a new witness key (mode 0600, its public key beside it) and print its vkey."""
    if key.exists():
        raise CommandFailedError(
            f"{key} exists already: a witness keeps its key (and its state beside it) for life"
        )
    signer = write_key_pair(key, passphrase=None)
    typer.echo(f"witness key written to {key}; public key in {public_path(key)}")
    typer.echo(_witness_vkey(name, signer))


@witness_app_cli.command("show")
def show(key: KeyOption, name: NameOption = DEFAULT_NAME) -> None:
    """Print the witness's vkey (cosignature type 0x04): what MODELGOV_WITNESSES and
    `modelgov verify --witness-vkey` take."""
    typer.echo(_witness_vkey(name, _signer(key)))


@witness_app_cli.command("serve")
def serve(
    key: KeyOption,
    log_vkey: Annotated[
        list[str],
        typer.Option(
            "--log-vkey",
            help="The vkey of a log this witness cosigns (`modelgov keys show` prints it); "
            "its name is the log's origin. Repeat for more logs or keys.",
        ),
    ],
    name: NameOption = DEFAULT_NAME,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8081,
) -> None:
    """Serve tlog-witness's POST /add-checkpoint (and GET /<origin hash>/checkpoint); the last
    checkpoint cosigned per log is kept in KEY.state.json beside the key."""
    signer = _signer(key)
    _witness_vkey(name, signer)
    try:
        log_keys = [parse_vkey(text) for text in log_vkey]
    except CheckpointError as error:
        raise typer.BadParameter(str(error), param_hint="--log-vkey") from None
    state = WitnessState.open(state_path_for(key))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    witness = Witness(name=name, signer=signer, log_keys=log_keys, state=state)
    limits = ConnectionLimits(header_seconds=10, body_seconds=30, max_connections=256)
    try:
        run_server(partial(witness_app, witness), host=host, port=port, limits=limits)
    finally:
        state.close()


def witness_keys(texts: list[str], quorum: int | None) -> tuple[list[NoteKey], int]:
    """The witness vkeys `verify` was given, parsed, and the quorum (default 1 with keys)."""
    try:
        keys = list(dict.fromkeys(parse_vkey(text, COSIGNATURE_V1) for text in texts))
    except CheckpointError as error:
        raise typer.BadParameter(str(error), param_hint="--witness-vkey") from None
    if quorum is None:
        return keys, 1 if keys else 0
    if not 1 <= quorum <= len(keys):
        raise typer.BadParameter(
            f"a quorum of {quorum} needs at least {quorum} distinct --witness-vkey (got "
            f"{len(keys)}), and is at least 1",
            param_hint="--witness-quorum",
        )
    return keys, quorum


def witness_quorum(ledger: Ledger, keys: list[NoteKey], quorum: int) -> QuorumVerdict:
    """The quorum on the latest checkpoint, which must be the latest signed head's."""
    head = ledger.latest_head().head
    _, note = ledger.checkpoint()
    return check_quorum(
        note=note, head_size=head.tree_size, head_root=head.root, witnesses=keys, quorum=quorum
    )
