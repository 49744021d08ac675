"""Writes the Python client's typed methods from the API's own route table: never written twice.

`python -m infrastructure.api.client_codegen` reads every route the server serves (the command
routes, whose bodies derive from domain/commands.py, and the reads) and writes
clients/python/modelgov_client/operations.json, every route with its path, query and body fields
(the catalogue the client builds its methods from and the CLI its remote commands), and
_commands.pyi beside it, the methods' typed signatures for type checkers. `--check` exits 1 if a
file on disk is not what it would write (a test runs it).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import importlib.util
import json
import re
import sys
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel

from infrastructure.api.app import ROUTE_MODULES
from infrastructure.api.pages import query_fields

PACKAGE = Path(__file__).resolve().parents[2] / "clients/python/modelgov_client"


def _client_module(name: str) -> Any:
    """One of the client's own modules, from its file: importing the package would import the
    very file this writes, which may be out of date or broken."""
    spec = importlib.util.spec_from_file_location(f"_codegen_{name}", PACKAGE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# The client's description of a route: the generator writes its instances as JSON.
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
    # `{name:path}` (a path that may hold slashes) is `{name}` to the client's str.format; the
    # value's slashes go as %2F, which the server decodes before it routes.
    template = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
    return Operation(route.name, method, template, doc, path, query, body)


# What the stub's annotations name, by module.
STUB_IMPORTS = {
    "collections.abc": "Iterator",
    "datetime": "datetime",
    "decimal": "Decimal",
    "typing": "Any, Literal",
    "modelgov_client._operations": "Operation, Written",
}


def _stub_method(operation: Any, *, paging: bool) -> str:
    """One method's signature and docstring, on one line."""
    found = _operations.arguments(operation, paging=paging)
    positional = [f"{a.name}: {a.annotation}" for a in found if not a.keyword]
    keywords = [
        f"{a.name}: {a.annotation}" + ("" if a.required else " = None") for a in found if a.keyword
    ]
    listed = ", ".join(["self", *positional, *(["*", *keywords] if keywords else [])])
    name = _operations.method_name(operation, paging=paging)
    doc = _operations.method_doc(operation, paging=paging)
    returns = _operations.returns(operation, paging=paging)
    return f"    def {name}({listed}) -> {returns}: {doc!r}\n"


def generate() -> dict[Path, str]:
    """The two files, by where they go: the routes as data, and the stub of their methods."""
    found = operations()
    stubs = [
        _stub_method(operation, paging=paging)
        for operation in found
        for paging in ((False, True) if operation.paged else (False,))
    ]
    imports = [f"from {module} import {names}\n" for module, names in STUB_IMPORTS.items()]
    data = [dataclasses.asdict(operation) for operation in found]
    return {
        PACKAGE / "operations.json": json.dumps(data, indent=1, ensure_ascii=False) + "\n",
        PACKAGE / "_commands.pyi": f'"""{STUB_DOC}"""\n\n'
        + "".join(imports)
        + "\nOPERATIONS: dict[str, Operation]\n\nclass Operations:\n"
        + "".join(stubs),
    }


STUB_DOC = "The methods of `Operations`, typed, for type checkers (generated: do not edit)."


def main(arguments: list[str]) -> int:
    files = generate()
    if "--check" in arguments:
        stale = [
            path for path, text in files.items() if not path.exists() or path.read_text() != text
        ]
        for path in stale:
            print(f"{path} is out of date: run `python -m infrastructure.api.client_codegen`")
        return 1 if stale else 0
    for path, text in files.items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
