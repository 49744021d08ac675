"""Erasure by crypto-shredding (GDPR Art. 17) on real stores: a forgotten stakeholder's e-mail,
name and comments are nowhere to be read (the raw store, the events decrypted with the data key,
the read models opened, the API, a re-rendered report), while `verify` and a per-version proof
made before the erasure still pass; forgetting is one transaction; old events read as they did."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import OperationalError
from eventsourcing.utils import Environment

from application.effective_timeline import CHECKPOINT_EVERY
from application.erasure.forget import forget_person
from application.errors import NothingToForgetError
from application.governance import Governance, fold_model
from domain.commands import SetTarget
from domain.errors import RoleNotAllowedError
from domain.people import ERASED, PEOPLE_ID, People
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.append_only import event_tables
from infrastructure.db.erasure_keys import SCRUBBED_TABLES, drop_freed_copies
from infrastructure.db.fault_points import armed
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.proofs import build_proof, verify_proof
from infrastructure.projections.tables import PROJECTION_TABLES
from infrastructure.settings import Settings
from tests.api.conftest import PRINCIPAL_OF, Api, api_over
from tests.conftest import TEST_KEY, environ_for
from tests.factories import audited_history, by, cost_report, registration, seed_app_model
from tests.integration.test_cli import run
from tests.integration.test_pii_at_rest import (
    COMMENT,
    EMAIL,
    JUSTIFICATION,
    NAME,
    REASONS,
    STAKEHOLDER,
    full_flow,
    stored_bytes,
)
from tests.integration.test_proof import _vkey

# The stakeholder is also the data scientist who approved with COMMENT.
SCIENTIST = PRINCIPAL_OF["data_scientist"]
THEIRS = (EMAIL, STAKEHOLDER, COMMENT, SCIENTIST)


@pytest.fixture
def api(backend: Settings) -> Iterator[Api]:
    with api_over(backend) as found:
        yield found


def decrypted_rows(settings: Settings, table: str) -> list[bytes]:
    """Every stored state of `table` decrypted with the data key, as its holder can."""
    cipher = AESCipher(Environment(env={"CIPHER_KEY": TEST_KEY}))
    sql = SqlRunner(settings.database)
    try:
        return [
            cipher.decrypt(bytes(state)) for (state,) in sql.execute(f"SELECT state FROM {table}")
        ]
    finally:
        sql.close()


def read_models_opened(api: Api) -> str:
    """Every value of the read models, sealed ones opened with the data key's derived key."""
    runner = api.client.app.state.projections
    texts = []
    for table in PROJECTION_TABLES:
        for row in runner.sql.execute(f"SELECT * FROM {table}"):
            for value in row:
                if isinstance(value, str) and value.startswith("sealed:v1:"):
                    value = runner.cipher.open(value)
                texts.append(str(value))
    return "\n".join(texts)


def forget_stakeholder(governance: Governance) -> None:
    forget_person(
        governance, email=EMAIL, aliases=[SCIENTIST], ground="consent_withdrawn",
        by=by("co", "consent_withdrawn", role="compliance_officer", at=datetime.now(UTC)),
    )  # fmt: skip


