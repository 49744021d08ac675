"""`modelgov gate`: may this version be activated in this environment now? For a deploy job."""

from __future__ import annotations

from typing import Annotated

import typer
from modelgov_client import UnmetGate

from domain.rules import activation_shortfalls
from infrastructure.cli.exit_codes import REFUSED
from infrastructure.cli.history_commands import echo_json, reading
from infrastructure.cli.remote import (
    AnswerJson,
    ServerOption,
    TokenOption,
    connected,
    print_gate,
)


def gate(
    name: Annotated[str, typer.Argument(metavar="MODEL", help="The model's name.")],
    version: Annotated[int, typer.Option(help="The version to deploy.", min=1)],
    environment: Annotated[str, typer.Option(help="Where it would be activated.")],
    server: ServerOption = None,
    token: TokenOption = None,
    as_json: AnswerJson = False,
) -> None:
    """Exit 0 if the version may be activated in the environment now, else 1 listing every unmet gate.

    Judged by the rules an activation applies (the policy's environments, a retired or rejected
    version, each activation gate), by the server given with --server (or MODELGOV_SERVER, at
    GET /v1/models/{name}/versions/{version}/gate), else on the local store.
    """
    if server:
        with connected(server, token) as client:
            unmet = client.unmet_gates(name, version=version, environment=environment)
    else:
        with reading() as governance:
            model = governance.get_model(name)
            shortfalls = activation_shortfalls(model, version=version, environment=environment)
            unmet = [UnmetGate(gate.gate, gate.detail) for gate in shortfalls]
    if as_json:
        echo_json(
            {"model": name, "version": version, "environment": environment,
             "allowed": not unmet, "unmet_gates": [vars(g) for g in unmet]}
        )  # fmt: skip
    else:
        print_gate(name, version, environment, unmet)
    if unmet:
        raise typer.Exit(REFUSED)
