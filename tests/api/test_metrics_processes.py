"""Several API processes, one metrics directory: a scrape of any of them sums the counts of all
(prometheus_client's multiprocess mode, the directory prepared once by `serve`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infrastructure.metrics.instruments import MULTIPROCESS_ENV, prepare_metrics_directory
from tests.api.metrics_scrape import samples_of, value
from tests.conftest import environ_for, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_preparing_the_directory_empties_the_counts_of_an_earlier_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_12345.db").write_bytes(b"an earlier run's counts")
    monkeypatch.setenv(MULTIPROCESS_ENV, str(directory))  # restored after the test

    assert prepare_metrics_directory(port=8123) == directory

    assert list(directory.iterdir()) == []
    assert os.environ[MULTIPROCESS_ENV] == str(directory)


def test_without_a_directory_named_one_of_this_users_own_per_port_is_made_and_emptied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Set, then taken away: monkeypatch then takes away what `prepare` sets when the test ends.
    monkeypatch.setenv(MULTIPROCESS_ENV, "to be taken away")
    monkeypatch.delenv(MULTIPROCESS_ENV)
    port = free_port()
    first = prepare_metrics_directory(port=port)
    (first / "counter_1.db").write_bytes(b"the counts of a run stopped by a signal")

    monkeypatch.delenv(MULTIPROCESS_ENV)  # a new `serve` on the same port
    again = prepare_metrics_directory(port=port)

    assert again == first and list(again.iterdir()) == []
    assert again.stat().st_uid == os.getuid() and again.stat().st_mode & 0o077 == 0
    assert os.environ[MULTIPROCESS_ENV] == str(again)  # for the processes started after it
    monkeypatch.delenv(MULTIPROCESS_ENV)
    other = prepare_metrics_directory(port=port + 1)
    assert other != first  # another serve, another directory
    for made in (first, other):
        made.rmdir()


def test_two_processes_writing_into_one_directory_are_summed_by_a_third_ones_scrape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path / "metrics"))
    directory = prepare_metrics_directory(port=8123)
    environ = {
        **os.environ, **environ_for("sqlite", tmp_path), "PYTHONPATH": str(ROOT),
        MULTIPROCESS_ENV: str(directory),
    }  # fmt: skip

    def process(*arguments: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "tests.api.metrics_process", *arguments]
        return subprocess.Popen(command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, text=True)

    writers = [process("write", "churn-a"), process("write", "churn-b")]
    for writer in writers:
        writer.communicate(timeout=120)
        assert writer.returncode == 0
    scraper = process("scrape")
    text, _ = scraper.communicate(timeout=120)
    assert scraper.returncode == 0

    found = samples_of(text)
    requests = "modelgov_http_requests_total"
    assert value(found, requests, method="POST", route="/v1/models", status="201") == 2
    assert value(found, requests, method="GET", route="/v1/models/{name}", status="404") == 2
    assert value(found, "modelgov_http_problems_total", type="model_not_found", status="404") == 2
    assert value(found, "modelgov_events_appended_total", type="Registered") == 2
    assert value(found, "modelgov_http_request_duration_seconds_count", method="POST",
                 route="/v1/models", status="201") == 2  # fmt: skip
    assert len(list(directory.glob("*.db"))) >= 2  # each process wrote files of its own
