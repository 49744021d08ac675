"""`modelgov report ...` and `modelgov demo --reports` (what `make demo` runs) as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import fails_clearly, run


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo-reports")
    result = run(directory, "demo", "--reports", "reports-out")
    assert result.returncode == 0, result.stderr
    assert "audit reports as of the latest signed tree head" in result.stdout
    (directory / "demo-output.txt").write_text(result.stdout)  # what the user saw
    return directory


def test_the_demo_writes_every_report_in_every_format_and_prints_the_paths(demo_dir: Path) -> None:
    written = sorted(p.name for p in (demo_dir / "reports-out").iterdir())
    assert len(written) == (7 + 2) * 3
    assert {"portfolio.html", "portfolio.pdf", "portfolio.json"} <= set(written)
    printed = (demo_dir / "demo-output.txt").read_text()
    assert "reports-out/model-credit-risk-scorer.pdf" in printed


def test_a_report_re_rendered_as_of_its_head_is_byte_identical(demo_dir: Path) -> None:
    first = run(
        demo_dir, "report", "model", "credit-risk-scorer", "--format", "json", "--out", "a.json"
    )
    assert first.returncode == 0, first.stderr
    assert "wrote a.json (json, as of signed tree head" in first.stdout
    size = json.loads((demo_dir / "a.json").read_text())["integrity"]["tree_size"]
    again = run(demo_dir, "report", "model", "credit-risk-scorer", "--format", "json",
                "--as-of-head", str(size))  # fmt: skip
    assert again.stdout == (demo_dir / "a.json").read_text()
    html = run(demo_dir, "report", "portfolio").stdout
    assert (
        html.startswith("<!DOCTYPE html>") and html == run(demo_dir, "report", "portfolio").stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "model", "nope"], "no model named 'nope'"),
        (["report", "portfolio", "--as-of-head", "100000"], "latest signed tree head has size"),
        (
            ["report", "changes", "--since", "2026-02-01T00:00Z", "--until", "2026-01-01T00:00Z"],
            "swap since and until",
        ),
        (
            ["report", "changes", "--since", "2026-01-01", "--until", "2026-02-01T00:00Z"],
            "must carry a time zone",
        ),
        (["report", "portfolio", "--format", "pdf"], "a PDF needs --out FILE"),
        (["report", "portfolio", "--format", "docx"], "'docx' is not one of html, pdf, json"),
        (["report", "changes", "--since", "soon", "--until", "2026-01-01"], "not an ISO 8601 time"),
    ],
)
def test_report_errors_are_one_clear_line_and_a_non_zero_exit(
    demo_dir: Path, args: list[str], message: str
) -> None:
    fails_clearly(run(demo_dir, *args), message)


def test_the_schema_of_each_report_is_printed(demo_dir: Path) -> None:
    schema = json.loads(run(demo_dir, "report", "schema", "portfolio").stdout)
    assert schema["$id"] == "https://modelgov.dev/schemas/reports/portfolio-report.v1.json"
