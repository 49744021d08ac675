"""A model card keeps what it says beyond modelgov's fields (`extras`), and what its digest is of."""

from __future__ import annotations

from tests.api.conftest import MODEL, VERSION, Api


def test_a_cards_extras_and_digest_kind_are_kept_and_read_back(api: Api) -> None:
    api.post("/v1/models", MODEL, role="ml_engineer")
    card = {
        **VERSION["card"],
        "artifact_sha256_of": "file_manifest",
        "extras": {"license": "apache-2.0", "model-index": [{"name": "churn", "results": []}]},
    }
    registered = api.post("/v1/models/churn/versions", {"card": card}, role="ml_engineer")
    assert registered.status_code == 201, registered.text
    [entry] = [
        e
        for e in api.get("/v1/models/churn/events").json()["items"]
        if e["event"] == "VersionRegistered"
    ]
    stored = entry["details"]["card"]
    assert stored["extras"] == card["extras"]
    assert stored["artifact_sha256_of"] == "file_manifest"


def test_a_card_without_them_reads_with_none_and_a_file_digest(api: Api) -> None:
    api.post("/v1/models", MODEL, role="ml_engineer")
    api.post("/v1/models/churn/versions", VERSION, role="ml_engineer")
    [entry] = [
        e
        for e in api.get("/v1/models/churn/events").json()["items"]
        if e["event"] == "VersionRegistered"
    ]
    stored = entry["details"]["card"]
    assert (stored["extras"], stored["artifact_sha256_of"]) == ({}, "file")


def test_extras_that_are_not_an_object_or_an_unknown_digest_kind_are_422(api: Api) -> None:
    api.post("/v1/models", MODEL, role="ml_engineer")
    for bad in ({"extras": ["not", "an", "object"]}, {"artifact_sha256_of": "zip"}):
        refused = api.post(
            "/v1/models/churn/versions", {"card": {**VERSION["card"], **bad}}, role="ml_engineer"
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
