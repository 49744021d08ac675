"""A proof of governance per version against real stores: what it holds, that it verifies with the
vkey alone, that any change to it fails, and that redaction and the data-key check keep their word."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.errors import NeverActivatedError
from application.governance import Governance
from application.ledger.checkpoint import vkey
from domain.commands import Activate
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.errors import NotSealedYetError
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.ledger.proofs import build_proof, in_toto, verify_proof
from infrastructure.settings import Settings
from tests.conftest import TEST_KEY
from tests.factories import audited_history, by, seed_app_model

NAME = "scorer"


@pytest.fixture
def ledger(app: Governance, backend: Settings, tmp_path: Path) -> Iterator[Ledger]:
    """The audited history of `scorer` (v1 then v2 in production), every event sealed."""
    settings = backend.model_copy(update={"signing_key_file": tmp_path / "signing.key"})
    write_key_pair(settings.signing_key_file, passphrase=None)
    audited_history(app, name=NAME)
    opened = open_ledger(settings, app)
    seal_until_caught_up(opened)
    yield opened


def _vkey(ledger: Ledger) -> str:
    return vkey(ledger.settings.ledger_origin, ledger.signer().public_key)


def _proof(ledger: Ledger, *, redact: bool = False) -> dict[str, Any]:
    return build_proof(ledger, name=NAME, version=2, environment="production", redact=redact)


def test_a_proof_holds_the_events_the_activation_rests_on_and_verifies_with_the_vkey(
    ledger: Ledger,
) -> None:
    proof = _proof(ledger)
    whys = [event["why"] for event in proof["events"]]
    assert whys[0] == "model registered" and whys[-1] == "activation"
    assert whys.count("target in force") == 4 and whys.count("targets approved") == 2
    assert "version registered (model card)" in whys and "validation evidence" in whys
    assert whys.count("release approval") == 2  # the data scientist's and the late business owner's
    # Nothing of version 1 (its card, evidence, approval) and nothing after the activation.
    versions = {e["clear_text"]["details"].get("version") for e in proof["events"]}
    assert versions <= {None, 2}
    assert proof["activation"]["model_revision"] == proof["events"][-1]["originator_version"]
    assert proof["as_it_stood"]["risk_tier"] == "medium"
    assert set(proof["as_it_stood"]["gates"].values()) == {None}  # every gate met then
    assert proof["artifact"]["sha256"] == "02" * 32
    check = verify_proof(proof, vkey_text=_vkey(ledger))
    assert check.ok, check.problems
    assert any("activation of version 2 in production" in line for line in check.proves)


def _flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[len(raw) // 2] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _changed_record(proof: dict[str, Any]) -> None:
    proof["events"][3]["state"] = _flip(proof["events"][3]["state"])


def _changed_proof_hash(proof: dict[str, Any]) -> None:
    step = bytearray(bytes.fromhex(proof["events"][0]["proof"][0]))
    step[0] ^= 1
    proof["events"][0]["proof"][0] = step.hex()


def _changed_checkpoint(proof: dict[str, Any]) -> None:
    origin, size, rest = proof["checkpoint"].split("\n", 2)
    proof["checkpoint"] = f"{origin}\n{int(size) + 1}\n{rest}"


def _dropped_activation(proof: dict[str, Any]) -> None:
    proof["events"].pop()


def _reordered(proof: dict[str, Any]) -> None:
    proof["events"][1], proof["events"][2] = proof["events"][2], proof["events"][1]


@pytest.mark.parametrize(
    ("tamper", "complaint"),
    [
        (_changed_record, "not in the checkpoint's tree"),
        (_changed_proof_hash, "not in the checkpoint's tree"),
        (_changed_checkpoint, "not signed by the vkey's key"),
        (_dropped_activation, "do not end in the activation"),
        (_reordered, "not after the event before it"),
    ],
)
def test_any_change_to_a_proof_fails_its_check(ledger: Ledger, tamper: Any, complaint: str) -> None:
    proof = _proof(ledger)
    tamper(proof)
    check = verify_proof(proof, vkey_text=_vkey(ledger))
    assert not check.ok
    assert any(complaint in problem for problem in check.problems), check.problems


def test_another_keys_vkey_does_not_verify_a_proof(ledger: Ledger, tmp_path: Path) -> None:
    other = write_key_pair(tmp_path / "other.key", passphrase=None)
    check = verify_proof(
        _proof(ledger), vkey_text=vkey(ledger.settings.ledger_origin, other.public_key)
    )
    assert not check.ok and "not signed by the vkey's key" in check.problems[0]


def test_the_in_toto_envelope_is_signed_over_the_statement_of_the_artifact(ledger: Ledger) -> None:
    proof = _proof(ledger)
    signed = in_toto(ledger, proof)
    statement = json.loads(base64.b64decode(signed["payload"]))
    assert signed["payloadType"] == "application/vnd.in-toto+json"
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"] == [
        {"name": proof["artifact"]["uri"], "digest": {"sha256": "02" * 32}}
    ]
    assert statement["predicate"] == proof
    assert verify_proof(signed, vkey_text=_vkey(ledger)).ok
    forged = copy.deepcopy(signed)
    statement["subject"][0]["digest"]["sha256"] = "ff" * 32
    forged["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    check = verify_proof(forged, vkey_text=_vkey(ledger))
    assert not check.ok and "not signed by the vkey's key" in check.problems[0]


def test_a_redacted_proof_names_no_person_and_its_clear_text_checks_with_the_data_key(
    ledger: Ledger,
) -> None:
    proof = _proof(ledger, redact=True)
    text = json.dumps([e["clear_text"] for e in proof["events"]])
    for personal in ("ann.lee@bank.example", "Ann Lee", '"ds"', '"bo"', "evidence reviewed"):
        assert personal not in text
    actors = [e["clear_text"]["actor"] for e in proof["events"]]
    assert actors[0] == "person-1" and len(set(actors)) == 4  # eng, ds, bo, ops stay distinct
    assert proof["personal_data"]["clear_text"] == "redacted" and proof["personal_data"]["redacted"]
    check = verify_proof(proof, vkey_text=_vkey(ledger), cipher_key=TEST_KEY)
    assert check.ok, check.problems
    assert "decrypts to" in check.proves[-1]


def test_clear_text_that_is_not_what_the_record_holds_fails_only_with_the_data_key(
    ledger: Ledger,
) -> None:
    proof = _proof(ledger)
    proof["events"][-2]["clear_text"]["role"] = "compliance_officer"
    unchecked = verify_proof(proof, vkey_text=_vkey(ledger))
    assert unchecked.ok  # the proofs cover the records only, and the check says so
    assert "without the data key it is the file's word" in unchecked.not_checked[0]
    check = verify_proof(proof, vkey_text=_vkey(ledger), cipher_key=TEST_KEY)
    assert not check.ok
    assert "clear text is not what its record decrypts to" in check.problems[0]


def test_who_decided_is_sealed_under_their_erasure_key_which_the_data_key_alone_does_not_open(
    ledger: Ledger,
) -> None:
    proof = _proof(ledger)
    proof["events"][-2]["clear_text"]["actor"] = "someone-else"
    check = verify_proof(proof, vkey_text=_vkey(ledger), cipher_key=TEST_KEY)
    assert check.ok, check.problems  # the rest of the clear text is checked
    assert any("sealed under its person's erasure key" in line for line in check.not_checked)


def test_a_version_never_activated_there_has_no_proof(ledger: Ledger) -> None:
    with pytest.raises(NeverActivatedError, match="never activated in staging"):
        build_proof(ledger, name=NAME, version=2, environment="staging", redact=False)


def test_an_activation_not_sealed_yet_is_said_so(ledger: Ledger, app: Governance) -> None:
    seed_app_model(app, name="fresh")
    app.handle(Activate(name="fresh", version=1, environment="staging"), by=by("ops"))
    with pytest.raises(NotSealedYetError, match=r"not sealed yet.*retry in a few seconds"):
        build_proof(ledger, name="fresh", version=1, environment="staging", redact=False)
    seal_until_caught_up(ledger)
    proof = build_proof(ledger, name="fresh", version=1, environment="staging", redact=False)
    assert [e["why"] for e in proof["events"]] == [
        "model registered", "version registered (model card)", "release approval", "activation",
    ]  # fmt: skip
    assert verify_proof(proof, vkey_text=_vkey(ledger)).ok


def test_gates_and_policy_the_file_states_are_listed_as_not_checked_even_with_the_data_key(
    ledger: Ledger,
) -> None:
    proof = _proof(ledger)
    proof["activation"]["gates_checked"] = ["external_audit"]  # nothing derives them: said so
    check = verify_proof(proof, vkey_text=_vkey(ledger), cipher_key=TEST_KEY)
    assert check.ok, check.problems
    assert any("(external_audit): stated by whoever made the file" in n for n in check.not_checked)
    assert not any("external_audit" in line for line in check.proves)
