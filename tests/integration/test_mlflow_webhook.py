"""A real `mlflow server` delivering its registry webhooks to a live `modelgov serve`, on both stores;
and deliveries that are not MLflow's (unsigned, forged, stale, replayed) refused or ignored."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput

from application.errors import ModelNotFoundError
from application.governance import Governance
from application.portfolio import compliance_findings
from infrastructure.db.store import open_governance
from infrastructure.integrations.mlflow_webhook import mlflow_signature
from infrastructure.settings import get_settings
from tests.conftest import environ_for, free_port, wait_until
from tests.integration.test_serve import served

SECRET = "whsec-modelgov-test"
EVENTS = [
    "model_version.created",
    "model_version_alias.created",
    "model_version_alias.deleted",
    "model_version_tag.set",
]


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`mlflow server` on a free port, its registry in SQLite, allowed to post to 127.0.0.1."""
    place = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    environ = os.environ | {
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",  # the receiver is on this machine
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
        "MLFLOW_WEBHOOK_CACHE_TTL": "1",  # each test's new webhook is seen at once
    }
    with open(place / "mlflow.log", "wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("mlflow")), "server", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1",
             "--backend-store-uri", f"sqlite:///{place / 'mlflow.db'}",
             "--artifacts-destination", str(place / "artifacts")],
            cwd=place, env=environ, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        up = wait_until(lambda: process.poll() is not None or _status(f"{url}/health") == 200,
                        timeout=90, every=0.5)  # fmt: skip
        assert up and process.poll() is None, (place / "mlflow.log").read_text()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_env(request: pytest.FixtureRequest, tmp_path: Path, mlflow_server: str) -> dict[str, str]:
    extra = {
        "MODELGOV_MLFLOW_WEBHOOK_SECRET": SECRET,
        "MODELGOV_MLFLOW_TRACKING_URI": mlflow_server,
    }
    if request.param == "sqlite":
        return environ_for("sqlite", tmp_path, **extra)
    return environ_for("postgres", tmp_path, request.getfixturevalue("pg_schema"), **extra)


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/integrations/mlflow/webhook", data=body, method="POST",
        headers={"Content-Type": "application/json", **headers},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), error.headers["Content-Type"]


def signed(
    body: bytes, *, secret: str = SECRET, at: int | None = None, delivery: str = ""
) -> dict[str, str]:
    delivery = delivery or str(uuid.uuid4())
    timestamp = str(at if at is not None else int(time.time()))
    return {
        "X-MLflow-Delivery-Id": delivery,
        "X-MLflow-Timestamp": timestamp,
        "X-MLflow-Signature": mlflow_signature(
            secret, delivery_id=delivery, timestamp=timestamp, body=body
        ),
    }


def register_version(client: MlflowClient, name: str, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir(exist_ok=True)
    (folder / "model.pkl").write_bytes(b"weights" * 100)
    (folder / "MLmodel").write_text(
        'signature:\n  inputs: \'[{"name": "tenure", "type": "long"}]\'\n'
        '  outputs: \'[{"name": "churned", "type": "long"}]\'\n'
    )
    experiment = client.create_experiment(f"exp-{uuid.uuid4().hex[:8]}")
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, "auc", 0.8)
    client.set_tag(run.info.run_id, "mlflow.source.git.commit", "abcdef1")
    data = Dataset("customers", "0a1b2c", "delta", "warehouse://customers")
    client.log_inputs(run.info.run_id, [DatasetInput(data, [])])
    client.log_artifacts(run.info.run_id, str(folder), "model")
    client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)


def model_when(governance: Governance, name: str, holds: Any) -> Any:
    """The model once `holds(model)` (MLflow delivers in the background); fails after 30 s."""
    found: list[Any] = []

    def check() -> bool:
        try:
            model = governance.get_model(name)
        except ModelNotFoundError:  # not delivered yet; any other failure fails the test
            return False
        found[:] = [model]
        return bool(holds(model))

    assert wait_until(check, timeout=30, every=0.2), f"{name}: {found}"
    return found[0]


