"""A proof of governance as an in-toto Statement v1 in a DSSE envelope, so that supply-chain tools
carry it beside a model's signature: the subject is the artifact (its URI and SHA-256), the
predicate the proof document (application/ledger/proof.py).

DSSE (https://github.com/secure-systems-lab/dsse): the signature covers
PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in ASCII decimal. The ledger's
Ed25519 key signs (a `sign` callable from infrastructure); the vkey checks it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from application.ledger.checkpoint import NoteKey

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://modelgov.dev/attestations/governance-proof/v1"

# Whether `signature` by the Ed25519 `public_key` is valid over `message`.
SignatureValid = Callable[[bytes, bytes, bytes], bool]


class EnvelopeError(ValueError):
    """An envelope or statement that is not what a proof of governance is wrapped in."""


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def statement(document: Any) -> dict[str, Any]:
    """The in-toto Statement v1 whose subject is the version's artifact and predicate the proof."""
    artifact = document["artifact"]
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": artifact["uri"], "digest": {"sha256": artifact["sha256"]}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": document,
    }


def envelope(
    document: dict[str, Any], *, keyid: str, sign: Callable[[bytes], bytes]
) -> dict[str, Any]:
    """The proof as a signed DSSE envelope around its in-toto statement."""
    body = json.dumps(statement(document), sort_keys=True, separators=(",", ":")).encode()
    signature = sign(pae(PAYLOAD_TYPE, body))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(body).decode(),
        "signatures": [{"keyid": keyid, "sig": base64.b64encode(signature).decode()}],
    }


def keyid_for(key: NoteKey) -> str:
    """How an envelope names the ledger's key: the vkey's name and key ID (`origin+abcd1234`)."""
    return f"{key.name}+{key.key_id.hex()}"


def is_envelope(data: dict[str, Any]) -> bool:
    return "payloadType" in data and "payload" in data


def opened(
    data: dict[str, Any], *, key: NoteKey, signature_valid: SignatureValid
) -> dict[str, Any]:
    """The proof document inside a DSSE envelope, once its signature by `key` and its statement
    check; EnvelopeError saying what does not."""
    if data.get("payloadType") != PAYLOAD_TYPE:
        raise EnvelopeError(f"the envelope's payloadType is not {PAYLOAD_TYPE}")
    try:
        body = base64.b64decode(str(data["payload"]), validate=True)
        signatures = [base64.b64decode(str(s["sig"]), validate=True) for s in data["signatures"]]
    except (binascii.Error, KeyError, TypeError):
        raise EnvelopeError("the envelope's payload and signatures must be base64") from None
    message = pae(PAYLOAD_TYPE, body)
    if not any(signature_valid(key.public_key, sig, message) for sig in signatures):
        raise EnvelopeError("the envelope is not signed by the vkey's key (or it was changed)")
    try:
        found = json.loads(body)
    except ValueError:
        raise EnvelopeError("the envelope's payload is not JSON") from None
    if not isinstance(found, dict) or found.get("_type") != STATEMENT_TYPE:
        raise EnvelopeError(f"the payload is not an in-toto statement ({STATEMENT_TYPE})")
    if found.get("predicateType") != PREDICATE_TYPE:
        raise EnvelopeError(f"the statement's predicateType is not {PREDICATE_TYPE}")
    document = found.get("predicate")
    try:
        subject_matches = found.get("subject") == statement(document)["subject"]
    except (KeyError, TypeError):
        subject_matches = False
    if not isinstance(document, dict) or not subject_matches:
        raise EnvelopeError("the statement's subject is not the artifact its proof names")
    return document
