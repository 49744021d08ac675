"""Rendering report documents: HTML (Jinja2, autoescaped, self-contained), JSON, and PDF from the HTML.

Rendering is a pure function of the document: no clock, no random ids, keys sorted, so the same
events under the same signed tree head give the same bytes.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from domain.instants import duration_text, require_instant

FORMATS = ("html", "pdf", "json")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}
_TEMPLATES = {
    "model": "model.html.j2",
    "portfolio": "portfolio.html.j2",
    "changes": "changes.html.j2",
    "incident": "incident.html.j2",
    "dossier": "dossier.html.j2",
}


def moment(value: str | None) -> str:
    """An ISO 8601 time as a reader writes it, in UTC (the documents hold only UTC), without the
    zone letter: 2026-11-27 20:50:36 (the console's pages add the `Z` themselves)."""
    if not value:
        return "—"
    return f"{require_instant('time', value):%Y-%m-%d %H:%M:%S}"


def instant(value: str | None) -> str:
    """The one way a report writes a time, in headers, tables and footers: 2026-11-27 20:50:36Z."""
    return f"{moment(value)}Z" if value else "—"


def hex_lines(value: str, *, width: int = 64) -> Markup:
    """A long hex string (a signature) that may wrap only between whole blocks of `width`
    characters, never leaving a character or two alone on a line."""
    blocks = [str(escape(value[i : i + width])) for i in range(0, len(value), width)]
    return Markup("<wbr>".join(blocks))


def duration(seconds: float | None) -> str:
    """A duration in days, hours and minutes: 3 d 4 h 5 min (domain/instants.py duration_text)."""
    return "—" if seconds is None else duration_text(seconds)


def served(seconds_by_environment: dict[str, float]) -> str:
    """How long a version served while a flag or breach was open, per environment."""
    if not seconds_by_environment:
        return "not served while open"
    return "; ".join(f"{env}: {duration(s)}" for env, s in sorted(seconds_by_environment.items()))


def event_rows(entries: list[dict[str, Any]]) -> Markup:
    """Timeline rows, every value escaped: the long tables of a report (10,000 events render in a
    fraction of the time a Jinja loop over them takes)."""
    rows = []
    for e in entries:
        backdated = '<br><span class="tag warn">backdated</span>' if e["backdated"] else ""
        rows.append(
            f'<tr><td>{e["model_revision"]}</td><td class="ev">{escape(e["event"])}{backdated}</td>'
            f'<td class="t">{escape(instant(e["effective_at"]))}</td>'
            f'<td class="t">{escape(instant(e["recorded_at"]))}</td>'
            f"<td>{escape(e['actor'])} ({escape(e['role'])})</td><td>{escape(e['reason'])}</td>"
            f"<td>{escape(e['summary'])}</td></tr>"
        )
    return Markup("\n".join(rows))


def template_environment(package: str, **options: Any) -> Environment:
    """Jinja2 as the reports and the console use it: `package`'s templates folder, every value
    escaped, an undefined name an error, block tags leaving no blank lines."""
    return Environment(
        loader=PackageLoader(package, "templates"), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, **options,
    )  # fmt: skip


@cache
def environment() -> Environment:
    env = template_environment("reports", keep_trailing_newline=True)
    env.filters["instant"] = instant
    env.filters["hex_lines"] = hex_lines
    env.filters["duration"] = duration
    env.filters["event_rows"] = event_rows
    env.filters["served"] = served
    return env


def render_html(document: dict[str, Any]) -> str:
    return environment().get_template(_TEMPLATES[document["report"]]).render(doc=document)


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_pdf(document: dict[str, Any]) -> bytes:
    """The HTML report laid out for print by WeasyPrint (imported here: it loads native libraries)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(document)).write_pdf()
    return pdf


def render(document: dict[str, Any], fmt: str) -> bytes:
    """The document in `fmt` (html, pdf or json), as bytes."""
    if fmt == "json":
        return render_json(document).encode()
    if fmt == "pdf":
        return render_pdf(document)
    return render_html(document).encode()
