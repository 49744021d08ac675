"""After `keys rotate`, the latest checkpoint checks with the new key's vkey at once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from application.ledger.checkpoint import parse_vkey, split_note, vkey
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.ledger.keys import rotate_key
from infrastructure.ledger.online import Ledger
from tests.integration.test_cli import run
from tests.integration.test_cli_ledger import sealed_demo  # noqa: F401  # a fixture
from tests.integration.test_ledger import ledger  # noqa: F401  # a fixture


def _checks(note: str, vkey_text: str) -> bool:
    key = parse_vkey(vkey_text)
    split = split_note(note)
    signatures = split.by(key)
    for signature in signatures:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, split.text.encode())
    return bool(signatures)


def test_the_last_head_is_signed_again_by_the_new_key_with_no_new_event(
    ledger: Ledger,  # noqa: F811
) -> None:
    origin = ledger.settings.ledger_origin
    old, _, new = rotate_key(ledger.settings.signing_key_file, passphrase=None)
    size_before, _ = ledger.checkpoint()
    assert seal_until_caught_up(ledger) == (0, size_before)  # nothing new to seal
    size, note = ledger.checkpoint()
    assert size == size_before
    assert _checks(note, vkey(origin, new.public_key))
    assert ledger.tables.checkpoint_key_ids(size) == {old.key_id, new.key_id}


def test_keys_show_lists_the_retired_vkeys(sealed_demo: Path, tmp_path: Path) -> None:  # noqa: F811
    for name in ("modelgov.db", "modelgov.cipher.key", "modelgov.signing.key",
                 "modelgov.signing.key.pub"):  # fmt: skip
        shutil.copy(sealed_demo / name, tmp_path / name)
    before = json.loads(run(tmp_path, "keys", "show", "--json").stdout)
    assert before["retired_vkeys"] == []
    assert run(tmp_path, "keys", "rotate").returncode == 0
    after = json.loads(run(tmp_path, "keys", "show", "--json").stdout)
    assert after["retired_vkeys"] == [before["vkey"]] and after["vkey"] != before["vkey"]
    assert run(tmp_path, "ledger", "seal").returncode == 0
    exported = run(tmp_path, "export", "--out", "bundle")
    assert exported.returncode == 0, exported.stderr
    assert _checks((tmp_path / "bundle/tlog/checkpoint").read_text(), after["vkey"])
