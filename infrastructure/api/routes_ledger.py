"""The ledger: the latest signed head, inclusion and consistency proofs, the public keys."""

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse

from application.ledger.records import SignedHead
from infrastructure.api.deps import LedgerDep, Reader
from infrastructure.api.problems import READ_PROBLEMS
from infrastructure.errors import BadQueryError

router = APIRouter(prefix="/v1/ledger", tags=["ledger"], responses=READ_PROBLEMS)


def head_json(signed: SignedHead) -> dict[str, Any]:
    head = signed.head
    return {
        "tree_size": head.tree_size, "root": head.root.hex(), "timestamp": head.timestamp,
        "key_id": head.key_id, "signature": signed.signature.hex(),
        "signed_text": head.signed_bytes().decode(),
    }  # fmt: skip


@router.get("/head")
def latest_head(ledger: LedgerDep, _: Reader) -> dict[str, Any]:
    """The latest signed tree head; `signed_text` is exactly what the Ed25519 signature covers."""
    return head_json(ledger.latest_head())


@router.get("/proofs/inclusion")
def inclusion(
    ledger: LedgerDep,
    _: Reader,
    response: Response,
    position: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    model: Annotated[str | None, Query(max_length=63)] = None,
    revision: Annotated[
        int | None, Query(ge=1, le=10**9, description="The model's revision (event number).")
    ] = None,
    version: Annotated[
        int | None, Query(ge=1, le=10**9, deprecated=True, description="Deprecated: `revision`.")
    ] = None,
    tree_size: Annotated[
        int | None, Query(ge=1, le=2**62, description="Default: the latest head.")
    ] = None,
) -> dict[str, Any]:
    """An inclusion proof for one event, by ledger position or by model and revision.

    `record` is the event as stored (state in base64, encrypted): hash it as the ledger does
    (see application/ledger/records.py) to check `leaf_hash` yourself; null if it is gone.
    """
    if version is not None:
        response.headers["Deprecation"] = "true"
        response.headers["Warning"] = '299 modelgov "?version= is deprecated: use ?revision="'
    revision = revision or version
    if (position is None) == (model is None or revision is None):
        raise BadQueryError("give either position, or model and revision")
    if position is None:
        assert model is not None and revision is not None
        position = ledger.position_of(model=model, revision=revision)
    leaf, head, proof = ledger.inclusion(position=position, tree_size=tree_size)
    record = ledger.record_at(leaf.notification_id)
    return {
        "position": leaf.position, "notification_id": leaf.notification_id,
        "leaf_hash": leaf.leaf_hash.hex(), "proof": [p.hex() for p in proof], "head": head_json(head),
        "record": None if record is None else {
            "originator_id": str(record.originator_id), "originator_version": record.originator_version,
            "topic": record.topic, "state": base64.b64encode(record.state).decode(),
        },
    }  # fmt: skip


@router.get("/proofs/consistency")
def consistency(
    ledger: LedgerDep,
    _: Reader,
    old_size: Annotated[int, Query(ge=1, le=2**62, alias="from")],
    new_size: Annotated[int | None, Query(ge=1, le=2**62, alias="to")] = None,
) -> dict[str, Any]:
    """A consistency proof: the log at size `from` is a prefix of the signed log at `to` (default latest)."""
    old_root, old_head, new, proof = ledger.consistency(old_size=old_size, new_size=new_size)
    return {
        "old": {"tree_size": old_size, "root": old_root.hex(),
                "head": head_json(old_head) if old_head else None},
        "new": head_json(new), "proof": [p.hex() for p in proof],
    }  # fmt: skip


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "A C2SP tlog-checkpoint."}},
)
def checkpoint(ledger: LedgerDep, _: Reader) -> PlainTextResponse:
    """The latest signed head as a C2SP tlog-checkpoint: a signed note (origin, tree size, base64
    root; an Ed25519 signature by the ledger's key), checked with the vkey `modelgov keys show`
    prints; the witnesses' cosignatures (C2SP tlog-cosignature) follow the log's signature. The
    tiles below are what it covers."""
    note = ledger.checkpoint()[1]
    return PlainTextResponse(note, headers={"Cache-Control": "no-cache, max-age=0"})


@router.get(
    "/tile/{path:path}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def tile(ledger: LedgerDep, _: Reader, path: str) -> Response:
    """The Merkle tree as C2SP tlog-tiles: `tile/<L>/<N>[.p/<W>]` (hashes) and
    `tile/entries/<N>[.p/<W>]` (the events as stored, each after its length as a uint16).
    Full hash tiles never change (`Cache-Control: immutable`); entry bundles are read from the
    events as stored now, so they are `no-cache` (a change must show); 404 for a tile the latest checkpoint
    does not cover."""
    found, data = ledger.tile(path)
    if found.level is None:  # read from the events as stored now: a change must show at once
        cache = "no-cache"
    else:
        cache = "public, max-age=31536000, immutable" if found.full else "public, max-age=60"
    return Response(data, media_type="application/octet-stream", headers={"Cache-Control": cache})


@router.get("/keys")
def public_keys(ledger: LedgerDep, _: Reader) -> dict[str, str]:
    """Every public key that ever signed a head, by key id (PEM)."""
    return ledger.tables.published_keys()
