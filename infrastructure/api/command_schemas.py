"""Request bodies derived from the commands: a command's fields, types and constraints are declared once.

`request_schema(Activate)` reads the command dataclass (domain/commands.py) and builds the pydantic
model of its HTTP body: every field the command takes from the body, its `Annotated` markers
(domain/fields.py) turned into pydantic constraints, plus what every command body carries
(`effective_at`, and the `reason` that becomes the attribution's). Fields that hold a whole
document (a model card, a policy, a game plan, the stakeholders) are described by document
schemas, named here by field: the policy's derived from the domain's declaration of it
(`document_schema`), the others those of infrastructure/api/schemas.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, create_model

from domain.commands import Command
from domain.fields import Doc, Finite, Length, Money, OneOf, Pattern, Range
from domain.policy import PolicySpec
from infrastructure.api.schemas import Explained, GamePlan, Instant, ModelCard, Request, Stakeholder

# A decision's reason in the body, when the route calls it something else.
JUSTIFICATION = Annotated[str, Field(min_length=1, max_length=4000)]


def _constraints(markers: Iterable[object]) -> tuple[dict[str, Any], tuple[str, ...] | None]:
    """Pydantic `Field` arguments for the markers, and the choices of a OneOf, if any."""
    arguments: dict[str, Any] = {}
    choices = None
    for marker in markers:
        if isinstance(marker, Length):  # a Text's characters, an Entries' entries
            arguments.update(
                max_length=marker.max, **({"min_length": marker.min} if marker.min else {})
            )
        elif isinstance(marker, Pattern):
            arguments["pattern"] = marker.regex
        elif isinstance(marker, Range):
            arguments.update(
                {k: v for k, v in (("ge", marker.ge), ("le", marker.le)) if v is not None}
            )
        elif isinstance(marker, Finite):
            arguments["allow_inf_nan"] = False
        elif isinstance(marker, Money):
            arguments.update(max_digits=marker.digits, decimal_places=marker.places)
        elif isinstance(marker, OneOf):
            choices = marker.choices
        elif isinstance(marker, Doc):
            if marker.description:
                arguments["description"] = marker.description
            if marker.examples:
                arguments["examples"] = list(marker.examples)
    return arguments, choices


def _field(
    field: dataclasses.Field[Any], hint: Any, *, documents: Mapping[str, Any]
) -> tuple[Any, Any]:
    """The pydantic (type, FieldInfo) of one field of a command (or of a document)."""
    markers: tuple[object, ...] = ()
    if get_origin(hint) is Annotated:
        hint, *rest = get_args(hint)
        markers = tuple(rest)
    arguments, choices = _constraints(markers)
    if choices is not None:
        hint = Literal[choices]
    if field.name in documents:
        hint = documents[field.name]
    elif hint in (datetime, datetime | None):  # an instant: with its zone, shown in UTC
        hint = Instant if hint is datetime else Instant | None
    if field.default is not dataclasses.MISSING:
        arguments["default"] = field.default
    elif field.default_factory is not dataclasses.MISSING:
        # Pydantic copies a default for each request, and shows it in the API's documentation.
        arguments["default"] = field.default_factory()
    return hint, Field(**arguments)


def _fields(
    shape: type, *, leaving: frozenset[str] = frozenset(), documents: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """The pydantic fields of a dataclass's fields (but those `leaving`), by name."""
    hints = get_type_hints(shape, include_extras=True)
    return {
        field.name: _field(field, hints[field.name], documents=documents)
        for field in dataclasses.fields(shape)
        if field.name not in leaving
    }


def document_schema(document: type) -> type[BaseModel]:
    """The HTTP shape of a document the domain declares as a dataclass (a policy): its fields as
    a command's are (none of them a document); unknown fields are refused."""
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        document.__name__,
        __config__=ConfigDict(extra="forbid"),
        __module__=__name__,
        **_fields(document, documents={}),
    )
    return model


# Fields that hold a document the domain checks as a whole: their HTTP shape, by field name.
DOCUMENTS: Mapping[str, Any] = {
    "card": ModelCard,
    "policy": document_schema(PolicySpec) | None,
    "game_plan": GamePlan,
    "stakeholders": list[Stakeholder],
}


def path_parameter(command: type[Command[Any]], field: str, *, description: str = "") -> Any:
    """A path parameter that fills a command's field: its type and constraints, as the field's."""
    hint = get_type_hints(command, include_extras=True)[field]
    markers: tuple[object, ...] = ()
    if get_origin(hint) is Annotated:
        hint, *rest = get_args(hint)
        markers = tuple(rest)
    arguments, _ = _constraints(markers)
    if description:
        arguments["description"] = description
    return Annotated[hint, Path(**arguments)]


def request_schema(
    command: type[Command[Any]],
    *,
    from_path: frozenset[str] = frozenset(),
    internal: frozenset[str] = frozenset(),
    reason_as: str = "reason",
) -> type[BaseModel]:
    """The body of a request for `command`: its fields less those `from_path` (the path's, and
    always the model's name when the path has it) and those `internal` (never from a request)."""
    fields = _fields(command, leaving=from_path | internal, documents=DOCUMENTS)
    if reason_as != "reason":
        fields[reason_as] = (JUSTIFICATION, ...)
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        command.__name__,
        __base__=Explained if reason_as == "reason" else Request,
        __module__=__name__,
        **fields,
    )
    return model
