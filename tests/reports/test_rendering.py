"""Rendered reports: HTML that parses, text that is escaped, same bytes every time, a PDF that opens,
JSON that follows its schema, and an old head re-rendered exactly."""

from __future__ import annotations

import io
import json
from importlib.resources import files

import jsonschema
import pypdf
import pytest
from tinyhtml5.parser import HTMLParser

from domain.commands import ReportCost
from infrastructure.db.store import open_governance
from infrastructure.errors import LedgerLookupError
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.ledger.report_source import changes_report, model_report, portfolio_report
from infrastructure.settings import Settings
from reports import render
from tests.factories import at_hours, later
from tests.reports.conftest import HEAD_TIME, seal_at


def all_documents(ledger: Ledger, as_of_head: int | None = None) -> dict[str, dict[str, object]]:
    return {
        "model": model_report(ledger, "scorer", as_of_head=as_of_head),
        "portfolio": portfolio_report(ledger, as_of_head=as_of_head),
        "changes": changes_report(ledger, since=later(0), until=later(200), as_of_head=as_of_head),
    }


def rendered(ledger: Ledger, as_of_head: int | None = None) -> dict[str, bytes]:
    return {
        f"{kind}.{fmt}": render(document, fmt)
        for kind, document in all_documents(ledger, as_of_head).items()
        for fmt in ("html", "json")
    }


def test_html_parses_without_errors_and_is_self_contained(ledger: Ledger) -> None:
    for kind, document in all_documents(ledger).items():
        html = render(document, "html").decode()
        parser = HTMLParser()
        parser.parse(html)
        assert parser.errors == [], (kind, parser.errors[:3])
        assert "<script" not in html and "src=" not in html and "http-equiv" not in html
        assert "@media print" in html and "table-header-group" in html


def test_the_same_head_renders_the_same_bytes_twice_and_after_a_restart(
    ledger: Ledger, backend: Settings
) -> None:
    first = rendered(ledger)
    assert rendered(ledger) == first
    restarted = open_governance(backend)
    try:
        assert rendered(open_ledger(backend, restarted)) == first
    finally:
        restarted.close()


def test_as_of_an_old_head_re_renders_the_old_report_exactly(ledger: Ledger) -> None:
    before = rendered(ledger)
    size = before_size = json.loads(before["model.json"])["integrity"]["tree_size"]
    ledger.governance.handle(
        ReportCost(
            name="scorer", period="2026-02", amount="10.00", currency="EUR", business_unit="Retail"
        ),
        by=at_hours("bo", 130),
    )
    size = seal_at(ledger, HEAD_TIME + (later(1) - later(0)))
    assert size == before_size + 1
    assert json.loads(rendered(ledger)["model.json"])["integrity"]["tree_size"] == size
    assert rendered(ledger, as_of_head=before_size) == before


def test_a_head_beyond_the_log_or_never_signed_is_refused_clearly(ledger: Ledger) -> None:
    with pytest.raises(LedgerLookupError, match="latest signed tree head has size 30"):
        model_report(ledger, "scorer", as_of_head=31)
    with pytest.raises(LedgerLookupError, match="no tree head was signed at size 7"):
        model_report(ledger, "scorer", as_of_head=7)


def test_a_description_with_markup_appears_as_text(ledger: Ledger) -> None:
    document = model_report(ledger, "scorer", as_of_head=None)
    document["model"]["description"] = '<script>alert("x")</script> & <b>bold</b>'
    html = render(document, "html").decode()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script" not in html and "<b>" not in html


def test_json_follows_its_published_schema(ledger: Ledger) -> None:
    for kind, document in all_documents(ledger).items():
        schema = json.loads(
            files("reports").joinpath(f"schemas/{kind}-report.schema.json").read_text()
        )
        assert document["schema"] == schema["$id"]
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.FormatChecker()
        )
        errors = [
            f"{list(e.path)}: {e.message}"
            for e in validator.iter_errors(json.loads(render(document, "json")))
        ]
        assert errors == [], kind


def test_pdf_opens_with_a_sensible_page_count_and_the_report_s_text(ledger: Ledger) -> None:
    reader = pypdf.PdfReader(
        io.BytesIO(render(model_report(ledger, "scorer", as_of_head=None), "pdf"))
    )
    assert 4 <= len(reader.pages) <= 15
    first = reader.pages[0].extract_text()
    assert "Model audit report: scorer" in first
    assert "page 1 of" in first
