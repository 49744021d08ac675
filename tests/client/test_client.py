"""modelgov_client against a live `modelgov serve`: a lifecycle with its refusals as typed
exceptions, If-Match, pages as iterators, reads after one's own writes, and retries that reuse the
Idempotency-Key so a lost answer records nothing twice."""

from __future__ import annotations

import threading

import pytest
from modelgov_client import (
    ActivationRefused,
    BadRequest,
    Client,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Refused,
    Retries,
    Unauthorized,
    UnmetGate,
    Unreachable,
)

from tests.client.conftest import Remote, client, registered
from tests.conftest import free_port
from tests.factories import card
from tests.faults.live import ReplyCutter


def test_a_release_goes_live_through_the_client_after_its_refusal_lists_every_unmet_gate(
    remote: Remote,
) -> None:
    registered(remote)
    engineer, devops = client(remote, "ml_engineer"), client(remote, "devops_engineer")
    version = engineer.register_version("loan-default", card=card())
    assert (version.model, version.result, version.model_revision) == ("loan-default", 1, 3)
    assert version.position is not None and not version.replayed
    engineer.record_validation(
        "loan-default", 1, kind="backtest", dataset="loans-2025", metrics={"auc": 0.84}, passed=True
    )

    with pytest.raises(ActivationRefused) as refused:
        devops.activate("loan-default", version=1, environment="production")
    assert isinstance(refused.value, Refused) and refused.value.status == 409
    assert refused.value.code == "activation_refused" and refused.value.detail
    assert refused.value.type == "https://modelgov.dev/problems/activation_refused"
    assert [gate.gate for gate in refused.value.unmet_gates] == [
        "data_scientist_release_approval",
        "distinct_approvers",
    ]
    assert devops.unmet_gates("loan-default", version=1, environment="production") == (
        refused.value.unmet_gates
    )

    client(remote, "data_scientist").approve_release("loan-default", 1, reason="backtest holds")
    approval = client(remote, "business_owner").approve_release("loan-default", 1, reason="ok")
    devops.last_position = approval.position  # read what the owner wrote: Modelgov-After-Position
    model = devops.get_model("loan-default")
    assert model["model_revision"] == 6 and devops.last_etag == '"6"'
    with pytest.raises(PreconditionFailed) as stale:
        devops.activate("loan-default", version=1, environment="production", if_match=5)
    assert stale.value.current_revision == 6
    assert devops.unmet_gates("loan-default", version=1, environment="production") == []
    devops.activate("loan-default", version=1, environment="production", if_match=devops.last_etag)
    assert devops.get_model("loan-default")["active"] == {"production": 1}  # its own write


def test_each_kind_of_refusal_raises_its_own_exception(remote: Remote) -> None:
    registered(remote)
    engineer = client(remote, "ml_engineer")
    with pytest.raises(NotFound):
        engineer.get_model("no-such-model")
    with pytest.raises(BadRequest) as invalid:
        engineer.register_version("loan-default", card=card(artifact_sha256="not a digest"))
    assert invalid.value.status == 422 and invalid.value.errors
    with pytest.raises(Forbidden):
        client(remote, "auditor").register_version("loan-default", card=card())
    with pytest.raises(Unauthorized) as unknown:
        Client(remote.url, token="not-a-token").get_model("loan-default")
    assert not isinstance(unknown.value, Forbidden) and unknown.value.status == 401
    engineer.register_version("loan-default", card=card())
    with pytest.raises(Refused) as refused:  # nothing is active: a rule's refusal, not a conflict
        client(remote, "devops_engineer").deactivate(
            "loan-default", version=1, environment="production", reason="done"
        )
    assert refused.value.status == 409 and not isinstance(refused.value, ActivationRefused)
    nowhere = Client(f"http://127.0.0.1:{free_port()}", retries=Retries(attempts=2, backoff=0.01))
    with pytest.raises(Unreachable):
        nowhere.get_model("loan-default")


def test_lists_are_iterated_page_by_page_to_the_end(remote: Remote) -> None:
    names = [f"model-{number:02}" for number in range(7)]
    with client(remote, "ml_engineer") as engineer:
        for name in names:
            engineer.register_model(
                name=name, description="d", owner="o", business_objective="b", risk_tier="low"
            )
        assert [row["name"] for row in engineer.iter_list_models(limit=2)] == names
        first = engineer.list_models(limit=3)
        assert len(first["items"]) == 3 and isinstance(first["next_cursor"], str)


def test_a_write_whose_answer_is_lost_is_retried_with_its_key_and_recorded_once(
    remote: Remote,
) -> None:
    registered(remote)
    proxy = ReplyCutter(("127.0.0.1", remote.server.port), trigger=b"POST ")
    engineer = Client(
        f"http://127.0.0.1:{proxy.port}",
        token=remote.tokens["ml_engineer"],
        retries=Retries(attempts=3, backoff=0.01),
    )
    proxy.lose_next_reply()
    written = engineer.register_version("loan-default", card=card())
    proxy.close()
    assert proxy.replies_lost == 1
    assert written.replayed and written.result == 1  # the first attempt's answer, replayed
    history = list(client(remote, "auditor").iter_model_events("loan-default"))
    assert [entry["event"] for entry in history].count("VersionRegistered") == 1
    again = engineer.register_version(
        "loan-default", card=card(), idempotency_key=written.idempotency_key
    )
    assert again.replayed and again.result == 1


def test_a_gate_names_what_the_activation_would_refuse(remote: Remote) -> None:
    registered(remote)
    client(remote, "ml_engineer").register_version("loan-default", card=card())
    devops = client(remote, "devops_engineer")
    assert devops.unmet_gates("loan-default", version=1, environment="moon")[0] == UnmetGate(
        "environment_allowed",
        "the policy of 'loan-default' allows only: staging, production; not 'moon'",
    )
    with pytest.raises(NotFound, match="no version 9"):
        devops.unmet_gates("loan-default", version=9, environment="production")


def test_a_write_cut_by_a_crash_is_retried_after_the_restart_and_recorded_once(
    remote: Remote,
) -> None:
    registered(remote)
    server = remote.server
    server.stop()
    server.start(fault="after_commit")  # dies once the first command has committed

    def restart() -> None:
        server.wait_dead()
        server.start()

    restarting = threading.Thread(target=restart)
    restarting.start()
    engineer = client(
        remote, "ml_engineer", retries=Retries(attempts=10, backoff=0.5, max_backoff=2)
    )
    written = engineer.register_version("loan-default", card=card())
    restarting.join()
    assert written.replayed and written.result == 1  # the committed attempt's answer
    history = list(client(remote, "auditor").iter_model_events("loan-default"))
    assert [entry["event"] for entry in history].count("VersionRegistered") == 1
