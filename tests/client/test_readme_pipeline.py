"""README's "From a pipeline" runs as written: its command-line block with bash, then its Python
block, against a live server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.client.conftest import Remote
from tests.client.test_ci_examples import base_environment
from tests.client.test_client_package import CLIENT
from tests.factories import card

README = Path(__file__).resolve().parents[2] / "README.md"


def section_blocks(title: str) -> dict[str, list[str]]:
    """The fenced blocks of one README section, by language."""
    text = README.read_text().split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    blocks: dict[str, list[str]] = {}
    for language, body in re.findall(r"```(\w+)\n(.*?)```", text, flags=re.S):
        blocks.setdefault(language, []).append(body)
    return blocks


def test_the_pipeline_section_runs_as_written(remote: Remote) -> None:
    install, commands = section_blocks("From a pipeline")["sh"]
    (python,) = section_blocks("From a pipeline")["python"]
    assert install.split("#")[0].split() == ["pip", "install", "./clients/python"]
    assert CLIENT.name == "python" and CLIENT.parent.name == "clients"  # what that test installs
    cwd = remote.workdir
    (cwd / "card.json").write_text(json.dumps(card()))
    (cwd / "metrics.json").write_text(json.dumps({"auc": 0.84}))
    env = base_environment(
        ENGINEER_TOKEN=remote.tokens["ml_engineer"],
        SCIENTIST_TOKEN=remote.tokens["data_scientist"],
        DEVOPS_TOKEN=remote.tokens["devops_engineer"],
    )  # fmt: skip
    script = commands.replace("https://modelgov.example", remote.url)
    shell = subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert (
        "data_scientist_release_approval: no release approval by a data scientist" in shell.stdout
    )
    assert "not yet (exit 1)" in shell.stdout
    assert "may be activated in production now" in shell.stdout
    assert "active: production: v1" in shell.stdout

    env |= {"MODELGOV_SERVER": remote.url, "MODELGOV_TOKEN": remote.tokens["ml_engineer"]}
    ran = subprocess.run(
        [sys.executable, "-c", python], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        "data_scientist_release_approval: no release approval by a data scientist",
        "loan-default {'production': 1}",
    ]
