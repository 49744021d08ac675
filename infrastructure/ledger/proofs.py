"""A proof of governance per version, from the store (build) and from a file (check): the ledger's
records and inclusion proofs against its latest checkpoint, the Ed25519 checks, and the optional
check of the clear text against the stored records with the data key."""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.domain import EventSourcingError
from eventsourcing.persistence import StoredEvent

from application.erasure.sealing import mask_sealed
from application.governance import Governance
from application.ledger.attestation import envelope, keyid_for
from application.ledger.checkpoint import NoteKey, ed25519_valid, parse_vkey, vkey
from application.ledger.proof import clear_texts, governing_events, proof_document
from application.ledger.proof_check import ProofCheck, check_proof
from application.ledger.records import record_from_json
from domain.events import Event as ModelEvent
from domain.model import model_id_for
from infrastructure.db.store import CIPHER_TOPIC
from infrastructure.errors import NotSealedYetError
from infrastructure.ledger.online import Ledger


def build_proof(
    ledger: Ledger, *, name: str, version: int, environment: str, redact: bool
) -> dict[str, Any]:
    """The proof document of version `version`'s latest activation in `environment`, against the
    latest checkpoint. NeverActivatedError, or NotSealedYetError when the checkpoint does not
    cover the activation yet."""
    events = ledger.governance.model_events(name)
    governing = governing_events(events, name=name, version=version, environment=environment)
    size, note = ledger.checkpoint()
    revisions = {event.originator_version for _, event in governing}
    proven = ledger.proven_records(model_id_for(name), tree_size=size, revisions=revisions)
    if len(proven) < len(revisions):
        raise NotSealedYetError(
            f"the activation of version {version} of {name!r} in {environment} is not sealed yet "
            f"(the latest checkpoint covers {size} event(s)); retry in a few seconds"
        )
    return proof_document(
        name=name, version=version, environment=environment, model_events=events,
        governing=governing, proven=proven, checkpoint=note, redact=redact,
    )  # fmt: skip


def in_toto(ledger: Ledger, document: dict[str, Any]) -> dict[str, Any]:
    """The document as an in-toto statement in a DSSE envelope signed by the ledger's key."""
    signer = ledger.signer()
    key = parse_vkey(vkey(ledger.settings.ledger_origin, signer.public_key))
    return envelope(document, keyid=keyid_for(key), sign=signer.sign)


def verify_proof(data: Any, *, vkey_text: str, cipher_key: str | None = None) -> ProofCheck:
    """Check a proof file's content with the vkey; with the data key, also that each record
    decrypts to the clear text beside it (redacted as the document says)."""
    key: NoteKey = parse_vkey(vkey_text)
    check = check_proof(data, key=key, signature_valid=ed25519_valid)
    if check.ok and cipher_key is not None:
        _check_clear_text(check, cipher_key)
    elif check.ok:
        check.not_checked.insert(
            0,
            "that the clear text (versions, environment, artifact, who decided) is what the "
            "proven records hold: the records are encrypted, so without the data key it is the "
            "file's word (give --cipher-key-file to check it)",
        )
    return check


def _check_clear_text(check: ProofCheck, cipher_key: str) -> None:
    document = check.document
    # The store's own mapper (transcodings, upcasters, cipher), over no database (in memory).
    reader = Governance({"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": cipher_key})
    decrypted: list[ModelEvent] = []
    try:
        for entry in document["events"]:
            record = record_from_json(entry)
            stored = StoredEvent(
                record.originator_id, record.originator_version, record.topic, record.state
            )
            event = reader.mapper.to_domain_event(stored)
            assert isinstance(event, ModelEvent)
            decrypted.append(event)
    except (ValueError, EventSourcingError, AssertionError):
        check.problems.append(
            f"event {len(decrypted) + 1}'s record does not decrypt with this data key"
        )
        return
    finally:
        reader.close()
    personal = document.get("personal_data")
    clear = personal.get("clear_text") if isinstance(personal, dict) else None
    if clear not in ("included", "redacted"):
        check.problems.append("the proof does not say whether its clear text is redacted")
        return
    expected = json.loads(json.dumps(clear_texts(decrypted, redact=clear == "redacted")))
    sealed_any = False
    for number, (entry, opened) in enumerate(zip(document["events"], expected, strict=True), 1):
        given = entry.get("clear_text") if isinstance(entry, dict) else None
        wanted, given, sealed = mask_sealed(opened, given)
        sealed_any = sealed_any or sealed
        if given != wanted:
            check.problems.append(
                f"event {number} (revision {wanted['model_revision']}): its clear text is not what "
                "its record decrypts to"
            )
    if check.ok:
        check.proves.append("each event's clear text is what its stored record decrypts to")
    if sealed_any:
        check.not_checked.append(
            "people's names, e-mail addresses and comments in the clear text: each is sealed "
            "under its person's erasure key, kept in the store, which the data key alone does "
            "not open (GDPR Art. 17 erasure)"
        )
