"""The console over a real store (SQLite and PostgreSQL): a signed-in session per role, forms sent
as a browser sends them (tests/browser drives a real browser over the same pages)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest

from application.governance import Governance
from domain.commands import (
    ApproveRelease,
    ApproveTargets,
    RaiseBiasFlag,
    RecordValidation,
    RegisterVersion,
    SetTarget,
)
from domain.values import DIMENSIONS
from infrastructure.console.sessions import SESSION_COOKIE
from infrastructure.settings import Settings
from tests.api.conftest import Api, api_over
from tests.factories import by, card, registration

_HIDDEN = re.compile(r'name="(csrf|form_id)" value="([^"]*)"')


@dataclass
class Console:
    """The console of one app, with the API's token per role to sign in with."""

    api: Api

    @property
    def governance(self) -> Governance:
        governance: Governance = self.api.client.app.state.services.governance  # type: ignore[attr-defined]
        return governance

    def sign_in(self, role: str) -> str:
        """Sign in with the role's token: the session cookie's value."""
        client = self.api.client
        client.cookies.clear()
        form = client.get("/console/login")
        csrf = _HIDDEN.search(form.text)
        assert csrf is not None
        answer = client.post(
            "/console/login",
            data={"csrf": csrf.group(2), "token": self.api.tokens[role], "next": "/console/queues"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        session = answer.cookies.get(SESSION_COOKIE)
        assert session
        client.cookies.clear()
        return session

    def settled(self) -> None:
        """Wait until the projections hold every event written so far: a test seeds through
        `governance` (no `?after=` to wait for), and the queues and the portfolio read them."""
        runner = self.api.client.app.state.projections  # type: ignore[attr-defined]
        head = self.governance.recorder.max_notification_id() or 0
        names = [projection.name for projection in runner.projections]
        assert runner.wait_for(head, names=names, timeout=30) >= head, "projections behind"

    def get(self, path: str, session: str | None, **params: Any) -> httpx.Response:
        self.settled()
        headers = {"Cookie": f"{SESSION_COOKIE}={session}"} if session else {}
        return self.api.client.get(
            path, params=params or None, headers=headers, follow_redirects=False
        )

    def post(self, path: str, data: dict[str, str], session: str | None) -> httpx.Response:
        headers = {"Cookie": f"{SESSION_COOKIE}={session}"} if session else {}
        return self.api.client.post(path, data=data, headers=headers, follow_redirects=False)

    def form_secrets(self, page: httpx.Response) -> dict[str, str]:
        """The CSRF token and a fresh form id, as the page's first decision form carries them."""
        found = dict(_HIDDEN.findall(page.text))
        assert "csrf" in found, "the page has no form"
        return found

    def revision(self, name: str) -> int:
        return len(self.governance.model_events(name))


@pytest.fixture
def console(backend: Settings) -> Iterator[Console]:
    with api_over(backend) as api:
        yield Console(api)


def awaiting_signoff(governance: Governance, name: str = "screener") -> None:
    """A regulated model whose version 1 meets every gate but the compliance sign-off."""
    governance.handle(registration(name, "regulated"), by=by("eng"))
    governance.handle(RegisterVersion(name=name, card=card()), by=by("eng"))
    governance.handle(ApproveRelease(name=name, version=1), by=by("ds", "evidence reviewed"))
    governance.handle(ApproveRelease(name=name, version=1), by=by("bo", "value case holds"))
    governance.handle(
        RecordValidation(name=name, version=1, kind="ab_test", dataset="holdout",
                         metrics={"auc": 0.8}, passed=True),
        by=by("eng"),
    )  # fmt: skip
    for dimension in DIMENSIONS:
        governance.handle(
            SetTarget(name=name, dimension=dimension, metric=f"{dimension}_metric",
                      comparator="<=", threshold=1.0, severity="critical"),
            by=by("ds"),
        )  # fmt: skip
    revision = governance.model_as_of(name).targets_revision
    governance.handle(ApproveTargets(name=name, revision=revision), by=by("ds"))
    governance.handle(ApproveTargets(name=name, revision=revision), by=by("bo"))


def with_bias_flag(governance: Governance, name: str = "scorer") -> None:
    """A low-tier model whose version 1 has an open bias flag, BF-1."""
    governance.handle(registration(name, "low"), by=by("eng"))
    governance.handle(RegisterVersion(name=name, card=card()), by=by("eng"))
    governance.handle(
        RaiseBiasFlag(name=name, version=1, attribute="age_band", metric="fpr_ratio", value=1.6,
                      threshold=1.25),
        by=by("ds"),
    )  # fmt: skip
