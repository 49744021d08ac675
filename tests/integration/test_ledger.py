"""The ledger against real stores: sealing, verification, and tampering done as a database administrator would."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.governance import Governance
from application.ledger.records import SignedHead
from application.ledger.sealer import LedgerInconsistentError
from domain.commands import ReportCost
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.ledger.bundle import export_ledger, export_model, verify_bundle
from infrastructure.ledger.event_records import ForwardRecords
from infrastructure.ledger.keys import public_path, rotate_key, write_key_pair
from infrastructure.ledger.online import Ledger
from infrastructure.settings import Settings
from tests.factories import by
from tests.ledger_tampering import (
    KINDS,
    as_dba,
    events_table,
    nid_at,
    sealed_ledger,
    tamper,
)


@pytest.fixture
def ledger(app: Governance, backend: Settings, tmp_path: Path) -> Iterator[Ledger]:
    """Three models' events (15), sealed with heads every 5 events."""
    yield sealed_ledger(app, backend, tmp_path)


def test_an_untouched_ledger_verifies_online_and_from_an_export(
    ledger: Ledger, tmp_path: Path
) -> None:
    report = ledger.verify()
    assert report.ok, report.damage
    assert (report.events, report.leaves) == (15, 15)
    assert [h.head.tree_size for h in ledger.tables.signed_heads()] == [5, 10, 15]
    export_ledger(ledger, tmp_path / "bundle")
    key = public_path(ledger.settings.signing_key_file)
    assert verify_bundle(tmp_path / "bundle", public_keys=[key]).ok


@pytest.mark.parametrize("kind", KINDS)
def test_tampering_is_reported_with_its_position_and_kind_online_and_offline(
    ledger: Ledger, tmp_path: Path, kind: str
) -> None:
    statements, position = tamper(kind, ledger)
    as_dba(ledger.settings, *statements)
    report = ledger.verify()
    assert not report.ok
    first = report.first_damage
    assert first is not None
    assert (first.position, first.kind) == (position, kind), report.damage
    export_ledger(ledger, tmp_path / "bundle")
    offline = verify_bundle(
        tmp_path / "bundle", public_keys=[public_path(ledger.settings.signing_key_file)]
    )
    assert offline.first_damage == first


@pytest.mark.parametrize("column, value", [("originator_version", "-3"), ("nid", "-7")])
def test_an_integer_no_record_can_hold_is_reported_as_damage_not_a_crash(
    ledger: Ledger, tmp_path: Path, column: str, value: str
) -> None:
    table, nid = events_table(ledger.settings)
    column = nid if column == "nid" else column
    as_dba(
        ledger.settings, f"UPDATE {table} SET {column} = {value} WHERE {nid} = {nid_at(ledger, 6)}"
    )
    report = ledger.verify()
    assert not report.ok
    assert report.first_damage is not None and report.first_damage.position <= 6, report.damage
    export_ledger(ledger, tmp_path / "bundle")
    offline = verify_bundle(
        tmp_path / "bundle", public_keys=[public_path(ledger.settings.signing_key_file)]
    )
    assert offline.first_damage == report.first_damage


def test_reading_forward_by_key_gives_the_rows_reading_by_offset_gives(ledger: Ledger) -> None:
    """The export's entry bundles read on from the last key, not by OFFSET: the same rows, even
    with gaps and damaged ids, for reads in order and out of it."""
    table, nid = events_table(ledger.settings)
    as_dba(
        ledger.settings,
        f"DELETE FROM {table} WHERE {nid} = {nid_at(ledger, 5)}",
        f"UPDATE {table} SET {nid} = -{nid_at(ledger, 9)} WHERE {nid} = {nid_at(ledger, 9)}",
    )
    forward = ForwardRecords(ledger.events)
    in_order = [forward.records_from(offset, 4) for offset in (0, 4, 8, 12, 16)]
    assert [len(rows) for rows in in_order] == [4, 4, 4, 2, 0]  # 15 events, one deleted
    assert in_order == [ledger.events.records_from(offset, 4) for offset in (0, 4, 8, 12, 16)]
    assert in_order[0][0].notification_id == -nid_at(ledger, 9)
    for offset, limit in [(2, 3), (5, 6), (11, 1), (12, 5)]:  # out of order, then on again
        assert forward.records_from(offset, limit) == ledger.events.records_from(offset, limit)


def test_the_sealer_refuses_to_sign_after_the_leaves_table_is_rewritten(ledger: Ledger) -> None:
    forged = (
        "X'" + "ab" * 32 + "'"
        if ledger.settings.database.kind == "sqlite"
        else "'\\x" + "ab" * 32 + "'"
    )
    as_dba(
        ledger.settings,
        f"UPDATE modelgov_ledger_leaves SET leaf_hash = {forged} WHERE position = 3",
    )
    with pytest.raises(LedgerInconsistentError, match="leaves table was rewritten"):
        ledger.sealer()
    heads_before = len(ledger.tables.signed_heads())
    report = ledger.verify()
    assert [(d.position, d.kind) for d in report.damage][:2] == [(3, "modified"), (4, "head")]
    assert len(ledger.tables.signed_heads()) == heads_before


def test_the_sealer_refuses_when_leaves_vanish_under_it(ledger: Ledger, app: Governance) -> None:
    sealer = ledger.sealer()
    as_dba(ledger.settings, "DELETE FROM modelgov_ledger_leaves WHERE position >= 14")
    app.handle(
        ReportCost(name="alpha", period="2026-11", amount="2", currency="EUR", business_unit="R"),
        by=by("bo"),
    )
    with pytest.raises(LedgerInconsistentError, match="refusing to sign"):
        sealer.seal_once(force_head=True)


