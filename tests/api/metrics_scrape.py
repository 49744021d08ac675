"""Reading a Prometheus scrape in tests: each sample's value by its name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples_of(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, sample: str, **labels: str) -> float | None:
    """The sample named `sample` with exactly these labels, or None when the scrape has none."""
    return found.get((sample, frozenset(labels.items())))


def labelled(found: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """Every sample named `name`, by its labels."""
    return {labels: number for (sample, labels), number in found.items() if sample == name}
