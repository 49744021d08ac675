"""One request, few rooms: the project files an activation passes through, from the route to the
stored event, counted on the running code: the request's, where it hands its command to the group
committer (the route awaits its commit without a thread of its own), and the committer's thread."""

from __future__ import annotations

import asyncio
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

import pytest

from application.commit import GroupCommitter, Job
from infrastructure.db import recorders
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.api.conftest import api_over
from tests.conftest import settings_for
from tests.factories import seed_app_model

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("domain", "application", "infrastructure", "reports")
ON_LOOP = "on the event loop"


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
def handed_over(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The project files on the request's stack each time it hands a command to the committer,
    after a marker: `on the event loop` if it hands it over from one (not from a worker thread)."""
    seen: list[list[str]] = []
    original = GroupCommitter.enqueue

    def spy(self: GroupCommitter, job: Job) -> Any:
        on_loop = asyncio._get_running_loop() is not None
        seen.append(
            [ON_LOOP if on_loop else "in a thread", *_project_files(traceback.extract_stack())]
        )
        return original(self, job)

    monkeypatch.setattr(GroupCommitter, "enqueue", spy)
    return seen


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
    tmp_path: Path, handed_over: list[list[str]], stacks_at_insert: list[list[list[str]]]
) -> None:
    settings: Settings = settings_for("sqlite", tmp_path)
    governance = open_governance(settings)
    version = seed_app_model(governance)
    governance.close()
    with api_over(settings) as api:
        handed_over.clear()
        stacks_at_insert.clear()
        answer = api.post(
            "/v1/models/churn/activations",
            {"version": version, "environment": "production"},
            role="ml_engineer",
        )
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    assert stacks_at_insert, "the activation stored nothing"
    assert len(handed_over) == 1, handed_over  # one command, committed on its first run
    assert handed_over[0][0] == ON_LOOP  # the route awaits its commit: no worker thread held
    # From the route down (the middleware's frames are above it on the event loop's stack).
    route = "infrastructure/api/routes_commands.py"
    assert route in handed_over[0], handed_over[0]
    request = handed_over[0][handed_over[0].index(route) :]
    for threads in stacks_at_insert:  # its events and receipt (and any snapshot the library takes)
        storing = next(t for t in threads if t[-1] == "infrastructure/db/recorders.py")
        rooms = set(request) | set(storing)
        assert len(rooms) <= 6, sorted(rooms)
        for stack in (request, storing):
            # No call back up: a file the call has left is never entered again further down.
            assert len(stack) == len(set(stack)), stack
