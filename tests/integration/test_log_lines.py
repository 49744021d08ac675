"""`modelgov serve` as a process, its stderr read line by line: with `--log-format json` every line
is a JSON object (time in UTC with Z, level, logger, message, fields), a request's lines carry its
id, and modelgov's own lines are there with their fields: head signed, breach opened, automated
rollback, webhook given up, lag over threshold. The text format reads as lines. Both stores."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.commands import Activate, ApproveRelease, ChangeGamePlan, RegisterVersion, SetTarget
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.ledger.keys import write_key_pair
from infrastructure.settings import get_settings
from tests.conftest import environ_for, free_port, wait_until
from tests.factories import T0, by, card, registration
from tests.integration.test_cli import MODELGOV

NAME = "scorer"
UTC_MILLISECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """A model whose version 2 serves in production over version 1, with an accuracy target, a
    game plan that rolls back, a webhook route to a receiver that is not there (one attempt
    allowed), and a token to post figures; the read models not built yet (the lag to log)."""
    schema = request.getfixturevalue("pg_schema") if request.param == "postgres" else ""
    nobody = free_port()
    environ = environ_for(
        request.param, tmp_path, schema, MODELGOV_SEAL_EVERY_SECONDS="1",
        MODELGOV_LAG_WARNING_EVENTS="1", MODELGOV_WEBHOOK_MAX_ATTEMPTS="1",
        MODELGOV_WEBHOOK_ALLOW_HOSTS=f"127.0.0.1:{nobody}",
    )  # fmt: skip
    settings = get_settings(environ)
    write_key_pair(settings.signing_key_file, passphrase=None)
    governance = open_governance(settings, create_key=True)
    try:
        governance.handle(registration(NAME, "low"), by=by("eng"))
        for version in (1, 2):
            at = T0 + timedelta(hours=version)
            governance.handle(RegisterVersion(name=NAME, card=card()), by=by("eng", at=at))
            governance.handle(ApproveRelease(name=NAME, version=version), by=by("ds", "ok", at=at))
            governance.handle(
                Activate(name=NAME, version=version, environment="production"), by=by("ops", at=at)
            )
        governance.handle(
            SetTarget(name=NAME, dimension="accuracy", metric="auc", comparator=">=",
                      threshold=0.8, severity="critical"),
            by=by("ds", at=T0 + timedelta(hours=3)),
        )  # fmt: skip
        plan = {
            "notifications": [{"url": f"http://127.0.0.1:{nobody}/hook", "events": ["BreachOpened"]}],
            "responses": [{"dimension": "accuracy", "environment": "production",
                           "min_severity": "critical", "action": "roll_back"}],
        }  # fmt: skip
        governance.handle(
            ChangeGamePlan(name=NAME, game_plan=plan), by=by("co", "page and roll back", at=T0)
        )
    finally:
        governance.close()
    sql = SqlRunner(settings.database)
    try:
        environ["token"] = TokenStore(sql).create(principal="ops.pipeline", role="devops_engineer")
    finally:
        sql.close()
    return environ


@contextmanager
def served(directory: Path, env: dict[str, str], *options: str) -> Iterator[tuple[int, Path]]:
    """`modelgov serve` on a free port, its stderr in a file, until the block ends."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
    environ |= {k: v for k, v in env.items() if k.startswith("MODELGOV_")}
    stderr = directory / f"serve-{port}.err"
    with open(stderr, "wb") as errors, open(directory / f"serve-{port}.out", "wb") as output:
        process = subprocess.Popen(
            [MODELGOV, "serve", "--port", str(port), *options],
            cwd=directory, env=environ, stdout=output, stderr=errors,
        )  # fmt: skip
    try:
        assert wait_until(lambda: "Uvicorn running" in stderr.read_text(), timeout=60), (
            stderr.read_text()
        )
        yield port, stderr
    finally:
        process.terminate()
        process.wait(timeout=30)


