"""Processes opening one SQLite store at once take turns at creating its tables (store.setup_lock):
one that finds the set-up under way waits for it instead of failing on SQLite's lock timeout."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

from infrastructure.db.store import open_governance, setup_lock
from tests.conftest import environ_for, settings_for

ROOT = Path(__file__).resolve().parents[2]

OPEN_AND_WRITE = """
import sys
from infrastructure.db.store import open_governance
from infrastructure.settings import get_settings
from tests.factories import seed_app_model
governance = open_governance(get_settings())
seed_app_model(governance, name=sys.argv[1])
governance.close()
"""


def _opening(tmp_path: Path, name: str) -> subprocess.Popen[str]:
    environ = {**environ_for("sqlite", tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", OPEN_AND_WRITE, name], cwd=ROOT, env=environ, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_a_process_opening_a_new_store_waits_while_another_sets_it_up(tmp_path: Path) -> None:
    settings = settings_for("sqlite", tmp_path)
    with setup_lock(settings):  # as a process creating the tables holds it
        waiting = _opening(tmp_path, "churn")
        with contextlib.suppress(subprocess.TimeoutExpired):
            waiting.wait(timeout=3)
        assert waiting.poll() is None, waiting.communicate()  # still waiting for the set-up
    _out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err


def test_processes_opening_one_new_store_at_once_all_open_it_and_write(tmp_path: Path) -> None:
    names = [f"model-{number}" for number in range(6)]
    opening = [_opening(tmp_path, name) for name in names]
    for process in opening:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    governance = open_governance(settings_for("sqlite", tmp_path))
    try:
        assert sorted(governance.registered_model_names()) == names
    finally:
        governance.close()