def test_mlflow_webhooks_record_versions_aliases_and_tags_in_a_live_modelgov(
    mlflow_server: str, store_env: dict[str, str], tmp_path: Path
) -> None:
    client = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    name = f"churn-{uuid.uuid4().hex[:8]}"
    with served(tmp_path, store_env) as (port, _):
        hook = client.create_webhook(
            name=f"modelgov-{name}", events=EVENTS, secret=SECRET,
            url=f"http://127.0.0.1:{port}/v1/integrations/mlflow/webhook",
        )  # fmt: skip
        governance = open_governance(get_settings(store_env))
        try:
            client.create_registered_model(name)
            register_version(client, name, tmp_path)
            model = model_when(governance, name, lambda m: m.versions)
            card = model.versions[0].card
            assert card["artifact_sha256_of"] == "file_manifest"
            assert card["extras"]["mlflow"]["version"] == "1"

            client.set_registered_model_alias(name, "champion", "1")
            model = model_when(governance, name, lambda m: "mlflow:champion" in m.external_aliases)
            assert model.external_aliases["mlflow:champion"].environment == "production"
            findings = compliance_findings(model, now=model.registered_at.replace(year=2100))
            assert any(
                f["detail"].startswith("champion alias in MLflow set to version 1 without approval")
                for f in findings
            )

            client.set_model_version_tag(name, "1", "validated_by", "ci")
            model_when(
                governance, name, lambda m: m.external_tags.get("mlflow:1:validated_by") == "ci"
            )

            client.delete_registered_model_alias(name, "champion")
            model = model_when(governance, name, lambda m: not m.external_aliases)
            kinds = [type(e).__name__ for e in governance.model_events(name)]
            assert kinds.count("ExternalAliasSet") == 1 and kinds.count("ExternalAliasRemoved") == 1
            assert kinds.count("VersionRegistered") == 1
            roles = {e.role for e in governance.model_events(name)}
            assert roles == {"integration"}
        finally:
            governance.close()
            client.delete_webhook(hook.webhook_id)


