"""One request, few rooms: the project files an activation passes through, from the route to the
stored event, counted on the running code (the request's thread and the committer's)."""

from __future__ import annotations

import sys
import threading
import traceback
from pathlib import Path
from typing import Any

import pytest

from infrastructure.db import recorders
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.api.conftest import api_over
from tests.conftest import settings_for
from tests.factories import seed_app_model

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("domain", "application", "infrastructure", "reports")


def _project_files(stack: traceback.StackSummary) -> list[str]:
    """The project files of a stack, outermost first, one entry per run of frames in one file."""
    runs: list[str] = []
    for frame in stack:
        path = Path(frame.filename).resolve()
        if not path.is_relative_to(ROOT) or path.relative_to(ROOT).parts[0] not in PROJECT:
            continue
        name = str(path.relative_to(ROOT))
        if not runs or runs[-1] != name:
            runs.append(name)
    return runs


@pytest.fixture
def stacks_at_insert(monkeypatch: pytest.MonkeyPatch) -> list[list[list[str]]]:
    """At each insert of events: the project files on every thread's stack that has any."""
    seen: list[list[list[str]]] = []
    recorder_classes = [
        cls for cls in vars(recorders).values()
        if isinstance(cls, type) and "_insert_events" in vars(cls)
    ]  # fmt: skip
    for cls in recorder_classes:
        original = cls._insert_events

        def spy(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            frames = sys._current_frames()
            seen.append([
                files for thread in threading.enumerate()
                if thread.ident in frames
                and (files := _project_files(traceback.extract_stack(frames[thread.ident])))
            ])  # fmt: skip
            return __original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "_insert_events", spy)
    return seen


def test_an_activation_goes_from_route_to_stored_event_through_six_files_at_most(
    tmp_path: Path, stacks_at_insert: list[list[list[str]]]
) -> None:
    settings: Settings = settings_for("sqlite", tmp_path)
    governance = open_governance(settings)
    version = seed_app_model(governance)
    governance.close()
    with api_over(settings) as api:
        stacks_at_insert.clear()
        answer = api.post(
            "/v1/models/churn/activations",
            {"version": version, "environment": "production"},
            role="ml_engineer",
        )
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    assert stacks_at_insert, "the activation stored nothing"
    for threads in stacks_at_insert:  # its events and receipt (and any snapshot the library takes)
        request = next(t for t in threads if "infrastructure/api/routes_commands.py" in t)
        storing = next(t for t in threads if t[-1] == "infrastructure/db/recorders.py")
        rooms = set(request) | set(storing)
        assert len(rooms) <= 6, sorted(rooms)
        for stack in (request, storing):
            # No call back up: a file the call has left is never entered again further down.
            assert len(stack) == len(set(stack)), stack
        assert request[0] == "infrastructure/api/routes_commands.py"
