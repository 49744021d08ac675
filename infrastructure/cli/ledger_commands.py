"""`modelgov keys`, `ledger seal`, `verify` and `export`: the tamper-evident ledger from the command line."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer

from application.governance import Governance
from application.ledger.damage import VerificationReport
from application.ledger.records import TreeHead
from domain.maintenance import Maintenance
from infrastructure.cli.following import follow_under_lease
from infrastructure.cli.history_commands import JsonOption, echo_json
from infrastructure.cli.progress import progress
from infrastructure.cli.witness_commands import witness_keys, witness_quorum
from infrastructure.db.append_only import INSTALL_COMMAND, GuardFinding, guard_findings
from infrastructure.db.store import open_governance
from infrastructure.errors import CommandFailedError, LedgerLookupError, SettingsError
from infrastructure.leases import LEASE_SECONDS, SEALER, Lease, run_while_holding
from infrastructure.ledger.bundle import export_ledger, export_model, verify_bundle
from infrastructure.ledger.keys import (
    public_key_summary,
    public_path,
    rotate_key,
    write_key_pair,
)
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.ledger.sealing_thread import Sealing
from infrastructure.settings import Settings, get_settings

keys_app = typer.Typer(help="Ed25519 keys that sign tree heads: create, show, rotate.")
ledger_app = typer.Typer(help="Seal events into the Merkle log and sign tree heads.")


def _with_ledger(settings: Settings) -> Ledger:
    return open_ledger(settings, open_governance(settings))


@keys_app.command("init")
def keys_init() -> None:
    """Write a new Ed25519 signing key (mode 0600; MODELGOV_SIGNING_KEY_PASSPHRASE encrypts it)."""
    settings = get_settings()
    path = settings.signing_key_file
    if path.exists():
        raise CommandFailedError(f"{path} exists already; `modelgov keys rotate` starts a new key")
    signer = write_key_pair(path, passphrase=settings.signing_key_passphrase)
    _with_ledger(settings).signer()  # publishes the public key
    typer.echo(f"signing key {signer.key_id} written to {path}; public key in {public_path(path)}")


@keys_app.command("show")
def keys_show(as_json: JsonOption = False) -> None:
    """The signing key's public half: its key id, and the vkey that checks the ledger's C2SP
    checkpoints (`GET /v1/ledger/checkpoint`) with any signed-note verifier. Reads only the
    public key file (`.pub` beside MODELGOV_SIGNING_KEY_FILE)."""
    settings = get_settings()
    try:
        shown = public_key_summary(settings.signing_key_file, origin=settings.ledger_origin)
    except SettingsError as error:
        raise CommandFailedError(str(error)) from None
    if as_json:
        echo_json(shown)
        return
    for label, value in shown.items():
        for line in value if isinstance(value, list) else [value]:
            typer.echo(f"{label + ':':17} {line}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Start a new key id; the old public key stays published, so old heads still verify."""
    settings = get_settings()
    path = settings.signing_key_file
    old, retired, signer = rotate_key(path, passphrase=settings.signing_key_passphrase)
    _with_ledger(settings).signer()
    typer.echo(
        f"new signing key {signer.key_id}; the retired key {old.key_id} is kept at {retired}"
    )


def seal_until_caught_up(ledger: Ledger) -> tuple[int, int]:
    """Seal every event recorded so far and sign a head over them; returns (leaves added, size).
    On a terminal, the events sealed against those not sealed when it began."""
    sealer = ledger.sealer()
    with progress("sealing events") as shown:
        if shown is not None:
            shown(0, ledger.events.count() - sealer.frontier.size)
        added = sealer.seal_all(progress=shown)
    return added, sealer.frontier.size


