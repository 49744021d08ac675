"""The CI examples in docs/ci/ run as written: their steps (all but installing the CLI, which is
this test's own environment) against a live server, with the CI's own variables set. The deploy
job stops at `modelgov gate` before the approvals, and deploys and records the activation after."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.client.conftest import Remote, client, registered
from tests.factories import card

DOCS = Path(__file__).resolve().parents[2] / "docs/ci"
SHA = "4e1f2a9c0b7d3e5f6a8b9c0d1e2f3a4b5c6d7e8f"
INSTALL = 'pip install "$MODELGOV_INSTALL"'
TRAIN = """import json, sys
out, metrics = sys.argv[sys.argv.index("--out") + 1], sys.argv[sys.argv.index("--metrics") + 1]
open(out, "wb").write(b"onnx weights")
json.dump({"auc": 0.86, "ks": 0.41}, open(metrics, "w"))
"""
DeployJob = Callable[[], tuple[int, str]]


def the_team_repository(directory: Path) -> None:
    """What the examples say is the team's own: a training script, a card, a deploy script."""
    (directory / "train.py").write_text(TRAIN)
    static = {k: v for k, v in card().items() if k not in ("artifact_sha256", "provenance")}
    (directory / "model-card.json").write_text(json.dumps(static))
    deploy = directory / "deploy.sh"
    deploy.write_text('#!/bin/sh\necho "$1" > deployed.txt\n')
    deploy.chmod(0o755)


def bash(script: str, *, env: Mapping[str, str], cwd: Path) -> tuple[int, str]:
    result = subprocess.run(
        ["bash", "-e", "-c", script], env=dict(env), cwd=cwd, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def base_environment(**variables: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ['PATH']}"
    return environ | variables


def run_github_job(
    job: dict[str, Any], *, env: dict[str, str], expressions: dict[str, str], cwd: Path
) -> tuple[int, str, dict[str, str]]:
    """A job's `run` steps in order, as the runner would: `bash -e`, $GITHUB_ENV carried from step
    to step, ${{ }} expressions looked up; the exit code, the output, the steps' outputs."""

    def evaluated(value: str) -> str:
        return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda m: expressions[m.group(1)], str(value))

    env = env | {k: evaluated(v) for k, v in job.get("env", {}).items()}
    outputs: dict[str, str] = {}
    log = ""
    for step in job["steps"]:
        if "run" not in step:
            assert step["uses"].startswith(("actions/checkout", "actions/setup-python"))
            continue
        if step.get("name", "").startswith("Install"):
            assert step["run"].strip() == INSTALL
            continue
        for file in ("GITHUB_ENV", "GITHUB_OUTPUT"):
            (cwd / file).write_text("")
        code, output = bash(step["run"], env=env | {"GITHUB_ENV": str(cwd / "GITHUB_ENV"),
                                                     "GITHUB_OUTPUT": str(cwd / "GITHUB_OUTPUT")},
                            cwd=cwd)  # fmt: skip
        log += output
        if code != 0:
            return code, log, outputs
        env |= dict(line.split("=", 1) for line in (cwd / "GITHUB_ENV").read_text().splitlines())
        for line in (cwd / "GITHUB_OUTPUT").read_text().splitlines():
            key, value = line.split("=", 1)
            outputs[f"steps.{step.get('id')}.outputs.{key}"] = value
    return 0, log, outputs


def github_pipeline(remote: Remote, cwd: Path) -> tuple[tuple[int, str], DeployJob]:
    workflow = yaml.safe_load((DOCS / "github-actions.yml").read_text())
    env = base_environment(
        GITHUB_SHA=SHA, GITHUB_REF="refs/pull/42/merge", GITHUB_SERVER_URL="https://github.example",
        GITHUB_REPOSITORY="bank/credit-models", GITHUB_RUN_ID="9876543",
    )  # fmt: skip
    expressions = {
        "vars.MODELGOV_SERVER": remote.url,
        "secrets.MODELGOV_TOKEN": remote.tokens["ml_engineer"],
        "secrets.MODELGOV_DEPLOY_TOKEN": remote.tokens["devops_engineer"],
        "github.event.pull_request.head.sha || github.sha": SHA,
    }
    env |= {k: re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda m: expressions[m.group(1)], v)
            for k, v in workflow["env"].items()}  # fmt: skip
    jobs = workflow["jobs"]
    code, log, outputs = run_github_job(jobs["register"], env=env, expressions=expressions, cwd=cwd)
    for name, value in jobs["register"]["outputs"].items():
        expressions[f"needs.register.outputs.{name}"] = outputs[value.strip("${} ")]

    def deploy() -> tuple[int, str]:
        code, log, _ = run_github_job(jobs["deploy"], env=env, expressions=expressions, cwd=cwd)
        return code, log

    return (code, log), deploy


