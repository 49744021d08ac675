"""Issued reports are in the ledger: the file's digest, its head and its issuer, checked later."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.governance import Governance
from application.issuance import issued, last_issued_at, record_issued
from domain.errors import RoleNotAllowedError
from domain.issued_reports import IssuedReport, issued_report_id
from domain.values import Attribution
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.ledger.online import Ledger
from tests.integration.test_cli import run
from tests.integration.test_cli_ledger import sealed_demo  # noqa: F401  # a fixture
from tests.integration.test_ledger import ledger  # noqa: F401  # a fixture

DIGEST = "ab" * 32


def _by(role: str = "compliance_officer") -> Attribution:
    return Attribution("ana", role, "test-1", datetime.now(UTC))


def _issue(
    app: Governance, *, sha256: str = DIGEST, role: str = "compliance_officer"
) -> tuple[IssuedReport.Issued, bool]:
    report = IssuedReport.issue(
        kind="model", subject="alpha", media_format="pdf", tree_size=15, root="00" * 32,
        sha256=sha256, file_name="alpha.pdf", by=_by(role),
    )  # fmt: skip
    return record_issued(app, report)


def test_an_issued_file_is_found_by_its_digest_and_issuing_it_again_changes_nothing(
    ledger: Ledger,  # noqa: F811
) -> None:
    app = ledger.governance
    first, new = _issue(app)
    again, new_again = _issue(app)
    assert (new, new_again) == (True, False)
    assert again.actor == first.actor == "ana" and again.timestamp == first.timestamp
    found = issued(app, DIGEST.upper())  # a digest in capitals is the same file
    assert found is not None
    assert (found.kind, found.subject, found.tree_size, found.file_name) == (
        "model", "alpha", 15, "alpha.pdf",
    )  # fmt: skip
    assert issued(app, "cd" * 32) is None


def test_the_last_issuance_is_read_again_after_each_new_one_and_the_events_between(
    ledger: Ledger,  # noqa: F811
) -> None:
    app = ledger.governance
    assert last_issued_at(app) is None
    first, _ = _issue(app)
    assert last_issued_at(app) == first.effective_at
    app.save(IssuedReport.issue(
        kind="model", subject="alpha", media_format="pdf", tree_size=15, root="00" * 32,
        sha256="cd" * 32, file_name="alpha.pdf",
        by=Attribution("ana", "compliance_officer", "test-2", datetime(2000, 1, 1, tzinfo=UTC)),
    ))  # fmt: skip
    assert last_issued_at(app) == first.effective_at  # an issuance dated earlier moves nothing
    latest, _ = _issue(app, sha256="ef" * 32)
    assert last_issued_at(app) == latest.effective_at > first.effective_at


def test_only_compliance_officers_issue_reports(ledger: Ledger) -> None:  # noqa: F811
    for role in ("ml_engineer", "auditor"):  # auditors record nothing: they verify
        with pytest.raises(RoleNotAllowedError):
            _issue(ledger.governance, role=role)
    assert issued(ledger.governance, DIGEST) is None
    assert _issue(ledger.governance, role="compliance_officer")[1]


def test_an_issuance_is_sealed_in_the_ledger_but_is_no_model_event(ledger: Ledger) -> None:  # noqa: F811
    feed_before = ledger.governance.event_feed(after=0, limit=1000)
    _issue(ledger.governance)
    assert seal_until_caught_up(ledger) == (1, 16)  # 15 model events, then the issuance
    assert ledger.verify().ok
    assert ledger.governance.event_feed(after=0, limit=1000) == feed_before


def _copy_of(sealed: Path, into: Path) -> Path:
    for name in ("modelgov.db", "modelgov.cipher.key", "modelgov.signing.key",
                 "modelgov.signing.key.pub"):  # fmt: skip
        shutil.copy(sealed / name, into / name)
    return into


def _issued_portfolio(store: Path) -> Path:
    """The store, with the portfolio report issued as p.json by a compliance officer."""
    made = run(store, "report", "portfolio", "--format", "json", "--out", "p.json", "--issue",
               "--actor", "c.officer")  # fmt: skip
    assert made.returncode == 0, made.stderr
    return store


def test_report_verify_names_the_issuer_and_checks_the_history_it_was_rendered_from(
    sealed_demo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = _copy_of(sealed_demo, tmp_path)
    made = run(store, "report", "model", "fraud-detector", "--format", "json", "--out",
               "fraud.json", "--issue", "--actor", "sofia.alvarez")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert (
        "issued: sha256 " in made.stdout and "by sofia.alvarez (compliance_officer)" in made.stdout
    )
    unsealed = run(store, "report", "verify", "fraud.json")
    assert unsealed.returncode == 1 and "NOT SEALED: the issuance is recorded" in unsealed.stderr
    assert run(store, "ledger", "seal").returncode == 0
    checked = run(store, "report", "verify", "fraud.json")
    assert checked.returncode == 0, checked.stderr
    assert (
        "issued: the model report of fraud-detector (json, issued as fraud.json)" in checked.stdout
    )
    assert "by sofia.alvarez (compliance_officer)" in checked.stdout
    assert "the issuance is sealed at position " in checked.stdout
    assert "OK: every event matches its leaf" in checked.stdout

    changed = store / "fraud.json"
    changed.write_bytes(changed.read_bytes().replace(b"fraud-detector", b"fraud-detectos", 1))
    refused = run(store, "report", "verify", "fraud.json")
    assert refused.returncode == 1 and "NOT ISSUED: no report with sha256" in refused.stderr


def test_report_verify_fails_when_the_history_was_altered_since(
    sealed_demo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = _issued_portfolio(_copy_of(sealed_demo, tmp_path))
    assert run(store, "ledger", "seal").returncode == 0
    with sqlite3.connect(store / "modelgov.db") as connection:
        connection.execute("DROP TRIGGER modelgov_append_only_stored_events_delete")
        connection.execute("DELETE FROM stored_events WHERE rowid = 20")
    checked = run(store, "report", "verify", "p.json")
    assert checked.returncode == 1
    assert (
        "issued: the portfolio report (json, issued as p.json), by c.officer (compliance_officer)"
        in (checked.stdout)
    )
    assert "first damage at position 19: deleted" in checked.stderr


def test_issuing_needs_a_file(sealed_demo: Path, tmp_path: Path) -> None:  # noqa: F811
    store = _copy_of(sealed_demo, tmp_path)
    no_file = run(store, "report", "portfolio", "--issue")
    assert no_file.returncode == 2 and "an issued report needs --out FILE" in no_file.stderr
    folder = run(store, "report", "verify", str(tmp_path))
    assert folder.returncode == 2 and "is a directory" in folder.stderr


def test_an_issuance_copied_in_under_another_files_digest_does_not_pass_for_it(
    sealed_demo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = _issued_portfolio(_copy_of(sealed_demo, tmp_path))
    forged = store / "forged.html"
    forged.write_text("<p>Everything is compliant.</p>")
    digest = hashlib.sha256(forged.read_bytes()).hexdigest()
    real = issued_report_id(hashlib.sha256((store / "p.json").read_bytes()).hexdigest())
    with sqlite3.connect(store / "modelgov.db") as connection:  # as a DBA would: INSERT is allowed
        connection.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "SELECT ?, 1, topic, state FROM stored_events WHERE originator_id = ?",
            (issued_report_id(digest).hex, real.hex),
        )
        assert connection.total_changes == 1
    assert run(store, "ledger", "seal").returncode == 0  # even sealed, it is not that file's
    checked = run(store, "report", "verify", "forged.html")
    assert checked.returncode == 1 and "NOT ISSUED" in checked.stderr
