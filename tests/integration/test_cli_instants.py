"""The CLI's instants: options read with any offset (refused without one), output in UTC with `Z`,
on SQLite and PostgreSQL, also for events an earlier release stored with an offset."""

from __future__ import annotations

import json
from pathlib import Path

from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.api.test_instants_api import UTC_Z, WITH_OFFSET, instants_in
from tests.conftest import environ_for
from tests.factories import offset_history
from tests.integration.test_cli import run


def _seeded(backend: Settings, tmp_path: Path) -> dict[str, str]:
    app = open_governance(backend)
    offset_history(app)
    app.close()
    return environ_for(backend.database.kind, tmp_path, backend.database.schema)


def test_cli_output_writes_every_instant_in_utc_with_z(backend: Settings, tmp_path: Path) -> None:
    env = _seeded(backend, tmp_path)
    assert run(tmp_path, "tokens", "create", "--name", "ci", "--role", "auditor",
               "--expires-in", "30d", env=env).returncode == 0  # fmt: skip
    outputs = {
        " ".join(args): run(tmp_path, *args, env=env)
        for args in (
            ("history", "churn", "--json"), ("history", "churn"), ("show", "churn", "--json"),
            ("replay", "churn", "--revision", "5", "--json"),
            ("diff", "churn", "--from", "1", "--to", "7"), ("tokens", "list", "--json"),
            ("tokens", "list"),
        )
    }  # fmt: skip
    for command, result in outputs.items():
        assert result.returncode == 0, (command, result.stderr)
        assert not WITH_OFFSET.search(result.stdout), command
    for command in ("history churn --json", "show churn --json", "tokens list --json"):
        found = instants_in(json.loads(outputs[command].stdout))
        assert found and all(UTC_Z.match(text) for text in found), (command, found)
    history = json.loads(outputs["history churn --json"].stdout)
    assert [e["effective_at"] for e in history[-3:]] == [
        "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z",
    ]  # fmt: skip
    assert "effective 2026-01-05T10:00:00Z" in outputs["history churn"].stdout


def test_cli_times_with_any_offset_mean_the_same_instant(backend: Settings, tmp_path: Path) -> None:
    env = _seeded(backend, tmp_path)

    def active_at(moment: str) -> dict[str, int]:
        result = run(tmp_path, "replay", "churn", "--at", moment, "--json", env=env)
        assert result.returncode == 0, result.stderr
        return dict(json.loads(result.stdout)["active"])

    assert active_at("2026-01-05T15:30:00+05:00") == {"staging": 1}  # 10:30Z
    assert active_at("2026-01-05T03:30:00-08:00") == {"production": 2, "staging": 1}  # 11:30Z
    assert active_at("2026-01-05T12:30:00Z") == {"production": 2}


def test_a_cli_time_without_a_zone_is_refused(backend: Settings, tmp_path: Path) -> None:
    env = _seeded(backend, tmp_path)
    refused = run(tmp_path, "replay", "churn", "--at", "2026-01-05T11:30:00", "--json", env=env)
    assert refused.returncode == 2
    assert "must carry a time zone" in refused.stderr and "Traceback" not in refused.stderr
