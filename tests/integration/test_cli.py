"""The `modelgov` command as a newcomer runs it: demo, models, show, history, replay, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infrastructure.db.store import open_governance
from infrastructure.settings import get_settings
from tests.conftest import PG_URL, TEST_KEY
from tests.factories import seed_app_model

MODELGOV = str(Path(sys.executable).with_name("modelgov"))


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, **options: Any
) -> subprocess.CompletedProcess[str]:
    """`modelgov *args` in `cwd` with only the given MODELGOV_* settings; `options` go to
    subprocess.run (e.g. preexec_fn)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
    environ.update(env or {})
    return subprocess.run(
        [MODELGOV, *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **options,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    result = run(directory, "demo")
    assert result.returncode == 0, result.stderr
    assert "what to try next" in result.stdout
    return directory


def test_the_demo_seeds_seven_models_across_every_risk_tier(demo_dir: Path) -> None:
    result = run(demo_dir, "models", "--json")
    models = json.loads(result.stdout)
    assert len(models) >= 5
    assert {m["risk_tier"] for m in models} == {"low", "medium", "high", "regulated"}
    assert (demo_dir / "modelgov.db").exists()
    assert oct((demo_dir / "modelgov.cipher.key").stat().st_mode & 0o777) == "0o600"


def test_the_demo_history_has_the_whole_lifecycle(demo_dir: Path) -> None:
    events: list[str] = []
    for name in json.loads(run(demo_dir, "models", "--json").stdout):
        history = json.loads(run(demo_dir, "history", name["name"], "--json").stdout)
        events += [entry["event"] for entry in history]
    for expected in (
        "ReleaseRejected",
        "ValidationRecorded",
        "TargetSet",
        "RolledBack",
        "BreachOpened",
        "BreachClosed",
        "BiasFlagRaised",
        "BiasFlagResolved",
        "PolicyChanged",
        "VersionRetired",
        "CostReported",
        "ComplianceSignedOff",
    ):
        assert expected in events, expected
    assert sum(1 for e in events if e == "VersionRegistered") >= 10


def test_the_demo_has_an_open_and_a_resolved_bias_flag(demo_dir: Path) -> None:
    states = [
        json.loads(run(demo_dir, "show", m["name"], "--json").stdout)
        for m in json.loads(run(demo_dir, "models", "--json").stdout)
    ]
    assert any(s["open_bias_flags"] for s in states)
    assert any(s["resolved_bias_flags"] for s in states)


def test_running_the_demo_again_does_not_seed_twice(demo_dir: Path) -> None:
    before = len(json.loads(run(demo_dir, "history", "credit-risk-scorer", "--json").stdout))
    again = run(demo_dir, "demo")
    assert again.returncode == 0 and "not seeding again" in again.stdout
    assert (
        len(json.loads(run(demo_dir, "history", "credit-risk-scorer", "--json").stdout)) == before
    )


def test_history_marks_backdated_entries(demo_dir: Path) -> None:
    text = run(demo_dir, "history", "support-ticket-router").stdout
    assert "[backdated]" in text
    assert "ReleaseApproved" in text


def test_replay_by_revision_shows_the_model_as_it_was(demo_dir: Path) -> None:
    result = run(demo_dir, "replay", "credit-risk-scorer", "--revision", "2", "--json")
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["model_revision"] == state["model_version"] == 2
    assert state["targets"] and not state["versions"]


def test_replay_by_the_old_version_option_still_works_and_says_it_is_deprecated(
    demo_dir: Path,
) -> None:
    old = run(demo_dir, "replay", "credit-risk-scorer", "--version", "2", "--json")
    assert old.returncode == 0, old.stderr
    assert "--version is deprecated; use --revision" in old.stderr
    new = run(demo_dir, "replay", "credit-risk-scorer", "--revision", "2", "--json")
    assert json.loads(old.stdout) == json.loads(new.stdout)


def test_replay_by_known_and_effective_time(demo_dir: Path) -> None:
    history = json.loads(run(demo_dir, "history", "credit-risk-scorer", "--json").stdout)
    tenth = history[9]
    known = json.loads(
        run(
            demo_dir, "replay", "credit-risk-scorer", "--known-at", tenth["recorded_at"], "--json"
        ).stdout
    )
    assert known["model_revision"] == 10
    effective = json.loads(
        run(
            demo_dir, "replay", "credit-risk-scorer", "--at", tenth["effective_at"], "--json"
        ).stdout
    )
    assert effective["model_revision"] == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "no-such-model"], "no model named 'no-such-model'"),
        (["replay", "credit-risk-scorer", "--at", "yesterday"], "not an ISO 8601 time"),
        (
            ["replay", "credit-risk-scorer", "--revision", "1", "--at", "2026-01-01T00:00:00Z"],
            "give one of",
        ),
        (["replay", "credit-risk-scorer", "--at", "2001-01-01T00:00:00Z"], "not yet registered"),
    ],
)
def test_errors_are_one_clear_line_and_a_non_zero_exit(
    demo_dir: Path, args: list[str], message: str
) -> None:
    fails_clearly(run(demo_dir, *args), message)


