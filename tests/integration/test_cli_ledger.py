"""The ledger from the command line: keys, sealing, verify (online and from a bundle), tampering."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.integration.test_cli import run


@pytest.fixture(scope="module")
def sealed_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("ledger-demo")
    seeded = run(directory, "demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "sealed 109 event(s)" in seeded.stdout
    return directory


def test_verify_passes_on_the_sealed_demo(sealed_demo: Path) -> None:
    result = run(sealed_demo, "verify")
    assert result.returncode == 0, result.stderr
    assert "OK: every event matches its leaf" in result.stdout


def test_an_exported_bundle_verifies_with_only_the_public_key(
    sealed_demo: Path, tmp_path: Path
) -> None:
    assert run(sealed_demo, "export", "--out", str(tmp_path / "all")).returncode == 0
    assert (
        run(
            sealed_demo, "export", "--out", str(tmp_path / "one"), "--model", "fraud-detector"
        ).returncode
        == 0
    )
    public = str(sealed_demo / "modelgov.signing.key.pub")
    for bundle in ("all", "one"):
        checked = run(
            tmp_path, "verify", "--bundle", str(tmp_path / bundle), "--public-key", public
        )
        assert checked.returncode == 0, checked.stderr
    refused = run(tmp_path, "verify", "--bundle", str(tmp_path / "all"))
    assert refused.returncode == 2 and "--public-key" in refused.stderr


def test_a_tampered_copy_fails_verification_naming_position_and_kind(
    sealed_demo: Path, tmp_path: Path
) -> None:
    for name in (
        "modelgov.db",
        "modelgov.cipher.key",
        "modelgov.signing.key",
        "modelgov.signing.key.pub",
    ):
        (tmp_path / name).write_bytes((sealed_demo / name).read_bytes())
    with sqlite3.connect(tmp_path / "modelgov.db") as connection:
        connection.execute("DROP TRIGGER modelgov_append_only_stored_events_delete")
        connection.execute("DELETE FROM stored_events WHERE rowid = 20")
    result = run(tmp_path, "verify")
    assert result.returncode == 1
    assert "first damage at position 19: deleted" in result.stderr


def test_keys_rotate_keeps_old_heads_verifiable(tmp_path: Path) -> None:
    assert run(tmp_path, "demo").returncode == 0
    rotated = run(tmp_path, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "retired key" in rotated.stdout
    assert list(tmp_path.glob("modelgov.signing.key.*.retired"))
    assert run(tmp_path, "ledger", "seal").returncode == 0
    assert run(tmp_path, "verify").returncode == 0
    again = run(tmp_path, "keys", "init")
    assert again.returncode == 2 and "exists already" in again.stderr


def test_the_signing_key_is_private_and_can_be_passphrase_protected(tmp_path: Path) -> None:
    env = {"MODELGOV_SIGNING_KEY_PASSPHRASE": "correct horse battery staple"}
    assert run(tmp_path, "init").returncode == 0
    created = run(tmp_path, "keys", "init", env=env)
    assert created.returncode == 0, created.stderr
    key = tmp_path / "modelgov.signing.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert run(tmp_path, "ledger", "seal", env=env).returncode == 0
    wrong = run(tmp_path, "ledger", "seal", env={"MODELGOV_SIGNING_KEY_PASSPHRASE": "wrong"})
    assert wrong.returncode == 2 and "cannot load the signing key" in wrong.stderr