def test_a_forgotten_stakeholder_is_unreadable_everywhere_and_the_ledger_and_proofs_still_verify(
    api: Api, backend: Settings
) -> None:
    full_flow(api)
    state = api.client.app.state
    governance, ledger, runner = state.services.governance, state.ledger, state.projections
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    seal_until_caught_up(ledger)
    proof = build_proof(ledger, name=NAME, version=1, environment="production", redact=False)
    assert EMAIL in api.get(f"/v1/models/{NAME}").text  # readable until forgotten
    assert COMMENT in read_models_opened(api)

    forget_stakeholder(governance)
    runner.rebuild()  # what `modelgov people forget` does after recording, and compacts
    drop_freed_copies(runner.sql, [*SCRUBBED_TABLES, *PROJECTION_TABLES])
    seal_until_caught_up(ledger)

    raw = stored_bytes(backend)
    assert [v for v in THEIRS if v.encode() in raw] == []
    for table in event_tables(backend.database.kind):
        decrypted = b"".join(decrypted_rows(backend, table))
        assert [v for v in THEIRS if v.encode() in decrypted] == [], table
    opened = read_models_opened(api)
    assert [v for v in THEIRS if v in opened] == [] and ERASED in opened
    assert JUSTIFICATION in opened  # the compliance officer's own words are theirs, kept
    model = api.get(f"/v1/models/{NAME}", role="auditor").json()
    assert model["stakeholders"] == [{"name": ERASED, "email": ERASED, "role": "business_owner"}]
    report = api.get(f"/v1/reports/models/{NAME}", format="json").text
    assert [v for v in (EMAIL, COMMENT, SCIENTIST) if v in report] == [] and ERASED in report
    # Free text is erased with its author: others' reasons that mention her name keep it.
    assert JUSTIFICATION in report and REASONS["registration"] in report

    assert ledger.verify().ok
    check = verify_proof(proof, vkey_text=_vkey(ledger))  # made before, checked after
    assert check.ok, check.problems
    after = build_proof(ledger, name=NAME, version=1, environment="production", redact=False)
    assert [e["state"] for e in after["events"]] == [e["state"] for e in proof["events"]]
    assert verify_proof(after, vkey_text=_vkey(ledger)).ok
    forgotten = [
        e for e in governance.events.get(PEOPLE_ID) if isinstance(e, People.PersonForgotten)
    ]
    assert len(forgotten) == 1 and forgotten[0].ground == "consent_withdrawn"
    recorded = json.dumps(vars(forgotten[0]), default=str)
    assert [v for v in THEIRS if v in recorded] == []  # the record of an erasure erases nothing


def test_forgetting_is_one_transaction_a_failed_commit_leaves_the_person_readable(
    app: Governance,
) -> None:
    app.handle(registration(NAME, "low"), by=by("eng"))
    email = app.get_model(NAME).stakeholders[0]["email"]
    with armed("before_commit", lambda: _raise()), pytest.raises(OperationalError):
        forget_person(
            app, email=email, ground="objection", by=by("admin", "objection", role="admin")
        )
    assert app.get_model(NAME).stakeholders[0]["email"] == email  # the key is still there
    assert list(app.events.get(PEOPLE_ID)) == []  # and nothing was recorded
    forget_person(app, email=email, ground="objection", by=by("admin", "objection", role="admin"))
    assert app.get_model(NAME).stakeholders[0]["email"] == ERASED
    with pytest.raises(NothingToForgetError):  # once is enough
        forget_person(
            app, email=email, ground="objection", by=by("admin", "objection", role="admin")
        )


def _raise() -> None:
    raise OperationalError("fault injected at before_commit")


def test_only_an_admin_or_a_compliance_officer_may_forget_and_a_refusal_records_nothing(
    app: Governance,
) -> None:
    app.handle(registration(NAME, "low"), by=by("eng"))
    email = app.get_model(NAME).stakeholders[0]["email"]
    with pytest.raises(RoleNotAllowedError, match="may not forget person"):
        forget_person(app, email=email, ground="objection", by=by("auditor", "objection"))
    assert list(app.events.get(PEOPLE_ID)) == []
    assert app.get_model(NAME).stakeholders[0]["email"] == email


def test_snapshots_hold_nothing_the_data_key_opens_and_after_a_forgetting_are_read_past(
    backend: Settings,
) -> None:
    app = open_governance(backend)
    try:
        app.handle(registration(NAME, "low"), by=by("eng", "asked by the retention team"))
        app.handle(registration("other", "low"), by=by("eng"))
        email = app.get_model(NAME).stakeholders[0]["email"]
        for name in (NAME, "other"):
            app.take_snapshot(app.get_model(name).id, projector_func=fold_model)
        snapshots = decrypted_rows(backend, event_tables(backend.database.kind)[1])
        assert snapshots and not any(email.encode() in s for s in snapshots)
        forget_person(app, email=email, ground="objection", by=by("admin", "objection"))
        fresh = open_governance(backend)  # another process: no key cached, no model cached
        try:
            assert fresh.get_model(NAME).stakeholders[0]["email"] == ERASED
            assert fresh.get_model("other").stakeholders[0]["email"] == ERASED
        finally:
            fresh.close()
    finally:
        app.close()


def test_events_stored_before_erasure_keys_read_as_they_did_and_are_not_covered(
    app: Governance,
) -> None:
    ring = app.keyring
    assert ring is not None
    store, ring.store = ring.store, None  # writes as a release before erasure keys did
    try:
        app.handle(registration(NAME, "low"), by=by("eng", "asked by the retention team"))
    finally:
        ring.store = store
    model = app.get_model(NAME)
    assert model.stakeholders[0]["email"] == "ann.lee@bank.example"
    assert app.model_events(NAME)[0].reason == "asked by the retention team"
    with pytest.raises(NothingToForgetError, match="nothing recorded of them by this release"):
        forget_person(
            app, email="ann.lee@bank.example", ground="objection", by=by("admin", "objection")
        )


