"""GET /v1/models/{name}/versions/{n}/proof: the proof document over HTTP, its clear text only for
the roles that may export personal data, and its refusals as problems."""

from __future__ import annotations

from typing import Any

from application.governance import Governance
from application.ledger.checkpoint import vkey
from domain.commands import Activate
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.ledger.keys import load_signer, write_key_pair
from infrastructure.ledger.online import Ledger
from infrastructure.ledger.proofs import verify_proof
from tests.api.conftest import Api
from tests.factories import by, seed_app_model

PATH = "/v1/models/churn/versions/1/proof"


def _activated(api: Api) -> Ledger:
    """`churn` v1 activated in staging (low tier: a data scientist's approval), sealed."""
    ledger: Ledger = api.client.app.state.ledger
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    governance: Governance = api.client.app.state.services.governance
    seed_app_model(governance)
    governance.handle(Activate(name="churn", version=1, environment="staging"), by=by("ops"))
    seal_until_caught_up(ledger)
    return ledger


def _vkey(ledger: Ledger) -> str:
    signer = load_signer(ledger.settings.signing_key_file, passphrase=None)
    return vkey(ledger.settings.ledger_origin, signer.public_key)


def test_an_auditor_gets_the_proof_in_clear_text_and_it_verifies(api: Api) -> None:
    ledger = _activated(api)
    response: Any = api.get(PATH, role="auditor", environment="staging")
    assert response.status_code == 200, response.text
    proof = response.json()
    assert proof["model"] == "churn" and proof["environment"] == "staging"
    assert proof["personal_data"]["clear_text"] == "included"
    assert "ann.lee@bank.example" in response.text
    check = verify_proof(proof, vkey_text=_vkey(ledger))
    assert check.ok, check.problems


def test_other_roles_get_the_proof_only_redacted(api: Api) -> None:
    _activated(api)
    refused: Any = api.get(PATH, role="ml_engineer", environment="staging")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "redact=true" in refused.json()["detail"]
    redacted: Any = api.get(PATH, role="ml_engineer", environment="staging", redact="true")
    assert redacted.status_code == 200
    assert redacted.json()["personal_data"]["clear_text"] == "redacted"
    assert "ann.lee@bank.example" not in redacted.text and "Ann Lee" not in redacted.text


def test_a_version_never_activated_there_is_a_404_problem(api: Api) -> None:
    _activated(api)
    response: Any = api.get(PATH, environment="production")
    assert response.status_code == 404
    problem = response.json()
    assert problem["type"].endswith("/never_activated")
    assert "never activated in production" in problem["detail"]
    unknown: Any = api.get("/v1/models/nobody/versions/1/proof", environment="staging")
    assert unknown.status_code == 404


def test_an_activation_not_sealed_yet_is_a_503_to_retry(api: Api) -> None:
    _activated(api)  # a checkpoint covers staging's activation, not production's below
    governance: Governance = api.client.app.state.services.governance
    governance.handle(Activate(name="churn", version=1, environment="production"), by=by("ops"))
    response: Any = api.get(PATH, environment="production")
    assert response.status_code == 503
    assert response.json()["type"].endswith("/not_sealed_yet")
    assert "retry in a few seconds" in response.json()["detail"]
    assert int(response.headers["retry-after"]) > 0


def test_a_proof_needs_a_token_and_an_environment(api: Api) -> None:
    _activated(api)
    anonymous: Any = api.get(PATH, role=None, environment="staging")
    assert anonymous.status_code == 401
    missing: Any = api.get(PATH)
    assert missing.status_code == 422