@ledger_app.command("seal")
def seal(
    follow: Annotated[
        bool, typer.Option(help="Keep sealing new events until interrupted.")
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            min=0,
            help="While another process (serve, or ledger seal --follow) holds the sealer's "
            "lease: how many seconds to wait for it to seal the events recorded so far.",
        ),
    ] = 60.0,
) -> None:
    """Append leaves for new events and sign a tree head (as `modelgov serve` does continuously).

    One process per store seals at a time (a lease). While `serve` or `ledger seal --follow`
    holds it, this one waits for that process to seal what is recorded (--wait); with --follow,
    it waits for the lease, and takes over when that process stops or dies.
    """
    ledger = _with_ledger(get_settings())
    lease = Lease(ledger.tables.sql, SEALER)
    if follow:
        typer.echo("following the event store (Ctrl-C to stop; one process seals at a time) ...")
        follow_under_lease(lease, Sealing(ledger, lease).run)
        return
    if not lease.take():
        typer.echo(_sealed_by(ledger, lease.other or "another process", wait))
        return
    outcome: list[tuple[int, int]] = []
    failure: list[Exception] = []

    def sealing(stop: object) -> None:
        try:
            outcome.append(seal_until_caught_up(ledger))
        except Exception as error:  # said below, in this thread, instead of retried
            failure.append(error)

    run_while_holding(lease, sealing, threading.Event())  # renewed while it seals; let go after
    if failure:
        raise failure[0]
    added, size = outcome[0]
    signed = (
        f"; signed tree head at size {size}" if added else f"; the tree head at size {size} stands"
    )
    typer.echo(f"sealed {added} new event(s){signed}")


def _sealed_by(ledger: Ledger, holder: str, wait: float) -> str:
    """What the process holding the sealer's lease sealed of the events recorded now, once its
    signed head covers them; CommandFailedError when it has not within `wait` seconds."""
    recorded = ledger.events.count()
    deadline = time.monotonic() + wait
    while True:
        try:
            size = ledger.checkpoint_size()
        except LedgerLookupError:
            size = 0
        if size >= recorded:
            return (
                f"sealed by {holder}, which holds the sealer's lease: its tree head at size "
                f"{size} covers the {recorded} event(s) recorded when this began"
            )
        if time.monotonic() >= deadline:
            raise CommandFailedError(
                f"{holder} holds the sealer's lease but has not signed a head over the "
                f"{recorded} event(s) recorded so far within {wait:g} s (its latest covers "
                f"{size}): look at that process's log; its lease runs out {LEASE_SECONDS:g} s after it stops, "
                "and then `modelgov ledger seal` seals here"
            )
        time.sleep(0.5)


def print_verification(
    report: VerificationReport, *, where: str, findings: Sequence[GuardFinding] = ()
) -> None:
    """The ledger's verdict, and the append-only triggers not in force; exit 1 on either."""
    typer.echo(
        f"{where}: {report.events} event(s), {report.leaves} leaf/leaves, {report.heads} signed head(s)"
        + (f", {report.unsealed} not sealed yet" if report.unsealed else "")
    )
    for finding in findings:
        typer.echo(
            f"FAILED: {finding.describe()}: the database does not refuse that any more; the "
            f"tables' owner puts it back with `{INSTALL_COMMAND}`",
            err=True,
        )
    if report.ok:
        typer.echo(
            "OK: every event matches its leaf, every root its signed head, every signature verifies"
        )
        if findings:
            raise typer.Exit(1)
        return
    first = report.first_damage
    assert first is not None
    typer.echo(
        f"FAILED: first damage at position {first.position}: {first.kind}: {first.detail}", err=True
    )
    for damage in report.damage[:20]:
        typer.echo(f"  position {damage.position}: {damage.kind}: {damage.detail}", err=True)
    if len(report.damage) > 20:
        typer.echo(f"  ... and {len(report.damage) - 20} more", err=True)
    raise typer.Exit(1)


def _trusted_head(value: str) -> TreeHead:
    size, _, root = value.partition(":")
    try:
        return TreeHead(tree_size=int(size), root=bytes.fromhex(root), timestamp="", key_id="")
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not SIZE:ROOT_HEX", param_hint="--trusted-head"
        ) from None


