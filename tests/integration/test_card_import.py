"""`modelgov card import`: a Hugging Face model card (front matter and sections) as a modelgov card."""

from __future__ import annotations

import json
from pathlib import Path

from infrastructure.db.store import open_governance
from infrastructure.settings import get_settings
from tests.conftest import environ_for
from tests.factories import by, registration
from tests.integration.mlflow_registry import manifest_digest
from tests.integration.test_cli import run

README = """---
language: en
license: apache-2.0
datasets:
  - imdb
  - warehouse://reviews/2026-10
tags: [sentiment, text-classification]
base_model: distilbert-base-uncased
release_date: 2026-10-01
model-index:
  - name: sentiment-small
    results:
      - task: {type: text-classification}
        metrics: [{type: accuracy, value: 0.91}]
---

# Model Card for sentiment-small

## Model Details

A DistilBERT fine-tuned on movie reviews.

## Uses

### Direct Use

Scoring the sentiment of English product reviews.

### Out-of-Scope Use

- Reviews in other languages
- Medical or legal text

## Bias, Risks, and Limitations

- Sarcasm is often misread

## Training Details

### Training Data

[More Information Needed]

## Evaluation

Accuracy 0.91 on the IMDB test split.
"""


def _options(tmp_path: Path) -> list[str]:
    artifact = tmp_path / "sentiment-small"
    artifact.mkdir(exist_ok=True)
    (artifact / "config.json").write_text('{"layers": 6}')
    (artifact / "model.safetensors").write_bytes(b"\x00" * 4096)
    return [
        "--artifact-uri", "hf://acme/sentiment-small", "--artifact", str(artifact),
        "--feature", "review_text", "--label", "sentiment",
        "--documentation-url", "https://huggingface.co/acme/sentiment-small",
        "--git-commit", "9f8e7d6c",
    ]  # fmt: skip


def test_a_hugging_face_card_becomes_a_modelgov_card_keeping_what_else_it_says(
    tmp_path: Path,
) -> None:
    (tmp_path / "README.md").write_text(README)
    env = environ_for("sqlite", tmp_path)
    result = run(
        tmp_path, "card", "import", "README.md", *_options(tmp_path), "-o", "card.json", env=env
    )
    assert result.returncode == 0, result.stderr
    card = json.loads((tmp_path / "card.json").read_text())
    assert card["training_data"] == ["imdb", "warehouse://reviews/2026-10"]
    assert card["assumptions"] == [
        "Reviews in other languages", "Medical or legal text", "Sarcasm is often misread",
    ]  # fmt: skip
    assert card["artifact_sha256_of"] == "file_manifest"
    assert card["artifact_sha256"] == manifest_digest(tmp_path / "sentiment-small")
    assert card["features"] == ["review_text"] and card["labels"] == ["sentiment"]
    extras = card["extras"]
    assert extras["metadata"]["license"] == "apache-2.0"
    assert extras["metadata"]["release_date"] == "2026-10-01"  # a YAML date, kept as its text
    assert extras["metadata"]["model-index"][0]["results"][0]["metrics"][0]["value"] == 0.91
    assert extras["sections"]["Direct Use"] == "Scoring the sentiment of English product reviews."
    assert "Training Data" not in extras["sections"]  # the template's placeholder says nothing


def test_the_card_registers_a_version_locally_with_model(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(README)
    env = environ_for("sqlite", tmp_path)
    governance = open_governance(get_settings(env), create_key=True)
    try:
        governance.handle(registration("sentiment-small", "low"), by=by("eng"))
    finally:
        governance.close()
    result = run(
        tmp_path, "card", "import", "README.md", *_options(tmp_path), "--model", "sentiment-small",
        "--actor", "li.wei", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "registered sentiment-small version 1" in result.stdout
    governance = open_governance(get_settings(env))
    try:
        version = governance.get_model("sentiment-small").version_by_number(1)
    finally:
        governance.close()
    assert version.registered_by == "li.wei"
    assert version.card["extras"]["metadata"]["base_model"] == "distilbert-base-uncased"


def test_what_a_card_does_not_say_is_asked_for_by_option(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n# A model\n")
    result = run(tmp_path, "card", "import", "README.md", env=environ_for("sqlite", tmp_path))
    assert result.returncode == 2
    assert "--artifact-uri" in result.stderr and "--git-commit" in result.stderr
    assert "`datasets:` in the front matter" in result.stderr
    assert "Traceback" not in result.stderr
    (tmp_path / "bad.md").write_text("---\n: [unclosed\n---\n")
    bad = run(tmp_path, "card", "import", "bad.md", env=environ_for("sqlite", tmp_path))
    assert bad.returncode == 2 and "front matter cannot be read" in bad.stderr
