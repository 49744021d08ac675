"""An independent verifier passes: the ledger's checkpoints and tiles, served by `modelgov serve`
and written by `modelgov export`, checked by a Go program built on the reference implementation
(golang.org/x/mod/sumdb/note and sumdb/tlog, Debian's golang-golang-x-mod-dev), none of our code.

It accepts an untouched log and its growth (consistency between two checkpoints), and refuses,
naming what it found, each kind of damage a database administrator can do to the events, and a
checkpoint signed by any other key. Skipped without Go; MODELGOV_REQUIRE_GO=1 makes that a
failure (as .ci/run sets it).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

import pytest
from modelgov_client import Client

from application.governance import Governance
from application.ledger.checkpoint import Checkpoint, parse_checkpoint, signed_note, split_note
from application.ledger.checkpoint import vkey as vkey_for
from application.ledger.tiles import read_entry_bundle
from domain.commands import ReportCost
from infrastructure.api.tokens import TokenStore
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.sql import SqlRunner
from infrastructure.ledger.bundle import export_ledger
from infrastructure.ledger.keys import load_signer, write_key_pair
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.settings import Settings
from tests.conftest import environ_for, missing
from tests.factories import by
from tests.faults.live import MODELGOV, LiveServer
from tests.ledger_tampering import KINDS, as_dba, sealed_ledger, tamper

SOURCE = Path(__file__).with_name("tlogverify")
GOCODE = Path("/usr/share/gocode")  # where Debian's golang-*-dev packages put Go sources
X_MOD = GOCODE / "src" / "golang.org" / "x" / "mod" / "sumdb"


@pytest.fixture(scope="session")
def tlogverify(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The verifier, compiled once per session, offline (GOPATH mode over Debian's sources)."""
    go = shutil.which("go")
    lacking = [
        what for what, there in (("go", go), ("golang.org/x/mod", X_MOD.is_dir())) if not there
    ]
    if lacking:
        missing(
            f"the Go reference verifier needs {' and '.join(lacking)}: "
            "apt-get install golang-go golang-golang-x-mod-dev",
            required_by="MODELGOV_REQUIRE_GO",
        )
    assert go is not None
    build = tmp_path_factory.mktemp("go")
    environ = os.environ | {
        "GO111MODULE": "off",
        "GOPATH": f"{build / 'gopath'}:{GOCODE}",
        "GOCACHE": str(build / "cache"),
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
        "GOTOOLCHAIN": "local",
    }
    binary = build / "tlogverify"
    built = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=SOURCE, env=environ, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    return binary


@dataclass(frozen=True)
class Verdict:
    code: int
    line: str


