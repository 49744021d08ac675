"""The console and /docs in a real browser: Debian's Chromium (/usr/bin/chromium), driven by
Playwright (never Playwright's own browser builds), against a live `modelgov serve`.

Skipped with a message without Chromium or Playwright; MODELGOV_REQUIRE_BROWSER=1 (CI) makes that
a failure. A test fails on any request its page sends to another host and on any error in the
page's console. Screenshots go to MODELGOV_SCREENSHOTS (a temporary folder by default).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest

from domain.commands import SignOff
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.store import open_governance
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import open_ledger
from tests.client.conftest import Remote, started_remote
from tests.conftest import missing, settings_for, wait_until
from tests.console.conftest import awaiting_signoff, with_bias_flag
from tests.factories import by, later

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED_BY = "MODELGOV_REQUIRE_BROWSER"

try:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Page,
        Route,
        sync_playwright,
    )
except ImportError:  # the dev extra pins it; without it, these tests cannot even be collected
    if os.environ.get(REQUIRED_BY) == "1":
        raise
    pytest.skip(
        "Playwright is not installed (pip install -e '.[dev]'): the browser tests are skipped",
        allow_module_level=True,
    )

SIGNED_OFF_AT = later(24)  # "scanner" was signed off a day after its release was approved (T0)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole package (a context per test keeps tests apart)."""
    if not CHROMIUM.exists():
        missing(
            f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
            required_by=REQUIRED_BY,
        )
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield found
        found.close()


def _seed(workdir: Path) -> Any:
    """The store the live server serves: "screener" awaiting only the compliance sign-off,
    "scanner" signed off a day later than that, "scorer" with an open bias flag; all sealed."""
    settings = settings_for("sqlite", workdir)
    governance = open_governance(settings)
    awaiting_signoff(governance, "screener")
    awaiting_signoff(governance, "scanner")
    governance.handle(SignOff(name="scanner", version=1), by=by("co", "reviewed", at=SIGNED_OFF_AT))
    with_bias_flag(governance, "scorer")
    write_key_pair(settings.signing_key_file, passphrase=None)
    seal_until_caught_up(open_ledger(settings, governance))
    governance.close()
    return settings


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    """`modelgov serve` (no sealer, no monitor) over the seeded store, its read models caught up."""
    workdir = tmp_path_factory.mktemp("live")
    remote = started_remote(_seed(workdir), workdir)

    def caught_up() -> bool:
        ready = httpx2.get(f"{remote.url}/readyz", timeout=5).json()
        return bool(ready.get("projection_lag") == 0)

    try:
        assert wait_until(caught_up, timeout=30), "the server's projections did not catch up"
        yield remote
    finally:
        remote.server.stop()


@dataclass
class Watch:
    """What a page did that a test must not let pass: requests to other hosts, console errors."""

    origin: str
    elsewhere: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tolerated: list[re.Pattern[str]] = field(default_factory=list)

    def tolerate(self, pattern: str) -> None:
        """Let console errors matching `pattern` pass (a refusal page's own status, say)."""
        self.tolerated.append(re.compile(pattern))

    def route(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and not _same_origin(
            url, self.origin
        ):
            self.elsewhere.append(url)
            route.abort()
        else:
            route.continue_()

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.tolerated):
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def page_error(self, error: Exception) -> None:
        self.errors.append(f"uncaught: {error}")

    def problems(self) -> list[str]:
        return [f"request to another host: {url}" for url in self.elsewhere] + self.errors


def _same_origin(url: str, origin: str) -> bool:
    return url == origin or url.startswith(origin + "/")


WATCH = pytest.StashKey[list[Watch]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test itself (not its teardown) when a watched page misbehaved."""
    result = yield
    problems = [problem for watch in item.stash.get(WATCH, []) for problem in watch.problems()]
    if problems:
        pytest.fail("the page misbehaved:\n" + "\n".join(problems), pytrace=False)
    return result


@pytest.fixture
def watch(live: Remote, request: pytest.FixtureRequest) -> Watch:
    """The test's watch over its pages: checked when the test body ends."""
    found = Watch(origin=live.url)
    request.node.stash.setdefault(WATCH, []).append(found)
    return found


def watched_context(
    browser: Browser, watch: Watch, request: pytest.FixtureRequest, **options: Any
) -> BrowserContext:
    """A fresh browser context on the live server whose pages are watched (see Watch)."""
    context = browser.new_context(base_url=watch.origin, **options)
    context.set_default_timeout(10_000)  # a page here answers in well under a second
    context.route("**/*", watch.route)
    context.on("page", lambda page: _watch_page(page, watch))
    request.addfinalizer(context.close)
    return context


def _watch_page(page: Page, watch: Watch) -> None:
    page.on("console", watch.console)
    page.on("pageerror", watch.page_error)


@pytest.fixture
def page(browser: Browser, watch: Watch, request: pytest.FixtureRequest) -> Page:
    """A page in a fresh context: no cookies, the live server as its base URL, watched."""
    return watched_context(browser, watch, request).new_page()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("MODELGOV_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshots: Path) -> Callable[..., Path]:
    """`screenshot(page, name)`: the whole page (or, with full_page=False, what the window shows)
    as NAME.png in the screenshots folder."""

    def take(page: Page, name: str, *, full_page: bool = True) -> Path:
        path = screenshots / f"{re.sub(r'[^A-Za-z0-9_.-]', '-', name)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def sign_in(page: Page, live: Remote, role: str, *, next_page: str = "") -> None:
    """Sign in on the sign-in page with the role's token, as a person pastes it."""
    page.goto(f"/console/login?next={next_page}" if next_page else "/console/login")
    page.get_by_label("Token").fill(live.tokens[role])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/(?!login)"))
