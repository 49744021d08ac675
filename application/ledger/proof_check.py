"""Checking a proof of governance with no database (`modelgov proof verify`): the checkpoint is
signed by the vkey's key, every event's stored record is in the checkpoint's tree, the records
are the model's in revision order, and they end in the activation the document names.

A plain document or its DSSE envelope (application/ledger/attestation.py) is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from application.ledger.attestation import EnvelopeError, SignatureValid, is_envelope, opened
from application.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteKey,
    parse_checkpoint,
    split_note,
)
from application.ledger.merkle import leaf_hash, verify_inclusion
from application.ledger.proof import FORMAT
from application.ledger.records import StoredRecord, record_bytes, record_from_json
from domain.model import model_id_for


@dataclass
class ProofCheck:
    """What a proof was found to show (`proves`), what failed (`problems`: none when ok), and
    what the file states that no check here reaches (`not_checked`: the reader must know)."""

    problems: list[str] = field(default_factory=list)
    proves: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_proof(data: Any, *, key: NoteKey, signature_valid: SignatureValid) -> ProofCheck:
    """Check a proof file's content against the trusted `key` (parsed from a vkey)."""
    check = ProofCheck()
    if isinstance(data, dict) and is_envelope(data):
        try:
            data = opened(data, key=key, signature_valid=signature_valid)
        except EnvelopeError as error:
            check.problems.append(str(error))
            return check
        check.proves.append(
            "the in-toto statement is signed by the vkey's key (DSSE) and its subject is the "
            "artifact the proof names"
        )
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        check.problems.append(f"this is not a proof of governance ({FORMAT}) nor its envelope")
        return check
    check.document = data
    try:
        checkpoint = _signed_checkpoint(str(data["checkpoint"]), key, signature_valid, check)
        if checkpoint is not None:
            _check_events(data, checkpoint, check)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        check.problems.append(f"the proof is malformed ({type(error).__name__}: {error})")
    return check


def _signed_checkpoint(
    note: str, key: NoteKey, signature_valid: SignatureValid, check: ProofCheck
) -> Checkpoint | None:
    try:
        signed = split_note(note)
        checkpoint = parse_checkpoint(signed.text)
    except CheckpointError as error:
        check.problems.append(f"the checkpoint is not a signed note: {error}")
        return None
    signatures = signed.by(key)
    if not signatures or not all(
        signature_valid(key.public_key, signature, signed.text.encode()) for signature in signatures
    ):
        check.problems.append(
            f"the checkpoint is not signed by the vkey's key {key.name}+{key.key_id.hex()} "
            "(another key, or the checkpoint was changed)"
        )
        return None
    check.proves.append(
        f"checkpoint of {checkpoint.origin} at tree size {checkpoint.tree_size} is signed by "
        f"{key.name}+{key.key_id.hex()}"
    )
    return checkpoint


def _check_events(data: dict[str, Any], checkpoint: Checkpoint, check: ProofCheck) -> None:
    name, version, environment = str(data["model"]), int(data["version"]), str(data["environment"])
    owner = model_id_for(name)
    if data.get("model_id") != str(owner):
        check.problems.append(f"model_id is not the id of model {name!r}")
    previous: StoredRecord | None = None
    previous_position = -1
    for number, entry in enumerate(data["events"], start=1):
        record = record_from_json(entry)
        position, text = int(entry["position"]), entry["clear_text"]
        where = f"event {number} (revision {record.originator_version}, position {position})"
        if not verify_inclusion(
            leaf_hash=leaf_hash(record_bytes(record)), index=position,
            tree_size=checkpoint.tree_size, proof=[bytes.fromhex(p) for p in entry["proof"]],
            root=checkpoint.root,
        ):  # fmt: skip
            check.problems.append(f"{where}: its record is not in the checkpoint's tree")
        if record.originator_id != owner:
            check.problems.append(f"{where}: the record is another model's than {name!r}")
        if previous is not None and (
            record.originator_version <= previous.originator_version
            or position <= previous_position
        ):
            check.problems.append(f"{where}: not after the event before it in revision order")
        if (text["model_revision"], text["topic"]) != (record.originator_version, record.topic):
            check.problems.append(f"{where}: its clear text names another revision or event")
        previous, previous_position = record, position
    if check.ok:
        check.proves.append(
            f"{len(data['events'])} stored event(s) of model {name!r} are in that tree, in "
            "revision order"
        )
    _check_activation(data, version=version, environment=environment, check=check)


def _check_activation(
    data: dict[str, Any], *, version: int, environment: str, check: ProofCheck
) -> None:
    events = data["events"]
    last = events[-1]["clear_text"] if events else {}
    if (
        not events
        or events[-1].get("why") != "activation"
        or last.get("event") != "VersionActivated"
        or (last["details"].get("version"), last["details"].get("environment"))
        != (version, environment)
        or last["model_revision"] != data["activation"]["model_revision"]
    ):
        check.problems.append(
            f"the events do not end in the activation of version {version} in {environment}"
        )
        return
    cards = [
        e["clear_text"]["details"]["card"]
        for e in events
        if e["clear_text"].get("event") == "VersionRegistered"
        and e["clear_text"]["details"].get("version") == version
    ]
    if not cards or cards[0]["artifact_sha256"] != data["artifact"]["sha256"]:
        check.problems.append(f"version {version}'s registration (its card) is not in the proof")
        return
    check.proves.append(
        f"their clear text ends in the activation of version {version} in {environment} at "
        f"revision {last['model_revision']} (effective {last['effective_at']}, recorded "
        f"{last['recorded_at']})"
    )
    check.not_checked.append(
        "the policy, risk tier and gates the file says the activation was judged by "
        f"({', '.join(data['activation']['gates_checked'])}): stated by whoever made the file, "
        "not derived from the events"
    )
