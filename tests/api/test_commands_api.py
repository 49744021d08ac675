"""A command's route: its body derived from the command, and the word `revision` in its answers."""

from __future__ import annotations

from typing import Any

from infrastructure.api.app import create_app
from infrastructure.settings import get_settings
from tests.api.conftest import MODEL, VERSION, Api

SPEC = create_app(get_settings({})).openapi()


def _body_schema(path: str) -> dict[str, Any]:
    ref = SPEC["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return SPEC["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]  # type: ignore[no-any-return]


def test_a_request_body_is_the_commands_fields_with_their_constraints() -> None:
    activation = _body_schema("/v1/models/{name}/activations")
    assert set(activation["properties"]) == {"effective_at", "reason", "version", "environment"}
    assert set(activation["required"]) == {"version", "environment"}
    version = activation["properties"]["version"]
    assert (version["minimum"], version["maximum"], version["examples"]) == (1, 1_000_000, [1])
    assert activation["properties"]["environment"]["pattern"] == r"^[a-z][a-z0-9_-]{0,31}$"
    assert activation["additionalProperties"] is False


def test_path_fields_and_internal_fields_are_not_in_the_body() -> None:
    validation = _body_schema("/v1/models/{name}/versions/{number}/validations")
    assert "version" not in validation["properties"] and "name" not in validation["properties"]
    flag = _body_schema("/v1/models/{name}/bias-flags")
    assert "evidence" not in flag["properties"]
    resolution = _body_schema("/v1/models/{name}/bias-flags/{flag_id}/resolution")
    assert set(resolution["properties"]) == {"effective_at", "resolution", "justification"}


def test_a_document_field_keeps_its_own_schema() -> None:
    version = _body_schema("/v1/models/{name}/versions")
    assert version["properties"]["card"] == {"$ref": "#/components/schemas/ModelCard"}


def test_an_answer_says_model_revision_and_for_one_release_model_version_deprecated(
    api: Api,
) -> None:
    registered = api.post("/v1/models", MODEL, role="ml_engineer")
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["model_revision"] == body["model_version"] == 1
    assert registered.headers["etag"] == '"1"'
    assert registered.headers["deprecation"] == "true"
    assert "model_revision" in registered.headers["warning"]
    assert 'rel="deprecation"' in registered.headers["link"]
    api.post("/v1/models/churn/versions", VERSION, role="ml_engineer")
    model = api.get("/v1/models/churn")
    assert model.json()["model_revision"] == 2 and model.headers["etag"] == '"2"'
    events = api.get("/v1/models/churn/events").json()["items"]
    assert [event["model_revision"] for event in events] == [1, 2]


def test_a_replay_is_asked_by_revision_and_the_old_parameter_still_answers(api: Api) -> None:
    api.post("/v1/models", MODEL, role="ml_engineer")
    api.post("/v1/models/churn/versions", VERSION, role="ml_engineer")
    by_revision = api.get("/v1/models/churn/state", revision=1)
    assert by_revision.status_code == 200 and by_revision.json()["versions"] == []
    assert by_revision.headers["etag"] == '"1"'
    by_version = api.get("/v1/models/churn/state", version=1)
    assert by_version.json() == by_revision.json()
    assert "?revision=" in by_version.headers["warning"]
    assert by_version.headers["deprecation"] == "true"
    both = api.get("/v1/models/churn/state", revision=1, at="2026-01-01T00:00:00Z")
    assert both.status_code == 422


def test_a_role_the_matrix_refuses_is_refused_by_the_domain_and_records_nothing(api: Api) -> None:
    api.post("/v1/models", MODEL, role="ml_engineer")
    refused = api.post("/v1/models/churn/versions", VERSION, role="auditor")
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/role_not_allowed")
    assert "may not register version" in refused.json()["detail"]
    assert api.get("/v1/models/churn").json()["model_revision"] == 1
