"""`modelgov policy what-if` on SQLite and PostgreSQL: the past activations a stricter policy
would have refused, with the gates that would have failed; nothing recorded; clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.conftest import environ_for
from tests.factories import audited_history
from tests.integration.test_cli import fails_clearly, run


@pytest.fixture
def env(backend: Settings, tmp_path: Path) -> dict[str, str]:
    """`scorer` (audited_history): a medium-tier model whose v1 went live with one approver and
    no sign-off, and v2 with two approvers and no sign-off; then moved to the regulated tier."""
    app = open_governance(backend)
    audited_history(app)
    app.close()
    return environ_for(backend.database.kind, tmp_path, backend.database.schema)


def _store_head(backend: Settings) -> tuple[int, int]:
    app = open_governance(backend.for_reading())
    try:
        return app.recorder.max_notification_id() or 0, len(app.model_events("scorer"))
    finally:
        app.close()


def _policy(tmp_path: Path, text: str) -> str:
    path = tmp_path / "candidate.yaml"
    path.write_text(text)
    return str(path)


def test_a_stricter_tier_lists_every_activation_it_would_have_refused_and_records_nothing(
    backend: Settings, env: dict[str, str], tmp_path: Path
) -> None:
    before = _store_head(backend)
    policy = _policy(tmp_path, "risk_tier: regulated\n")
    result = run(tmp_path, "policy", "what-if", "--policy", policy, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["activations_replayed"] == 2
    refused = {entry["version"]: entry for entry in answer["refused"]}
    assert {g["gate"] for g in refused[1]["unmet_gates"]} == {
        "compliance_signoff",
        "distinct_approvers",
    }
    # v2 had two approvers (one entered late, but before the activation was recorded).
    assert [g["gate"] for g in refused[2]["unmet_gates"]] == ["compliance_signoff"]
    assert refused[1]["risk_tier_then"] == "medium" and refused[1]["environment"] == "production"
    assert _store_head(backend) == before  # read-only: no event, same head

    text = run(tmp_path, "policy", "what-if", "--policy", policy, "--model", "scorer", env=env)
    assert text.returncode == 0, text.stderr
    assert "2 of the 2 past activation(s) of 1 model(s) would have been refused" in text.stdout
    assert "compliance_signoff: no compliance officer sign-off" in text.stdout


def test_a_policy_the_history_already_met_refuses_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    policy = _policy(tmp_path, '{"risk_tier": "medium"}')  # JSON is YAML too
    result = run(tmp_path, "policy", "what-if", "--policy", policy, env=env)
    assert result.returncode == 0, result.stderr
    assert "none of the 2 past activation(s) of 1 model(s) would have been refused" in result.stdout


def test_an_environment_the_candidate_does_not_allow_is_a_refusal(
    env: dict[str, str], tmp_path: Path
) -> None:
    policy = _policy(
        tmp_path,
        "risk_tier: medium\npolicy:\n  required_gates: [data_scientist_release_approval,\n"
        "    validation_evidence, targets_on_all_dimensions, targets_approved]\n"
        "  environments: [staging]\n",
    )
    result = run(tmp_path, "policy", "what-if", "--policy", policy, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    gates = [[g["gate"] for g in e["unmet_gates"]] for e in json.loads(result.stdout)["refused"]]
    assert gates == [["environment_allowed"], ["environment_allowed"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("risk_tier: regulated\npolicy: {required_gates: [\n", "is not YAML or JSON at line 3"),
        ("risk_tier: severe\n", "(line 1): risk_tier: must be one of low, medium, high, regulated"),
        (
            "risk_tier: high\npolicy:\n  required_gates:\n    - data_scientist_release_approval\n"
            "    - validation_evidence\n    - targets_on_all_dimensions\n"
            "    - targets_approved\n    - compliance_signof\n",
            "(line 8): policy.required_gates[4]: must be one of",
        ),
        (
            "risk_tier: high\npolicy:\n  required_gates: [data_scientist_release_approval]\n",
            "(line 3): policy.required_gates: must keep the high tier's gates",
        ),
        ("risk_tier: low\ngates: []\n", "unknown field(s): gates"),
        ("- risk_tier: low\n", "must hold an object with risk_tier"),
    ],
)
def test_a_malformed_policy_file_is_one_clear_line_naming_where(
    env: dict[str, str], tmp_path: Path, text: str, message: str
) -> None:
    fails_clearly(
        run(tmp_path, "policy", "what-if", "--policy", _policy(tmp_path, text), env=env), message
    )


def test_an_unknown_model_or_a_missing_file_is_a_clear_error(
    env: dict[str, str], tmp_path: Path
) -> None:
    policy = _policy(tmp_path, "risk_tier: high\n")
    fails_clearly(
        run(tmp_path, "policy", "what-if", "--policy", policy, "--model", "nope", env=env),
        "no model named 'nope'",
    )
    fails_clearly(
        run(tmp_path, "policy", "what-if", "--policy", str(tmp_path / "none.yaml"), env=env),
        "cannot read",
    )
