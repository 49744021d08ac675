"""Export bundles an auditor verifies with no database: the whole ledger, or one model with proofs.

A full bundle is a folder: MANIFEST.json, events.jsonl (as stored, ciphertext in base64) and
leaves.jsonl (one JSON value a line, written and read by `bundle_lines`), heads.json,
keys/<key id>.pem, and tlog/: the latest checkpoint and the tiles and entry bundles of its tree
(C2SP tlog-tiles, for verifiers we did not write). A model bundle is
MANIFEST.json and model.json: the model's events, each with its position and an inclusion proof
against one signed head.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from application.ledger.damage import Damage, VerificationReport
from application.ledger.merkle import leaf_hash, verify_inclusion
from application.ledger.records import (
    SignedHead,
    TreeHead,
    record_bytes,
    record_from_json,
)
from application.ledger.tiles import tiles_for
from application.ledger.verify import told_of_events, verify_ledger
from application.progress import Progress
from domain.instants import utc_text
from domain.model import model_id_for
from infrastructure.errors import CommandFailedError, LedgerLookupError
from infrastructure.ledger.bundle_lines import leaf_line, read_leaves, read_records, record_line
from infrastructure.ledger.event_records import ForwardRecords
from infrastructure.ledger.keys import SignatureCheck, trusted_keys
from infrastructure.ledger.online import Ledger

FORMAT = "modelgov-bundle-v1"
PROGRESS_STEP = 1_000  # rows between two reports of progress


def _head_json(signed: SignedHead) -> dict[str, Any]:
    head = signed.head
    return {"tree_size": head.tree_size, "root": head.root.hex(), "timestamp": head.timestamp,
            "key_id": head.key_id, "signature": signed.signature.hex()}  # fmt: skip


def _head_from(data: dict[str, Any]) -> SignedHead:
    head = TreeHead(
        int(data["tree_size"]), bytes.fromhex(data["root"]), data["timestamp"], data["key_id"]
    )
    return SignedHead(head, bytes.fromhex(data["signature"]))


def _write_manifest(out: Path, kind: str, **extra: Any) -> None:
    manifest = {
        "format": FORMAT,
        "kind": kind,
        "exported_at": utc_text(datetime.now(UTC)),
        **extra,
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")


def _write_keys(ledger: Ledger, out: Path) -> None:
    (out / "keys").mkdir(exist_ok=True)
    for key_id, pem in ledger.tables.published_keys().items():
        (out / "keys" / f"{key_id}.pem").write_text(pem)


def export_ledger(ledger: Ledger, out: Path, *, progress: Progress | None = None) -> dict[str, int]:
    """Write the whole ledger to `out`; returns counts. `progress` hears the rows written (events,
    then leaves, then tiles) against all of them."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {"events": 0, "leaves": 0, "heads": 0}
    heads = [_head_json(h) for h in ledger.tables.signed_heads()]
    total = None
    if progress is not None:
        sealed = max((h["tree_size"] for h in heads), default=0)
        total = ledger.events.count() + ledger.tables.leaf_count(since=0, until=2**62)
        total += sum(1 for _ in tiles_for(sealed))  # at most the tiles of the latest head's tree

    def tell(done: int, *, force: bool = False) -> None:
        """`progress` told every PROGRESS_STEP rows (and when forced), not at every row."""
        if progress is not None and (force or done % PROGRESS_STEP == 0):
            progress(done, total)

    with (out / "events.jsonl").open("w") as events:
        for record in ledger.records():
            events.write(record_line(record))
            counts["events"] += 1
            tell(counts["events"])
    with (out / "leaves.jsonl").open("w") as leaves:
        for row in ledger.tables.iter_leaf_rows():
            leaves.write(leaf_line(row))
            counts["leaves"] += 1
            tell(counts["events"] + counts["leaves"])
    counts["heads"] = len(heads)
    (out / "heads.json").write_text(json.dumps(heads, indent=1) + "\n")
    _write_keys(ledger, out)
    rows = counts["events"] + counts["leaves"]
    counts["tiles"], left_out = write_tiles(ledger, out / "tlog", progress=lambda n: tell(rows + n))
    tell(rows + counts["tiles"] + left_out, force=True)
    if left_out:
        counts["entry bundles left out (an entry over 65,535 bytes)"] = left_out
    _write_manifest(out, "ledger", **counts)
    return counts


