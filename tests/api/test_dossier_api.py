"""GET /v1/models/{name}/dossier and `modelgov dossier`: the Annex IV dossier in each format, as of
either timeline, for every role that reads models; clear 4xx and CLI errors."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf

from infrastructure.db.store import open_governance
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import open_ledger
from infrastructure.settings import Settings
from tests.api.conftest import Api
from tests.api.test_reports_api import problem, sealed  # noqa: F401 (a fixture)
from tests.conftest import environ_for
from tests.integration.test_cli import fails_clearly, run
from tests.reports.conftest import HEAD_TIME, portfolio, seal_at


def test_the_dossier_in_each_format_as_of_either_timeline(sealed: Api) -> None:  # noqa: F811
    world = sealed.get("/v1/models/scorer/dossier", format="json", at="2026-01-06T15:00:00Z",
                       role="ml_engineer").json()  # fmt: skip
    known = sealed.get("/v1/models/scorer/dossier", format="json",
                       known_at="2026-01-06T20:00:00+05:00").json()  # fmt: skip
    assert world["as_of"]["moment"] == known["as_of"]["moment"] == "2026-01-06T15:00:00Z"
    assert [e["model_revision"] for e in world["timelines"]["effective_not_yet_recorded"]] == [15]
    assert len(world["sections"]) == 9
    html = sealed.get("/v1/models/scorer/dossier")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "9. Post-market monitoring" in html.text
    pdf = sealed.get("/v1/models/scorer/dossier", format="pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages) >= 9


def test_dossier_errors_are_clear_4xx(sealed: Api) -> None:  # noqa: F811
    moment = "2026-01-06T15:00:00Z"
    both = sealed.get("/v1/models/scorer/dossier", at=moment, known_at=moment)
    assert "not both" in problem(both, 422, "dossier_point_invalid")
    assert "no model named 'nope'" in problem(
        sealed.get("/v1/models/nope/dossier"), 404, "model_not_found"
    )
    early = sealed.get("/v1/models/scorer/dossier", at="2025-01-01T00:00:00Z")
    assert "not yet registered" in problem(early, 404, "model_not_found")
    assert sealed.get("/v1/models/scorer/dossier", at="2026-01-06").status_code == 422
    assert sealed.get("/v1/models/scorer/dossier", role=None).status_code == 401


def test_the_cli_writes_the_dossier_and_refuses_clearly(backend: Settings, tmp_path: Path) -> None:
    write_key_pair(backend.signing_key_file, passphrase=None)
    governance = open_governance(backend)
    portfolio(governance)
    seal_at(open_ledger(backend, governance), HEAD_TIME)
    governance.close()
    env = environ_for(backend.database.kind, tmp_path, backend.database.schema)
    written = run(tmp_path, "dossier", "scorer", "--known-at", "2026-01-06T15:00:00Z",
                  "--format", "pdf", "--out", "scorer.pdf", env=env)  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "scorer.pdf").read_bytes().startswith(b"%PDF")
    as_json = run(tmp_path, "dossier", "scorer", "--format", "json", env=env)
    assert '"report": "dossier"' in as_json.stdout
    fails_clearly(run(tmp_path, "dossier", "scorer", "--format", "pdf", env=env), "needs --out")
    fails_clearly(
        run(tmp_path, "dossier", "scorer", "--at", "2026-01-06T15:00:00Z", "--known-at",
            "2026-01-06T15:00:00Z", env=env), "not both",
    )  # fmt: skip
    fails_clearly(run(tmp_path, "dossier", "nope", env=env), "no model named 'nope'")
