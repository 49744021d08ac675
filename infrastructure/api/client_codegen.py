"""Writes the Python client's typed methods from the API's own route table: never written twice.

`python -m infrastructure.api.client_codegen` reads every route the server serves (the command
routes, whose bodies derive from domain/commands.py, and the reads) and writes
clients/python/modelgov_client/_commands.py: one method per route, with its path, query and body
fields as typed keyword arguments, and `OPERATIONS`, the catalogue the CLI builds its remote
commands from. `--check` exits 1 if the file on disk is not what it would write (a test runs it).
"""

from __future__ import annotations

import datetime
import decimal
import importlib.util
import sys
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel

from infrastructure.api.app import ROUTE_MODULES
from infrastructure.api.pages import query_fields

TARGET = Path(__file__).resolve().parents[2] / "clients/python/modelgov_client/_commands.py"


def _client_module(name: str) -> Any:
    """One of the client's own modules, from its file: importing the package would import the
    very file this writes, which may be out of date or broken."""
    spec = importlib.util.spec_from_file_location(
        f"_codegen_{name}", TARGET.with_name(f"{name}.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# The client's description of a route: the generator writes its instances as Python text.
_operations = _client_module("_operations")
Operation, Parameter = _operations.Operation, _operations.Parameter


def _plain(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `Annotated` and `None`; whether None was allowed."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        if len(members) == 1:
            inner, _ = _plain(members[0])
            return inner, optional
        return Union[tuple(members)], optional  # noqa: UP007  # a runtime union of the members
    return annotation, False


def _type(annotation: Any) -> tuple[str, str, tuple[str, ...]]:
    """(Python text, kind, choices) of a field's annotation, as a client sends it."""
    plain, _ = _plain(annotation)
    if get_origin(plain) is Literal:
        choices = tuple(str(choice) for choice in get_args(plain))
        return "Literal[" + ", ".join(repr(c) for c in choices) + "]", "choice", choices
    simple = {str: "str", int: "int", float: "float", bool: "bool"}
    if plain in simple:
        return simple[plain], simple[plain], ()
    if plain is decimal.Decimal:
        return "Decimal | str", "decimal", ()
    if plain is AwareDatetime or (isinstance(plain, type) and issubclass(plain, datetime.datetime)):
        return "datetime | str", "instant", ()
    if get_origin(plain) is list:
        return "list[Any]", "json", ()
    if get_origin(plain) in (Union, types.UnionType):
        return "Any", "json", ()
    if get_origin(plain) is dict or (isinstance(plain, type) and issubclass(plain, BaseModel)):
        return "dict[str, Any]", "json", ()
    raise TypeError(f"the client generator does not know how to send {annotation!r}")


def _parameter(name: str, wire: str, annotation: Any, *, required: bool, doc: str) -> Any:
    text, kind, choices = _type(annotation)
    return Parameter(name, wire, text, kind, required, choices, " ".join(doc.split()))


def operations() -> list[Any]:
    """Every route of the API (but health), in the order the server includes them."""
    found = []
    for module in ROUTE_MODULES:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            found.append(_operation(route))
    return found


def _operation(route: APIRoute) -> Any:
    dependant = route.dependant
    path = tuple(
        _parameter(p.name, p.name, p.field_info.annotation, required=True, doc="")
        for p in dependant.path_params
    )
    query = tuple(
        _parameter(
            q.name,
            q.alias,
            q.field_info.annotation,
            required=q.field_info.is_required(),
            doc=q.field_info.description or "",
        )
        for q in query_fields(dependant)  # a list's `limit` and `cursor` come from `paging`
        if not q.field_info.deprecated
    )
    body: tuple[Any, ...] = ()
    if route.body_field is not None:
        schema = route.body_field.field_info.annotation
        assert isinstance(schema, type) and issubclass(schema, BaseModel)
        body = tuple(
            _parameter(
                name,
                name,
                field.annotation,
                required=field.is_required(),
                doc=field.description or "",
            )
            for name, field in schema.model_fields.items()
        )
    method = next(iter(route.methods or {"GET"}))
    doc = " ".join((route.description or route.summary or route.name).split())
    return Operation(route.name, method, route.path, doc, path, query, body)


HEADER = '''"""Every command and query of the modelgov API as a typed method (generated: do not edit).

Written by `python -m infrastructure.api.client_codegen` from the server's route table; a test
fails when the server gains a route this file lacks. `OPERATIONS` is the same table as data.
"""

# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from modelgov_client._operations import Operation, Parameter, Written

'''


def _signature(operation: Any, *, paging: bool) -> list[str]:
    positional = [f"{p.name}: {p.annotation}" for p in operation.path_parameters]
    keywords = []
    for parameter in (*operation.body, *operation.query):
        if paging and parameter.name == "cursor":
            continue
        if parameter.required:
            keywords.append(f"{parameter.name}: {parameter.annotation}")
    for parameter in (*operation.body, *operation.query):
        if paging and parameter.name == "cursor":
            continue
        if not parameter.required:
            keywords.append(f"{parameter.name}: {parameter.annotation} | None = None")
    if operation.method == "POST":
        keywords += ["if_match: str | int | None = None", "idempotency_key: str | None = None"]
    return ["self", *positional, *(["*", *keywords] if keywords else [])]


def _values(parameters: Iterable[Any], *, skip: str = "") -> str:
    return "{" + ", ".join(f"{p.wire!r}: {p.name}" for p in parameters if p.name != skip) + "}"


def _method(operation: Any, *, paging: bool = False) -> str:
    name = f"iter_{operation.name}" if paging else operation.name
    returns = "Written" if operation.method == "POST" else "Any"
    returns = "Iterator[Any]" if paging else returns
    signature = ",\n        ".join(_signature(operation, paging=paging))
    doc = operation.doc if not paging else f"Every item of `{operation.name}`, page after page."
    call = "_pages" if paging else ("_write" if operation.method == "POST" else "_read")
    arguments = [
        repr(operation.name),
        _values(operation.path_parameters),
        _values(operation.query, skip="cursor" if paging else ""),
    ]
    if operation.method == "POST":
        arguments += [
            _values(operation.body),
            "if_match=if_match",
            "idempotency_key=idempotency_key",
        ]
    return (
        f"    def {name}(\n        {signature},\n    ) -> {returns}:\n"
        f"        {doc!r}\n"
        f"        return self.{call}({', '.join(arguments)})\n"
    )


def _catalogue_entry(operation: Any) -> str:
    def parameters(found: tuple[Any, ...]) -> str:
        return (
            "("
            + "".join(f"\n            {p!r}," for p in found)
            + ("\n        )" if found else ")")
        )

    return (
        f"    {operation.name!r}: Operation(\n"
        f"        name={operation.name!r},\n        method={operation.method!r},\n"
        f"        path={operation.path!r},\n        doc={operation.doc!r},\n"
        f"        path_parameters={parameters(operation.path_parameters)},\n"
        f"        query={parameters(operation.query)},\n"
        f"        body={parameters(operation.body)},\n    ),\n"
    )


def generate() -> str:
    found = operations()
    methods = []
    for operation in found:
        methods.append(_method(operation))
        if operation.paged:
            methods.append(_method(operation, paging=True))
    catalogue = "".join(_catalogue_entry(operation) for operation in found)
    return (
        HEADER
        + f"OPERATIONS: dict[str, Operation] = {{\n{catalogue}}}\n\n\n"
        + "class Operations:\n"
        + '    """The typed methods; `modelgov_client.Client` carries them out over HTTP."""\n\n'
        + "    def _read(self, operation: str, path: dict[str, Any], query: dict[str, Any]) -> Any:\n"
        + "        raise NotImplementedError\n\n"
        + "    def _pages(\n        self, operation: str, path: dict[str, Any], query: dict[str, Any]\n"
        + "    ) -> Iterator[Any]:\n        raise NotImplementedError\n\n"
        + "    def _write(\n        self,\n        operation: str,\n        path: dict[str, Any],\n"
        + "        query: dict[str, Any],\n        body: dict[str, Any],\n        *,\n"
        + "        if_match: str | int | None,\n        idempotency_key: str | None,\n"
        + "    ) -> Written:\n        raise NotImplementedError\n\n"
        + "\n".join(methods)
    )


def main(arguments: list[str]) -> int:
    text = generate()
    if "--check" in arguments:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET} is out of date: run `python -m infrastructure.api.client_codegen`")
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