def fails_clearly(result: subprocess.CompletedProcess[str], message: str) -> None:
    """Exit code 2 and one line saying what is wrong: no traceback."""
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_setting_stops_the_command_with_its_name(tmp_path: Path) -> None:
    result = run(tmp_path, "models", env={"MODELGOV_DATABASE_ULR": "sqlite:///x.db"})
    assert result.returncode == 2
    assert "unknown setting MODELGOV_DATABASE_ULR" in result.stderr


def test_without_a_key_the_store_is_not_opened(tmp_path: Path) -> None:
    result = run(tmp_path, "models")
    assert result.returncode == 2
    assert "no cipher key" in result.stderr and "modelgov init" in result.stderr


def test_every_command_has_help(tmp_path: Path) -> None:
    for command in ("init", "demo", "models", "show", "history", "replay", "settings"):
        result = run(tmp_path, command, "--help")
        assert result.returncode == 0
        assert "Usage" in result.stdout and len(result.stdout.splitlines()) > 4


def test_replay_at_an_effective_time_places_a_backdated_approval(demo_dir: Path) -> None:
    history = json.loads(run(demo_dir, "history", "support-ticket-router", "--json").stdout)
    approval = next(entry for entry in history if entry["event"] == "ReleaseApproved")
    assert approval["backdated"]
    registered_version = next(e for e in history if e["event"] == "VersionRegistered")
    # Between the approval taking effect and it being recorded, the world already had it ...
    effective = json.loads(
        run(
            demo_dir, "replay", "support-ticket-router", "--at", approval["effective_at"], "--json"
        ).stdout
    )
    assert len(effective["versions"][0]["release_approvals"]) == 1
    # ... while the ledger did not know it yet.
    known = json.loads(
        run(
            demo_dir,
            "replay",
            "support-ticket-router",
            "--known-at",
            approval["effective_at"],
            "--json",
        ).stdout
    )
    assert known["versions"][0]["release_approvals"] == []
    assert registered_version["recorded_at"] < approval["effective_at"]


