"""A bundle's lines read back without json.loads give exactly what json.loads gives, or the same error."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.ledger.records import LeafRow, StoredRecord, record_from_json
from infrastructure.ledger.bundle_lines import leaf_line, read_leaves, read_records, record_line

RECORDS = [
    StoredRecord(1, UUID("f8b22c46-917a-5b23-9a4f-4031b6181259"), 1, "modelgov/Model.Registered",
                 bytes(range(256)) * 3),
    StoredRecord(7, UUID(int=0), 12, "modelgov/Model.CostReported", b""),
    StoredRecord(2**63 - 1, UUID(int=2**128 - 1), 2**63 - 1, "a topic with spaces ~!#$%", b"\x00"),
]  # fmt: skip


def _as_json_loads_reads(path: Path) -> Iterator[Any]:
    """How a bundle's lines were read before: every non-blank line through json.loads."""
    with path.open() as file:
        for line in file:
            if line.strip():
                yield json.loads(line)


def _outcome(read: Callable[[], Iterator[Any]]) -> Any:
    """The values read, or the type of the error raised."""
    try:
        return [tuple(value) for value in read()]
    except Exception as error:  # the kind of error is what is compared
        return type(error)


def _same_as_json_loads(path: Path, text: str) -> None:
    path.write_text(text)
    expected = _outcome(lambda: map(record_from_json, _as_json_loads_reads(path)))
    assert _outcome(lambda: read_records(path)) == expected, text


def _leaves_same_as_json_loads(path: Path, text: str) -> None:
    path.write_text(text)
    expected = _outcome(
        lambda: ((int(p), int(n), bytes.fromhex(h)) for p, n, h in _as_json_loads_reads(path))
    )
    assert _outcome(lambda: read_leaves(path)) == expected, text


def test_records_written_by_the_export_read_back_as_stored(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(map(record_line, RECORDS)) + "\n")  # a blank line is skipped
    assert list(read_records(path)) == RECORDS
    path.write_text(record_line(RECORDS[0]).rstrip("\n"))  # the last line without its newline
    assert list(read_records(path)) == RECORDS[:1]


def test_leaves_written_by_the_export_read_back_as_stored(tmp_path: Path) -> None:
    leaves = [LeafRow(0, 1, bytes(32)), LeafRow(1, 7, b"\xff" * 32), LeafRow(2, 9, b"")]
    path = tmp_path / "leaves.jsonl"
    path.write_text("".join(map(leaf_line, leaves)))
    assert list(read_leaves(path)) == leaves


@pytest.mark.parametrize(
    "change",
    [
        lambda d: json.dumps(d, sort_keys=True),
        lambda d: json.dumps(d, separators=(",", ":")),
        lambda d: json.dumps(d) + "  ",
        lambda d: json.dumps(d).replace("}", "}\r"),
        lambda d: json.dumps({**d, "topic": 'a "quoted" topic'}),
        lambda d: json.dumps({**d, "topic": "déjà"}),
        lambda d: json.dumps({**d, "topic": "déjà"}, ensure_ascii=False),
        lambda d: json.dumps({**d, "topic": "a\ttab"}),
        lambda d: json.dumps(d).replace('"topic": "m', '"topic": "\\u006d'),
        lambda d: json.dumps({**d, "originator_id": d["originator_id"].upper()}),
        lambda d: json.dumps({**d, "originator_id": "urn:uuid:" + d["originator_id"]}),
        lambda d: json.dumps({**d, "originator_id": "{" + d["originator_id"] + "}"}),
        lambda d: json.dumps({**d, "originator_id": "not a uuid"}),
        lambda d: json.dumps({**d, "notification_id": -7}),
        lambda d: json.dumps({**d, "originator_version": 1.0}),
        lambda d: json.dumps({**d, "originator_version": "3"}),
        lambda d: json.dumps(d).replace('"notification_id": 1', '"notification_id": 01'),
        lambda d: json.dumps(d).replace('"notification_id": 1', '"notification_id": 1e0'),
        lambda d: json.dumps({**d, "state": d["state"].rstrip("=")}),
        lambda d: json.dumps({**d, "state": "QUJD!RA=="}),
        lambda d: json.dumps({**d, "state": "QUJD\nRA=="}),
        lambda d: json.dumps({**d, "state": "QUJDRA==QQ=="}),
        lambda d: json.dumps({**d, "extra": 1}),
        lambda d: json.dumps({k: v for k, v in d.items() if k != "topic"}),
        lambda d: json.dumps(d)[:-2],
        lambda d: json.dumps(d) + json.dumps(d),
        lambda d: json.dumps([d]),
    ],
)
def test_a_line_in_another_layout_reads_as_json_loads_reads_it(
    tmp_path: Path, change: Callable[[dict[str, Any]], str]
) -> None:
    written = json.loads(record_line(RECORDS[0]))
    _same_as_json_loads(tmp_path / "events.jsonl", change(written) + "\n")


def test_any_one_character_changed_reads_as_json_loads_reads_it(tmp_path: Path) -> None:
    """Every character of an exported line replaced, removed or doubled: the fast read accepts
    only what json.loads reads the same way."""
    line = record_line(StoredRecord(10, UUID(int=7), 20, "t/T.Done", b"\x01\xfe\x80")).rstrip("\n")
    path = tmp_path / "events.jsonl"
    for at in range(len(line)):
        for character in ['"', "\\", " ", "0", "1", "-", "a", "A", "+", "=", "}", "\t", "é", ""]:
            _same_as_json_loads(path, line[:at] + character + line[at + 1 :] + "\n")
        _same_as_json_loads(path, line[:at] + line[at] * 2 + line[at + 1 :] + "\n")


def test_any_one_character_of_a_leaf_changed_reads_as_json_loads_reads_it(tmp_path: Path) -> None:
    line = leaf_line(LeafRow(10, 20, bytes.fromhex("ab" * 32))).rstrip("\n")
    path = tmp_path / "leaves.jsonl"
    for at in range(len(line)):
        for character in ['"', "\\", " ", "0", "1", "-", "f", "F", "g", "]", "\t", "é", ""]:
            _leaves_same_as_json_loads(path, line[:at] + character + line[at + 1 :] + "\n")
