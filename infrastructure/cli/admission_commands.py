"""`modelgov admission check`: may this exact artifact serve in that environment now?

Against the configured store (its read models, brought up to date first), or with --server the
service's GET /v1/admission (docs/admission.md).
"""

from __future__ import annotations

import re
from typing import Annotated

import typer

from domain.values import DIGEST_PATTERN, ENVIRONMENT_PATTERN
from infrastructure.cli.exit_codes import EXIT_CODES_HELP
from infrastructure.cli.history_commands import JsonOption, echo_json
from infrastructure.cli.projection_commands import opened_runner
from infrastructure.cli.remote import ServerOption, TokenOption, connected
from infrastructure.projections.queries import admission

ALLOWED, DENIED, BAD_INPUT = 0, 1, 2
EXITS = (
    f"{EXIT_CODES_HELP} Here: {ALLOWED} allowed; {DENIED} denied (the reason is printed); "
    f"{BAD_INPUT} bad input (a digest that is not 64 hex digits, a malformed environment)."
)
admission_app = typer.Typer(help="The admission check for model servers.", epilog=EXITS)


@admission_app.command("check", epilog=EXITS)
def check(
    artifact_sha256: Annotated[
        str, typer.Option("--artifact-sha256", help="The artifact's SHA-256 (64 hex digits).")
    ],
    environment: Annotated[
        str, typer.Option("--environment", help="Where it is to serve, e.g. production.")
    ],
    as_json: JsonOption = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Allowed iff the artifact is that of the version active in the environment now, and that
    version is approved (its approval gates met, not retired or rejected, no open bias flag)."""
    if not re.match(DIGEST_PATTERN, artifact_sha256):
        typer.echo(
            f"modelgov: --artifact-sha256 must be 64 hex digits; got {artifact_sha256!r}", err=True
        )
        raise typer.Exit(BAD_INPUT)
    if not re.match(ENVIRONMENT_PATTERN, environment):
        typer.echo(
            f"modelgov: --environment must match {ENVIRONMENT_PATTERN}; got {environment!r}",
            err=True,
        )
        raise typer.Exit(BAD_INPUT)
    digest = artifact_sha256.lower()
    if server:
        with connected(server, token) as client:
            answer = client.admission_check(artifact_sha256=digest, environment=environment)
    else:
        with opened_runner() as runner:
            runner.catch_up()
            answer = admission(runner.sql, artifact_sha256=digest, environment=environment)
    if as_json:
        echo_json(answer)
    else:
        typer.echo(f"{'allowed' if answer['allowed'] else 'denied'}: {answer['reason']}")
    raise typer.Exit(ALLOWED if answer["allowed"] else DENIED)