PublicKeyOption = Annotated[
    list[Path] | None,
    typer.Option(
        help="Trusted public key (PEM); repeat for retired keys. Online default: the .pub "
        "files beside the signing key; never the keys stored in the database."
    ),
]


def verify(
    bundle: Annotated[
        Path | None, typer.Option(help="Verify an exported bundle instead of the database.")
    ] = None,
    public_key: PublicKeyOption = None,
    trusted_head: Annotated[
        list[str] | None,
        typer.Option(
            help="SIZE:ROOT of a head you kept (e.g. from an earlier report); the log must "
            "still reach it. Online, the sealer's own head file is always used too."
        ),
    ] = None,
    witness_vkey: Annotated[
        list[str] | None,
        typer.Option(
            help="A witness you trust (its vkey, `modelgov witness show`); repeat for each."
        ),
    ] = None,
    witness_quorum_size: Annotated[
        int | None,
        typer.Option(
            "--witness-quorum",
            help="How many of those witnesses must have cosigned the latest checkpoint "
            "(default 1 when --witness-vkey is given).",
        ),
    ] = None,
) -> None:
    """Recompute every leaf, root and signature, check the append-only triggers; exit 1 naming
    the first damaged position, and each trigger missing or disabled; with --witness-vkey, exit
    1 too unless a quorum of those witnesses cosigned the latest checkpoint."""
    trusted = [_trusted_head(value) for value in trusted_head or []]
    witnesses, quorum = witness_keys(witness_vkey or [], witness_quorum_size)
    if bundle is not None:
        if witnesses:
            raise CommandFailedError("--witness-vkey checks the store's checkpoint, not a bundle's")
        if not public_key:
            raise CommandFailedError(
                "--bundle needs --public-key: the keys you trust, not the bundle's own"
            )
        with progress("verifying events") as shown:
            report = verify_bundle(bundle, public_keys=public_key, trusted=trusted, progress=shown)
        print_verification(report, where=str(bundle))
        return
    settings = get_settings().for_reading()
    ledger = _with_ledger(settings)
    with progress("verifying events") as shown:
        report = ledger.verify(public_keys=public_key, trusted=trusted, progress=shown)
    verdict = witness_quorum(ledger, witnesses, quorum) if witnesses and report.ok else None
    _print_maintenance(ledger.governance)
    try:
        print_verification(
            report, where=settings.database.describe(), findings=guard_findings(ledger.tables.sql)
        )
    finally:
        if verdict is not None and verdict.ok:
            typer.echo(f"OK: witness quorum met: {verdict.detail}")
        elif verdict is not None:
            typer.echo(f"FAILED: witness quorum not met: {verdict.detail}", err=True)
    if verdict is not None and not verdict.ok:
        raise typer.Exit(1)


def _print_maintenance(governance: Governance) -> None:
    """What was done to the store itself, as the ledger recorded it (e.g. triggers put back)."""
    for event in governance.maintenance_events():
        if isinstance(event, Maintenance.AppendOnlyTriggersReinstalled):
            typer.echo(
                f"recorded {event.timestamp.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}: "
                f"{len(event.triggers)} append-only trigger(s) put back by {event.actor} "
                f"(database role {event.database_role}): {event.reason}"
            )


def export(
    out: Annotated[Path, typer.Option(help="Folder to write the bundle into.")],
    model: Annotated[
        str | None, typer.Option(help="Only this model, with inclusion proofs.")
    ] = None,
) -> None:
    """Write a bundle that `modelgov verify --bundle` checks with no database."""
    ledger = _with_ledger(get_settings().for_reading())
    if model is not None:  # one model's events and proofs: quick
        counts = export_model(ledger, out, name=model)
    else:
        with progress("exporting events, leaves and tiles") as shown:
            counts = export_ledger(ledger, out, progress=shown)
    typer.echo(f"bundle written to {out}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
