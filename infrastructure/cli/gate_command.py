"""`modelgov gate`: may this version be activated in this environment now? For a deploy job."""

from __future__ import annotations

from typing import Annotated

import typer
from modelgov_client import unmet_gates_in

from application.as_of import model_with_record
from application.views import model_state
from infrastructure.cli.history_commands import echo_json, reading
from infrastructure.cli.remote import (
    REFUSED,
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

    Judged on the model replayed from its events, by the rules an activation applies: the
    policy's environments, a retired or rejected version, and each activation gate. Reads the
    server given with --server (or MODELGOV_SERVER), else the local store.
    """
    if server:
        with connected(server, token) as client:
            state = client.model_state_at(name)
    else:
        with reading() as governance:
            state = model_state(*model_with_record(governance, name))
    unmet = unmet_gates_in(state, version=version, environment=environment)
    if as_json:
        echo_json(
            {"model": name, "version": version, "environment": environment,
             "allowed": not unmet, "unmet_gates": [vars(g) for g in unmet]}
        )  # fmt: skip
    else:
        print_gate(name, version, environment, unmet)
    if unmet:
        raise typer.Exit(REFUSED)