def write_tiles(
    ledger: Ledger, out: Path, *, progress: Callable[[int], None] = lambda done: None
) -> tuple[int, int]:
    """The log as C2SP tlog-tiles under `out`: `checkpoint` and every tile and entry bundle of
    its tree, laid out as the server serves them (a static copy any tlog client can read).
    Returns (written, left out): an entry bundle holding an event too large for the format is
    left out (README); without a checkpoint yet, nothing is written."""
    try:
        size, note = ledger.checkpoint()
    except LedgerLookupError:
        return 0, 0
    out.mkdir(parents=True, exist_ok=True)
    (out / "checkpoint").write_text(note)
    written = left_out = 0
    entries = ForwardRecords(ledger.events)  # the entry bundles come in order
    for tile in tiles_for(size):
        progress(written + left_out)
        try:
            data = ledger.tile_data(tile, tree_size=size, events=entries)
        except LedgerLookupError:
            left_out += 1
            continue
        path = out / tile.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1
    return written, left_out


def export_model(ledger: Ledger, out: Path, *, name: str) -> dict[str, int]:
    """Write one model's events with inclusion proofs against the latest signed head."""
    head = ledger.latest_head()
    size = head.head.tree_size
    entries = [
        proven.as_json() for proven in ledger.proven_records(model_id_for(name), tree_size=size)
    ]
    if not entries:
        raise CommandFailedError(
            f"model {name!r} has no sealed events (unknown model, or not sealed yet)"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.json").write_text(
        json.dumps({"model": name, "head": _head_json(head), "events": entries}, indent=1) + "\n"
    )
    _write_keys(ledger, out)
    _write_manifest(out, "model", model=name, events=len(entries), tree_size=size)
    return {"events": len(entries), "tree_size": size}


def verify_bundle(
    folder: Path,
    *,
    public_keys: list[Path],
    trusted: list[TreeHead] | None = None,
    progress: Progress | None = None,
) -> VerificationReport:
    """Verify a bundle with only the given public keys trusted (never the bundle's own keys);
    `progress` hears the events read so far, against the count its manifest states."""
    manifest_path = folder / "MANIFEST.json"
    if not manifest_path.exists():
        raise CommandFailedError(f"{folder} is not a modelgov bundle (no MANIFEST.json)")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise CommandFailedError(f"{folder}: unknown bundle format {manifest.get('format')!r}")
    check = trusted_keys(public_keys)
    if manifest["kind"] == "model":
        return _verify_model_bundle(json.loads((folder / "model.json").read_text()), check)
    stated = manifest.get("events")
    return told_of_events(
        progress,
        stated if isinstance(stated, int) else None,
        lambda verified: verify_ledger(
            records=read_records(folder / "events.jsonl"),
            leaves=read_leaves(folder / "leaves.jsonl"),
            heads=[_head_from(h) for h in json.loads((folder / "heads.json").read_text())],
            signature_ok=check,
            trusted=trusted or [],
            progress=verified,
        ),
    )


def _verify_model_bundle(data: dict[str, Any], check: SignatureCheck) -> VerificationReport:
    head = _head_from(data["head"])
    report = VerificationReport(heads=1)
    owner = model_id_for(str(data.get("model", "")))
    if not data["events"]:
        report.damage.append(Damage(0, "deleted", "the bundle holds no events"))
    if not check(head):
        report.damage.append(
            Damage(head.head.tree_size - 1, "signature", "the head is not signed by a trusted key")
        )
    expected_version = 1
    for entry in data["events"]:
        record = record_from_json(entry)
        report.events += 1
        position = int(entry["position"])
        if record.originator_id != owner:
            report.damage.append(
                Damage(
                    position,
                    "inserted",
                    f"this event belongs to another model than {data.get('model')!r}",
                )
            )
        if record.originator_version != expected_version:
            report.damage.append(
                Damage(
                    position,
                    "deleted",
                    f"model revision {expected_version} is missing before this event",
                )
            )
        expected_version = record.originator_version + 1
        proof = [bytes.fromhex(p) for p in entry["proof"]]
        if not verify_inclusion(
            leaf_hash=leaf_hash(record_bytes(record)), index=position,
            tree_size=head.head.tree_size, proof=proof, root=head.head.root,
        ):  # fmt: skip
            report.damage.append(
                Damage(
                    position,
                    "modified",
                    f"model revision {record.originator_version} is not in the signed tree",
                )
            )
    report.leaves = report.events
    return report