def test_people_forget_as_the_cli_runs_it_then_history_shows_erased_and_verify_passes(
    backend: Settings, tmp_path: Path
) -> None:
    write_key_pair(backend.signing_key_file, passphrase=None)
    governance = open_governance(backend)
    audited_history(governance)
    governance.close()
    env = environ_for(
        backend.database.kind, tmp_path, backend.database.schema or "",
        MODELGOV_SIGNING_KEY_FILE=str(backend.signing_key_file),
    )  # fmt: skip
    refused = run(tmp_path, "people", "forget", "ann.lee@bank.example", "--reason", "whim",
                  "--actor", "sofia", env=env)  # fmt: skip
    assert refused.returncode == 2 and "ground: must be one of" in refused.stderr
    forgot = run(tmp_path, "people", "forget", "Ann.Lee@bank.example", "--alias", "ds",
                 "--reason", "consent_withdrawn", "--actor", "sofia", env=env)  # fmt: skip
    assert forgot.returncode == 0, forgot.stderr
    assert "PersonForgotten is recorded" in forgot.stdout and "read models rebuilt" in forgot.stdout
    history = run(tmp_path, "history", "scorer", env=env)
    assert history.returncode == 0, history.stderr
    assert "ann.lee@bank.example" not in history.stdout and "by ds " not in history.stdout
    assert f"by {ERASED} (data_scientist)" in history.stdout
    assert run(tmp_path, "ledger", "seal", env=env).returncode == 0
    verified = run(tmp_path, "verify", env=env)
    assert verified.returncode == 0 and "OK: every event matches its leaf" in verified.stdout
    again = run(tmp_path, "people", "forget", "ann.lee@bank.example", "--alias", "ds",
                "--reason", "consent_withdrawn", "--actor", "sofia", env=env)  # fmt: skip
    assert again.returncode == 2 and "forgotten already" in again.stderr


def test_forgetting_revokes_the_persons_tokens_whatever_the_case_they_were_issued_in(
    app: Governance, backend: Settings
) -> None:
    from infrastructure.api.tokens import TokenStore

    app.handle(registration("churn", "low"), by=by("ds"))
    sql = SqlRunner(backend.database)
    try:
        tokens = TokenStore(sql)
        shouted = tokens.create(principal=EMAIL.upper(), role="data_scientist")
        other = tokens.create(principal="someone.else@bank.example", role="auditor")
        forget_person(
            app, email=EMAIL, ground="objection",
            by=by("admin", "objection", role="admin", at=datetime.now(UTC)),
        )  # fmt: skip
        fresh = TokenStore(sql)  # no cache of tokens found valid
        assert fresh.authenticate(shouted) is None
        assert fresh.authenticate(other) is not None
        assert EMAIL.upper() not in {record.principal for record in fresh.list()}
    finally:
        sql.close()


def test_a_server_drops_its_decrypted_copies_when_another_process_applied_the_forgetting(
    backend: Settings,
) -> None:
    from infrastructure.projections.runner import ProjectionRunner, default_projections

    first, second = open_governance(backend), open_governance(backend)
    sql_first, sql_second = SqlRunner(backend.database), SqlRunner(backend.database)
    dropped: list[str] = []
    second.on_forgotten.append(lambda: dropped.append("second"))
    try:
        first.handle(registration(NAME, "low"), by=by("eng"))
        mine = ProjectionRunner(first, sql_first, default_projections())
        theirs = ProjectionRunner(second, sql_second, default_projections())
        theirs.catch_up()  # the other server is up to date, its copies made
        forget_person(
            first, email=EMAIL, ground="objection",
            by=by("admin", "objection", role="admin", at=datetime.now(UTC)),
        )  # fmt: skip
        mine.catch_up()  # this process applies the forgetting, not the other one

        assert theirs.run_once() == 0 and dropped == ["second"]
        assert theirs.run_once() == 0 and dropped == ["second"]  # once
    finally:
        for closing in (sql_first, sql_second, first, second):
            closing.close()


