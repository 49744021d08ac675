"""The access log keeps which query parameters a request had, never their values."""

from __future__ import annotations

from infrastructure.api.access_log import without_query_values


def test_query_values_are_replaced_and_paths_kept() -> None:
    assert without_query_values("/v1/models/churn") == "/v1/models/churn"
    assert without_query_values("/v1/models?owner=Jo%20Park&limit=5") == (
        "/v1/models?owner=***&limit=***"
    )
    assert without_query_values("/v1/models?flag") == "/v1/models?flag=***"
