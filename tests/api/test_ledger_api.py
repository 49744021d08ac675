"""The ledger over HTTP: the latest signed head, proofs a client can check itself, the public keys."""

from __future__ import annotations

from typing import Any

from application.ledger.merkle import verify_consistency, verify_inclusion
from infrastructure.cli_ledger import seal_until_caught_up
from infrastructure.keys import load_public_pem, write_key_pair
from infrastructure.ledger import Ledger
from tests.api.conftest import MODEL, VERSION, Api


def _sealed(api: Api, *, every: int = 2) -> Ledger:
    ledger: Ledger = api.client.app.state.ledger
    ledger.settings = ledger.settings.__class__(
        **{**vars(ledger.settings), "seal_every_events": every}
    )
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
    for _ in range(2):
        assert api.post("/v1/models/churn/versions", VERSION, role="ml_engineer").status_code == 201
    seal_until_caught_up(ledger)
    return ledger


def test_before_any_head_is_signed_the_head_is_404(api: Api) -> None:
    response = api.get("/v1/ledger/head")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/ledger_lookup_failed")


def test_the_latest_head_is_signed_by_a_published_key(api: Api) -> None:
    _sealed(api)
    head: Any = api.get("/v1/ledger/head").json()
    assert head["tree_size"] == 3
    keys = api.get("/v1/ledger/keys").json()
    public = load_public_pem(keys[head["key_id"]].encode(), source="api")
    public.verify(
        bytes.fromhex(head["signature"]), head["signed_text"].encode()
    )  # raises if forged


def test_an_inclusion_proof_by_model_and_version_verifies_against_the_head(api: Api) -> None:
    _sealed(api)
    proof: Any = api.get("/v1/ledger/proofs/inclusion", model="churn", version=2).json()
    assert proof["position"] == 1
    head = proof["head"]
    assert verify_inclusion(
        leaf_hash=bytes.fromhex(proof["leaf_hash"]), index=proof["position"], tree_size=head["tree_size"],
        proof=[bytes.fromhex(p) for p in proof["proof"]], root=bytes.fromhex(head["root"]),
    )  # fmt: skip
    by_position: Any = api.get("/v1/ledger/proofs/inclusion", position=1).json()
    assert by_position["proof"] == proof["proof"]


def test_a_consistency_proof_shows_the_old_log_is_a_prefix_of_the_new(api: Api) -> None:
    _sealed(api)
    proof: Any = api.get("/v1/ledger/proofs/consistency", **{"from": 2, "to": 3}).json()
    assert proof["old"]["head"]["tree_size"] == 2  # a head was signed at 2 (every 2 events)
    assert proof["old"]["root"] == proof["old"]["head"]["root"]
    assert verify_consistency(
        old_size=2, new_size=3, old_root=bytes.fromhex(proof["old"]["root"]),
        new_root=bytes.fromhex(proof["new"]["root"]), proof=[bytes.fromhex(p) for p in proof["proof"]],
    )  # fmt: skip


def test_bad_proof_requests_are_clear_4xx(api: Api) -> None:
    _sealed(api)
    assert api.get("/v1/ledger/proofs/inclusion").status_code == 422
    assert api.get("/v1/ledger/proofs/inclusion", position=99).status_code == 404
    assert api.get("/v1/ledger/proofs/inclusion", model="churn", version=9).status_code == 404
    assert api.get("/v1/ledger/proofs/consistency", **{"from": 7}).status_code == 404
    assert (
        api.get("/v1/ledger/proofs/consistency", **{"from": 1, "to": 1}).status_code == 404
    )  # no head at 2
