"""A proof of governance for one version: the events that made its activation in an environment
legitimate, each in clear text beside its stored record, ledger position and inclusion proof
against one C2SP checkpoint, with the policy and gates as they stood.

Pure: the ledger supplies the records and proofs (infrastructure/ledger/proofs.py); a document is
checked with no database by application/ledger/proof_check.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from application.errors import NeverActivatedError
from application.governance import fold_model
from application.ledger.records import ProvenRecord
from application.views import history_entry, jsonable
from domain import events as ev
from domain.gates import activation_gates_for
from domain.model import model_id_for
from domain.values import target_key

FORMAT = "modelgov-proof-v1"
REDACTED = "[redacted]"
# What `--redact` replaces, as the document says it.
REDACTIONS = (
    "actor: each principal becomes person-1, person-2, ... (one pseudonym per person in this "
    "document, so distinct approvers stay distinct)",
    "reason: every free-text reason or justification",
    "details.stakeholders: each stakeholder's name and e-mail",
    "details.card.provenance.author: pseudonymised as actor is",
)
CLEAR_TEXT_NOTE = (
    "The inclusion proofs cover the events as stored: encrypted at rest (AES-GCM). The clear "
    "text beside each record is what the store's data key decrypts it to; the proofs alone do "
    "not show that. An auditor holding the data key checks it with `modelgov proof verify "
    "--cipher-key-file`. Clear text is personal data (names, e-mails, reasons) exported on "
    "purpose; `--redact` (API: redact=true) leaves it out."
)

_VERSION_EVENTS: dict[type[ev.Event], str] = {
    ev.VersionRegistered: "version registered (model card)",
    ev.ValidationRecorded: "validation evidence",
    ev.ReleaseApproved: "release approval",
    ev.ReleaseRejected: "release rejection",
    ev.ComplianceSignedOff: "compliance sign-off",
    ev.BiasFlagRaised: "bias flag raised",
}


def governing_events(
    events: Sequence[ev.Event], *, name: str, version: int, environment: str
) -> list[tuple[str, ev.Event]]:
    """The events a version's latest activation in `environment` rests on, each with why it is
    there, in revision order: the model's registration and the policy change in force, the
    version's registration, evidence, decisions and bias flags, the targets in force and their
    approvals, and the activation itself. NeverActivatedError if there was none."""
    activations = [
        e for e in events
        if isinstance(e, ev.VersionActivated) and (e.version, e.environment) == (version, environment)
    ]  # fmt: skip
    if not activations:
        raise NeverActivatedError(
            f"version {version} of {name!r} was never activated in {environment}: there is no "
            "activation to prove"
        )
    activation = activations[-1]
    before = [e for e in events if e.originator_version < activation.originator_version]
    chosen: dict[int, tuple[str, ev.Event]] = {}
    policies = [e for e in before if isinstance(e, ev.PolicyChanged)]
    targets: dict[str, ev.TargetSet] = {}
    flags: set[str] = set()
    for event in before:
        why = _VERSION_EVENTS.get(type(event))
        if isinstance(event, ev.Registered):
            chosen[event.originator_version] = ("model registered", event)
        elif why and getattr(event, "version", None) == version:
            chosen[event.originator_version] = (why, event)
            if isinstance(event, ev.BiasFlagRaised):
                flags.add(event.flag_id)
        elif isinstance(event, ev.BiasFlagResolved) and event.flag_id in flags:
            chosen[event.originator_version] = ("bias flag resolved", event)
        elif isinstance(event, ev.TargetSet):
            targets[target_key(event.dimension, event.metric)] = event
    if policies:
        chosen[policies[-1].originator_version] = ("policy in force", policies[-1])
    for target in targets.values():
        chosen[target.originator_version] = ("target in force", target)
    last_set = max((t.originator_version for t in targets.values()), default=0)
    for event in before:
        if isinstance(event, ev.TargetsApproved) and event.originator_version > last_set:
            chosen[event.originator_version] = ("targets approved", event)
    chosen[activation.originator_version] = ("activation", activation)
    return [chosen[revision] for revision in sorted(chosen)]


def clear_texts(events: Sequence[ev.Event], *, redact: bool) -> list[dict[str, Any]]:
    """Each event as history shows it; with `redact`, without the personal data REDACTIONS names
    (deterministic, so an auditor with the data key can redact the decrypted events and compare)."""
    entries = [history_entry(event) for event in events]
    if not redact:
        return entries
    people: dict[str, str] = {}

    def pseudonym(principal: str) -> str:
        return people.setdefault(principal.casefold(), f"person-{len(people) + 1}")

    for entry in entries:
        entry["actor"] = pseudonym(entry["actor"])
        entry["reason"] = REDACTED if entry["reason"] else ""
        details = entry["details"]
        if "stakeholders" in details:
            details["stakeholders"] = [
                {**person, "name": REDACTED, "email": REDACTED}
                for person in details["stakeholders"]
            ]
        provenance = details.get("card", {}).get("provenance", {})
        if provenance.get("author"):
            provenance["author"] = pseudonym(provenance["author"])
    return entries


def proof_document(
    *,
    name: str,
    version: int,
    environment: str,
    model_events: Sequence[ev.Event],
    governing: Sequence[tuple[str, ev.Event]],
    proven: Sequence[ProvenRecord],
    checkpoint: str,
    redact: bool,
) -> dict[str, Any]:
    """The proof file's document: `governing` (from governing_events) beside `proven`, their
    records with proofs against `checkpoint` (a signed note), in the same order."""
    why, events = [w for w, _ in governing], [e for _, e in governing]
    activation = events[-1]
    assert isinstance(activation, ev.VersionActivated)
    assert [p.record.originator_version for p in proven] == [e.originator_version for e in events]
    before = fold_model(
        None, [e for e in model_events if e.originator_version < activation.originator_version]
    )
    assert before is not None
    card = before.version_by_number(version).card
    gates = activation_gates_for(before, version)
    return {
        "format": FORMAT,
        "model": name,
        "model_id": str(model_id_for(name)),
        "version": version,
        "environment": environment,
        "artifact": {
            "uri": card["artifact_uri"],
            "sha256": card["artifact_sha256"],
            "sha256_of": card.get("artifact_sha256_of", "file"),
        },
        "activation": {
            "model_revision": activation.originator_version,
            "gates_checked": list(activation.gates_checked),
        },
        "as_it_stood": {
            "model_revision": activation.originator_version - 1,
            "risk_tier": before.risk_tier,
            "policy": jsonable(before.policy),
            "gates": {
                gate: None if unmet is None else unmet.detail for gate, unmet in gates.items()
            },
        },
        "checkpoint": checkpoint,
        "personal_data": {
            "clear_text": "redacted" if redact else "included",
            "redacted": list(REDACTIONS) if redact else [],
            "note": CLEAR_TEXT_NOTE,
        },
        "events": [
            {"why": reason, **entry.as_json(), "clear_text": text}
            for reason, entry, text in zip(
                why, proven, clear_texts(events, redact=redact), strict=True
            )
        ],
    }
