"""/docs and /redoc render in Chromium from this server alone: the page fixture fails a test on any
request to another host (a CDN, Google's fonts, a remote logo) and on any console error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect


def test_swagger_ui_renders_the_api_offline(page: Page, screenshot: Callable[..., Path]) -> None:
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("modelgov")
    expect(
        page.locator(".opblock-summary-path", has_text="/v1/models/{name}").first
    ).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "docs-swagger-ui")


def test_redoc_renders_the_api_offline(page: Page, screenshot: Callable[..., Path]) -> None:
    page.goto("/redoc")
    expect(page.get_by_role("heading", level=1)).to_contain_text("modelgov")
    expect(page.get_by_text("/v1/models/{name}/activations").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    screenshot(page, "docs-redoc", full_page=False)  # every operation on one page: very tall
