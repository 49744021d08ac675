"""A CLI command for every route of the API, built from the client's catalogue (`OPERATIONS`).

`modelgov activate MODEL --version 2 --environment production --server URL` is the API's
`activate` route: its path parameters are arguments, its body and query fields options (a JSON
document as a file or inline: `--card card.json`). `WORDS` gives each route the words people
type; a route it does not name still gets a command, named after the route. Reads that have a
local command (models, show, history, replay, diff) go remote there, with `--server`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from modelgov_client import OPERATIONS, Operation, Parameter

from infrastructure.cli.exit_codes import EXIT_CODES_HELP
from infrastructure.cli.remote import (
    AnswerJson,
    ServerOption,
    TokenOption,
    connected,
    echo_read,
    echo_written,
    json_input,
)

# Each route's command as typed after `modelgov`; None: served by a local command that goes
# remote itself.
WORDS: Mapping[str, str | None] = {
    "register_model": "register",
    "change_policy": "policy set",
    "register_version": "version add",
    "record_validation": "validate",
    "approve_release": "approve",
    "reject_release": "reject",
    "sign_off": "sign-off",
    "retire_version": "retire",
    "set_target": "targets set",
    "approve_targets": "targets approve",
    "activate": "activate",
    "deactivate": "deactivate",
    "roll_back": "rollback",
    "open_breach": "breach open",
    "close_breach": "breach close",
    "raise_bias_flag": "flag raise",
    "resolve_bias_flag": "flag resolve",
    "report_cost": "cost report",
    "change_game_plan": "game-plan set",
    "declare_incident": "incident declare",
    "report_incident": "incident report",
    "post_metrics": "metrics post",
    "place_legal_hold": "hold place",
    "release_legal_hold": "hold release",
    "list_models": None,  # modelgov models --server
    "model_state_at": None,  # modelgov show / replay --server
    "model_events": None,  # modelgov history --server
    "model_diff": None,  # modelgov diff --server
    "version_gate": None,  # modelgov gate --server
    "version_proof": None,  # modelgov proof --server
    "admission_check": None,  # modelgov admission check --server
    "get_model": "model show",
    "get_version": "version show",
    "list_versions": "version list",
    "read_game_plan": "game-plan show",
    "read_costs": "cost show",
    "read_deliveries": "model deliveries",
    "event_feed": "events",
    "latest_head": "tree-head",
    "inclusion": "proof inclusion",
    "consistency": "proof consistency",
    "public_keys": "public-keys",
    "portfolio_compliance": "portfolio",
    "model_exposure": "exposure",
    "model_usage": "usage",
    "model_inventory": None,  # modelgov inventory --server
    "model_audit_report": "download model-report",
    "portfolio_compliance_report": "download portfolio-report",
    "change_report": "download change-report",
    "incident_report_document": "download incident-report",
    "model_dossier": "download dossier",
    "healthz": "health live",
    "readyz": "health ready",
}
GROUPS = {
    "policy": "A model's policy.",
    "version": "A model's versions (releases).",
    "targets": "A model's production targets.",
    "breach": "Breaches of targets.",
    "flag": "Bias flags.",
    "cost": "Costs against the budget.",
    "game-plan": "Who is told, and what is automated, on a breach.",
    "incident": "Serious incidents (EU AI Act Art. 73): declared, and each report submitted.",
    "metrics": "Production figures.",
    "model": "One model, as the read models hold it.",
    "proof": "Ledger proofs.",
    "download": "Audit reports (HTML, PDF, JSON).",
    "health": "Is the server up, and does its store take writes?",
}
METAVARS = {"name": "MODEL", "number": "VERSION"}
TYPES = {"int": int, "float": float, "bool": bool}
OWN_OPTIONS = frozenset({"server", "token", "as_json", "if_match", "idempotency_key", "output"})


def _arguments(operation: Operation) -> list[Parameter]:
    """The route's positional arguments: its path's, or a new model's name."""
    if operation.path_parameters:
        return list(operation.path_parameters)
    return [p for p in operation.body if p.name == "name"]


