"""Every console page passes axe-core's checks (no serious or critical violation), is screenshot,
works from the keyboard with visible focus, and reads without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watch, sign_in, watched_context
from tests.client.conftest import Remote

SERIOUS = {"serious", "critical"}

# Every console page (name, role looking at it, path); None: signed out.
PAGES = [
    ("login", None, "/console/login"),
    ("portfolio", "compliance_officer", "/console/portfolio"),
    ("model", "compliance_officer", "/console/models/screener"),
    ("model-with-flag", "data_scientist", "/console/models/scorer"),
    (
        "time-travel",
        "auditor",
        "/console/models/scanner/as-of?at=2026-01-05T12:00:00Z&timeline=world"
        "&compare=2026-01-07T00:00:00Z",
    ),
    ("queues", "compliance_officer", "/console/queues"),
    ("queues-data-scientist", "data_scientist", "/console/queues"),
    ("reports", "compliance_officer", "/console/reports"),
    ("ledger", "auditor", "/console/ledger"),
    ("refusal", "auditor", "/console/models/nobody-registered-this"),
]


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per element."""
    results: dict[str, Any] = Axe().run(page).response
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at {node['target']}"
        for violation in results["violations"]
        if violation["impact"] in SERIOUS
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize(("name", "role", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_the_page_has_no_serious_accessibility_violation(
    page: Page,
    live: Remote,
    watch: Watch,
    screenshot: Callable[[Page, str], Path],
    name: str,
    role: str | None,
    path: str,
) -> None:
    if role is not None:
        sign_in(page, live, role)
    if name == "refusal":
        watch.tolerate("status of 404")  # Chromium logs the page's own status as an error
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, f"console-{name}")
    assert serious_violations(page) == []


def test_the_ledger_verified_from_the_page_stays_accessible(
    page: Page, live: Remote, screenshot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, live, "auditor", next_page="/console/ledger")
    page.get_by_role("button", name="Verify the whole ledger").click()
    expect(page.get_by_role("status")).to_contain_text("The ledger verifies")
    screenshot(page, "console-ledger-verified")
    assert serious_violations(page) == []


def _focused(page: Page) -> dict[str, str]:
    """The focused element: its tag, id, accessible text, and the outline the browser draws."""
    found: dict[str, str] = page.evaluate(
        """() => {
            const e = document.activeElement;
            const style = getComputedStyle(e);
            const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
            return {tag: e.tagName.toLowerCase(), id: e.id || "",
                    text: (e.innerText || label || e.value || "").trim(),
                    outline: style.outlineStyle + " " + style.outlineWidth,
                    visible: String(e.getBoundingClientRect().left >= 0)};
        }"""
    )
    return found


def _tab_through(page: Page, presses: int) -> list[dict[str, str]]:
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(_focused(page))
    return seen


def test_the_keyboard_reaches_the_links_and_controls_and_shows_where_focus_is(
    page: Page, live: Remote
) -> None:
    sign_in(page, live, "compliance_officer")
    page.goto("/console/portfolio")
    seen = _tab_through(page, 12)
    skip = seen[0]
    assert (skip["tag"], skip["text"], skip["visible"]) == ("a", "Skip to content", "true")
    texts = [f["text"] for f in seen]
    for reached in ("modelgov", "Portfolio", "Queues", "Reports", "Ledger", "Sign out", "Filter"):
        assert reached in texts, texts
    assert {"f-tier", "f-owner", "f-status"} <= {f["id"] for f in seen}
    for focused in seen:
        assert focused["outline"] == "solid 3px", focused  # :focus-visible in console.css

    page.goto("/console/portfolio")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    assert _focused(page)["id"] == "main"

    page.goto("/console/queues")
    ids = {f["id"] for f in _tab_through(page, 14)}
    assert {"signoff-reason-screener-1", "reject-screener-1"} <= ids, ids


def test_the_portfolio_and_a_model_read_without_javascript(
    browser: Browser, live: Remote, watch: Watch, request: pytest.FixtureRequest
) -> None:
    page = watched_context(browser, watch, request, java_script_enabled=False).new_page()
    sign_in(page, live, "auditor")
    page.goto("/console/portfolio")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio")
    models = page.locator("section[aria-labelledby=models] tbody tr")
    expect(models).to_have_count(3)
    expect(models.first).to_be_visible()
    page.locator("section[aria-labelledby=models]").get_by_role("link", name="scorer").click()
    page.wait_for_url(re.compile("/console/models/scorer"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("scorer")
    expect(page.locator("#flag-BF-1")).to_contain_text("fpr ratio on age band")
    expect(page.locator("table.history tbody tr").first).to_be_visible()