def verify(
    binary: Path,
    *,
    vkey: str,
    log: str | Path,
    token: str | None = None,
    old: Path | None = None,
    entries: str | None = None,
) -> Verdict:
    """Run the Go verifier: its exit status and its one line."""
    command = [str(binary), "-vkey", vkey, "-log", str(log)]
    for flag, value in (("-token", token), ("-old", old), ("-entries", entries)):
        if value is not None:
            command += [flag, str(value)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.stderr == "", done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    return Verdict(done.returncode, lines[0])


def _environ(settings: Settings) -> dict[str, str]:
    """A `modelgov` process over the test's store (`sealed_ledger` keeps its files, the signing
    key among them, in the test's folder, where `environ_for` points)."""
    folder = settings.signing_key_file.parent
    return environ_for(settings.database.kind, folder, settings.database.schema)


@pytest.fixture
def ledger(app: Governance, backend: Settings, tmp_path: Path) -> Ledger:
    return sealed_ledger(app, backend, tmp_path)


@pytest.fixture
def vkey(ledger: Ledger) -> str:
    """The vkey as an auditor is given it: `modelgov keys show --json`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
    shown = subprocess.run(
        [MODELGOV, "keys", "show", "--json"],
        env=environ | _environ(ledger.settings), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    return str(json.loads(shown.stdout)["vkey"])


@pytest.fixture
def server(ledger: Ledger, tmp_path: Path) -> Iterator[LiveServer]:
    """`modelgov serve` over the sealed store (no sealer of its own), with an auditor's token."""
    sql = SqlRunner(ledger.settings.database)
    try:
        token = TokenStore(sql).create(principal="auditor-1", role="auditor")
    finally:
        sql.close()
    live = LiveServer(_environ(ledger.settings), workdir=tmp_path, token=token)
    live.start()
    yield live
    live.stop()


def served(server: LiveServer) -> str:
    return f"{server.url}/v1/ledger"


def grow(app: Governance, ledger: Ledger, events: int) -> int:
    """Record `events` more events and seal them; the new tree size."""
    for amount in range(events):
        app.handle(
            ReportCost(
                name="alpha", period="2026-11", amount=str(amount + 2), currency="EUR",
                business_unit="R",
            ),
            by=by("bo"),
        )  # fmt: skip
    return seal_until_caught_up(ledger)[1]


def test_the_reference_verifier_accepts_the_served_log_and_its_growth(
    ledger: Ledger, app: Governance, server: LiveServer, tlogverify: Path, vkey: str, tmp_path: Path
) -> None:
    first = verify(tlogverify, vkey=vkey, log=served(server), token=server.token, entries="0,7,14")
    assert first.code == 0, first.line
    assert first.line.startswith(f"OK {served(server)}: checkpoint signed by {vkey.split('+')[0]}+")
    assert "tree size 15, " in first.line and "15 entries match the tiles" in first.line
    assert "inclusion of [0 7 14] proved" in first.line

    # What it read, as modelgov's own client reads it (a tile's path goes as one parameter).
    with Client(server.url, token=server.token) as client:
        note = client.checkpoint()
        tile = client.tile(path="0/000.p/15")
        entries = client.tile(path="entries/000.p/15")
    assert isinstance(note, bytes) and note.decode() == ledger.checkpoint()[1]
    assert tile == b"".join(ledger.leaf_hashes(15))
    assert isinstance(entries, bytes) and len(read_entry_bundle(entries)) == 15
    old = tmp_path / "old.checkpoint"
    old.write_bytes(note)
    assert grow(app, ledger, 6) == 21
    second = verify(tlogverify, vkey=vkey, log=served(server), token=server.token, old=old)
    assert second.code == 0, second.line
    assert "tree size 21, " in second.line and "21 entries match the tiles" in second.line
    assert "inclusion of [0 20] proved" in second.line
    assert "consistent with the old checkpoint (size 15, " in second.line

    anonymous = verify(tlogverify, vkey=vkey, log=served(server))
    assert anonymous.code == 1
    assert anonymous.line.startswith(f"FAIL checkpoint: GET {served(server)}/checkpoint: HTTP 401")


def test_the_reference_verifier_accepts_an_exported_log_and_its_growth(
    ledger: Ledger, app: Governance, tlogverify: Path, vkey: str, tmp_path: Path
) -> None:
    export_ledger(ledger, tmp_path / "before")
    before = tmp_path / "before" / "tlog"
    first = verify(tlogverify, vkey=vkey, log=before)
    assert first.code == 0, first.line
    assert "tree size 15, " in first.line and "15 entries match the tiles" in first.line

    assert grow(app, ledger, 6) == 21
    export_ledger(ledger, tmp_path / "after")
    after = tmp_path / "after" / "tlog"
    grown = verify(tlogverify, vkey=vkey, log=after, old=before / "checkpoint", entries="3,15")
    assert grown.code == 0, grown.line
    assert "tree size 21, " in grown.line and "inclusion of [3 15] proved" in grown.line
    assert "consistent with the old checkpoint (size 15, " in grown.line

    backwards = verify(tlogverify, vkey=vkey, log=before, old=after / "checkpoint")
    assert backwards.code == 1
    assert backwards.line == (
        "FAIL consistency: the old checkpoint's tree (21) is larger than the new one (15)"
    )


def test_the_reference_verifier_reads_every_level_of_a_larger_tree(
    app: Governance, backend: Settings, tmp_path: Path, tlogverify: Path
) -> None:
    """600 leaves: full and partial level-0 tiles and entry bundles, and a level-1 tile (each of
    its hashes the root of 256 leaves), which a tree of a few leaves never has."""
    ledger = sealed_ledger(app, backend, tmp_path)
    old = tmp_path / "old.checkpoint"
    old.write_text(ledger.checkpoint()[1])
    ledger = open_ledger(ledger.settings.model_copy(update={"seal_every_events": 200}), app)
    assert grow(app, ledger, 585) == 600
    counts = export_ledger(ledger, tmp_path / "bundle")
    tlog = tmp_path / "bundle" / "tlog"
    paths = sorted(str(p.relative_to(tlog)) for p in tlog.rglob("*") if p.is_file())
    assert paths == [
        "checkpoint",
        "tile/0/000", "tile/0/001", "tile/0/002.p/88", "tile/1/000.p/2",
        "tile/entries/000", "tile/entries/001", "tile/entries/002.p/88",
    ]  # fmt: skip
    assert counts["tiles"] == 7
    key = vkey_for(ledger.settings.ledger_origin, ledger.signer().public_key)
    verdict = verify(tlogverify, vkey=key, log=tlog, old=old, entries="0,255,256,511,512,599")
    assert verdict.code == 0, verdict.line
    assert "tree size 600, " in verdict.line and "600 entries match the tiles" in verdict.line
    assert "consistent with the old checkpoint (size 15, " in verdict.line

    # The old checkpoint over the grown log: its partial tiles became full ones, which a
    # client reads instead, cut to the width it needs (tlog-tiles).
    shutil.copy(old, tlog / "checkpoint")
    earlier = verify(tlogverify, vkey=key, log=tlog)
    assert earlier.code == 0, earlier.line
    assert "tree size 15, " in earlier.line and "15 entries match the tiles" in earlier.line


def _expected_failure(kind: str, position: int) -> str:
    if kind == "truncated":  # the entries that are left match; there are too few
        return (
            "FAIL entry bundle tile/entries/000.p/15 holds 12 entries, the signed tree has 15 there"
        )
    return f"FAIL entry {position} does not match the signed tree: record hash "


@pytest.mark.parametrize("kind", KINDS)
def test_the_reference_verifier_names_the_first_damaged_entry_served_or_exported(
    ledger: Ledger, server: LiveServer, tlogverify: Path, vkey: str, tmp_path: Path, kind: str
) -> None:
    statements, position = tamper(kind, ledger)
    as_dba(ledger.settings, *statements)
    expected = _expected_failure(kind, position)
    live = verify(tlogverify, vkey=vkey, log=served(server), token=server.token)
    assert (live.code, live.line[: len(expected)]) == (1, expected), live.line
    export_ledger(ledger, tmp_path / "bundle")
    offline = verify(tlogverify, vkey=vkey, log=tmp_path / "bundle" / "tlog")
    assert (offline.code, offline.line[: len(expected)]) == (1, expected), offline.line


def test_the_reference_verifier_trusts_only_the_ledgers_key(
    ledger: Ledger, tlogverify: Path, vkey: str, tmp_path: Path
) -> None:
    export_ledger(ledger, tmp_path / "bundle")
    tlog = tmp_path / "bundle" / "tlog"
    note = (tlog / "checkpoint").read_text()
    checkpoint = parse_checkpoint(split_note(note).text)
    origin = ledger.settings.ledger_origin
    stranger = write_key_pair(tmp_path / "stranger.key", passphrase=None)
    stranger_vkey = vkey_for(origin, stranger.public_key)
    stranger_name = "+".join(stranger_vkey.split("+")[:2])

    # The true checkpoint, checked with another key of the same name: no signature it knows.
    other = verify(tlogverify, vkey=stranger_vkey, log=tlog)
    assert (other.code, other.line) == (
        1,
        f"FAIL checkpoint: signature does not verify with the vkey of {stranger_name}: "
        "note has no verifiable signatures",
    )

    # The same checkpoint re-signed by the other key, checked with the ledger's vkey.
    resigned = signed_note(
        checkpoint, origin, stranger.public_key, stranger.sign(checkpoint.text().encode())
    )
    (tlog / "checkpoint").write_text(resigned)
    assert verify(tlogverify, vkey=stranger_vkey, log=tlog).code == 0  # its signature is good
    theirs = verify(tlogverify, vkey=vkey, log=tlog)
    assert theirs.code == 1
    assert theirs.line.endswith(": note has no verifiable signatures"), theirs.line

    # The ledger's signature line kept under another root: the signature no longer holds.
    other_root = sha256(b"another tree").digest()
    forged = note.replace(
        base64.b64encode(checkpoint.root).decode(), base64.b64encode(other_root).decode()
    )
    (tlog / "checkpoint").write_text(forged)
    altered = verify(tlogverify, vkey=vkey, log=tlog)
    assert altered.code == 1
    ledger_name = "+".join(vkey.split("+")[:2])
    assert altered.line.endswith(f": invalid signature for key {ledger_name}"), altered.line


def test_the_reference_verifier_refuses_a_true_signature_over_a_root_the_tiles_do_not_have(
    ledger: Ledger, tlogverify: Path, vkey: str, tmp_path: Path
) -> None:
    """Signed with the ledger's own key: the tiles must still hash to the root, and an older
    checkpoint must be a prefix of the tree (a fork signed by the same key is caught)."""
    export_ledger(ledger, tmp_path / "bundle")
    tlog = tmp_path / "bundle" / "tlog"
    signer = load_signer(ledger.settings.signing_key_file, passphrase=None)
    origin = ledger.settings.ledger_origin

    def signed(checkpoint: Checkpoint) -> str:
        text = checkpoint.text().encode()
        return signed_note(checkpoint, origin, signer.public_key, signer.sign(text))

    true = parse_checkpoint(split_note((tlog / "checkpoint").read_text()).text)
    fork = tmp_path / "fork.checkpoint"
    fork.write_text(signed(Checkpoint(origin, 10, sha256(b"a fork").digest())))
    forked = verify(tlogverify, vkey=vkey, log=tlog, old=fork)
    assert forked.code == 1
    assert forked.line.startswith("FAIL consistency with the old checkpoint (size 10): "), (
        forked.line
    )

    (tlog / "checkpoint").write_text(signed(Checkpoint(origin, 15, sha256(b"no tree").digest())))
    wrong_root = verify(tlogverify, vkey=vkey, log=tlog)
    assert (wrong_root.code, wrong_root.line) == (1, "FAIL tiles: downloaded inconsistent tile")

    (tlog / "checkpoint").write_text(signed(Checkpoint(origin, 14, true.root)))
    wrong_size = verify(tlogverify, vkey=vkey, log=tlog)
    assert wrong_size.code == 1
    assert wrong_size.line == f"FAIL tiles: {tlog / 'tile/0/000.p/14'}: not found"
