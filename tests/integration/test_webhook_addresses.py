"""Where webhooks may go: never to this machine or its network unless an admin allows the host,
judged on the address actually connected to (DNS rebinding gets nowhere); failures as classes."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from domain.commands import ChangeGamePlan
from infrastructure.webhooks.guard import AllowList
from tests.factories import by
from tests.webhook_doubles import NAME, Hooks, Lab, Receiver

# A route to each of these, on the receiver's port, would land on the receiver in the lab.
CLOSED = [
    "http://127.0.0.1:{port}/hooks",
    "https://10.1.2.3:{port}/hooks",
    "https://169.254.169.254:{port}/latest/meta-data",
    "http://[::1]:{port}/hooks",
    "http://localhost:{port}/hooks",
    "https://receiver.test:{port}/hooks",  # a name the lab resolves to 127.0.0.1
    "https://[::ffff:127.0.0.1]:{port}/hooks",  # IPv4-mapped IPv6
    "https://[::ffff:a9fe:a9fe]:{port}/hooks",  # 169.254.169.254, mapped
    "https://2130706433:{port}/hooks",  # 127.0.0.1 spelt as one number
    "https://100.64.0.1:{port}/hooks",  # carrier-grade NAT
    "https://mixed.test:{port}/hooks",  # one public and one private answer
]


def _lab_and_receiver(receiver: Receiver) -> tuple[Lab, str]:
    server, url = receiver.serve()
    port = server.server_address[1]
    names = {"receiver.test": [["127.0.0.1"]], "mixed.test": [["93.184.216.34", "10.0.0.7"]]}
    return Lab(port=port, names=names), url


def _attempts(hooks: Hooks) -> list[str | None]:
    rows = hooks.sql.execute("SELECT error FROM modelgov_webhook_deliveries ORDER BY attempt")
    return [row[0] for row in rows]


@pytest.mark.parametrize("route", CLOSED)
def test_a_route_to_a_closed_address_is_blocked_and_nothing_is_sent(
    hooks: Hooks, receiver: Receiver, route: str
) -> None:
    lab, _ = _lab_and_receiver(receiver)
    hooks.subscribe(route.format(port=lab.port))

    hooks.deliverer(network=lab, allow=AllowList(), max_attempts=1).deliver_due()

    [delivery] = hooks.deliverer().deliveries(NAME)
    assert (delivery["status"], delivery["last_error"]) == ("failed", "blocked address")
    assert _attempts(hooks) == ["blocked address"]
    assert receiver.connections == 0 and lab.connected == []


def test_the_same_receiver_gets_its_delivery_once_an_admin_allows_its_host(
    hooks: Hooks, receiver: Receiver
) -> None:
    lab, url = _lab_and_receiver(receiver)
    hooks.subscribe(url)
    another_port = AllowList([("127.0.0.1", lab.port + 1)])
    hooks.deliverer(network=lab, allow=another_port, max_attempts=1).deliver_due()
    assert receiver.connections == 0  # the allow-list names another port of that host

    allowed = hooks.deliverer(network=lab, allow=AllowList([("127.0.0.1", lab.port)]))
    assert allowed.redeliver(NAME) == 1  # `modelgov webhooks redeliver`, once the admin allowed it
    allowed.deliver_due()

    [delivery] = allowed.deliveries(NAME)
    assert (delivery["status"], delivery["last_error"]) == ("delivered", None)
    assert _attempts(hooks) == ["blocked address", None]
    assert len(receiver.requests) == 1 and lab.connected == ["127.0.0.1"]


def test_a_name_that_turns_to_loopback_after_the_check_does_not_get_through(
    hooks: Hooks, receiver: Receiver
) -> None:
    lab, _ = _lab_and_receiver(receiver)
    # DNS rebinding: a public answer first, this machine on every later lookup.
    lab.names["rebind.test"] = [["93.184.216.34"], ["127.0.0.1"]]
    hooks.subscribe(f"https://rebind.test:{lab.port}/hooks")
    deliverer = hooks.deliverer(network=lab, allow=AllowList(), base_delay=0.0, max_attempts=2)

    # Attempt 1 connects to the public address it checked (refused: the lab has no Internet);
    # attempt 2 resolves again, gets loopback and is blocked.
    deliverer.deliver_due()

    assert _attempts(hooks) == ["refused", "blocked address"]
    assert lab.resolved == ["rebind.test", "rebind.test"]  # once per attempt
    assert lab.connected == ["93.184.216.34"]
    assert receiver.connections == 0


def test_https_names_the_url_host_to_tls_while_connecting_to_the_checked_address(
    hooks: Hooks, receiver: Receiver, tmp_path: Path
) -> None:
    server, _ = receiver.serve(tls_for="receiver.test", folder=tmp_path)
    lab = Lab(port=server.server_address[1], names={"receiver.test": [["127.0.0.1"]]})
    hooks.subscribe(f"https://receiver.test:{lab.port}/hooks")

    allowed = AllowList([("receiver.test", None)])
    hooks.deliverer(network=lab, allow=allowed, max_attempts=1).deliver_due()

    assert lab.connected == ["127.0.0.1"]
    assert receiver.server_names == ["receiver.test"]  # SNI: the URL's host, not the address
    assert _attempts(hooks) == ["TLS"]  # its self-signed certificate is not trusted
    assert receiver.requests == []


def test_failures_are_recorded_as_classes_not_as_error_text(hooks: Hooks) -> None:
    redirecting, hanging = Receiver(status=302), Receiver(hang=threading.Event())
    (server, redirect_url), (hung_server, hung_url) = redirecting.serve(), hanging.serve()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        refused_url = f"http://127.0.0.1:{unused.getsockname()[1]}/hooks"  # nothing listens
    routes = [redirect_url, hung_url, refused_url, "https://nowhere.test/hooks"]
    hooks.app.handle(
        ChangeGamePlan(name=NAME, game_plan={"notifications": [{"url": url} for url in routes]}),
        by=by("co", "four receivers"),
    )
    hooks.outbox.catch_up()
    try:
        hooks.deliverer(timeout=0.5, network=Lab(), max_attempts=1).deliver_due()
    finally:
        assert hanging.hang is not None
        hanging.hang.set()
        server.shutdown()
        hung_server.shutdown()

    errors = {row["url"]: row["last_error"] for row in hooks.deliverer().deliveries(NAME)}
    assert errors == {
        redirect_url: "HTTP 302", hung_url: "timeout", refused_url: "refused",
        "https://nowhere.test/hooks": "unresolved host",
    }  # fmt: skip
    assert sorted(_attempts(hooks)) == sorted(errors.values())
