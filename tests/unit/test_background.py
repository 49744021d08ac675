"""Background threads: a failing loop is logged under modelgov's own logger and started again."""

from __future__ import annotations

import logging
import threading

import pytest

from infrastructure import background


def test_a_failing_loop_is_logged_as_modelgovs_and_started_again(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "RESTART_PAUSE_SECONDS", 0.01)
    runs: list[int] = []
    second_run = threading.Event()

    def loop(stop: threading.Event) -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("the store went away")
        second_run.set()
        stop.wait()

    with caplog.at_level(logging.ERROR, logger="modelgov"):
        stopper = background.follow(loop, "modelgov-test-loop")
        assert second_run.wait(5)
        stopper()
    assert len(runs) == 2
    [record] = [r for r in caplog.records if r.name == "modelgov.background"]
    assert record.getMessage() == "modelgov-test-loop failed; starting again in 0.01 s"
    assert record.exc_info is not None and "the store went away" in str(record.exc_info[1])
