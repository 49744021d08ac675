"""Schemathesis against the live OpenAPI schema of a real uvicorn server: no 5xx, no schema violations."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from infrastructure.api.app import create_app
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.settings import get_settings
from tests.api.conftest import serving
from tests.conftest import settings_for
from tests.factories import seed_app_model

ROLES_UNDER_TEST = ("data_scientist", "devops_engineer")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A uvicorn server over a SQLite store with one model in it, and a token per role under test."""
    store = settings_for("sqlite", Path(tmp_path_factory.mktemp("live")))
    governance = open_governance(store)
    seed_app_model(governance, name="churn")
    governance.close()
    sql = SqlRunner(store.database)
    tokens = {
        role: TokenStore(sql).create(principal=f"fuzz-{role}", role=role)
        for role in ROLES_UNDER_TEST
    }
    with serving(create_app(store)) as base_url:
        yield base_url, tokens
    sql.close()


# The operations come from the app's own schema; the test checks it is the one the live server serves.
SPEC = create_app(get_settings({})).openapi()
OPERATIONS = [result.ok() for result in schemathesis.openapi.from_dict(SPEC).get_all_operations()]
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def test_the_live_server_serves_the_schema_under_test(live: tuple[str, dict[str, str]]) -> None:
    with urllib.request.urlopen(f"{live[0]}/openapi.json", timeout=10) as response:
        assert json.load(response) == SPEC


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_every_generated_request_gets_a_non_5xx_answer_within_the_schema(
    operation: Any, role: str, live: tuple[str, dict[str, str]]
) -> None:
    base_url, tokens = live

    @given(case=operation.as_strategy())
    @settings(
        max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=base_url, headers={"Authorization": f"Bearer {tokens[role]}"}, checks=CHECKS
        )

    call()
