"""`modelgov proof` and `modelgov proof verify` as a user runs them: a file written from the store,
checked with the vkey `modelgov keys show` prints, and the exit codes of what fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.store import open_governance
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import open_ledger
from tests.conftest import TEST_KEY, environ_for, settings_for
from tests.factories import audited_history
from tests.integration.test_cli import run


@pytest.fixture
def store(tmp_path: Path) -> dict[str, str]:
    """A SQLite store holding `scorer`'s audited history, sealed; its MODELGOV_* settings."""
    settings = settings_for("sqlite", tmp_path)
    write_key_pair(settings.signing_key_file, passphrase=None)
    governance = open_governance(settings)
    audited_history(governance)
    seal_until_caught_up(open_ledger(settings, governance))
    governance.close()
    return environ_for("sqlite", tmp_path)


def _vkey(tmp_path: Path, env: dict[str, str]) -> str:
    shown = run(tmp_path, "keys", "show", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    return str(json.loads(shown.stdout)["vkey"])


def test_a_proof_written_by_the_cli_verifies_with_the_vkey_and_a_changed_one_fails(
    store: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "proof.json"
    args = ("proof", "scorer", "--version", "2", "--environment", "production", "--out", str(out))
    written = run(tmp_path, *args, env=store)
    assert written.returncode == 0, written.stderr
    assert "personal data in clear text" in written.stderr
    vkey = _vkey(tmp_path, store)
    checked = run(tmp_path, "proof", "verify", str(out), "--vkey", vkey)  # no store settings
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "activation of version 2 in production" in checked.stdout
    assert "not checked: that the clear text" in checked.stdout
    proof = json.loads(out.read_text())
    proof["events"][0]["proof"][0] = "00" * 32
    out.write_text(json.dumps(proof))
    failed = run(tmp_path, "proof", "verify", str(out), "--vkey", vkey)
    assert failed.returncode == 1
    assert "FAILED: event 1" in failed.stdout


def test_an_in_toto_proof_checks_with_the_vkey_file_and_the_data_key(
    store: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "proof.intoto.json"
    written = run(
        tmp_path, "proof", "scorer", "--version", "2", "--environment", "production",
        "--out", str(out), "--format", "in-toto", "--redact", env=store,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert json.loads(out.read_text())["payloadType"] == "application/vnd.in-toto+json"
    (tmp_path / "vkey").write_text(_vkey(tmp_path, store) + "\n")
    (tmp_path / "data.key").write_text(TEST_KEY + "\n")
    checked = run(
        tmp_path, "proof", "verify", str(out), "--vkey", str(tmp_path / "vkey"),
        "--cipher-key-file", str(tmp_path / "data.key"), "--json",
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    answer = json.loads(checked.stdout)
    assert answer["ok"] and any("decrypts to" in line for line in answer["proves"])


def test_a_version_never_activated_there_exits_1(store: dict[str, str], tmp_path: Path) -> None:
    refused = run(
        tmp_path, "proof", "scorer", "--version", "2", "--environment", "staging",
        "--out", str(tmp_path / "none.json"), env=store,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "never activated in staging" in refused.stderr
    assert not (tmp_path / "none.json").exists()
