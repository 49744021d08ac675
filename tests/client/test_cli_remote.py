"""The CLI over HTTP against a live server: every write is a command, reads go remote with
--server, refusals list their gates, and the exit codes are the same everywhere, with no traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from infrastructure.cli.exit_codes import EXIT_CODES_HELP
from infrastructure.cli.main import app
from tests.client.conftest import Remote
from tests.conftest import free_port
from tests.factories import card
from tests.integration.test_cli import run

POLICY = {
    "required_gates": [
        "data_scientist_release_approval",
        "validation_evidence",
        "distinct_approvers",
    ],
    "min_distinct_approvers": 2,
}


def as_role(remote: Remote, role: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`modelgov *args` as `role`, with the server and token from the environment, as in CI."""
    env = {"MODELGOV_SERVER": remote.url, "MODELGOV_TOKEN": remote.tokens[role]}
    return run(remote.workdir, *args, env=env)


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def test_a_release_goes_live_from_the_command_line(remote: Remote) -> None:
    (remote.workdir / "card.json").write_text(json.dumps(card()))
    (remote.workdir / "metrics.json").write_text(json.dumps({"auc": 0.84, "ks": 0.41}))
    (remote.workdir / "policy.json").write_text(json.dumps(POLICY))
    steps = [
        ("ml_engineer", "register", "loan", "--risk-tier", "low", "--owner", "Retail",
         "--description", "Predicts default", "--business-objective", "Price risk"),
        ("admin", "policy", "set", "loan", "--risk-tier", "low", "--policy", "policy.json",
         "--reason", "four eyes for credit"),
        ("ml_engineer", "version", "add", "loan", "--card", "card.json"),
        ("ml_engineer", "validate", "loan", "1", "--kind", "backtest", "--dataset", "loans-2025",
         "--metrics", "metrics.json", "--passed"),
    ]  # fmt: skip
    for role, *args in steps:
        result = as_role(remote, role, *args)
        assert result.returncode == 0, result.stderr
    assert "result: 1" in result.stdout or "revision 4" in result.stdout

    refused = as_role(remote, "devops_engineer", "activate", "loan", "--version", "1",
                      "--environment", "production")  # fmt: skip
    assert refused.returncode == 1
    assert "  data_scientist_release_approval: no release approval by a data scientist\n" in (
        refused.stderr
    )
    assert "  distinct_approvers: " in refused.stderr
    no_traceback(refused)
    gate = as_role(
        remote, "auditor", "gate", "loan", "--version", "1", "--environment", "production"
    )
    assert gate.returncode == 1 and gate.stdout.splitlines()[1:] == [
        "  data_scientist_release_approval: no release approval by a data scientist",
        "  distinct_approvers: release approved by 0 distinct principal(s); the policy needs 2",
    ]

    for role in ("data_scientist", "business_owner"):
        result = as_role(remote, role, "approve", "loan", "1", "--reason", "backtest holds")
        assert result.returncode == 0, result.stderr
    gate = as_role(remote, "auditor", "gate", "loan", "--version", "1", "--environment",
                   "production", "--json")  # fmt: skip
    assert gate.returncode == 0 and json.loads(gate.stdout)["allowed"] is True
    activated = as_role(remote, "devops_engineer", "activate", "loan", "--version", "1",
                        "--environment", "production", "--json")  # fmt: skip
    assert activated.returncode == 0, activated.stderr
    answer = json.loads(activated.stdout)
    assert answer["model"] == "loan" and answer["model_revision"] == 7 and answer["position"]

    shown = as_role(remote, "auditor", "show", "loan")
    assert shown.returncode == 0 and "active: production: v1" in shown.stdout
    history = json.loads(as_role(remote, "auditor", "history", "loan", "--json").stdout)
    assert [entry["event"] for entry in history][-1] == "VersionActivated"
    past = json.loads(
        as_role(remote, "auditor", "replay", "loan", "--revision", "3", "--json").stdout
    )
    assert past["model_revision"] == 3 and past["active"] == {}
    listed = json.loads(as_role(remote, "auditor", "models", "--json").stdout)
    assert [row["name"] for row in listed] == ["loan"]
    usage = json.loads(as_role(remote, "auditor", "usage", "loan", "--json").stdout)
    assert usage and "production" in json.dumps(usage)


