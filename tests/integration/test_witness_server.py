"""The witness's HTTP surface and state file, in process: plain-text refusals (never a 500 for
what a client sends), the monitoring checkpoint, one process per key, and a state that is only
ever the old one or the new one."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from application.ledger.checkpoint import COSIGNATURE_V1, Checkpoint, parse_vkey, signed_note, vkey
from application.ledger.merkle import leaf_hash, root_of
from application.ledger.witness import AddCheckpoint, Cosigned, cosigners
from infrastructure.errors import SettingsError
from infrastructure.ledger.keys import Ed25519Signer, write_key_pair
from infrastructure.witness.server import MAX_BODY_BYTES, Witness, witness_app
from infrastructure.witness.state import WitnessState, state_path_for

ORIGIN = "modelgov.test/ledger"
NAME = "witness.test/w1"


def _note(signer: Ed25519Signer, size: int) -> str:
    checkpoint = Checkpoint(ORIGIN, size, root_of([leaf_hash(bytes([i])) for i in range(size)]))
    signature = signer.sign(checkpoint.text().encode())
    return signed_note(checkpoint, ORIGIN, signer.public_key, signature)


@pytest.fixture
def log_signer(tmp_path: Path) -> Ed25519Signer:
    return write_key_pair(tmp_path / "log.key", passphrase=None)


@pytest.fixture
def witness_signer(tmp_path: Path) -> Ed25519Signer:
    return write_key_pair(tmp_path / "witness.key", passphrase=None)


@pytest.fixture
def client(
    tmp_path: Path, log_signer: Ed25519Signer, witness_signer: Ed25519Signer
) -> Iterator[TestClient]:
    state = WitnessState.open(state_path_for(tmp_path / "witness.key"))
    log_key = parse_vkey(vkey(ORIGIN, log_signer.public_key))
    witness = Witness(name=NAME, signer=witness_signer, log_keys=[log_key], state=state)
    with TestClient(witness_app(witness), raise_server_exceptions=False) as test_client:
        yield test_client
    state.close()


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff", b"old x\n\nnote", b"old 0\n\nnot a note\n", b"old 0\n\n\n\n",
     "old 0\n\nmodelgov.test/ledger\n1\nAAAA\n\n\u2014 x AAAAAAAA\n".encode()],
)  # fmt: skip
def test_a_malformed_request_is_a_plain_400(client: TestClient, body: bytes) -> None:
    answer = client.post("/add-checkpoint", content=body)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/plain") and answer.text.endswith("\n")


def test_other_refusals_are_plain_text_with_the_spec_s_status(
    client: TestClient, log_signer: Ed25519Signer
) -> None:
    assert client.post("/add-checkpoint", content=b"x" * (MAX_BODY_BYTES + 1)).status_code == 413
    assert client.get("/add-checkpoint").status_code == 405
    assert client.post("/elsewhere", content=b"").status_code == 404
    stranger = signed_note(
        Checkpoint("other.test/log", 0, root_of([])), "other.test/log", bytes(32), bytes(64)
    )
    assert (
        client.post("/add-checkpoint", content=AddCheckpoint(0, (), stranger).body()).status_code
        == 404
    )
    forged = _note(log_signer, 2).replace(ORIGIN + "\n2\n", ORIGIN + "\n3\n")
    assert (
        client.post("/add-checkpoint", content=AddCheckpoint(0, (), forged).body()).status_code
        == 403
    )


def test_a_cosigned_checkpoint_is_served_for_monitors_with_the_witness_s_cosignature(
    client: TestClient, log_signer: Ed25519Signer, witness_signer: Ed25519Signer
) -> None:
    where = f"/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint"
    assert client.get(where).status_code == 404
    answer = client.post(
        "/add-checkpoint", content=AddCheckpoint(0, (), _note(log_signer, 3)).body()
    )
    assert answer.status_code == 200 and answer.text.startswith(f"\u2014 {NAME} ")
    served = client.get(where)
    witness_key = parse_vkey(vkey(NAME, witness_signer.public_key, COSIGNATURE_V1), COSIGNATURE_V1)
    assert served.status_code == 200 and served.text.startswith(f"{ORIGIN}\n3\n")
    assert list(cosigners(served.text, [witness_key])) == [witness_key]
    again = client.post(
        "/add-checkpoint", content=AddCheckpoint(0, (), _note(log_signer, 3)).body()
    )
    assert (again.status_code, again.text) == (409, "3\n")


def test_one_witness_key_is_served_by_one_process_at_a_time(tmp_path: Path) -> None:
    path = state_path_for(tmp_path / "witness.key")
    first = WitnessState.open(path)
    with pytest.raises(SettingsError, match="another witness process holds"):
        WitnessState.open(path)
    first.close()
    WitnessState.open(path).close()


def test_the_state_is_replaced_whole_and_a_damaged_one_is_refused(
    tmp_path: Path, log_signer: Ed25519Signer
) -> None:
    path = state_path_for(tmp_path / "witness.key")
    state = WitnessState.open(path)
    state.record(ORIGIN, Cosigned(3, bytes(32), "note"))
    state.close()
    (path.with_name(path.name + ".999.tmp")).write_text('{"logs": {"half')  # a write killed
    reopened = WitnessState.open(path)
    assert reopened.last(ORIGIN) == Cosigned(3, bytes(32), "note")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    reopened.close()
    path.write_text('{"logs": {"half')
    with pytest.raises(SettingsError, match="restore it from a backup"):
        WitnessState.open(path)


def test_a_checkpoint_with_an_extension_line_is_cosigned_over_its_whole_text(
    client: TestClient, log_signer: Ed25519Signer, witness_signer: Ed25519Signer
) -> None:
    root = root_of([leaf_hash(bytes([i])) for i in range(2)])
    text = Checkpoint(ORIGIN, 2, root).text() + "an extension line\n"
    line = "\u2014 {} {}\n".format(  # the log's own signature over the whole text
        ORIGIN,
        base64.b64encode(
            parse_vkey(vkey(ORIGIN, log_signer.public_key)).key_id + log_signer.sign(text.encode())
        ).decode(),
    )
    note = text + "\n" + line
    answer = client.post("/add-checkpoint", content=AddCheckpoint(0, (), note).body())
    assert answer.status_code == 200, answer.text
    witness = parse_vkey(vkey(NAME, witness_signer.public_key, COSIGNATURE_V1), COSIGNATURE_V1)
    assert witness in cosigners(note + answer.text, [witness])  # the extension is signed too


def test_a_bad_second_signature_line_of_the_log_s_key_is_refused(
    client: TestClient, log_signer: Ed25519Signer
) -> None:
    good = _note(log_signer, 2)
    key_id = parse_vkey(vkey(ORIGIN, log_signer.public_key)).key_id
    bad = good + f"\u2014 {ORIGIN} {base64.b64encode(key_id + bytes(64)).decode()}\n"
    answer = client.post("/add-checkpoint", content=AddCheckpoint(0, (), bad).body())
    assert answer.status_code == 403, answer.text
