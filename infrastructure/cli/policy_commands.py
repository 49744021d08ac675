"""`modelgov policy what-if`: the past activations a stricter policy would have refused (read-only).

The policy file is YAML or JSON in the shape `ChangePolicy` takes (`modelgov policy set`):

    risk_tier: regulated
    policy:                      # optional: the tier's default policy without it
      required_gates: [data_scientist_release_approval, validation_evidence, ...]
      min_distinct_approvers: 3
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from application.policy_what_if import CandidatePolicy, policy_what_if
from domain.errors import InvalidValueError
from infrastructure.cli.exit_codes import BAD_INPUT
from infrastructure.cli.history_commands import echo_json, reading
from infrastructure.cli.remote import fail

policy_app = typer.Typer(help="A model's policy.", no_args_is_help=True)
_FIELDS = ("risk_tier", "policy")
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _line_of(text: str, field: str) -> int | None:
    """The line of the file where `field` (e.g. policy.required_gates[1]) is written, if it is."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key, index in _STEP.findall(field):
        if isinstance(node, yaml.MappingNode) and key:
            found = [(k, v) for k, v in node.value if k.value == key]
            if not found:
                break
            line, node = found[0][0].start_mark.line + 1, found[0][1]
        elif isinstance(node, yaml.SequenceNode) and index and int(index) < len(node.value):
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        else:
            break
    return line


def read_candidate(path: Path) -> CandidatePolicy:
    """The policy in the file, checked as `ChangePolicy` checks it; a clear error naming the line
    or the field that is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise fail(BAD_INPUT, f"--policy: cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise fail(BAD_INPUT, f"--policy: {path} is not UTF-8 text") from None
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "malformed"
        raise fail(BAD_INPUT, f"--policy: {path} is not YAML or JSON{where}: {problem}") from None
    if not isinstance(data, dict):
        raise fail(
            BAD_INPUT,
            f"--policy: {path} must hold an object with risk_tier (and optionally policy), "
            "as `modelgov policy set` takes them",
        )
    unknown = sorted(str(key) for key in data if key not in _FIELDS)
    if unknown:
        raise fail(BAD_INPUT, f"--policy: {path}: unknown field(s): {', '.join(unknown)}; "
                   f"expected {' and '.join(_FIELDS)}")  # fmt: skip
    try:
        return CandidatePolicy.stated(data.get("risk_tier"), data.get("policy"))
    except InvalidValueError as error:
        line = _line_of(text, error.field)
        where = f" (line {line})" if line else ""
        raise fail(BAD_INPUT, f"--policy: {path}{where}: {error}") from None


@policy_app.command("what-if")
def what_if(
    policy: Annotated[
        Path,
        typer.Option(
            "--policy",
            metavar="FILE",
            help="The candidate policy, YAML or JSON: risk_tier and (optionally) policy, as "
            "`modelgov policy set` takes them.",
        ),
    ],
    model: Annotated[
        str | None, typer.Option("--model", help="Only this model (default: every model).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Replay the recorded history under a candidate policy: every past activation it would have
    refused, with the gates that would have failed. Read-only: nothing is recorded."""
    if fmt not in ("text", "json"):
        raise typer.BadParameter(f"{fmt!r} is not text or json", param_hint="--format")
    candidate = read_candidate(policy)
    with reading() as governance:
        answer = policy_what_if(governance, candidate, model=model)
    if fmt == "json":
        echo_json(answer)
        return
    _print_answer(answer)


def _print_answer(answer: dict[str, Any]) -> None:
    candidate = answer["candidate"]
    rules = candidate["policy"]
    typer.echo(
        f"candidate policy: risk tier {candidate['risk_tier']}; gates "
        f"{', '.join(rules['required_gates'])}; environments {', '.join(rules['environments'])}; "
        f"{rules['min_distinct_approvers']} distinct approver(s) where that gate applies"
    )
    refused, replayed = answer["refused"], answer["activations_replayed"]
    models = len(answer["models"])
    if not refused:
        typer.echo(
            f"none of the {replayed} past activation(s) of {models} model(s) would have been "
            "refused"
        )
        return
    typer.echo(
        f"{len(refused)} of the {replayed} past activation(s) of {models} model(s) would have "
        "been refused:"
    )
    for entry in refused:
        typer.echo(
            f"  {entry['model']} version {entry['version']} in {entry['environment']}, effective "
            f"{entry['effective_at']}, by {entry['actor']} ({entry['role']}); model revision "
            f"{entry['model_revision']}, risk tier then {entry['risk_tier_then']}"
        )
        for gate in entry["unmet_gates"]:
            typer.echo(f"    {gate['gate']}: {gate['detail']}")