def test_a_server_waiting_for_the_projections_lease_still_drops_its_decrypted_copies(
    backend: Settings,
) -> None:
    """Only the lease's holder applies events: the others look for a forgetting all the same."""
    from fastapi.testclient import TestClient

    from infrastructure.api.app import create_app
    from infrastructure.leases import PROJECTIONS, lease_holders
    from tests.conftest import wait_until

    sql = SqlRunner(backend.database)
    try:
        with TestClient(create_app(backend)) as holding:
            assert wait_until(lambda: lease_holders(sql)[PROJECTIONS] is not None, timeout=10)
            holder = lease_holders(sql)[PROJECTIONS]
            with TestClient(create_app(backend)) as waiting:
                dropped: list[str] = []
                waiting.app.state.services.governance.on_forgotten.append(
                    lambda: dropped.append("waiting")
                )
                first = holding.app.state.services.governance
                first.handle(registration(NAME, "low"), by=by("eng"))
                forget_person(
                    first, email=EMAIL, ground="objection",
                    by=by("admin", "objection", role="admin", at=datetime.now(UTC)),
                )  # fmt: skip
                assert wait_until(lambda: dropped == ["waiting"], timeout=10), dropped
                assert lease_holders(sql)[PROJECTIONS] == holder  # it never applied an event
    finally:
        sql.close()


