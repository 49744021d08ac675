"""A Hugging Face model card (a README.md: YAML front matter, then markdown sections) as a
modelgov model card.

What the Hugging Face card says in the fields modelgov reads goes there (`datasets` into
`training_data`, the limitations and out-of-scope uses into `assumptions`); everything else is
kept in the card's `extras` (the front matter's other keys under `metadata`, each section's text
under `sections`), never dropped, never refused. What a Hugging Face card does not say (the
artifact's digest, the git commit, often features and labels) comes from the caller; a card that
still lacks one is refused naming the option that gives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from infrastructure.errors import CommandFailedError

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+(.+)$", re.MULTILINE)
# Sections whose bullets are the assumptions a version is used under (the card's own words).
_ASSUMPTION_SECTIONS = ("limitations", "out-of-scope", "out of scope", "bias, risks", "risks")
_PLACEHOLDER = re.compile(r"^\[?more information needed\]?$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class CardInputs:
    """What the caller gives beside the README (each overrides what the README says)."""

    artifact_uri: str = ""
    artifact_sha256: str = ""
    artifact_sha256_of: str = "file"
    features: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    training_data: tuple[str, ...] = ()
    documentation_url: str = ""
    git_commit: str = ""
    pull_request: str = ""
    pipeline_run: str = ""
    extras: dict[str, Any] = field(default_factory=dict)


def parse_model_card(text: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The README's front matter (a mapping) and its sections (heading to text, in order)."""
    metadata: dict[str, Any] = {}
    body = text
    if match := _FRONT_MATTER.match(text):
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as error:
            raise CommandFailedError(
                f"the card's YAML front matter cannot be read: {error}"
            ) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise CommandFailedError("the card's YAML front matter must be a mapping of fields")
        metadata = loaded or {}
        body = text[match.end() :]
    sections: dict[str, str] = {}
    headings = list(_HEADING.finditer(body))
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(body)
        content = body[heading.end() : end].strip()
        if content and not _PLACEHOLDER.match(content):
            sections[heading.group(2).strip()] = content
    return metadata, sections


def card_from_readme(text: str, given: CardInputs) -> dict[str, Any]:
    """The modelgov card for the README `text`, completed by `given`; refuses naming what is missing."""
    metadata, sections = parse_model_card(text)
    datasets = _texts(metadata.get("datasets"))
    card: dict[str, Any] = {
        "artifact_uri": given.artifact_uri,
        "artifact_sha256": given.artifact_sha256,
        "artifact_sha256_of": given.artifact_sha256_of,
        "features": list(given.features) or _texts(metadata.get("features")),
        "labels": list(given.labels) or _texts(metadata.get("labels")),
        "training_data": list(given.training_data) or datasets,
        "assumptions": _assumptions(sections),
        "documentation_url": given.documentation_url,
        "provenance": {
            "git_commit": given.git_commit,
            "pull_request": given.pull_request,
            "pipeline_run": given.pipeline_run,
        },
        "extras": {
            "source": "huggingface_model_card",
            "metadata": _json_safe(metadata),
            "sections": sections,
            **given.extras,
        },
    }
    missing = [option for key, option in _REQUIRED.items() if not _value(card, key)]
    if missing:
        raise CommandFailedError(
            "the card does not say everything a modelgov card needs; give " + ", ".join(missing)
        )
    return card


_REQUIRED = {
    "artifact_uri": "--artifact-uri",
    "artifact_sha256": "--artifact (a file or folder) or --artifact-sha256",
    "features": "--feature (repeat it), or `features:` in the front matter",
    "labels": "--label (repeat it), or `labels:` in the front matter",
    "training_data": "--training-data (repeat it), or `datasets:` in the front matter",
    "documentation_url": "--documentation-url",
    "provenance.git_commit": "--git-commit",
}


def _value(card: dict[str, Any], dotted: str) -> Any:
    value: Any = card
    for part in dotted.split("."):
        value = value[part]
    return value


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [str(item) for item in value if isinstance(item, str | int | float) and str(item)]
    return []


def _assumptions(sections: dict[str, str]) -> list[str]:
    found: list[str] = []
    for heading, content in sections.items():
        if any(word in heading.lower() for word in _ASSUMPTION_SECTIONS):
            bullets = [b.strip() for b in _BULLET.findall(content)]
            found += [b for b in bullets if b and not _PLACEHOLDER.match(b)] or [content]
    return found[:500]


def _json_safe(value: Any) -> Any:
    """YAML can hold dates and other types JSON cannot: they are kept as their text."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    return str(value)
