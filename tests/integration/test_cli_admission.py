"""`modelgov admission check` against the local store: exit 0 allowed, 1 denied with the reason,
2 bad input; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from domain.commands import Activate
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.conftest import environ_for
from tests.factories import by, seed_app_model
from tests.integration.test_cli import run

DIGEST = "ab" * 32  # tests.factories.card's artifact


def _serving(backend: Settings, tmp_path: Path) -> dict[str, str]:
    app = open_governance(backend)
    version = seed_app_model(app)
    app.handle(Activate(name="churn", version=version, environment="production"), by=by("ops"))
    app.close()
    return environ_for(backend.database.kind, tmp_path, backend.database.schema)


def test_admission_check_exits_by_its_answer(backend: Settings, tmp_path: Path) -> None:
    env = _serving(backend, tmp_path)

    def check(*args: str) -> tuple[int, str, str]:
        result = run(tmp_path, "admission", "check", *args, env=env)
        return result.returncode, result.stdout, result.stderr

    code, out, _ = check("--artifact-sha256", DIGEST, "--environment", "production")
    assert code == 0 and out.startswith("allowed: version 1 of model 'churn'"), out
    code, out, _ = check("--artifact-sha256", DIGEST.upper(), "--environment", "staging", "--json")
    answer = json.loads(out)
    assert code == 1 and answer["allowed"] is False and "not active in staging" in answer["reason"]
    code, out, _ = check("--artifact-sha256", "cd" * 32, "--environment", "production")
    assert code == 1 and out.startswith("denied: no registered version"), out
    for bad in (("--artifact-sha256", "xyz", "--environment", "production"),
                ("--artifact-sha256", DIGEST, "--environment", "Prod"),
                ("--artifact-sha256", DIGEST)):  # fmt: skip
        code, out, err = check(*bad)
        assert code == 2 and "Traceback" not in err, (bad, err)


def test_admission_check_help_says_its_exit_codes(tmp_path: Path) -> None:
    text = " ".join(run(tmp_path, "admission", "check", "--help").stdout.split())
    assert "Here: 0 allowed; 1 denied (the reason is printed); 2 bad input" in text
    assert "Exit codes: 0 done;" in text  # and the codes every local command shares
