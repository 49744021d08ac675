"""The reports as printed: each rendered to PDF, read back page by page with poppler's pdftotext,
and left as PNG pages (pdftoppm) in $MODELGOV_SCREENSHOTS, if set, for a person to look at.

What a reader signing a report would trip over, checked where text can show it: a gate's mark alone
on its line, an event name broken mid-word, a heading or a card cut from its table by a page
break, times written two ways, raw `comparator="<="` details, a signature wrapped to leave a
character or two alone on a line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.commands import SetTarget, SignOff
from infrastructure.db.store import open_governance
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.ledger.report_source import changes_report, model_report, portfolio_report
from reports import render
from tests.conftest import missing, settings_for
from tests.factories import at_hours, later
from tests.reports.conftest import HEAD_TIME, portfolio, seal_at

TIME = re.compile(r"\d{2}:\d{2}:\d{2}")
REPORT_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z")


@pytest.fixture(scope="module")
def poppler() -> None:
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        missing(
            "pdftoppm and pdftotext are missing (Debian: apt-get install poppler-utils); the "
            "printed pages of the reports cannot be checked",
            required_by="MODELGOV_REQUIRE_BROWSER",
        )


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """The audited `scorer` (cards with validations, gates, targets, a breach, a bias flag, costs),
    moved to the regulated tier and then signed off, with a 12000 EUR budget; the portfolio; the
    change report of its first 200 hours."""
    settings = settings_for("sqlite", tmp_path_factory.mktemp("printed"))
    write_key_pair(settings.signing_key_file, passphrase=None)
    governance = open_governance(settings)
    try:
        portfolio(governance)
        governance.handle(
            SignOff(name="scorer", version=1), by=at_hours("co", 121, "model risk review MR-7")
        )
        governance.handle(
            SetTarget(
                name="scorer", dimension="cost", metric="monthly_cost_eur", comparator="<=",
                threshold=12000.0, unit="EUR", window="last", severity="warning",
            ),
            by=at_hours("ds", 122, "budget for the regulated tier"),
        )  # fmt: skip
        ledger: Ledger = open_ledger(settings, governance)
        seal_at(ledger, HEAD_TIME)
        yield {
            "model": model_report(ledger, "scorer", as_of_head=None),
            "portfolio": portfolio_report(ledger, as_of_head=None),
            "changes": changes_report(ledger, since=later(0), until=later(200), as_of_head=None),
        }
    finally:
        governance.close()


@pytest.fixture(scope="module")
def printed(
    poppler: None, documents: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[str]]:
    """Each report's pages as pdftotext lays them out; its PNG pages written where a person looks."""
    screenshots = os.environ.get("MODELGOV_SCREENSHOTS")
    folder = Path(screenshots) if screenshots else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    pages: dict[str, list[str]] = {}
    for kind, document in documents.items():
        pdf = folder / f"{kind}-report.pdf"
        pdf.write_bytes(render(document, "pdf"))
        text = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        pages[kind] = text.split("\f")[:-1]
        for old in folder.glob(f"{kind}-report-*.png"):
            old.unlink()
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", str(pdf), str(folder / f"{kind}-report")], check=True
        )
        assert len(list(folder.glob(f"{kind}-report-*.png"))) == len(pages[kind]) >= 1
    return pages


def lines(pages: list[str]) -> list[str]:
    return [line.strip() for page in pages for line in page.splitlines() if line.strip()]


def page_of(pages: list[str], pattern: str) -> int:
    """The first page (from 0) with a line matching `pattern` from its first character."""
    found = [
        n for n, page in enumerate(pages) for line in page.splitlines()
        if re.match(pattern, line.strip())
    ]  # fmt: skip
    assert found, f"no line matches {pattern!r}"
    return found[0]


def test_every_gate_s_mark_stands_on_the_line_of_its_gate(printed: dict[str, list[str]]) -> None:
    text = lines(printed["model"])
    assert [line for line in text if re.search(r"[✓✗]\s*$", line)] == []
    assert any(re.search(r"✓ validation_evidence\b", line) for line in text)
    assert any(re.search(r"✓ data_scientist_release_approval\b", line) for line in text)