def test_the_consoles_copy_of_a_models_events_is_not_written_back_by_a_read_a_forgetting_overtook(
    app: Governance, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infrastructure.console.model_events import RecentModelEvents

    app.handle(registration(NAME, "low"), by=by("eng"))
    recent = RecentModelEvents(app)
    read = app.model_events

    def read_then_forgotten(name: str, *, after_revision: int) -> list[Any]:
        found = read(name, after_revision=after_revision)
        recent.clear()  # the forgetting lands while the page is reading
        return found

    monkeypatch.setattr(app, "model_events", read_then_forgotten)
    assert [e.originator_version for e in recent.of(NAME)] == [1]
    monkeypatch.setattr(app, "model_events", read)
    calls: list[int] = []
    monkeypatch.setattr(
        app, "model_events",
        lambda name, *, after_revision: calls.append(after_revision) or read(name, after_revision=after_revision),
    )  # fmt: skip
    recent.of(NAME)
    assert calls == [0]  # read again from the start: nothing decrypted before was kept


def test_a_model_as_effective_at_a_time_asked_before_a_forgetting_is_read_erased_after_it(
    app: Governance,
) -> None:
    app.handle(registration(NAME, "low"), by=by("eng", "asked by the retention team"))
    model = app.get_model(NAME)
    while model.version <= CHECKPOINT_EVERY:  # so that the timeline keeps a checkpoint
        model.set_target(
            SetTarget(name=NAME, dimension="accuracy", metric="auc", comparator=">=",
                      threshold=model.version / 1000, unit=""),
            by("ds"),
        )  # fmt: skip
    app.save(model)
    at = datetime.now(UTC)
    email = app.model_as_effective_at(NAME, at).stakeholders[0]["email"]  # indexed now
    assert email != ERASED
    forget_person(app, email=email, ground="objection", by=by("admin", "objection"))
    assert app.model_as_effective_at(NAME, at).stakeholders[0]["email"] == ERASED


def test_a_model_read_before_a_forgetting_and_saved_after_it_brings_back_nothing_forgotten(
    backend: Settings,
) -> None:
    """A command (or the evaluator) holding a model read before someone was forgotten saves it
    after: neither this process's cache nor a snapshot taken later may hold what was forgotten
    (the cache and the snapshots are copies: what a forgetting erased must not come back in one)."""
    settings = backend.model_copy(update={"snapshot_interval": 5})
    app = open_governance(settings)
    try:
        seed_app_model(app)  # three events; the stakeholder Ann Lee
        email = app.get_model("churn").stakeholders[0]["email"]

        held = app.get_model("churn")
        forget_person(app, email=email, ground="consent_withdrawn", by=by("co", "asked"))
        assert app.get_model("churn").stakeholders[0]["email"] == ERASED  # read again, cached
        held.handle(cost_report("10.00"), by("bo"))
        app.save_changes(held)
        assert app.get_model("churn").stakeholders[0]["email"] == ERASED
        app.handle(cost_report("11.00"), by=by("bo"))  # the fifth event: a snapshot is taken
        assert [s.originator_version for s in app.snapshots.get(held.id)] == [5]
    finally:
        app.close()
    assert _email_a_fresh_process_reads(settings) == ERASED  # from the snapshot


def test_a_process_that_applies_no_events_drops_what_it_decrypted_once_someone_is_forgotten(
    backend: Settings,
) -> None:
    """`monitor run --follow` holds models but applies no events: it watches the log itself."""
    from infrastructure.projections.forgettings import Forgettings

    monitor, other = open_governance(backend), open_governance(backend)
    forgettings = Forgettings(monitor)
    stop = threading.Event()
    watching = threading.Thread(
        target=forgettings.watch, args=(stop,), kwargs={"every_seconds": 0.05}
    )
    try:
        other.handle(registration(NAME, "low"), by=by("eng"))
        forgettings.look_at_the_log()  # before it reads a model, as `monitor run` does
        assert monitor.get_model(NAME).stakeholders[0]["email"] == EMAIL  # held, opened
        dropped = threading.Event()
        monitor.on_forgotten.append(dropped.set)
        watching.start()

        forget_person(other, email=EMAIL, ground="objection", by=by("admin", "objection"))

        assert dropped.wait(timeout=30), "the forgetting was not seen"
        assert monitor.get_model(NAME).stakeholders[0]["email"] == ERASED
    finally:
        stop.set()
        if watching.is_alive():
            watching.join()
        for closing in (monitor, other):
            closing.close()


@pytest.mark.parametrize("log_readable", [True, False], ids=["log read", "log unreadable"])
def test_a_process_that_has_not_seen_a_forgetting_yet_snapshots_nothing_forgotten(
    backend: Settings, monkeypatch: pytest.MonkeyPatch, log_readable: bool
) -> None:
    """Another process forgot someone; this one still holds the model it read before (it has not
    seen the forgetting yet) when its next snapshot is due: the snapshot holds nothing forgotten,
    also when the log's head cannot be read then (not known is not trusted)."""
    monkeypatch.setattr("application.erasure.keys.CACHE_SECONDS", 0.0)  # no key outlives it here
    settings = backend.model_copy(update={"snapshot_interval": 5})
    this, other = open_governance(settings), open_governance(settings)
    try:
        seed_app_model(other)  # three events; the stakeholder Ann Lee
        email = this.get_model("churn").stakeholders[0]["email"]  # held here, opened
        forget_person(other, email=email, ground="objection", by=by("admin", "objection"))
        this.handle(cost_report("10.00"), by=by("bo"))
        if not log_readable:
            monkeypatch.setattr(this.recorder, "max_notification_id", _unreadable)
        this.handle(cost_report("11.00"), by=by("bo"))  # the fifth event: this process snapshots
        monkeypatch.undo()
        assert [s.originator_version for s in this.snapshots.get(this.get_model("churn").id)] == [5]
    finally:
        this.close()
        other.close()
    assert _email_a_fresh_process_reads(settings) == ERASED  # from the snapshot


def test_after_a_forgetting_snapshots_come_from_the_events_whatever_the_cache_holds(
    backend: Settings,
) -> None:
    """A read that began before this process's forgetting may finish into the cache the forgetting
    left (the library puts into whichever cache is current), with what it opened before: the
    snapshots taken afterwards come from the events, never from that cache."""
    settings = backend.model_copy(update={"snapshot_interval": 5})
    app = open_governance(settings)
    try:
        seed_app_model(app)  # three events; the stakeholder Ann Lee
        opened = app.get_model("churn")  # what such a read holds
        email = opened.stakeholders[0]["email"]
        forget_person(app, email=email, ground="objection", by=by("admin", "objection"))
        assert app.repository.cache is not None
        app.repository.cache.put(opened.id, opened)  # as that read would leave it, after the drop
        app.handle(cost_report("10.00"), by=by("bo"))
        app.handle(cost_report("11.00"), by=by("bo"))  # the fifth event: a snapshot is taken
        assert [s.originator_version for s in app.snapshots.get(opened.id)] == [5]
    finally:
        app.close()
    assert _email_a_fresh_process_reads(settings) == ERASED  # from the snapshot


def _email_a_fresh_process_reads(settings: Settings) -> str:
    """The stakeholder's e-mail as another process reads it (no key or model cached there)."""
    fresh = open_governance(settings)
    try:
        return str(fresh.get_model("churn").stakeholders[0]["email"])
    finally:
        fresh.close()


def _unreadable(*_: object) -> int:
    raise OperationalError("the connection to the database was lost")