def test_unsigned_forged_stale_and_replayed_deliveries_are_refused_or_ignored(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    body = json.dumps({
        "entity": "model_version_alias", "action": "deleted",
        "timestamp": "2026-11-01T09:30:00+00:00", "data": {"name": "nobody", "alias": "champion"},
    }).encode()  # fmt: skip
    with served(tmp_path, store_env | {"MODELGOV_MLFLOW_TRACKING_URI": ""}) as (port, _):
        status, problem, media = post(port, body, {})
        assert (status, problem["type"]) == (
            401,
            "https://modelgov.dev/problems/mlflow_signature_missing",
        )
        assert media == "application/problem+json"
        status, problem, _ = post(port, body, signed(body, secret="not-the-secret"))
        assert (status, problem["type"]) == (
            403,
            "https://modelgov.dev/problems/mlflow_signature_invalid",
        )
        status, problem, _ = post(port, body, signed(body, at=int(time.time()) - 600))
        assert status == 403 and "five minutes" in problem["detail"]
        tampered = signed(body)
        status, _, _ = post(port, body.replace(b"champion", b"challenger"), tampered)
        assert status == 403
        # Signed, but about a model modelgov never imported, and no MLflow to import it from.
        status, problem, _ = post(port, body, signed(body))
        assert (status, problem["type"]) == (
            409,
            "https://modelgov.dev/problems/mlflow_fact_unmatched",
        )
        ignored = json.dumps({"entity": "prompt", "action": "created", "data": {}}).encode()
        headers = signed(ignored)
        assert post(port, ignored, headers)[:2] == (
            200,
            {"delivery": headers["X-MLflow-Delivery-Id"], "outcome": "ignored"},
        )
        # The same delivery again (a replay within the window): answered, nothing applied again.
        assert post(port, ignored, headers)[1]["outcome"] == "duplicate"
        status, problem, media = post(port, b"not json", signed(b"not json"))
        assert status == 422 and media == "application/problem+json"


def test_without_a_secret_the_receiver_accepts_nothing(tmp_path: Path) -> None:
    env = environ_for("sqlite", tmp_path)
    body = b'{"entity": "prompt", "action": "created", "data": {}}'
    with served(tmp_path, env) as (port, _):
        status, problem, _ = post(port, body, signed(body))
    assert (status, problem["type"]) == (
        403,
        "https://modelgov.dev/problems/mlflow_webhook_not_configured",
    )


def test_alias_deliveries_out_of_order_leave_the_alias_where_mlflow_has_it(
    mlflow_server: str, store_env: dict[str, str], tmp_path: Path
) -> None:
    client = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    name = f"late-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    register_version(client, name, tmp_path)
    register_version(client, name, tmp_path)
    client.set_registered_model_alias(name, "champion", "2")

    def alias_delivery(version: str) -> bytes:
        return json.dumps({
            "entity": "model_version_alias", "action": "created",
            "timestamp": "2026-11-01T09:30:00+00:00",
            "data": {"name": name, "alias": "champion", "version": version},
        }).encode()  # fmt: skip

    with served(tmp_path, store_env) as (port, _):
        created = json.dumps({
            "entity": "model_version", "action": "created", "data": {"name": name, "version": "2"},
        }).encode()  # fmt: skip
        assert post(port, created, signed(created))[0] == 200
        for version in ("2", "1"):  # the delivery of "champion -> 1" arrives late, after "-> 2"
            body = alias_delivery(version)
            assert post(port, body, signed(body))[0] == 200
    governance = open_governance(get_settings(store_env))
    try:
        model = governance.get_model(name)
        assert model.external_aliases["mlflow:champion"].external_version == "2"
        kinds = [type(e).__name__ for e in governance.model_events(name)]
        assert kinds.count("ExternalAliasSet") == 1
    finally:
        governance.close()


LATIN = st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f")


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    """Anything a client can send: odd headers, odd JSON, sometimes signed as MLflow signs."""
    now = str(int(time.time()))
    payload = {
        "entity": draw(st.sampled_from(["model_version", "model_version_alias",
                                        "model_version_tag", "prompt", ""])),
        "action": draw(st.sampled_from(["created", "deleted", "set", "x"])),
        "timestamp": draw(st.one_of(
            st.none(), st.text(LATIN, max_size=30),
            st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                             "2026-11-01T09:30:00Z", "2026-11-01"]),
        )),
        "data": draw(st.one_of(
            st.dictionaries(st.sampled_from(["name", "version", "alias", "key", "value"]),
                            st.one_of(st.text(LATIN, max_size=20), st.integers(), st.none(),
                                      st.sampled_from(["!!", "ab", "0"]))),
            st.text(max_size=5), st.none(),
        )),
    }  # fmt: skip
    body = draw(st.one_of(st.just(json.dumps(payload).encode()), st.binary(max_size=50)))
    timestamp = draw(st.one_of(
        st.just(now), st.text(LATIN, min_size=1, max_size=20),
        st.sampled_from(["²", "9" * 5000, "-1", " 1", "0"]),
    ))  # fmt: skip
    delivery = draw(st.one_of(st.just(str(uuid.uuid4())), st.text(LATIN, min_size=1, max_size=40)))
    valid = mlflow_signature(SECRET, delivery_id=delivery, timestamp=timestamp, body=body)
    signature = draw(st.one_of(st.just(valid), st.text(LATIN, min_size=1, max_size=60),
                               st.just("v1,ü" + valid)))  # fmt: skip
    headers = {"X-MLflow-Delivery-Id": delivery, "X-MLflow-Timestamp": timestamp,
               "X-MLflow-Signature": signature}  # fmt: skip
    return body, {k: v for k, v in headers.items() if v.strip() == v}


def test_nothing_a_client_sends_the_webhook_is_answered_with_a_5xx(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    with served(tmp_path, store_env | {"MODELGOV_MLFLOW_TRACKING_URI": ""}) as (port, _):

        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
        @given(deliveries())
        def answered(delivery: tuple[bytes, dict[str, str]]) -> None:
            status, body, media = post_raw(port, *delivery)
            assert status < 500, body
            if status >= 400:
                assert media == "application/problem+json", body

        answered()


def post_raw(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
    """POST with latin-1 header values sent as they are (urllib would refuse some)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("POST", "/v1/integrations/mlflow/webhook")
        for key, value in {"Content-Type": "application/json", **headers,
                           "Content-Length": str(len(body))}.items():  # fmt: skip
            connection.putheader(key, value.encode("latin-1"))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read(), response.headers.get("Content-Type", "")
    finally:
        connection.close()
