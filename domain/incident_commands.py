"""The commands of a model's serious incidents (EU AI Act Art. 73): declaring one, and recording
each report submitted on it. Commands like those of domain/commands.py, whose `Action` vocabulary
and role matrix (`PERMISSIONS`) name them; kept apart so that each module stays one screenful.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from domain.commands import Action, Command, OptionalVersion
from domain.fields import Doc, Entries, OneOf, Pattern, Text
from domain.incidents import INCIDENT_CLASSES, INCIDENT_ID_PATTERN, MAX_LINKS, SUBMISSION_KINDS
from domain.values import DIGEST_PATTERN, ENVIRONMENT_PATTERN


@dataclass(frozen=True, kw_only=True)
class DeclareIncident(Command[str]):
    """A serious incident (EU AI Act Art. 73); returns its id. Its initial report is due 2, 10 or
    15 days after `aware_at` (domain/incidents.py report_due_at), by `severity_class`."""

    ACTION = Action.DECLARE_INCIDENT
    severity_class: Annotated[str, OneOf(INCIDENT_CLASSES)]
    summary: Annotated[str, Text(max=4000), Doc("What happened, as known now.")]
    aware_at: Annotated[
        datetime | None,
        Doc("When the provider became aware of it (default: the declaration's effective time); "
            "may be backdated, never after the declaration."),
    ] = None  # fmt: skip
    occurred_at: Annotated[datetime | None, Doc("When the incident happened, if known.")] = None
    version: OptionalVersion = None
    environment: Annotated[str | None, Pattern(ENVIRONMENT_PATTERN)] = None
    harm: Annotated[str, Text(min=0, max=4000), Doc("Who or what was harmed, and how.")] = ""
    breach_ids: Annotated[
        list[str],
        Entries(max=MAX_LINKS),
        Doc("The model's breaches behind it.", examples=(["B-1"],)),
    ] = field(default_factory=list)
    flag_ids: Annotated[
        list[str], Entries(max=MAX_LINKS), Doc("Its bias flags behind it.", examples=(["BF-1"],))
    ] = field(default_factory=list)


IncidentId = Annotated[str, Pattern(INCIDENT_ID_PATTERN), Doc(examples=("SI-1",))]


@dataclass(frozen=True, kw_only=True)
class ReportIncident(Command[None]):
    """A report submitted on a serious incident, at the attribution's effective time: the initial
    one (which may be incomplete), follow-ups, the final one."""

    ACTION = Action.REPORT_INCIDENT
    incident_id: IncidentId
    kind: Annotated[str, OneOf(SUBMISSION_KINDS)]
    authority: Annotated[
        str,
        Text(max=200),
        Doc("Where it was submitted.", examples=("national market surveillance authority",)),
    ]
    reference: Annotated[str, Text(max=200), Doc("The submission's reference there.")]
    document_sha256: Annotated[
        str | None, Pattern(DIGEST_PATTERN), Doc("SHA-256 of the document submitted.")
    ] = None
