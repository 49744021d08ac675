"""A one-shot `modelgov ledger seal` beside a process that holds the sealer's lease: it leaves the
sealing to that process and says what it sealed, or says it did not, instead of racing it."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.commands import ReportCost
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.leases import RENEW_SECONDS, SEALER, Lease, lease_holders
from infrastructure.ledger.keys import write_key_pair
from infrastructure.settings import get_settings
from tests.conftest import environ_for, wait_until
from tests.factories import by, registration
from tests.integration.test_cli import MODELGOV, run


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """A store with one model (one event) and a signing key, nothing sealed yet."""
    schema = request.getfixturevalue("pg_schema") if request.param == "postgres" else ""
    environ = environ_for(request.param, tmp_path, schema, MODELGOV_SEAL_EVERY_SECONDS="1")
    settings = get_settings(environ)
    write_key_pair(settings.signing_key_file, passphrase=None)
    governance = open_governance(settings, create_key=True)
    try:
        governance.handle(registration("scorer", "low"), by=by("eng"))
    finally:
        governance.close()
    return environ


def record_cost(environ: dict[str, str]) -> None:
    governance = open_governance(get_settings(environ))
    try:
        governance.handle(
            ReportCost(name="scorer", period="2026-11", amount="12.50", currency="EUR",
                       business_unit="Retail"),
            by=by("bo"),
        )  # fmt: skip
    finally:
        governance.close()


@pytest.fixture
def sql(store: dict[str, str]) -> Iterator[SqlRunner]:
    runner = SqlRunner(get_settings(store).database)
    yield runner
    runner.close()


def test_a_free_lease_is_taken_for_the_seal_and_let_go_after(
    store: dict[str, str], sql: SqlRunner, tmp_path: Path
) -> None:
    sealed = run(tmp_path, "ledger", "seal", env=store)
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.startswith("sealed 1 new event(s); signed tree head at size 1")
    assert lease_holders(sql, names=(SEALER,)) == {SEALER: None}


def test_beside_a_sealing_process_it_waits_for_that_process_to_seal_and_says_so(
    store: dict[str, str], tmp_path: Path
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")} | store
    follower = subprocess.Popen(
        [MODELGOV, "ledger", "seal", "--follow"], cwd=tmp_path, env=environ,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        checker = SqlRunner(get_settings(store).database)
        try:
            assert wait_until(lambda: lease_holders(checker, names=(SEALER,))[SEALER], timeout=30)
        finally:
            checker.close()
        record_cost(store)
        sealed = run(tmp_path, "ledger", "seal", "--wait", "60", env=store)
    finally:
        follower.terminate()
        _, errors = follower.communicate(timeout=30)
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.startswith("sealed by "), sealed.stdout
    assert "which holds the sealer's lease" in sealed.stdout
    assert "covers the 2 event(s) recorded when this began" in sealed.stdout
    assert "UniqueViolation" not in errors and "IntegrityError" not in errors, errors
    verified = run(tmp_path, "verify", env=store)
    assert verified.returncode == 0, verified.stderr
    assert "2 event(s), 2 leaf/leaves" in verified.stdout


def test_beside_a_holder_that_does_not_seal_it_fails_clearly_within_its_wait(
    store: dict[str, str], sql: SqlRunner, tmp_path: Path
) -> None:
    holder = Lease(sql, SEALER)
    assert holder.take()
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(RENEW_SECONDS / 4):
            holder.take()

    renewing = threading.Thread(target=renew, daemon=True)
    renewing.start()
    try:
        refused = run(tmp_path, "ledger", "seal", "--wait", "1", env=store)
    finally:
        stop.set()
        renewing.join()
        holder.release()
    assert refused.returncode == 2
    assert f"{holder.holder} holds the sealer's lease but has not signed a head" in refused.stderr
    assert "over the 1 event(s) recorded so far within 1 s (its latest covers 0)" in refused.stderr
    assert run(tmp_path, "ledger", "seal", env=store).stdout.startswith("sealed 1 new event(s)")