def test_no_event_name_is_broken_across_lines(
    printed: dict[str, list[str]], documents: dict[str, dict[str, Any]]
) -> None:
    entries = {
        "model": documents["model"]["timeline"],
        "changes": [e for group in documents["changes"]["models"] for e in group["events"]],
    }
    for kind, events in entries.items():
        text = "\n".join(printed[kind])
        for name in {e["event"] for e in events}:
            expected = sum(1 for e in events if e["event"] == name)
            assert len(re.findall(rf"\b{name}\b", text)) >= expected, (kind, name)


def test_timeline_details_are_sentences_not_field_dumps(
    printed: dict[str, list[str]],
) -> None:
    for kind in ("model", "changes"):
        text = "\n".join(printed[kind])
        for raw in ("comparator=", "hysteresis=", '="', "version=", "null"):
            assert raw not in text, (kind, raw)
    model = " ".join(lines(printed["model"]))
    assert "Target for accuracy (auc) changed from at least" in model
    assert "Compliance sign-off given for version 1." in model


def test_one_time_format_in_headers_tables_and_footers(printed: dict[str, list[str]]) -> None:
    for kind, pages in printed.items():
        for line in lines(pages):
            assert " UTC" not in line.replace("Times are UTC", ""), (kind, line)
            assert "+00:00" not in line and not re.search(r"\dT\d", line), (kind, line)
            for match in TIME.finditer(line):
                assert line[match.end() : match.end() + 1] == "Z", (kind, line)
        header = next(line for line in lines(pages) if line.startswith("As of signed tree head"))
        assert REPORT_TIME.search(header), (kind, header)
        for page in pages:
            footer = [line for line in lines([page]) if line.startswith("modelgov · signed tree")]
            assert footer and REPORT_TIME.search(footer[0]), (kind, footer)


def test_the_integrity_section_is_on_one_page(printed: dict[str, list[str]]) -> None:
    for kind, pages in printed.items():
        page = page_of(pages, r"Integrity$")
        for label in ("Tree size", "Root \\(SHA-256\\)", "Signature \\(Ed25519\\)", "Verification"):
            assert page_of(pages, label) == page, (kind, label)


def test_a_signature_wraps_in_whole_blocks(
    printed: dict[str, list[str]], documents: dict[str, dict[str, Any]]
) -> None:
    signature = documents["model"]["integrity"]["signature"]
    for kind, pages in printed.items():
        text = lines(pages)
        start = next(n for n, line in enumerate(text) if line.startswith("Signature (Ed25519)"))
        first = text[start].split()[-1]
        assert len(first) >= 64 and signature.startswith(first), (kind, text[start])
        assert first + text[start + 1] == signature, (kind, text[start : start + 2])


def test_a_version_s_card_and_its_validations_share_a_page(
    printed: dict[str, list[str]], documents: dict[str, dict[str, Any]]
) -> None:
    pages = printed["model"]
    for version in documents["model"]["versions"]:
        card = page_of(pages, rf"Version {version['number']} {version['status']}$")
        assert page_of(pages, rf".*{version['card']['artifact_sha256']}") == card
        for validation in version["validations"]:
            effective = validation["effective_at"][:10]
            rows = [
                line for line in pages[card].splitlines()
                if line.strip().startswith(validation["kind"]) and effective in line
            ]  # fmt: skip
            assert rows, (version["number"], "validation not on the card's page")


def test_targets_are_written_on_one_line(printed: dict[str, list[str]]) -> None:
    assert any("<= 12000.0 EUR" in line for line in lines(printed["model"]))


def test_a_change_report_s_model_heading_sits_with_its_events(
    printed: dict[str, list[str]], documents: dict[str, dict[str, Any]]
) -> None:
    numbered = [
        (n, line.strip()) for n, page in enumerate(printed["changes"]) for line in page.splitlines()
    ]
    for group in documents["changes"]["models"]:
        start = next(i for i, (_, line) in enumerate(numbered) if line == group["model"])
        first = group["events"][0]
        row = next(
            i for i, (_, line) in enumerate(numbered)
            if i > start and re.match(rf"{first['model_revision']}\s+{first['event']}\b", line)
        )  # fmt: skip
        assert numbered[row][0] == numbered[start][0], (group["model"], "heading left behind")
