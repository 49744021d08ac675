"""A witness as a real process (`modelgov witness serve`) beside a ledger on SQLite and
PostgreSQL: it cosigns the growing log; when the operator rewrites history and signs it again
with the log's own key, the witness refuses it and `verify --witness-quorum` fails, while the
log's signatures alone still check; a witness that is down does not stop sealing; a witness
killed (-9) comes back with its state and still refuses the fork."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from application.governance import Governance
from application.ledger.checkpoint import COSIGNATURE_V1, parse_vkey, vkey
from application.ledger.witness import AddCheckpoint, cosigners
from domain.commands import ReportCost
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.append_only import COSIGNATURES_TABLE
from infrastructure.ledger.keys import head_file_for, load_signer, write_key_pair
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.settings import Settings
from tests.conftest import environ_for, free_port, wait_until
from tests.factories import by, seed_app_model
from tests.integration.test_cli import MODELGOV, run
from tests.ledger_tampering import as_dba, events_table, nid_at

WITNESS_NAME = "witness.test/w1"


@dataclass
class WitnessProcess:
    """`modelgov witness serve` on a free port; `kill` is kill -9, `start` starts it again."""

    directory: Path
    log_vkey: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def key(self) -> Path:
        return self.directory / "witness.key"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def vkey(self) -> str:
        return run(self.directory, "witness", "show", "--key", str(self.key), "--name",
                   WITNESS_NAME).stdout.strip()  # fmt: skip

    def start(self) -> None:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
        with open(self.directory / "witness.log", "ab") as log:
            self.process = subprocess.Popen(
                [MODELGOV, "witness", "serve", "--key", str(self.key), "--name", WITNESS_NAME,
                 "--log-vkey", self.log_vkey, "--port", str(self.port)],
                cwd=self.directory, env=environ, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        assert wait_until(lambda: self._answers() or self.process.poll() is not None, timeout=30)
        assert self.process.poll() is None, (self.directory / "witness.log").read_text()

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.url}/add-checkpoint", timeout=1)
        except urllib.error.HTTPError:
            return True  # 405 for a GET: it is up
        except OSError:
            return False
        return True

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def post(self, body: bytes) -> tuple[int, str, str]:
        request = urllib.request.Request(f"{self.url}/add-checkpoint", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.headers["content-type"], answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["content-type"], error.read().decode()

    def state(self) -> dict[str, object]:
        data = json.loads((self.directory / "witness.key.state.json").read_text())
        return dict(data["logs"])


def _log_vkey(settings: Settings) -> str:
    signer = load_signer(settings.signing_key_file, passphrase=None)
    return vkey(settings.ledger_origin, signer.public_key)


@pytest.fixture
def witness(backend: Settings, tmp_path: Path) -> Iterator[WitnessProcess]:
    write_key_pair(tmp_path / "signing.key", passphrase=None)
    directory = tmp_path / "witness"
    directory.mkdir()
    started = WitnessProcess(directory, _log_vkey(backend), free_port())
    initialised = run(
        directory, "witness", "init", "--key", str(started.key), "--name", WITNESS_NAME
    )
    assert initialised.returncode == 0, initialised.stderr
    assert oct(started.key.stat().st_mode & 0o777) == "0o600"
    started.start()
    yield started
    started.stop()


def _ledger(app: Governance, backend: Settings, witness: WitnessProcess) -> Ledger:
    settings = backend.model_copy(
        update={"seal_every_events": 5, "witnesses": f"{witness.url}={witness.vkey()}"}
    )
    return open_ledger(settings, app)


def _cost(app: Governance, name: str, period: str) -> None:
    cost = ReportCost(name=name, period=period, amount="1", currency="EUR", business_unit="R")
    app.handle(cost, by=by("bo"))


def _cli(ledger: Ledger, *args: str) -> subprocess.CompletedProcess[str]:
    schema = ledger.settings.database.schema
    env = environ_for(
        ledger.settings.database.kind, ledger.settings.signing_key_file.parent, schema
    )
    return run(ledger.settings.signing_key_file.parent, *args, env=env)


def _verify(ledger: Ledger, *args: str) -> subprocess.CompletedProcess[str]:
    return _cli(ledger, "verify", *args)


def _cosigned_sizes(ledger: Ledger) -> list[int]:
    rows = ledger.tables.sql.execute(
        f"SELECT tree_size FROM {COSIGNATURES_TABLE} ORDER BY tree_size"
    )
    return [int(row[0]) for row in rows]


def _fork(ledger: Ledger) -> None:
    """The operator rewrites an event, wipes the ledger's tables and its head file, and has its
    own key sign the rewritten history again."""
    table, nid = events_table(ledger.settings)
    change = "randomblob(length(state))" if table == "stored_events" else "state || '\\x00'::bytea"
    as_dba(
        ledger.settings,
        f"UPDATE {table} SET state = {change} WHERE {nid} = {nid_at(ledger, 7)}",
        *(f"DELETE FROM {t}" for t in ("modelgov_ledger_leaves", "modelgov_ledger_heads",
                                       "modelgov_ledger_checkpoints", COSIGNATURES_TABLE)),
    )  # fmt: skip
    installed = _cli(ledger, "db", "triggers", "install", "--reason", "routine maintenance")
    assert installed.returncode == 0, installed.stderr  # so that `verify` finds nothing amiss
    head_file_for(ledger.settings.signing_key_file).path.unlink()
    seal_until_caught_up(ledger)


def test_the_witness_cosigns_a_growing_log_and_refuses_a_fork_signed_by_the_log_s_key(
    app: Governance, backend: Settings, witness: WitnessProcess
) -> None:
    ledger = _ledger(app, backend, witness)
    witness_key = parse_vkey(witness.vkey(), COSIGNATURE_V1)
    for name in ("alpha", "beta", "gamma"):
        seed_app_model(app, name=name)
        seal_until_caught_up(ledger)
    assert _cosigned_sizes(ledger) == [3, 6, 9]
    size, note = ledger.checkpoint()
    assert size == 9 and witness_key in cosigners(note, [witness_key])
    assert witness.state()[ledger.settings.ledger_origin]["size"] == 9  # type: ignore[index]
    quorum = ("--witness-vkey", witness.vkey(), "--witness-quorum", "1")
    verified = _verify(ledger, *quorum)
    assert verified.returncode == 0, verified.stderr
    assert "witness quorum met: 1 of the 1" in verified.stdout

    _fork(ledger)  # one of the 9 events rewritten; the triggers put back

    assert _cosigned_sizes(ledger) == []  # the witness would not cosign it
    forked_size, forked_note = ledger.checkpoint()
    assert forked_size > 9 and cosigners(forked_note, [witness_key]) == {}
    status, kind, said = witness.post(
        AddCheckpoint(9, tuple(ledger.consistency(old_size=9)[3]), forked_note).body()
    )
    assert status == 422 and "not consistent" in said
    status, kind, said = witness.post(AddCheckpoint(0, (), forked_note).body())
    assert (status, kind.split(";")[0], said) == (409, "text/x.tlog.size", "9\n")
    assert _verify(ledger).returncode == 0  # the log's own signatures all check
    refused = _verify(ledger, *quorum)
    assert refused.returncode == 1
    assert "witness quorum not met: 0 of the 1" in refused.stderr and WITNESS_NAME in refused.stderr

    witness.kill()  # between requests; it comes back with its state
    witness.start()
    _cost(app, "alpha", "2026-11")
    seal_until_caught_up(ledger)  # the fork grows past what the witness saw: still refused
    assert ledger.checkpoint()[0] == forked_size + 1 and _cosigned_sizes(ledger) == []
    assert witness.state()[ledger.settings.ledger_origin]["size"] == 9  # type: ignore[index]
    assert _verify(ledger, *quorum).returncode == 1


def test_a_witness_that_is_down_leaves_sealing_working_and_cosigns_when_back(
    app: Governance, backend: Settings, witness: WitnessProcess
) -> None:
    ledger = _ledger(app, backend, witness)
    witness.stop()
    seed_app_model(app, name="alpha")
    _cost(app, "alpha", "2026-10")

    seal_until_caught_up(ledger)

    assert [h.head.tree_size for h in ledger.tables.signed_heads()] == [4]
    assert _cosigned_sizes(ledger) == [] and ledger.verify().ok
    witness.start()
    seal_until_caught_up(ledger)  # the latest checkpoint is offered again
    assert _cosigned_sizes(ledger) == [4]
    assert _verify(ledger, "--witness-vkey", witness.vkey()).returncode == 0
