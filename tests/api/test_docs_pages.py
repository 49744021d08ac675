"""/docs and /redoc work offline: every script, style sheet and icon they name is served here.

(tests/browser/test_docs_in_a_browser.py loads both pages in Chromium and fails on any request
that leaves the server.)
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from infrastructure.api.app import create_app
from infrastructure.api.docs_pages import REDOC_SCRIPT, REDOCLY_LOGO
from infrastructure.settings import get_settings

_REFERENCES = re.compile(r'(?:src|href|spec-url)="([^"]+)"')
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(get_settings({})))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_page_names_only_this_servers_files(
    client: TestClient, page: str
) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    assert "://" not in answer.text  # no CDN, no Google fonts, no remote favicon
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:;" in policy
    references = _REFERENCES.findall(answer.text)
    assert references, answer.text
    for reference in references:
        assert reference.startswith("/") and not reference.startswith("//"), reference
        served = client.get(reference)
        assert served.status_code == 200, reference
        if reference != "/openapi.json":
            suffix = reference[reference.rfind(".") :]
            assert served.headers["content-type"].startswith(_MEDIA_TYPES[suffix]), reference
            assert len(served.content) > 1000, reference


def test_redocs_script_names_no_remote_logo(client: TestClient) -> None:
    script = client.get(REDOC_SCRIPT)
    assert script.status_code == 200 and b"Redoc" in script.content
    assert REDOCLY_LOGO.encode() not in script.content
    assert b"cdn.redoc.ly" not in script.content


def test_swagger_uis_sign_in_redirect_page_is_served(client: TestClient) -> None:
    answer = client.get("/docs/oauth2-redirect")
    assert answer.status_code == 200
    assert "<script" in answer.text


def test_the_documentation_pages_stay_out_of_the_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]
