"""The lines of a full bundle's events.jsonl and leaves.jsonl: written in one layout, and read back
without json.loads when a line is in it (any other valid JSON line is read by json.loads).

Verifying a bundle spent most of its time parsing JSON into a dict, then converting its fields to
the ones hashed. A line the exporter wrote is matched against its own layout instead, each field
taken as the JSON grammar reads it: a match gives exactly what json.loads would, and a line that
does not match (another tool's layout, escapes, a damaged id) takes json.loads as before. The
file format is unchanged.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

from application.ledger.records import (
    LeafFields,
    LeafRow,
    RecordFields,
    StoredRecord,
    record_from_json,
    record_json,
)

_INTEGER = r"([1-9][0-9]*|0)"  # JSON's grammar for an integer; a negative one takes json.loads
_RECORD_LINE = re.compile(
    rf'\{{"notification_id": {_INTEGER}, '
    r'"originator_id": "([0-9a-f-]{36})", '
    rf'"originator_version": {_INTEGER}, '
    r'"topic": "([ !#-\[\]-~]*)", '  # printable ASCII but `"` and `\`: a JSON string unescaped
    r'"state": "'  # then base64, checked by decoding it strictly, and `"}`
)
_LEAF_LINE = re.compile(rf'\[{_INTEGER}, {_INTEGER}, "([0-9a-f]*)"\]\n?')
_MODELS_REMEMBERED = 4_096
"""How many originator ids `read_records` keeps as UUIDs: a model's events repeat its id."""


def record_line(record: StoredRecord) -> str:
    """The line of events.jsonl for `record` (`record_json`'s form), newline included."""
    return json.dumps(record_json(record)) + "\n"


def leaf_line(leaf: LeafRow) -> str:
    """The line of leaves.jsonl for `leaf`: [position, notification id, leaf hash in hex]."""
    return json.dumps([leaf.position, leaf.notification_id, leaf.leaf_hash.hex()]) + "\n"


def read_records(path: Path) -> Iterator[RecordFields]:
    """events.jsonl's records in file order, blank lines skipped; a line that is not a record
    raises as json.loads or `record_from_json` does."""
    originators: dict[str, UUID] = {}  # the ids of the models read last, as UUIDs
    with path.open() as file:
        for line in file:
            fields = _record_in_layout(line)
            if fields is None:
                if line.strip():
                    yield record_from_json(json.loads(line))
                continue
            notification_id, originator_text, version, topic, state = fields
            originator = originators.get(originator_text)
            if originator is None:
                if len(originators) >= _MODELS_REMEMBERED:
                    originators.clear()
                originator = originators[originator_text] = UUID(originator_text)
            yield int(notification_id), originator, int(version), topic, state


def _record_in_layout(line: str) -> tuple[str, str, str, str, bytes] | None:
    """The fields of a line in `record_line`'s layout as JSON reads them (the integers and the
    originator id still as text), or None for any other line."""
    closed = 3 if line.endswith('"}\n') else 2 if line.endswith('"}') else 0
    end = len(line) - closed  # where the state's base64 ends, if it is in the layout
    match = _RECORD_LINE.match(line, 0, end) if closed else None
    if match is None:
        return None
    try:  # strictly: base64's alphabet only, so no quote, escape or control character either
        state = binascii.a2b_base64(line[match.end() : end], strict_mode=True)
    except binascii.Error:
        return None
    notification_id, originator, version, topic = match.groups()
    return notification_id, originator, version, topic, state


def read_leaves(path: Path) -> Iterator[LeafFields]:
    """leaves.jsonl's leaves in file order, blank lines skipped; a line that is not a leaf raises
    as json.loads, int or bytes.fromhex does."""
    with path.open() as file:
        for line in file:
            match = _LEAF_LINE.fullmatch(line)
            if match is not None:
                position, notification_id, hashed = match.groups()
            elif line.strip():
                position, notification_id, hashed = json.loads(line)
            else:
                continue
            yield int(position), int(notification_id), bytes.fromhex(hashed)