def run_gitlab_job(job: dict[str, Any], *, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """A job's script as the runner would: its variables expanded, its lines in one shell."""
    env = env | {
        k: re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), str(v))
        for k, v in job.get("variables", {}).items()
    }
    return bash("\n".join(job["script"]), env=env, cwd=cwd)


def gitlab_pipeline(remote: Remote, cwd: Path) -> tuple[tuple[int, str], DeployJob]:
    pipeline = yaml.safe_load((DOCS / "gitlab-ci.yml").read_text())
    assert pipeline["default"]["before_script"] == [INSTALL]
    env = base_environment(
        CI_COMMIT_SHA=SHA, CI_MERGE_REQUEST_IID="42",
        CI_MERGE_REQUEST_PROJECT_URL="https://gitlab.example/bank/credit-models",
        CI_PIPELINE_URL="https://gitlab.example/bank/credit-models/-/pipelines/9876543",
        MODELGOV_SERVER=remote.url, MODELGOV_TOKEN=remote.tokens["ml_engineer"],
        MODELGOV_DEPLOY_TOKEN=remote.tokens["devops_engineer"],
    ) | {k: str(v) for k, v in pipeline["variables"].items()}  # fmt: skip
    for name in ("train", "register"):
        code, log = run_gitlab_job(pipeline[name], env=env, cwd=cwd)
        if code != 0:
            break
    dotenv = cwd / pipeline["register"]["artifacts"]["reports"]["dotenv"]
    env |= dict(line.split("=", 1) for line in dotenv.read_text().splitlines()) if code == 0 else {}

    def deploy() -> tuple[int, str]:
        return run_gitlab_job(pipeline["deploy"], env=env, cwd=cwd)

    return (code, log), deploy


def check_pipeline(remote: Remote, pipeline: Callable[..., Any], pull: str, run: str) -> None:
    registered(remote)
    cwd = remote.workdir
    the_team_repository(cwd)
    (code, log), deploy = pipeline(remote, cwd)
    assert code == 0, log
    auditor = client(remote, "auditor")
    version = auditor.model_state_at("loan-default")["versions"][0]
    assert version["card"]["provenance"] == {
        "git_commit": SHA,
        "pull_request": pull,
        "pipeline_run": run,
    }
    assert [(v["metrics"], v["passed"]) for v in version["validations"]] == [
        ({"auc": 0.86, "ks": 0.41}, True)
    ]

    code, log = deploy()
    assert code == 1, log
    assert "  data_scientist_release_approval: no release approval by a data scientist" in log
    assert "  distinct_approvers: " in log and not (cwd / "deployed.txt").exists()

    client(remote, "data_scientist").approve_release("loan-default", 1, reason="backtest holds")
    client(remote, "business_owner").approve_release("loan-default", 1, reason="value case ok")
    code, log = deploy()
    assert code == 0, log
    assert (cwd / "deployed.txt").read_text() == "1\n"
    assert auditor.model_state_at("loan-default")["active"] == {"production": 1}


def test_the_github_actions_example_registers_validates_and_gates_the_deploy(
    remote: Remote,
) -> None:
    check_pipeline(
        remote, github_pipeline, "https://github.example/bank/credit-models/pull/42",
        "https://github.example/bank/credit-models/actions/runs/9876543",
    )  # fmt: skip


def test_the_gitlab_example_registers_validates_and_gates_the_deploy(remote: Remote) -> None:
    check_pipeline(
        remote, gitlab_pipeline, "https://gitlab.example/bank/credit-models/-/merge_requests/42",
        "https://gitlab.example/bank/credit-models/-/pipelines/9876543",
    )  # fmt: skip