def test_reset_refuses_to_delete_a_store_that_holds_other_models(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0

    settings = get_settings(
        {"MODELGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'modelgov.db'}",
         "MODELGOV_CIPHER_KEY_FILE": str(tmp_path / "modelgov.cipher.key")}
    )  # fmt: skip
    app = open_governance(settings)
    seed_app_model(app, name="team-model")
    app.close()
    result = run(tmp_path, "demo", "--reset")
    assert result.returncode == 2
    assert "team-model" in result.stderr and "not deleting" in result.stderr
    assert (tmp_path / "modelgov.db").exists()


@pytest.mark.postgres
def test_the_demo_and_replay_run_on_postgresql(tmp_path: Path, pg_schema: str) -> None:
    env = {
        "MODELGOV_DATABASE_URL": PG_URL,
        "MODELGOV_PG_SCHEMA": pg_schema,
        "MODELGOV_CIPHER_KEY": TEST_KEY,
    }
    seeded = run(tmp_path, "demo", env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "PostgreSQL" in seeded.stdout
    models = json.loads(run(tmp_path, "models", "--json", env=env).stdout)
    assert len(models) == 7
    history = json.loads(run(tmp_path, "history", "credit-risk-scorer", "--json", env=env).stdout)
    rolled_back = next(entry for entry in history if entry["event"] == "RolledBack")
    before = json.loads(
        run(tmp_path, "replay", "credit-risk-scorer", "--revision", str(rolled_back["model_revision"] - 1),
            "--json", env=env).stdout
    )  # fmt: skip
    after = json.loads(
        run(
            tmp_path,
            "replay",
            "credit-risk-scorer",
            "--at",
            rolled_back["effective_at"],
            "--json",
            env=env,
        ).stdout
    )
    assert before["active"]["production"] == 2
    assert after["active"]["production"] == 1


def test_tokens_are_created_listed_and_revoked(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    created = run(tmp_path, "tokens", "create", "--name", "ci-pipeline", "--role", "itops_engineer")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("mg_")
    listed = json.loads(run(tmp_path, "tokens", "list", "--json").stdout)
    assert [(t["principal"], t["role"], t["revoked_at"]) for t in listed] == [
        ("ci-pipeline", "itops_engineer", None)
    ]
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("modelgov.db*"))
    assert token.encode() not in raw  # only its hash is stored
    assert run(tmp_path, "tokens", "revoke", listed[0]["token_id"]).returncode == 0
    assert json.loads(run(tmp_path, "tokens", "list", "--json").stdout)[0]["revoked_at"]


def test_a_token_can_expire_and_the_list_shows_its_expiry_and_last_use(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    created = run(tmp_path, "tokens", "create", "--name", "ci", "--role", "auditor",
                  "--expires-in", "30d")  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "expires 20" in created.stderr
    [listed] = json.loads(run(tmp_path, "tokens", "list", "--json").stdout)
    expires = datetime.fromisoformat(listed["expires_at"])
    assert listed["expires_at"].endswith("Z") and listed["created_at"].endswith("Z")
    assert abs(expires - datetime.now(UTC) - timedelta(days=30)) < timedelta(minutes=1)
    assert listed["last_used_at"] is None
    text = run(tmp_path, "tokens", "list").stdout
    assert f"expires {listed['expires_at']}" in text and "never used" in text


@pytest.mark.parametrize("value", ["30", "1y", "0d", "-5m", "3651d", "12 hours"])
def test_an_expiry_that_is_not_a_duration_is_refused_and_no_token_made(
    tmp_path: Path, value: str
) -> None:
    assert run(tmp_path, "init").returncode == 0
    refused = run(tmp_path, "tokens", "create", "--name", "ci", "--role", "auditor",
                  "--expires-in", value)  # fmt: skip
    assert refused.returncode == 2
    assert "is not a duration such as 90m" in refused.stderr
    assert json.loads(run(tmp_path, "tokens", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tokens", "create", "--name", "x", "--role", "policy"], "is not one of"),
        (["tokens", "create", "--name", "bad name!", "--role", "auditor"], "principal name"),
        (["tokens", "revoke", "0000"], "no token with id"),
    ],
)
def test_token_mistakes_are_explained(tmp_path: Path, args: list[str], message: str) -> None:
    assert run(tmp_path, "init").returncode == 0
    result = run(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_diff_across_the_demo_rollback(demo_dir: Path) -> None:
    history = json.loads(run(demo_dir, "history", "credit-risk-scorer", "--json").stdout)
    rolled = next(entry for entry in history if entry["event"] == "RolledBack")
    version = rolled["model_revision"]
    result = run(
        demo_dir, "diff", "credit-risk-scorer", "--from", str(version - 1), "--to", str(version)
    )
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    assert diff["active"]["changed"] == {"production": {"from": 2, "to": 1}}
    assert [e["event"] for e in diff["events"]] == ["RolledBack"]
    by_time = json.loads(
        run(demo_dir, "diff", "credit-risk-scorer", "--from", rolled["recorded_at"]).stdout
    )
    assert by_time["from_version"] == version


def test_the_demo_inventory_has_a_retired_model_and_an_independent_validation(
    demo_dir: Path,
) -> None:
    inventory = json.loads(run(demo_dir, "inventory").stdout)
    by_name = {entry["model"]: entry for entry in inventory["models"]}
    assert by_name["branch-staffing-planner"]["status"] == "retired"
    scorer = by_name["credit-risk-scorer"]
    assert scorer["last_independent_validation_by"] == "nadia.haddad"
    assert scorer["next_revalidation_due"] and scorer["missing"] == []
    assert inventory["totals"]["models"] == 7