def test_every_fault_ends_with_its_exit_code_and_one_line(remote: Remote) -> None:
    workdir = remote.workdir
    registered = as_role(remote, "ml_engineer", "register", "loan", "--risk-tier", "low",
                         "--owner", "o", "--description", "d", "--business-objective", "b")  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    version = as_role(remote, "ml_engineer", "version", "add", "loan", "--card", json.dumps(card()))
    assert version.returncode == 0, version.stderr
    down = run(workdir, "version", "add", "loan", "--card", "{}", "--server",
               f"http://127.0.0.1:{free_port()}", "--token", "t")  # fmt: skip
    bad_token = run(workdir, "show", "loan", "--server", remote.url, "--token", "wrong")
    forbidden = as_role(remote, "auditor", "version", "add", "loan", "--card", json.dumps(card()))
    (workdir / "broken.json").write_text("{not json")
    cases = {
        "a server down": (down, 3),
        "a bad token": (bad_token, 3),
        "a role that may not": (forbidden, 3),
        "a missing card file": (as_role(remote, "ml_engineer", "version", "add", "loan",
                                        "--card", "missing.json"), 2),
        "a card file that is not JSON": (as_role(remote, "ml_engineer", "version", "add", "loan",
                                                 "--card", "broken.json"), 2),
        "a card the server refuses": (as_role(remote, "ml_engineer", "version", "add", "loan",
                                              "--card", json.dumps(card(features=[]))), 2),
        "an unknown model": (as_role(remote, "auditor", "model", "show", "nope"), 2),
        "a missing option": (as_role(remote, "devops_engineer", "activate", "loan"), 2),
        "no server": (run(workdir, "activate", "loan", "--version", "1", "--environment", "x"), 2),
        "a rule's refusal": (as_role(remote, "devops_engineer", "deactivate", "loan",
                                     "--version", "1", "--environment", "production",
                                     "--reason", "r"), 1),
    }  # fmt: skip
    for label, (result, code) in cases.items():
        assert result.returncode == code, (label, result.stdout, result.stderr)
        no_traceback(result)
        assert result.stderr.strip(), label
    refusal = as_role(remote, "devops_engineer", "deactivate", "loan", "--version", "1",
                      "--environment", "production", "--reason", "r", "--json")  # fmt: skip
    assert json.loads(refusal.stdout)["status"] == 409


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """Every command under a group (typer's own click), by the words that call it."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found |= _commands(command, f"{prefix}{name} ")
        else:
            found[f"{prefix}{name}"] = command
    return found


def test_every_remote_command_documents_its_exit_codes_and_has_json() -> None:
    from modelgov_client import OPERATIONS

    from infrastructure.cli.remote_commands import words_for

    root = typer.main.get_command(app)
    commands = _commands(root)
    every = [words_for(name) for name in OPERATIONS]  # a route WORDS lacks has one too
    remote = {" ".join(words) for words in every if words is not None}
    remote |= {"models", "show", "history", "replay", "diff", "gate"}
    for name in sorted(remote):
        helped = CliRunner().invoke(app, [*name.split(), "--help"], terminal_width=200)
        text = " ".join(helped.output.split())
        assert helped.exit_code == 0 and " ".join(EXIT_CODES_HELP.split()) in text, name
        assert "--json" in text and "--server" in text, name
        assert name in commands
    for name in sorted(set(commands) - remote):  # the local commands: the same codes
        helped = CliRunner().invoke(app, [*name.split(), "--help"], terminal_width=200)
        text = " ".join(helped.output.split())
        assert helped.exit_code == 0 and " ".join(EXIT_CODES_HELP.split()) in text, name
    for required in ("register", "version add", "validate", "approve", "reject", "sign-off",
                     "targets set", "targets approve", "activate", "deactivate", "rollback",
                     "flag raise", "flag resolve", "breach open", "breach close", "cost report",
                     "policy set", "game-plan set", "retire", "metrics post"):  # fmt: skip
        assert required in remote, required


def test_a_route_without_words_still_gets_a_command(tmp_path: Path) -> None:
    from modelgov_client import Operation

    from infrastructure.cli.remote_commands import command_for, words_for

    operation = Operation(
        name="new_thing", method="POST", path="/v1/models/{name}/new", doc="A new command.",
        path_parameters=(), query=(), body=(),
    )  # fmt: skip
    assert command_for(operation).__name__ == "new_thing"
    assert words_for("new_thing") == ("new-thing",)


def test_the_inventory_comes_from_a_server_with_server(remote: Remote) -> None:
    registered = as_role(remote, "ml_engineer", "register", "loan", "--risk-tier", "high",
                         "--owner", "Retail", "--description", "Predicts default",
                         "--business-objective", "Price risk")  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    as_json = as_role(remote, "auditor", "inventory")
    no_traceback(as_json)
    [entry] = json.loads(as_json.stdout)["models"]
    assert entry["model"] == "loan" and entry["status"] == "draft"
    written = as_role(
        remote, "compliance_officer", "inventory", "--format", "xlsx", "--out", "i.xlsx"
    )
    assert written.returncode == 0 and (remote.workdir / "i.xlsx").read_bytes()[:2] == b"PK"
    refused = as_role(remote, "ml_engineer", "inventory", "--format", "csv")
    assert refused.returncode != 0 and "compliance_officer" in refused.stderr
    no_traceback(refused)
