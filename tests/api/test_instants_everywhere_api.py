"""Every instant in every JSON answer of a demo-like store is UTC written with `Z`: the demo
portfolio recorded, commands sent over HTTP, and then every GET route of the app read, each list
to its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from application.demo import seed_demo_portfolio
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.ledger.keys import write_key_pair
from tests.api.conftest import MODEL, VERSION, Api
from tests.api.test_instants_api import UTC_Z, WITH_OFFSET, instants_in
from tests.api.test_role_matrix import REQUESTS


def _checked(path: str, response: Any) -> list[str]:
    assert response.status_code < 300, (path, response.status_code, response.text)
    if not response.headers["content-type"].startswith("application/json"):
        return []
    assert not WITH_OFFSET.search(response.text), path
    found = instants_in(response.json())
    assert all(UTC_Z.match(text) for text in found), (
        path,
        [t for t in found if not UTC_Z.match(t)],
    )
    return found


def test_every_instant_of_every_answer_is_utc_with_z(api: Api) -> None:
    governance = api.client.app.state.services.governance  # type: ignore[attr-defined]
    summary = seed_demo_portfolio(governance, now=datetime.now(UTC))
    name = summary.models[0]
    seen: list[str] = []
    # Commands over HTTP, with offsets, answered (and their answers checked) too.
    for path, body, role in (
        ("/v1/models", {**MODEL, "effective_at": "2026-01-04T16:00:00-08:00"}, "ml_engineer"),
        ("/v1/models/churn/versions", {**VERSION, "effective_at": "2026-01-05T06:00:00+05:00"},
         "ml_engineer"),
        ("/v1/models/churn/versions/1/approvals", {}, "data_scientist"),
        ("/v1/models/churn/activations", {"version": 1, "environment": "staging"}, "devops_engineer"),
    ):  # fmt: skip
        seen += _checked(path, api.post(path, body, role=role))
    # A serious incident on the model the GETs read (its report document among them), known
    # since yesterday, stated in Berlin's offset.
    aware = (datetime.now(UTC) - timedelta(days=1)).astimezone(timezone(timedelta(hours=1)))
    incident = {"severity_class": "other_serious", "summary": "a wrong refusal",
                "aware_at": aware.isoformat()}  # fmt: skip
    seen += _checked(
        f"/v1/models/{name}/incidents",
        api.post(f"/v1/models/{name}/incidents", incident, role="compliance_officer"),
    )
    ledger = api.client.app.state.ledger  # type: ignore[attr-defined]
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    seal_until_caught_up(ledger)
    for (method, _), (url, _) in sorted(REQUESTS.items()):
        if method != "GET" or url == "/metrics":  # Prometheus' counts and seconds: no instant
            continue
        path = url.replace("{name}", name)
        if path.startswith("/v1/reports") and "format=" not in path:
            path += "&format=json"
        answer = api.get(path, role="compliance_officer")
        if not answer.headers["content-type"].startswith("application/json"):
            # The C2SP checkpoint and tiles: a signed note and hashes, with no instant in them.
            assert path.startswith(("/v1/ledger/checkpoint", "/v1/ledger/tile/")), path
            assert answer.status_code == 200, (path, answer.text)
            continue
        seen += _checked(path, answer)
        page = answer.json()
        while isinstance(page, dict) and page.get("next_cursor"):
            answer = api.get(path, role="compliance_officer", cursor=page["next_cursor"])
            seen += _checked(path, answer)
            page = answer.json()
    assert len(seen) > 100