def _option(parameter: Parameter) -> tuple[Any, Any]:
    """The (annotation, default) of a field's option."""
    flag = f"--{parameter.wire.replace('_', '-')}"
    kind = parameter.kind
    text = parameter.doc or parameter.name.replace("_", " ")
    if kind == "json":
        text += " (a JSON file, or JSON inline)"
    python_type: Any = TYPES.get(kind, str)
    if kind == "choice":
        python_type = Literal[parameter.choices]
    if kind == "bool":
        flag = f"{flag}/--no-{parameter.wire.replace('_', '-')}"
    default = ... if parameter.required else None
    if not parameter.required:
        python_type = python_type | None
    return Annotated[python_type, typer.Option(flag, help=text)], default


def _signature(operation: Operation) -> tuple[inspect.Signature, list[Parameter], list[Parameter]]:
    keyword = inspect.Parameter.KEYWORD_ONLY
    arguments = _arguments(operation)
    options = [p for p in (*operation.body, *operation.query) if p not in arguments]
    names = {p.name for p in (*arguments, *options)}
    assert not names & OWN_OPTIONS, f"{operation.name}: a field is named like a CLI option"
    parameters = [
        inspect.Parameter(
            p.name,
            keyword,
            annotation=Annotated[
                TYPES.get(p.kind, str), typer.Argument(metavar=METAVARS.get(p.name, p.name.upper()))
            ],
        )
        for p in arguments
    ]
    for p in options:
        annotation, default = _option(p)
        parameters.append(
            inspect.Parameter(p.name, keyword, annotation=annotation, default=default)
        )
    if operation.method == "POST":
        parameters += [
            inspect.Parameter("if_match", keyword, default=None, annotation=Annotated[
                str | None, typer.Option(help="Act only if the model is still at this revision (its ETag).")]),
            inspect.Parameter("idempotency_key", keyword, default=None, annotation=Annotated[
                str | None, typer.Option(help="Default: a new one; send the same to retry safely.")]),
        ]  # fmt: skip
    if any(p.name == "format" for p in operation.query):
        parameters.append(inspect.Parameter("output", keyword, default=None, annotation=Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the document here.")]))  # fmt: skip
    parameters += [
        inspect.Parameter("server", keyword, annotation=ServerOption, default=None),
        inspect.Parameter("token", keyword, annotation=TokenOption, default=None),
        inspect.Parameter("as_json", keyword, annotation=AnswerJson, default=False),
    ]
    return inspect.Signature(parameters, return_annotation=None), arguments, options


def command_for(operation: Operation) -> Callable[..., None]:
    """The function typer turns into the route's command."""
    signature, arguments, options = _signature(operation)

    def run(**given: Any) -> None:
        server, token, as_json = given.pop("server"), given.pop("token"), given.pop("as_json")
        output = given.pop("output", None)
        for p in options:
            if p.kind == "json" and given.get(p.name) is not None:
                given[p.name] = json_input(f"--{p.wire.replace('_', '-')}", given[p.name])
        positional = [given.pop(p.name) for p in arguments] if operation.path_parameters else []
        with connected(server, token, as_json=as_json) as client:
            answer = getattr(client, operation.name)(*positional, **given)
        if operation.method == "POST":
            echo_written(operation.name, answer, as_json=as_json)
        else:
            echo_read(answer, output=output)

    run.__signature__ = signature  # type: ignore[attr-defined]
    run.__name__ = operation.name
    run.__doc__ = f"{operation.doc}\n\n(over HTTP: {operation.method} {operation.path})"
    return run


def words_for(operation: str) -> tuple[str, ...] | None:
    """The words of a route's command: from `WORDS`, else the route's name (`hold-version`)."""
    words = WORDS.get(operation, operation.replace("_", "-"))
    return None if words is None else tuple(words.split())


def add_remote_commands(app: typer.Typer, *, groups: dict[str, typer.Typer] | None = None) -> None:
    """Every route's command, under its words (a group for two words; `groups`: those the app
    has already, with local commands of their own)."""
    groups = dict(groups or {})
    for operation in OPERATIONS.values():
        words = words_for(operation.name)
        if words is None:
            continue
        command = command_for(operation)
        if len(words) == 1:
            app.command(words[0], epilog=EXIT_CODES_HELP)(command)
            continue
        group, word = words
        if group not in groups:
            groups[group] = typer.Typer(help=GROUPS.get(group, ""), no_args_is_help=True)
            app.add_typer(groups[group], name=group)
        groups[group].command(word, epilog=EXIT_CODES_HELP)(command)