def send(port: int, path: str, *, request_id: str, token: str = "", body: Any = None) -> int:
    headers = {"X-Request-ID": request_id, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def json_lines(stderr: Path) -> list[dict[str, Any]]:
    """Every line of stderr, each parsed as JSON (a line that is not fails the test here)."""
    return [json.loads(line) for line in stderr.read_text().splitlines()]


def the_line(stderr: Path, message_start: str) -> dict[str, Any] | None:
    return next((e for e in json_lines(stderr) if e["message"].startswith(message_start)), None)


def test_json_lines_carry_the_request_id_and_modelgovs_own_lines_their_fields(
    store: dict[str, str], tmp_path: Path
) -> None:
    request_id = f"logs-{uuid.uuid4().hex[:12]}"
    with served(tmp_path, store, "--log-format", "json") as (port, stderr):
        figures = [{"metric": "auc", "value": 0.7, "version": 2, "environment": "production",
                    "observed_at": datetime.now(UTC).isoformat()}]  # fmt: skip
        posted = send(port, f"/v1/models/{NAME}/metrics", request_id=request_id,
                      token=store["token"], body={"observations": figures})  # fmt: skip
        assert posted == 202
        expected = ("signed tree head", "lag over threshold", "breach opened",
                    "automated rollback", "webhook given up")  # fmt: skip
        assert wait_until(lambda: all(the_line(stderr, start) for start in expected), timeout=60), (
            stderr.read_text()
        )

    lines = json_lines(stderr)
    for entry in lines:
        assert {"time", "level", "logger", "message"} <= set(entry), entry
        assert UTC_MILLISECONDS.match(entry["time"]), entry
    [access] = [e for e in lines if e["logger"] == "uvicorn.access"]
    assert access["request_id"] == request_id
    assert (access["method"], access["path"], access["status"]) == (
        "POST",
        f"/v1/models/{NAME}/metrics",
        202,
    )
    # Lines of the background threads belong to no request.
    assert all(e.get("request_id") in (None, request_id) for e in lines)

    head = the_line(stderr, "signed tree head")
    assert head is not None and head["logger"] == "modelgov.ledger" and head["level"] == "INFO"
    assert head["tree_size"] >= 9 and len(head["root"]) == 64 and head["key_id"]
    breach = the_line(stderr, "breach opened")
    assert breach is not None and breach["logger"] == "modelgov.monitoring"
    assert (breach["model"], breach["version"], breach["environment"], breach["metric"]) == (
        NAME,
        2,
        "production",
        "auc",
    )
    assert breach["observed_value"] == 0.7 and breach["severity"] == "critical"
    rollback = the_line(stderr, "automated rollback")
    assert rollback is not None and rollback["level"] == "WARNING"
    assert (rollback["model"], rollback["from_version"], rollback["to_version"]) == (NAME, 2, 1)
    assert rollback["breach"] == breach["breach_id"]
    given_up = the_line(stderr, "webhook given up")
    assert given_up is not None and given_up["logger"] == "modelgov.webhooks"
    assert (given_up["model"], given_up["attempts"], given_up["level"]) == (NAME, 1, "ERROR")
    assert given_up["url"].endswith("/hook")
    lag = the_line(stderr, "lag over threshold")
    assert lag is not None and lag["threshold"] == 1 and lag["lag"] >= 1
    assert [e["message"] for e in lines].count(lag["message"]) == 1  # when crossing, not per loop


def test_text_lines_read_as_time_level_logger_and_message_with_the_request_id(
    store: dict[str, str], tmp_path: Path
) -> None:
    """MODELGOV_LOG_FORMAT=json says JSON; --log-format text says otherwise, and wins."""
    request_id = f"text-{uuid.uuid4().hex[:12]}"
    environ = {**store, "MODELGOV_LOG_FORMAT": "json"}
    with served(tmp_path, environ, "--log-format", "text", "--no-monitor") as (port, stderr):
        assert send(port, "/healthz", request_id=request_id) == 200
        assert wait_until(lambda: "/healthz" in stderr.read_text(), timeout=30)
    lines = stderr.read_text().splitlines()
    line_shape = re.compile(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARNING|ERROR) [\w.]+: "
    )
    assert all(line_shape.match(line) for line in lines), lines
    [access] = [line for line in lines if "/healthz" in line]
    assert access.endswith(f'"GET /healthz HTTP/1.1" 200 [request {request_id}]')
    loop_line = re.compile(r" INFO modelgov\.serve: process \d+ answers on the uvloop event loop$")
    assert any(loop_line.search(line) for line in lines), lines


def test_the_setting_alone_makes_the_lines_json(tmp_path: Path) -> None:
    environ = environ_for("sqlite", tmp_path, MODELGOV_LOG_FORMAT="json")
    with served(tmp_path, environ, "--no-monitor", "--no-seal") as (port, stderr):
        assert send(port, "/healthz", request_id="plain-json") == 200
        assert wait_until(lambda: "/healthz" in stderr.read_text(), timeout=30)
    assert any(e.get("request_id") == "plain-json" for e in json_lines(stderr))


def test_a_job_followed_on_its_own_logs_as_serve_does(
    store: dict[str, str], tmp_path: Path
) -> None:
    """`ledger seal --follow` (as each `--follow` command) logs in MODELGOV_LOG_FORMAT: its head
    signed is a JSON line, not lost for want of a handler."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
    environ |= {k: v for k, v in store.items() if k.startswith("MODELGOV_")}
    environ["MODELGOV_LOG_FORMAT"] = "json"
    stderr = tmp_path / "seal.err"
    with open(stderr, "wb") as errors:
        sealing = subprocess.Popen(
            [MODELGOV, "ledger", "seal", "--follow"], cwd=tmp_path, env=environ,
            stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
    try:
        assert wait_until(lambda: the_line(stderr, "signed tree head"), timeout=60), (
            stderr.read_text()
        )
    finally:
        sealing.terminate()
        sealing.wait(timeout=30)
    head = the_line(stderr, "signed tree head")
    assert head is not None and head["logger"] == "modelgov.ledger" and head["tree_size"] >= 9