def test_a_model_bundle_proves_one_models_history_without_the_rest(
    ledger: Ledger, tmp_path: Path
) -> None:
    export_model(ledger, tmp_path / "beta", name="beta")
    key = public_path(ledger.settings.signing_key_file)
    report = verify_bundle(tmp_path / "beta", public_keys=[key])
    assert report.ok and report.events == 5
    data = json.loads((tmp_path / "beta" / "model.json").read_text())
    assert {e["originator_version"] for e in data["events"]} == {1, 2, 3, 4, 5}
    data["events"][2]["state"] = data["events"][3]["state"]
    (tmp_path / "beta" / "model.json").write_text(json.dumps(data))
    damaged = verify_bundle(tmp_path / "beta", public_keys=[key])
    assert [(d.kind) for d in damaged.damage] == ["modified"]
    # the event's number in the model is its revision (a model's version is an ML release)
    assert "model revision 3 is not in the signed tree" in damaged.damage[0].detail


def test_a_rotated_key_keeps_old_heads_verifiable(
    ledger: Ledger, app: Governance, tmp_path: Path
) -> None:
    _, retired, _ = rotate_key(ledger.settings.signing_key_file, passphrase=None)
    app.handle(
        ReportCost(name="alpha", period="2026-11", amount="2", currency="EUR", business_unit="R"),
        by=by("bo"),
    )
    seal_until_caught_up(ledger)
    assert len({h.head.key_id for h in ledger.tables.signed_heads()}) == 2
    assert ledger.verify().ok  # the current and the retired public key are both trusted
    export_ledger(ledger, tmp_path / "bundle")
    new_public = public_path(ledger.settings.signing_key_file)
    only_new = verify_bundle(tmp_path / "bundle", public_keys=[new_public])
    assert {d.kind for d in only_new.damage} == {"signature"}
    assert verify_bundle(tmp_path / "bundle", public_keys=[new_public, public_path(retired)]).ok


def test_a_bundle_is_checked_only_against_the_keys_the_auditor_trusts(
    ledger: Ledger, tmp_path: Path
) -> None:
    export_ledger(ledger, tmp_path / "bundle")
    stranger = tmp_path / "stranger.key"
    write_key_pair(stranger, passphrase=None)
    report = verify_bundle(tmp_path / "bundle", public_keys=[public_path(stranger)])
    assert {d.kind for d in report.damage} == {"signature"}


def test_wiping_leaves_and_heads_is_caught_by_the_head_kept_outside_the_database(
    ledger: Ledger,
) -> None:
    table, nid = events_table(ledger.settings)
    change = "randomblob(length(state))" if table == "stored_events" else "state || '\\x00'::bytea"
    as_dba(
        ledger.settings,
        f"UPDATE {table} SET state = {change} WHERE {nid} = {nid_at(ledger, 7)}",
        "DELETE FROM modelgov_ledger_heads",
        "DELETE FROM modelgov_ledger_leaves",
    )
    with pytest.raises(LedgerInconsistentError, match="not in the database"):
        ledger.sealer()  # it will not sign a fresh log over the altered events
    report = ledger.verify()
    assert [(d.kind, d.position) for d in report.damage] == [("truncated", 0)]


def test_a_key_planted_in_the_database_is_not_trusted(ledger: Ledger, tmp_path: Path) -> None:
    impostor = write_key_pair(tmp_path / "impostor.key", passphrase=None)
    head = ledger.latest_head().head
    forged = dataclasses.replace(
        head, key_id=impostor.key_id, timestamp="2026-01-01T00:00:00.000+00:00"
    )
    ledger.tables.publish_key(impostor.key_id, public_path(tmp_path / "impostor.key").read_text())
    ledger.tables.append_head(SignedHead(forged, impostor.sign(forged.signed_bytes())))
    report = ledger.verify()
    assert [(d.kind, d.position) for d in report.damage] == [("signature", head.tree_size - 1)]


def test_a_model_bundle_refuses_another_models_events(ledger: Ledger, tmp_path: Path) -> None:
    export_model(ledger, tmp_path / "beta", name="beta")
    data = json.loads((tmp_path / "beta" / "model.json").read_text())
    data["model"] = "gamma"
    (tmp_path / "beta" / "model.json").write_text(json.dumps(data))
    report = verify_bundle(
        tmp_path / "beta", public_keys=[public_path(ledger.settings.signing_key_file)]
    )
    assert {d.kind for d in report.damage} == {"inserted"}


@pytest.mark.parametrize("layout", [{}, {"sort_keys": True, "separators": (",", ":")}])
def test_a_bundle_edited_after_the_export_is_caught_in_any_json_layout(
    ledger: Ledger, tmp_path: Path, layout: dict[str, Any]
) -> None:
    """The export's own layout is read without json.loads, another one with it: the same report."""
    export_ledger(ledger, tmp_path / "bundle")
    events = tmp_path / "bundle" / "events.jsonl"
    records = [json.loads(line) for line in events.read_text().splitlines()]
    key = [public_path(ledger.settings.signing_key_file)]

    def written(changed: list[dict[str, object]]) -> None:
        events.write_text("".join(json.dumps(r, **layout) + "\n" for r in changed))

    written(records)
    assert verify_bundle(tmp_path / "bundle", public_keys=key).ok
    state = str(records[7]["state"])
    records[7]["state"] = ("B" if state[0] == "A" else "A") + state[1:]
    written(records)
    report = verify_bundle(tmp_path / "bundle", public_keys=key)
    assert [(d.position, d.kind) for d in report.damage] == [(7, "modified")]
