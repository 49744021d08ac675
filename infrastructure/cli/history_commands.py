"""The read commands that replay a model: show, history, replay (as of a revision or a time), diff.

They open the store read-only. A model's revision is the number of its events; its versions are
its ML releases (`--version` on replay is the revision's old name, kept for one release). `show`
is `replay` without a point: the state now (and without replay's options).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from modelgov_client import Client

from application.as_of import ReplayPoint, model_with_record
from application.governance import Governance
from application.views import history_entry, model_state
from infrastructure.cli.remote import ServerOption, TokenOption, connected
from infrastructure.cli.time_args import parse_time as _parse_time
from infrastructure.db.store import open_governance
from infrastructure.settings import get_settings

Answer = TypeVar("Answer")

ModelArgument = Annotated[str, typer.Argument(help="The model's name.")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON instead of a readable summary.")
]


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True))


def active_text(active: dict[str, int]) -> str:
    return ", ".join(f"{env}: v{v}" for env, v in sorted(active.items())) or "nothing active"


@contextmanager
def reading() -> Iterator[Governance]:
    governance = open_governance(get_settings().for_reading())
    try:
        yield governance
    finally:
        governance.close()


def answered(
    server: str | None,
    token: str | None,
    *,
    remote: Callable[[Client], Answer],
    local: Callable[[Governance], Answer],
) -> Answer:
    """What the server answers (`remote`) when one is given, else what the store says (`local`)."""
    if server:
        with connected(server, token) as client:
            return remote(client)
    with reading() as governance:
        return local(governance)


def show(
    name: ModelArgument,
    as_json: JsonOption = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show a model's current state: versions and their gates, targets, breaches, bias flags."""
    replay(name, as_json=as_json, server=server, token=token)  # the state now


def history(
    name: ModelArgument,
    as_json: JsonOption = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Every lifecycle event of a model: who, in which role, why, effective and recorded times."""
    entries = answered(
        server,
        token,
        remote=lambda client: list(client.iter_model_events(name, limit=500)),
        local=lambda governance: [history_entry(e) for e in governance.model_events(name)],
    )
    if as_json:
        echo_json(entries)
        return
    for entry in entries:
        mark = "  [backdated]" if entry["backdated"] else ""
        typer.echo(
            f"#{entry['model_revision']:<4} {entry['event']:20} effective {entry['effective_at']}"
            f"  recorded {entry['recorded_at']}{mark}"
        )
        typer.echo(
            f"      by {entry['actor']} ({entry['role']})"
            + (f": {entry['reason']}" if entry["reason"] else "")
        )
        details = ", ".join(
            f"{k}={json.dumps(v)}" for k, v in entry["details"].items() if k != "card"
        )
        if details:
            typer.echo(f"      {details}")


def replay(
    name: ModelArgument,
    revision: Annotated[
        int | None, typer.Option(help="As of this revision: after the model's N-th event.")
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Deprecated: --revision.", hidden=True)
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="As effective in the world at this ISO 8601 time (with a zone)."),
    ] = None,
    known_at: Annotated[
        str | None, typer.Option(help="As recorded (known) at this ISO 8601 time (with a zone).")
    ] = None,
    as_json: JsonOption = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Rebuild a model's state at a point in its past: by revision, by effective time or by known time."""
    if version is not None:
        typer.echo("note: --version is deprecated; use --revision (the same number)", err=True)
    points = (
        ("--revision", revision),
        ("--version", version),
        ("--at", at),
        ("--known-at", known_at),
    )
    chosen = [option for option, value in points if value is not None]
    if len(chosen) > 1:
        raise typer.BadParameter(
            f"give one of --revision, --at, --known-at, not {' and '.join(chosen)}"
        )
    point = ReplayPoint(
        revision=revision or version,
        effective_at=_parse_time("--at", at) if at is not None else None,
        known_at=_parse_time("--known-at", known_at) if known_at is not None else None,
    )
    _print_state(_state_at(name, point, server=server, token=token), as_json=as_json)


def diff(
    name: ModelArgument,
    from_: Annotated[
        str, typer.Option("--from", help="Revision (event number), or ISO time (as known then).")
    ],
    to: Annotated[str | None, typer.Option(help="Revision or ISO time; default: now.")] = None,
    as_json: JsonOption = False,  # the difference is JSON either way
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """What changed between two points: versions, targets, approvals, activations, flags, breaches."""

    def point(governance: Governance, value: str, option: str) -> int:
        return (
            int(value)
            if value.isascii() and value.isdigit()
            else governance.revision_known_at(name, _parse_time(option, value))
        )

    def local(governance: Governance) -> dict[str, Any]:
        start = point(governance, from_, "--from")
        end = point(governance, to, "--to") if to is not None else None
        return governance.diff(name, from_revision=start, to_revision=end)

    echo_json(
        answered(
            server, token, remote=lambda client: client.model_diff(name, from_=from_, to=to),
            local=local,
        )
    )  # fmt: skip


def _state_at(
    name: str, point: ReplayPoint, *, server: str | None, token: str | None
) -> dict[str, Any]:
    """The model's state at a point of its past (`ReplayPoint()`: now), from the server or the store."""
    state: dict[str, Any] = answered(
        server,
        token,
        remote=lambda client: client.model_state_at(
            name, revision=point.revision, at=point.effective_at, known_at=point.known_at
        ),
        local=lambda governance: model_state(*model_with_record(governance, name, point)),
    )
    return state


def _print_state(state: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        echo_json(state)
        return
    typer.echo(
        f"{state['name']}  (revision {state['model_revision']}, risk tier {state['risk_tier']})"
    )
    typer.echo(f"  {state['description']}")
    typer.echo(f"  owner: {state['owner']}; objective: {state['business_objective']}")
    typer.echo(f"  policy gates: {', '.join(state['policy']['required_gates'])}")
    active = active_text(state["active"])
    typer.echo(f"  active: {active}")
    for version in state["versions"]:
        unmet = [gate for gate, detail in version["gates"].items() if detail]
        status = (
            "retired"
            if version["retired"]
            else "rejected"
            if version["rejected"]
            else ("all gates met" if not unmet else f"unmet: {', '.join(unmet)}")
        )
        typer.echo(
            f"  v{version['number']}: commit {version['card']['provenance']['git_commit']}, "
            f"{len(version['release_approvals'])} approval(s); {status}"
        )
    for target in state["targets"]:
        typer.echo(
            f"  target {target['dimension']}/{target['metric']} {target['comparator']} "
            f"{target['threshold']} {target['unit']} ({target['severity']})"
        )
    for breach in state["open_breaches"]:
        typer.echo(
            f"  OPEN breach {breach['breach_id']}: {breach['metric']}={breach['observed_value']} "
            f"on v{breach['version']} in {breach['environment']}"
        )
    for flag in state["open_bias_flags"]:
        typer.echo(
            f"  OPEN bias flag {flag['flag_id']}: {flag['attribute']} {flag['metric']}="
            f"{flag['value']} (threshold {flag['threshold']}) on v{flag['version']}"
        )
