"""`modelgov card import` (a Hugging Face model card as a modelgov card) and `modelgov mlflow
import` (an MLflow registry's models, versions, runs, tags and aliases)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from domain.commands import RegisterVersion
from domain.values import Attribution
from infrastructure.cli.db_commands import login_name
from infrastructure.cli.history_commands import JsonOption, echo_json
from infrastructure.cli.progress import progress
from infrastructure.db import fault_points
from infrastructure.db.store import open_governance
from infrastructure.errors import CommandFailedError
from infrastructure.integrations.artifacts import artifact_digest
from infrastructure.integrations.huggingface import CardInputs, card_from_readme
from infrastructure.integrations.mlflow_import import MlflowImport
from infrastructure.integrations.mlflow_registry import open_registry
from infrastructure.setting_values import parse_alias_environments
from infrastructure.settings import get_settings

card_app = typer.Typer(help="Model cards from where they already are (Hugging Face READMEs).")
mlflow_app = typer.Typer(help="The MLflow bridge: import an MLflow model registry's history.")

Texts = Annotated[list[str] | None, typer.Option(help="Repeat for each.")]


@card_app.command("import")
def card_import(
    readme: Annotated[Path, typer.Argument(help="A Hugging Face model card (README.md).")],
    artifact_uri: Annotated[str, typer.Option(help="Where the artifact is kept.")] = "",
    artifact: Annotated[
        Path | None,
        typer.Option(help="The artifact on disk (file, or folder: digest of its file manifest)."),
    ] = None,
    artifact_sha256: Annotated[str, typer.Option(help="Its SHA-256, if not --artifact.")] = "",
    feature: Texts = None,
    label: Texts = None,
    training_data: Texts = None,
    documentation_url: Annotated[str, typer.Option()] = "",
    git_commit: Annotated[str, typer.Option()] = "",
    pull_request: Annotated[str, typer.Option()] = "",
    pipeline_run: Annotated[str, typer.Option()] = "",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the card JSON here (else stdout).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="Register it as this model's next version in the local store."),
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who registers it (default: login).")] = None,
    role: Annotated[str, typer.Option(help="In which role.")] = "ml_engineer",
) -> None:
    """Read a Hugging Face model card into a modelgov card (for `version add --card card.json`).

    Front matter `datasets` become the training data, the limitations and out-of-scope sections
    the assumptions; every other field and section is kept in the card's extras. What the README
    does not say (the artifact's digest, the git commit) comes from the options.
    """
    if not readme.is_file():
        raise CommandFailedError(f"no model card at {readme}")
    digest, digest_of = (artifact_sha256, "file")
    if artifact is not None:
        digest, digest_of = artifact_digest(artifact)
    card = card_from_readme(
        readme.read_text(encoding="utf-8"),
        CardInputs(
            artifact_uri=artifact_uri or (str(artifact) if artifact else ""),
            artifact_sha256=digest, artifact_sha256_of=digest_of,
            features=tuple(feature or ()), labels=tuple(label or ()),
            training_data=tuple(training_data or ()), documentation_url=documentation_url,
            git_commit=git_commit, pull_request=pull_request, pipeline_run=pipeline_run,
        ),
    )  # fmt: skip
    text = json.dumps(card, indent=2, sort_keys=True)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote the card to {output}", err=True)
    elif model is None:
        typer.echo(text)
    if model is not None:
        by = Attribution(
            principal=actor or login_name(), role=role, correlation_id=f"cli-{uuid.uuid4()}",
            effective_at=datetime.now(UTC),
        )  # fmt: skip
        governance = open_governance(get_settings())
        try:
            recorded = governance.handle(RegisterVersion(name=model, card=card), by=by)
        finally:
            governance.close()
        typer.echo(f"registered {model} version {recorded.value} with the imported card")


@mlflow_app.command("import")
def mlflow_import(
    tracking_uri: Annotated[
        str, typer.Option(help="http(s)://host:port of an MLflow server, or sqlite:///mlflow.db.")
    ],
    model: Annotated[str | None, typer.Option(help="Only this registered model.")] = None,
    risk_tier: Annotated[
        str, typer.Option(help="For models new to modelgov (tag modelgov.risk_tier overrides).")
    ] = "medium",
    owner: Annotated[
        str, typer.Option(help="For models new to modelgov (tag modelgov.owner overrides).")
    ] = "unassigned (imported from MLflow)",
    alias_environments: Annotated[
        str | None,
        typer.Option(help="alias=environment pairs (default MODELGOV_MLFLOW_ALIAS_ENVIRONMENTS)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import MLflow's registered models and versions: cards, run evidence, tags, aliases.

    Run it as often as you like: what was imported before is not imported again, and an import
    interrupted anywhere continues where it stopped. Progress goes to stderr, on a terminal.
    """
    settings = get_settings()
    if settings.fault_point:  # a test hook: kill the import at a point of a command
        fault_points.arm(settings.fault_point)
    mapping = parse_alias_environments(alias_environments or settings.mlflow_alias_environments)
    registry = open_registry(tracking_uri)
    governance = open_governance(settings, create_key=True)
    try:
        with progress("importing MLflow models", quiet=as_json) as shown:
            importer = MlflowImport(
                governance, registry, risk_tier=risk_tier, owner=owner,
                alias_environments=mapping, counted=shown,
                progress=shown.say if shown is not None else lambda line: None,
            )  # fmt: skip
            totals = importer.run(model)
    finally:
        governance.close()
    if as_json:
        echo_json(
            {
                "models": totals.models, "versions": totals.versions,
                "validations": totals.validations, "tags": totals.tags,
                "aliases": totals.aliases, "skipped": totals.skipped,
            }
        )  # fmt: skip
        return
    typer.echo(totals.summary())
    for skipped in totals.skipped:
        typer.echo(f"  skipped: {skipped}")
