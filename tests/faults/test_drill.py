"""A bounded drill: client threads retry their keys while servers are killed -9 or race each other."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2

from tests.conftest import wait_until
from tests.faults.conftest import COSTS, Store, cost
from tests.faults.live import LiveServer

THREADS = 6
COMMANDS_PER_THREAD = 5
KILLS = 3


def _until_answered(
    server: LiveServer, key: str, amount: str, *, deadline: float
) -> httpx2.Response:
    """Send the command until it is answered, as a careful client does (same key every time)."""
    while time.monotonic() < deadline:
        try:
            answer = server.post(COSTS, cost(amount), key=key)
        except httpx2.TransportError:  # the server is down or died mid-request
            time.sleep(0.02)  # a client's back-off, not a synchronisation
            continue
        assert answer.status_code != 409, answer.text  # never "in flight"
        if answer.status_code < 500:
            return answer
        # A 5xx must say what it left behind; either way the same key may be sent again.
        assert answer.json()["type"].rsplit("/", 1)[1] in ("not_recorded", "outcome_unknown")
    raise AssertionError(f"{key} was never answered")


def test_under_repeated_kill_9_every_acknowledged_command_is_recorded_exactly_once(
    store: Store, server: LiveServer
) -> None:
    server.start()
    answers: dict[str, tuple[str, httpx2.Response]] = {}
    deadline = time.monotonic() + 90

    def client(thread: int) -> None:
        for i in range(COMMANDS_PER_THREAD):
            key, amount = f"drill-{thread}-{i}", f"{thread + 1}.{i:02d}"
            answers[key] = (amount, _until_answered(server, key, amount, deadline=deadline))

    threads = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for kill in range(1, KILLS + 1):
        assert wait_until(lambda k=kill: len(answers) >= 6 * k, timeout=60)
        server.kill()  # at whatever moment the commands in flight are in
        server.start()
    for thread in threads:
        thread.join(timeout=90)

    assert len(answers) == THREADS * COMMANDS_PER_THREAD
    recorded = store.costs_by_revision()
    assert sorted(recorded.values()) == sorted(amount for amount, _ in answers.values())
    for amount, answer in answers.values():
        assert answer.status_code == 200, answer.text
        assert recorded[answer.json()["model_revision"]] == amount  # the answer is its own event's


def test_two_servers_given_the_same_key_at_once_record_it_once_and_answer_alike(
    store: Store, server: LiveServer
) -> None:
    other = LiveServer(store.environ, workdir=store.workdir, token=store.token)
    server.start()
    other.start()
    try:
        keys = [f"twin-{i}" for i in range(4)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            barrier = threading.Barrier(4)

            def send(job: tuple[LiveServer, str]) -> httpx2.Response:
                barrier.wait(timeout=30)
                return job[0].post(COSTS, cost(job[1].removeprefix("twin-") + ".50"), key=job[1])

            for key in keys:  # each key to both servers, twice, at the same moment
                jobs = [(server, key), (other, key), (server, key), (other, key)]
                answers = list(pool.map(send, jobs))
                assert {a.status_code for a in answers} == {200}
                assert len({a.text for a in answers}) == 1
                assert sum("idempotent-replayed" not in a.headers for a in answers) == 1
    finally:
        other.stop()
    assert sorted(store.cost_amounts()) == sorted(f"{i}.50" for i in range(4))
