"""The ledger in C2SP formats over HTTP: the checkpoint as a signed note, the tree as tiles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from application.ledger.checkpoint import parse_checkpoint, parse_vkey, split_note, vkey
from application.ledger.merkle import leaf_hash, root_of
from application.ledger.tiles import read_entry_bundle
from domain.commands import ReportCost
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.ledger.keys import load_signer, write_key_pair
from infrastructure.ledger.online import Ledger
from tests.api.conftest import MODEL, VERSION, Api
from tests.factories import by


def _sealed(api: Api, *, costs: int = 0) -> Ledger:
    """The model with two versions (3 events) and `costs` cost reports, all sealed."""
    ledger: Ledger = api.client.app.state.ledger
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
    for _ in range(2):
        assert api.post("/v1/models/churn/versions", VERSION, role="ml_engineer").status_code == 201
    governance = api.client.app.state.services.governance
    for n in range(costs):
        governance.handle(
            ReportCost(name="churn", period=f"{2000 + n // 12}-{n % 12 + 1:02d}", amount="1",
                       currency="EUR", business_unit="R"),
            by=by("bo", at=datetime.now(UTC)),
        )  # fmt: skip
    seal_until_caught_up(ledger)
    return ledger


def _public_key(ledger: Ledger) -> bytes:
    signer = load_signer(ledger.settings.signing_key_file, passphrase=None)
    return signer.public_key


def test_before_any_head_is_signed_the_checkpoint_is_404(api: Api) -> None:
    response: Any = api.get("/v1/ledger/checkpoint")
    assert response.status_code == 404
    assert "no checkpoint has been signed yet" in response.json()["detail"]


def test_the_checkpoint_is_a_signed_note_of_the_latest_head(api: Api) -> None:
    ledger = _sealed(api)
    response: Any = api.get("/v1/ledger/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "no-cache" in response.headers["cache-control"]
    note = split_note(response.text)
    checkpoint = parse_checkpoint(note.text)
    head = ledger.latest_head().head
    origin = ledger.settings.ledger_origin
    assert (checkpoint.origin, checkpoint.tree_size, checkpoint.root) == (origin, 3, head.root)
    key = parse_vkey(vkey(origin, _public_key(ledger)))
    (signature,) = note.by(key)
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, note.text.encode())


def test_the_tiles_hold_the_sealed_leaves_and_the_entries_hash_to_them(api: Api) -> None:
    ledger = _sealed(api)
    leaves = ledger.tables.leaf_hashes(0, 3)
    tile: Any = api.get("/v1/ledger/tile/0/000.p/3")
    assert tile.status_code == 200 and tile.headers["content-type"] == "application/octet-stream"
    assert tile.content == b"".join(leaves)
    assert "immutable" not in tile.headers["cache-control"]  # a partial tile
    entries: Any = api.get("/v1/ledger/tile/entries/000.p/3")
    assert [leaf_hash(entry) for entry in read_entry_bundle(entries.content)] == leaves


def test_a_full_tile_is_immutable_and_the_level_above_holds_its_root(api: Api) -> None:
    ledger = _sealed(api, costs=254)  # 257 events: one full tile and one leaf more
    full: Any = api.get("/v1/ledger/tile/0/000")
    assert full.status_code == 200 and len(full.content) == 256 * 32
    assert "immutable" in full.headers["cache-control"]
    assert full.content == b"".join(ledger.tables.leaf_hashes(0, 256))
    above: Any = api.get("/v1/ledger/tile/1/000.p/1")
    assert above.content == root_of(ledger.tables.leaf_hashes(0, 256))
    bundle: Any = api.get("/v1/ledger/tile/entries/000")
    assert [leaf_hash(e) for e in read_entry_bundle(bundle.content)] == ledger.tables.leaf_hashes(
        0, 256
    )
    assert api.get("/v1/ledger/tile/0/001.p/1").content == ledger.tables.leaf_hashes(256, 257)[0]


def test_tiles_the_checkpoint_does_not_cover_and_bad_paths_are_404(api: Api) -> None:
    _sealed(api)
    for path in ("0/000", "0/000.p/4", "1/000.p/1", "entries/000.p/9", "0/001.p/1"):
        response: Any = api.get(f"/v1/ledger/tile/{path}")
        assert response.status_code == 404, path
        assert "not in the signed tree of 3 leaves" in response.json()["detail"], path
    for path in ("0/1", "0/x000", "64/000", "0/000.p/0", "0/000.p/256", "leaves/000", "0/000/"):
        response = api.get(f"/v1/ledger/tile/{path}")
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json"), path


def test_the_checkpoint_and_tiles_need_a_token(api: Api) -> None:
    _sealed(api)
    assert api.get("/v1/ledger/checkpoint", role=None).status_code == 401
    assert api.get("/v1/ledger/tile/0/000.p/3", role=None).status_code == 401


def test_an_index_written_another_way_is_404_and_entries_are_never_cached_stale(api: Api) -> None:
    _sealed(api)
    assert api.get("/v1/ledger/tile/0/x000/000.p/3").status_code == 404  # one path per tile
    entries: Any = api.get("/v1/ledger/tile/entries/000.p/3")
    assert entries.headers["cache-control"] == "no-cache"
