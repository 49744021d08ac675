"""The ledger over HTTP: the latest signed head, proofs a client can check itself, the public keys."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from application.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from application.ledger.records import StoredRecord, record_bytes
from infrastructure.api.app import create_app
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.ledger.keys import head_file_for, load_public_pem, write_key_pair
from infrastructure.ledger.online import Ledger
from infrastructure.settings import Settings
from tests.api.conftest import MODEL, VERSION, Api
from tests.factories import seed_app_model


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
    stored = proof["record"]
    recomputed = leaf_hash(record_bytes(StoredRecord(
        notification_id=proof["notification_id"], originator_id=UUID(stored["originator_id"]),
        originator_version=stored["originator_version"], topic=stored["topic"],
        state=base64.b64decode(stored["state"]),
    )))  # fmt: skip
    assert recomputed.hex() == proof["leaf_hash"]
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


def test_the_api_seals_in_the_background_and_reports_the_sealer(
    backend: Settings, tmp_path: Path
) -> None:
    settings = backend.model_copy(update={"seal_every_seconds": 1})
    write_key_pair(settings.signing_key_file, passphrase=None)
    with TestClient(create_app(settings, seal=True)) as client:
        governance = client.app.state.services.governance
        seed_app_model(governance)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not client.app.state.ledger.tables.signed_heads():
            time.sleep(0.2)
        heads = client.app.state.ledger.tables.signed_heads()
        assert heads and heads[-1].head.tree_size == 3
        ready = client.get("/readyz").json()
        assert (ready["status"], ready["sealer"], ready["problem"]) == ("ready", "sealing", "")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and client.get("/readyz").json()["projection_lag"]:
            time.sleep(0.2)
        assert client.get("/readyz").json()["projection_lag"] == 0  # projections run in serve too


def test_a_rewritten_ledger_stops_the_sealer_but_not_the_api(
    backend: Settings, tmp_path: Path
) -> None:
    write_key_pair(backend.signing_key_file, passphrase=None)
    with TestClient(create_app(backend)) as client:
        seed_app_model(client.app.state.services.governance)
        seal_until_caught_up(client.app.state.ledger)
    head_file_for(backend.signing_key_file).path.write_text(
        '{"tree_size": 99, "root": "'
        + "00" * 32
        + '", "timestamp": "", "key_id": "", "signature": ""}'
    )
    with TestClient(create_app(backend, seal=True)) as client:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and client.get("/readyz").json()["sealer"] == "waiting":
            time.sleep(0.1)
        ready = client.get("/readyz").json()
        assert ready["sealer"] == "stopped" and "not in the database" in ready["problem"]
        assert client.get("/healthz").status_code == 200
