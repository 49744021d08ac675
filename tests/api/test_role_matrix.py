"""Every route x every role: 401 without a token, 403 for a role the matrix refuses, success for one it allows.

A command's route only authenticates: the domain refuses the role (403), as it does for every
command however it arrives; reads and posted figures are refused by the route itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from application.governance import Governance
from domain.commands import (
    PERMISSIONS,
    Activate,
    ApproveRelease,
    OpenBreach,
    RaiseBiasFlag,
    RegisterModel,
    RegisterVersion,
    SetTarget,
)
from domain.hold_commands import PlaceLegalHold
from domain.incident_commands import DeclareIncident
from domain.roles import ACCESS
from infrastructure.api.app import create_app
from infrastructure.api.deps import Authorize
from infrastructure.api.tokens import TOKEN_ROLES
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.console.web import PREFIX
from infrastructure.ledger.keys import write_key_pair
from infrastructure.settings import get_settings
from tests.api.conftest import MODEL, VERSION, Api
from tests.factories import by, card

# One request per route that succeeds on a model prepared by `_prepare` (name filled in).
REQUESTS: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("POST", "/v1/models"): ("/v1/models", {**MODEL, "name": "{name}-new"}),
    ("GET", "/v1/models"): ("/v1/models", None),
    ("GET", "/v1/models/{name}"): ("/v1/models/{name}", None),
    ("POST", "/v1/models/{name}/policy"): (
        "/v1/models/{name}/policy", {"risk_tier": "medium", "reason": "wider use"}),
    ("POST", "/v1/models/{name}/versions"): ("/v1/models/{name}/versions", VERSION),
    ("GET", "/v1/models/{name}/versions/{number}"): ("/v1/models/{name}/versions/1", None),
    ("GET", "/v1/models/{name}/versions/{number}/proof"): (
        "/v1/models/{name}/versions/1/proof?environment=staging",
        None,
    ),
    ("GET", "/v1/models/{name}/versions/{number}/gate"): (
        "/v1/models/{name}/versions/1/gate?environment=production",
        None,
    ),
    ("POST", "/v1/models/{name}/versions/{number}/validations"): (
        "/v1/models/{name}/versions/2/validations",
        {"kind": "ab_test", "dataset": "holdout", "metrics": {"auc": 0.8}, "passed": True}),
    ("POST", "/v1/models/{name}/versions/{number}/approvals"): (
        "/v1/models/{name}/versions/2/approvals", {"reason": "fine"}),
    ("POST", "/v1/models/{name}/versions/{number}/rejections"): (
        "/v1/models/{name}/versions/2/rejections", {"reason": "not fine"}),
    ("POST", "/v1/models/{name}/versions/{number}/signoffs"): (
        "/v1/models/{name}/versions/2/signoffs", {"reason": "review passed"}),
    ("POST", "/v1/models/{name}/versions/{number}/retirement"): (
        "/v1/models/{name}/versions/2/retirement", {"reason": "superseded"}),
    ("POST", "/v1/models/{name}/targets"): (
        "/v1/models/{name}/targets",
        {"dimension": "cost", "metric": "eur", "comparator": "<=", "threshold": 100.0}),
    ("POST", "/v1/models/{name}/targets/approvals"): (
        "/v1/models/{name}/targets/approvals", {"revision": 4}),
    ("POST", "/v1/models/{name}/activations"): (
        "/v1/models/{name}/activations", {"version": 2, "environment": "production"}),
    ("POST", "/v1/models/{name}/deactivations"): (
        "/v1/models/{name}/deactivations", {"version": 1, "environment": "staging", "reason": "x"}),
    ("POST", "/v1/models/{name}/rollbacks"): (
        "/v1/models/{name}/rollbacks", {"environment": "production", "to_version": 1, "reason": "x"}),
    ("POST", "/v1/models/{name}/breaches"): (
        "/v1/models/{name}/breaches",
        {"version": 3, "environment": "production", "dimension": "accuracy",
         "metric": "accuracy_metric", "observed_value": 2.0}),
    ("POST", "/v1/models/{name}/breaches/{breach_id}/closure"): (
        "/v1/models/{name}/breaches/B-1/closure", {"observed_value": 0.5}),
    ("POST", "/v1/models/{name}/bias-flags"): (
        "/v1/models/{name}/bias-flags",
        {"version": 2, "attribute": "age", "metric": "dpd", "value": 0.3, "threshold": 0.1}),
    ("POST", "/v1/models/{name}/bias-flags/{flag_id}/resolution"): (
        "/v1/models/{name}/bias-flags/BF-1/resolution",
        {"resolution": "retrain", "justification": "retrain without age"}),
    ("POST", "/v1/models/{name}/costs"): (
        "/v1/models/{name}/costs",
        {"period": "2026-10", "amount": "10.50", "currency": "EUR", "business_unit": "Retail"}),
    ("POST", "/v1/models/{name}/metrics"): (
        "/v1/models/{name}/metrics",
        {"observations": [{"metric": "accuracy_metric", "value": 0.5, "version": 3,
                           "environment": "production", "observed_at": "2026-02-01T10:00:00Z"}]}),
    ("POST", "/v1/models/{name}/game-plan"): (
        "/v1/models/{name}/game-plan",
        {"game_plan": {"responses": [{"dimension": "accuracy", "environment": "production",
                                      "action": "roll_back"}]}, "reason": "automate rollbacks"}),
    ("GET", "/v1/models/{name}/game-plan"): ("/v1/models/{name}/game-plan", None),
    ("POST", "/v1/models/{name}/legal-hold"): (
        "/v1/models/{name}/legal-hold", {"matter": "CASE-1", "reason": "litigation"}),
    ("POST", "/v1/models/{name}/legal-hold/release"): (
        "/v1/models/{name}/legal-hold/release", {"reason": "case closed"}),
    ("GET", "/v1/models/{name}/costs"): ("/v1/models/{name}/costs", None),
    ("GET", "/v1/models/{name}/webhook-deliveries"): ("/v1/models/{name}/webhook-deliveries", None),
    ("GET", "/v1/models/{name}/events"): ("/v1/models/{name}/events", None),
    ("GET", "/v1/models/{name}/state"): ("/v1/models/{name}/state", None),
    ("GET", "/v1/events"): ("/v1/events", None),
    ("GET", "/v1/models/{name}/diff"): ("/v1/models/{name}/diff?from=1", None),
    ("GET", "/v1/portfolio/compliance"): ("/v1/portfolio/compliance", None),
    ("GET", "/v1/inventory"): ("/v1/inventory", None),
    ("GET", "/v1/models/{name}/versions"): ("/v1/models/{name}/versions", None),
    ("GET", "/v1/admission"): (f"/v1/admission?artifact_sha256={'ab' * 32}&environment=production", None),
    ("GET", "/v1/models/{name}/exposure"): ("/v1/models/{name}/exposure", None),
    ("GET", "/v1/models/{name}/usage"): ("/v1/models/{name}/usage", None),
    ("GET", "/v1/ledger/head"): ("/v1/ledger/head", None),
    ("GET", "/v1/ledger/keys"): ("/v1/ledger/keys", None),
    ("GET", "/v1/ledger/checkpoint"): ("/v1/ledger/checkpoint", None),
    ("GET", "/v1/ledger/tile/{path:path}"): ("/v1/ledger/tile/0/000.p/1", None),
    ("GET", "/v1/ledger/proofs/inclusion"): ("/v1/ledger/proofs/inclusion?position=0", None),
    ("GET", "/v1/ledger/proofs/consistency"): ("/v1/ledger/proofs/consistency?from=1", None),
    ("GET", "/v1/reports/models/{name}"): ("/v1/reports/models/{name}?format=json", None),
    ("GET", "/v1/models/{name}/dossier"): ("/v1/models/{name}/dossier?format=json", None),
    ("GET", "/v1/reports/portfolio"): ("/v1/reports/portfolio?format=json", None),
    ("POST", "/v1/models/{name}/incidents"): (
        "/v1/models/{name}/incidents",
        {"severity_class": "other_serious", "summary": "a wrong refusal", "breach_ids": ["B-1"]}),
    ("POST", "/v1/models/{name}/incidents/{incident_id}/reports"): (
        "/v1/models/{name}/incidents/SI-1/reports",
        {"kind": "initial", "authority": "national authority", "reference": "R-1"}),
    ("GET", "/v1/reports/models/{name}/incidents/{incident_id}"): (
        "/v1/reports/models/{name}/incidents/SI-1?format=json", None),
    ("GET", "/metrics"): ("/metrics", None),
    ("GET", "/v1/reports/changes"): (
        "/v1/reports/changes?since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z", None),
}  # fmt: skip


def _routes() -> list[tuple[str, str, str]]:
    """(method, path, action) for every route behind a token, read from the app itself."""
    app = create_app(get_settings({}))
    found = []
    for route in _api_routes(app.routes):
        actions = {_action(dependency) for dependency in route.dependant.dependencies} - {None}
        command = getattr(route.endpoint, "command", None)  # a command's route (routes_commands)
        if command is not None:
            actions.add(command.ACTION)
        for method in route.methods:
            found.append((method, route.path, actions.pop() if actions else "public"))
    return sorted(found)


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            if not route.path.startswith(PREFIX):  # the console signs in by session: tests/console/
                found.append(route)
        elif hasattr(route, "original_router"):  # routers included into the app
            found += _api_routes(route.original_router.routes)
    return found


def _action(dependency: Any) -> str | None:
    if isinstance(dependency.call, Authorize):
        return dependency.call.access
    for sub in dependency.dependencies:
        action = _action(sub)
        if action:
            return action
    return None


ROUTES = [route for route in _routes() if route[2] != "public"]


def _prepare(app: Governance, name: str) -> None:
    """v1 served in staging and production; v3 serves production now; v2 approved, not active."""
    app.handle(
        RegisterModel(
            name=name,
            description="d",
            owner="o",
            business_objective="b",
            risk_tier="low",
            stakeholders=[],
        ),
        by=by("eng"),
    )
    for _ in range(3):
        number = app.handle(RegisterVersion(name=name, card=card()), by=by("eng")).value
        app.handle(ApproveRelease(name=name, version=number), by=by("ds"))
    for dimension in ("performance", "accuracy", "governance", "cost"):
        app.handle(
            SetTarget(
                name=name,
                dimension=dimension,
                metric=f"{dimension}_metric",
                comparator="<=",
                threshold=1.0,
            ),
            by=by("ds"),
        )
    app.handle(Activate(name=name, version=1, environment="staging"), by=by("ops"))
    app.handle(Activate(name=name, version=1, environment="production"), by=by("ops"))
    app.handle(Activate(name=name, version=3, environment="production"), by=by("ops"))
    app.handle(
        RaiseBiasFlag(
            name=name, version=3, attribute="age", metric="dpd", value=0.2, threshold=0.1
        ),
        by=by("ds"),
    )
    app.handle(
        OpenBreach(
            name=name,
            version=1,
            environment="staging",
            dimension="cost",
            metric="cost_metric",
            observed_value=2.0,
        ),
        by=by("ops"),
    )
    app.handle(
        DeclareIncident(name=name, severity_class="death", summary="a wrong refusal"),
        by=by("co"),
    )


def test_every_route_behind_a_token_has_a_request_here() -> None:
    assert {(method, path) for method, path, _ in ROUTES} == set(REQUESTS)


def test_the_portfolio_its_report_and_the_inventory_answer_the_same_roles() -> None:
    access = {path: action for _, path, action in _routes()}
    assert access["/v1/portfolio/compliance"] == access["/v1/reports/portfolio"] == "read_reports"
    assert access["/v1/inventory"] == "read_reports"


def test_the_public_routes_are_only_health_and_docs() -> None:
    public = {path for _, path, action in _routes() if action == "public"}
    # MLflow's webhook carries no token: its HMAC signature authenticates it
    # (tests/integration/test_mlflow_webhook.py refuses unsigned and forged deliveries).
    assert public == {"/healthz", "/readyz", "/v1/integrations/mlflow/webhook"}


@pytest.mark.parametrize(
    ("method", "path", "action"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_route_refuses_without_token_and_wrong_roles_and_serves_an_allowed_one(
    api: Api, method: str, path: str, action: str
) -> None:
    name = "m" + format(abs(hash(path + method)) % 10**8, "08d")
    governance = api.client.app.state.services.governance
    _prepare(governance, name)
    if path.endswith("/legal-hold/release"):  # a hold to release
        governance.handle(PlaceLegalHold(name=name), by=by("co", "litigation"))
    # Read after these writes, as a client sends Modelgov-After-Position: the follower applies
    # them in its own thread, and a busy machine may not have yet.
    runner = api.client.app.state.projections
    head = governance.recorder.max_notification_id()
    assert runner.wait_for(head, names=list(runner.positions()), timeout=60) >= head
    if path.startswith(("/v1/ledger", "/v1/reports")) or path.endswith(("/proof", "/dossier")):
        ledger = api.client.app.state.ledger
        write_key_pair(ledger.settings.signing_key_file, passphrase=None)
        seal_until_caught_up(ledger)
    url, body = REQUESTS[(method, path)]
    url = url.replace("{name}", name)
    if body is not None and "name" in body:
        body = {**body, "name": body["name"].replace("{name}", name)}

    def call(role: str | None) -> Any:
        if method == "GET":
            return api.get(url, role=role)
        return api.post(url, body, role=role)

    assert call(None).status_code == 401
    allowed = {**PERMISSIONS, **ACCESS}[action]
    for role in TOKEN_ROLES:
        if role not in allowed:
            refused = call(role)
            assert refused.status_code == 403, (role, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
    chosen = sorted(allowed & set(TOKEN_ROLES))[0]
    served = call(chosen)
    assert 200 <= served.status_code < 300, (chosen, served.text)
