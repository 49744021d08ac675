"""The long commands show their progress on a terminal (on stderr) and nothing when piped or with
--json; what they print as results is the same either way. On both stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrastructure.db.store import open_governance
from infrastructure.settings import get_settings
from tests.conftest import environ_for
from tests.factories import seed_app_model
from tests.integration.test_cli import run
from tests.terminal import last_count, run_on_terminal

MODELS = 25  # three events each


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """A store of MODELS models, none of their events sealed yet, and a signing key."""
    schema = request.getfixturevalue("pg_schema") if request.param == "postgres" else ""
    environ = environ_for(request.param, tmp_path, schema)
    governance = open_governance(get_settings(environ), create_key=True)
    try:
        for number in range(MODELS):
            seed_app_model(governance, name=f"model-{number:02d}")
    finally:
        governance.close()
    assert run(tmp_path, "keys", "init", env=environ).returncode == 0
    return environ


def events_in(environ: dict[str, str]) -> int:
    governance = open_governance(get_settings(environ))
    try:
        return len(list(governance.recorder.select_notifications(start=1, limit=100_000)))
    finally:
        governance.close()


def test_sealing_on_a_terminal_counts_the_events_sealed_against_those_waiting(
    store: dict[str, str], tmp_path: Path
) -> None:
    events = events_in(store)
    sealed = run_on_terminal(tmp_path, "ledger", "seal", env=store)
    assert sealed.returncode == 0, sealed.stderr_text
    assert sealed.stdout == f"sealed {events} new event(s); signed tree head at size {events}\n"
    assert last_count(sealed, "sealing events") == (events, events)


def test_verify_shows_the_events_verified_on_a_terminal_and_nothing_when_piped(
    store: dict[str, str], tmp_path: Path
) -> None:
    assert run(tmp_path, "ledger", "seal", env=store).returncode == 0
    events = events_in(store)
    shown = run_on_terminal(tmp_path, "verify", env=store)
    piped = run(tmp_path, "verify", env=store)
    assert shown.returncode == piped.returncode == 0, piped.stderr
    assert last_count(shown, "verifying events") == (events, events)
    assert shown.stdout == piped.stdout  # the verdict, unchanged
    assert f": {events} event(s), {events} leaf/leaves" in piped.stdout
    assert piped.stderr == ""


def test_a_bundle_verifies_with_its_manifests_count_as_the_total(
    store: dict[str, str], tmp_path: Path
) -> None:
    assert run(tmp_path, "ledger", "seal", env=store).returncode == 0
    exported = run_on_terminal(tmp_path, "export", "--out", str(tmp_path / "bundle"), env=store)
    piped_export = run(tmp_path, "export", "--out", str(tmp_path / "bundle"), env=store)
    assert exported.returncode == piped_export.returncode == 0, piped_export.stderr
    assert exported.stdout == piped_export.stdout and piped_export.stderr == ""
    done, total = last_count(exported, "exporting events, leaves and tiles")
    assert done == total and total is not None and total > 2 * events_in(store)  # and tiles

    public_key = str(tmp_path / "signing.key.pub")
    command = ("verify", "--bundle", str(tmp_path / "bundle"), "--public-key", public_key)
    shown = run_on_terminal(tmp_path, *command, env=store)
    piped = run(tmp_path, *command, env=store)
    assert shown.returncode == piped.returncode == 0, piped.stderr
    assert last_count(shown, "verifying events") == (events_in(store), events_in(store))
    assert shown.stdout == piped.stdout and piped.stderr == ""


def test_a_rebuild_shows_its_position_in_the_event_log_and_says_the_same_as_piped(
    store: dict[str, str], tmp_path: Path
) -> None:
    shown = run_on_terminal(tmp_path, "projections", "rebuild", env=store)
    piped = run(tmp_path, "projections", "rebuild", env=store)
    assert shown.returncode == piped.returncode == 0, piped.stderr
    assert shown.stdout == piped.stdout and piped.stderr == ""
    done, total = last_count(shown, "rebuilding the read models")
    assert done == total and total is not None and total >= events_in(store)


def test_a_backup_shows_a_spinner_on_a_terminal_and_nothing_with_json(
    store: dict[str, str], tmp_path: Path
) -> None:
    out = str(tmp_path / "copy.backup")
    shown = run_on_terminal(tmp_path, "backup", "--out", out, env=store)
    assert shown.returncode == 0, shown.stderr_text
    assert "backing up" in shown.stderr_text
    assert shown.stdout.startswith(f"backed up to {out}: {events_in(store):,} events")

    as_json = run_on_terminal(tmp_path, "backup", "--out", out, "--json", env=store)
    assert as_json.returncode == 0, as_json.stderr_text
    assert as_json.stderr == ""
    assert as_json.stdout.startswith("{")


def test_no_progress_when_only_stderr_is_a_terminal_and_stdout_a_pipe(
    store: dict[str, str], tmp_path: Path
) -> None:
    """`modelgov verify | tee`: the output is being read by something, not watched."""
    assert run(tmp_path, "ledger", "seal", env=store).returncode == 0
    read = run_on_terminal(tmp_path, "verify", env=store, stdout_piped=True)
    assert read.returncode == 0, read.stderr_text
    assert read.stderr == ""
    assert "OK: every event matches its leaf" in read.stdout
