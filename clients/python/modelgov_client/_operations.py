"""What the client's methods are made of: a route's description, the method built from it, and
what a write answers.

The generated operations.json is the API's routes as data; `load_operations` reads it and
`typed_methods` turns it into one method per route (and an `iter_` twin per list), all carried out
by the same few lines here. The generated `_commands.pyi` states the same signatures for type
checkers, from `arguments` below.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Parameter:
    """One field a route takes: `name` in Python, `wire` in the request, `kind` for the CLI."""

    name: str
    wire: str
    annotation: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Operation:
    """One route of the API: its method, path template and the fields of its path, query and body."""

    name: str
    method: str
    path: str
    doc: str
    path_parameters: tuple[Parameter, ...]
    query: tuple[Parameter, ...]
    body: tuple[Parameter, ...]

    @property
    def paged(self) -> bool:
        """A list: it takes `cursor` and `limit` and answers `items` and `next_cursor`."""
        return {"cursor", "limit"} <= {p.name for p in self.query}


@dataclass(frozen=True)
class Written:
    """What a command recorded.

    `model_revision` is the model's revision after it (its ETag, for `if_match`); `result` the new
    version number, breach or flag id, when the command makes one; `position` the store position
    to read one's own write at (sent as `Modelgov-After-Position`); `replayed` is true when the
    server answered a retry with the answer it had already recorded for the same idempotency key.
    """

    model: str | None
    model_revision: int | None
    result: Any
    position: int | None
    idempotency_key: str
    replayed: bool
    document: Any


@dataclass(frozen=True)
class Argument:
    """One argument of a method after `self`: by keyword or by position, and whether it must be given."""

    name: str
    annotation: str
    keyword: bool
    required: bool


_WRITE_OPTIONS = (
    Argument("if_match", "str | int | None", keyword=True, required=False),
    Argument("idempotency_key", "str | None", keyword=True, required=False),
)


def arguments(operation: Operation, *, paging: bool) -> list[Argument]:
    """A method's arguments after `self`: the path's fields positionally, then the required and
    the optional fields of body and query as keywords (a list's `iter_` twin without `cursor`)."""
    fields = [p for p in (*operation.body, *operation.query) if not (paging and p.name == "cursor")]
    found = [Argument(p.name, p.annotation, False, True) for p in operation.path_parameters]
    found += [Argument(p.name, p.annotation, True, True) for p in fields if p.required]
    found += [
        Argument(p.name, f"{p.annotation} | None", True, False) for p in fields if not p.required
    ]
    return found + list(_WRITE_OPTIONS if operation.method == "POST" else ())


def method_name(operation: Operation, *, paging: bool) -> str:
    return f"iter_{operation.name}" if paging else operation.name


def method_doc(operation: Operation, *, paging: bool) -> str:
    return f"Every item of `{operation.name}`, page after page." if paging else operation.doc


def returns(operation: Operation, *, paging: bool) -> str:
    if paging:
        return "Iterator[Any]"
    return "Written" if operation.method == "POST" else "Any"


def _method(operation: Operation, *, paging: bool) -> Callable[..., Any]:
    """The method for one route: its arguments checked as Python checks a call, then sorted into
    path, query and body by the route's description, and handed to `_read`, `_pages` or `_write`."""
    kind = {True: inspect.Parameter.KEYWORD_ONLY, False: inspect.Parameter.POSITIONAL_OR_KEYWORD}
    signature = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(
                a.name,
                kind[a.keyword],
                default=inspect.Parameter.empty if a.required else None,
                annotation=a.annotation,
            )
            for a in arguments(operation, paging=paging)
        ],
        return_annotation=returns(operation, paging=paging),
    )
    skip = "cursor" if paging else ""

    def method(*given: Any, **named: Any) -> Any:
        values = signature.bind(*given, **named).arguments
        self = values["self"]

        def sent(fields: tuple[Parameter, ...]) -> dict[str, Any]:
            return {p.wire: values.get(p.name) for p in fields if p.name != skip}

        path, query = sent(operation.path_parameters), sent(operation.query)
        if paging:
            return self._pages(operation.name, path, query)
        if operation.method != "POST":
            return self._read(operation.name, path, query)
        return self._write(
            operation.name,
            path,
            query,
            sent(operation.body),
            if_match=values.get("if_match"),
            idempotency_key=values.get("idempotency_key"),
        )

    method.__name__ = method.__qualname__ = method_name(operation, paging=paging)
    method.__doc__ = method_doc(operation, paging=paging)
    method.__signature__ = signature  # type: ignore[attr-defined]  # what help() shows
    method.__module__ = "modelgov_client"
    return method


def typed_methods(operations: dict[str, Operation]) -> type:
    """A class with one method per route, and an `iter_` twin per list; a subclass supplies
    `_read`, `_pages` and `_write` (see `modelgov_client.Client`)."""
    methods: dict[str, Any] = {}
    for operation in operations.values():
        for paging in (False, True) if operation.paged else (False,):
            methods[method_name(operation, paging=paging)] = _method(operation, paging=paging)
    methods["__doc__"] = "The typed methods; `modelgov_client.Client` carries them out over HTTP."
    methods["__module__"] = "modelgov_client"
    return type("Operations", (), methods)


def load_operations(text: str) -> dict[str, Operation]:
    """The routes from operations.json, by name."""
    found = {}
    for entry in json.loads(text):
        fields = {
            part: tuple(Parameter(**{**p, "choices": tuple(p["choices"])}) for p in entry[part])
            for part in ("path_parameters", "query", "body")
        }
        found[entry["name"]] = Operation(**{**entry, **fields})
    return found
