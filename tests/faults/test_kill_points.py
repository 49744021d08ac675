"""kill -9 of a real `modelgov serve` at each named point of a command, then a retry with the same key."""

from __future__ import annotations

import signal

import httpx2
import pytest

from tests.faults.conftest import COSTS, Store, cost
from tests.faults.live import LiveServer


@pytest.mark.parametrize("point", ["before_commit", "after_commit", "during_response"])
def test_a_command_killed_at_any_point_is_recorded_once_and_its_retry_tells_what_happened(
    point: str, store: Store, server: LiveServer
) -> None:
    version_before = store.revision()
    server.start(fault=f"{point}:kill")
    with pytest.raises(httpx2.TransportError):
        server.post(COSTS, cost("10.00"), key="cost-1")
    assert server.wait_dead() == -signal.SIGKILL

    server.start()
    retried = server.post(COSTS, cost("10.00"), key="cost-1")
    again = server.post(COSTS, cost("10.00"), key="cost-1")

    assert store.cost_amounts() == ["10.00"]
    assert retried.status_code == again.status_code == 200  # never a 409 "in flight"
    revision = version_before + 1
    committed = {"model": "churn", "model_revision": revision, "model_version": revision,
                 "result": None}  # fmt: skip
    assert retried.json() == again.json() == committed
    assert retried.headers["etag"] == again.headers["etag"] == f'"{version_before + 1}"'
    if point == "before_commit":  # nothing was recorded: the retry ran it
        assert "idempotent-replayed" not in retried.headers
    else:  # it was recorded: the retry gets the answer the dead process never sent
        assert retried.headers["idempotent-replayed"] == "true"
    assert again.headers["idempotent-replayed"] == "true"
