"""Which addresses webhooks may reach, how the admin's allow-list reads, how failures are shown."""

from __future__ import annotations

import re

import pytest

from infrastructure.errors import SettingsError
from infrastructure.settings import get_settings
from infrastructure.webhooks.guard import AllowList, blocked, refusal_of_route
from infrastructure.webhooks.transport import shown_failure

CLOSED = [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.1", "240.0.0.1", "192.0.2.1",
    "::1", "::", "fe80::1", "fe80::1%2", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
    "2002:7f00:1::1", "2002:a00:1::1", "64:ff9b::a00:1", "2001:db8::1",
]  # fmt: skip
OPEN = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "2a00:1450:4001::200e"]


@pytest.mark.parametrize("address", CLOSED)
def test_loopback_private_link_local_and_other_non_public_addresses_are_blocked(
    address: str,
) -> None:
    assert blocked(address)


@pytest.mark.parametrize("address", OPEN)
def test_public_addresses_are_open(address: str) -> None:
    assert not blocked(address)


def test_the_allow_list_names_hosts_or_host_and_port_in_any_spelling_of_an_address() -> None:
    settings = get_settings(
        {"MODELGOV_WEBHOOK_ALLOW_HOSTS": "Hooks.Internal, 127.0.0.1:8080, [::1]:9000, 0:0::2"}
    )
    allow = AllowList(settings.webhook_allow_hosts)

    assert allow.allows("hooks.internal", 443) and allow.allows("HOOKS.internal", 8443)
    assert allow.allows("127.0.0.1", 8080) and not allow.allows("127.0.0.1", 8081)
    assert allow.allows("::1", 9000) and allow.allows("::2", 80)
    assert not allow.allows("hooks.internal.", 443)  # exact: a trailing dot is another name
    assert not AllowList().allows("127.0.0.1", 8080)


@pytest.mark.parametrize(
    "entry", ["http://hooks.internal", "hooks:https", "hooks:", "u@hooks", "[::1"]
)
def test_a_malformed_allow_list_entry_stops_the_start_naming_it(entry: str) -> None:
    with pytest.raises(
        SettingsError, match=re.escape(f"MODELGOV_WEBHOOK_ALLOW_HOSTS entry '{entry}'")
    ):
        get_settings({"MODELGOV_WEBHOOK_ALLOW_HOSTS": f"ok.example, {entry}"})


@pytest.mark.parametrize(
    "url",
    ["http://localhost:5440/", "https://api.localhost/x", "https://10.255.255.1/x",
     "https://2130706433/x", "https://127.1/x", "https://[::ffff:7f00:1]/x"],
)  # fmt: skip
def test_a_route_whose_host_alone_is_a_closed_address_is_refused_when_set(url: str) -> None:
    refusal = refusal_of_route(url, allow=AllowList())
    assert refusal is not None and url in refusal and "MODELGOV_WEBHOOK_ALLOW_HOSTS" in refusal


def test_a_route_by_name_or_to_an_allowed_host_is_left_to_delivery() -> None:
    assert refusal_of_route("https://hooks.example/ml", allow=AllowList()) is None
    assert (
        refusal_of_route("http://127.0.0.1:5440/", allow=AllowList([("127.0.0.1", 5440)])) is None
    )


@pytest.mark.parametrize("url", ["https://hooks.example:99999/", "https://[fe80::1/"])
def test_a_route_no_webhook_could_be_sent_to_is_refused_when_set(url: str) -> None:
    refusal = refusal_of_route(url, allow=AllowList())
    assert refusal is not None and url in refusal


def test_errors_recorded_as_text_before_classes_are_shown_as_a_class() -> None:
    assert (
        shown_failure("ConnectionRefusedError: [Errno 111] Connection refused")
        == "connection failed"
    )
    assert [shown_failure(kept) for kept in ("HTTP 302", "refused", "blocked address", None)] == [
        "HTTP 302", "refused", "blocked address", None,
    ]  # fmt: skip
