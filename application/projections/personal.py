"""Personal data in read models: which event fields are personal, and how a projection marks them.

The events are encrypted by the store; the read models must not undo that. These event fields are
personal data (names of people, e-mail addresses, free text a person wrote):

| event field | what it holds | where projections keep it |
| --- | --- | --- |
| every event's `actor` | a person's id (or a pipeline's name) | `*_by`, `principal`; documents |
| every event's `reason` | comments, justifications, reasons | `comment`, `reason`, `end_reason`; documents |
| `Registered.owner` | who owns the model (a person or a team) | `modelgov_catalog.owner`; documents |
| `Registered.stakeholders` | people's names, e-mail addresses, roles | documents |
| `Registered.description`, `.business_objective` | free text | documents |

"Documents" are the model and version documents of `modelgov_model_state` and
`modelgov_version_state`, which carry all of the above (decisions' comments, bias flags'
justifications, who registered, approved, set targets ...): each document is sealed whole.

A projection wraps such a value in `Personal`; the runner that writes its rows (infrastructure)
seals it with deterministic encryption, so a rebuild writes the same bytes and an equality filter
(the catalog's owner) still works on the sealed value. Nothing else about an event is personal:
model names, versions, environments, metrics, gate names, card fields and times are not.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Personal:
    """A statement parameter that is personal data: written sealed, never as it is."""

    text: str
