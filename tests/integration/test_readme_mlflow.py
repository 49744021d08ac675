"""README's "From MLflow" commands, run as written (so the README cannot rot)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

from tests.conftest import environ_for
from tests.integration.mlflow_registry import build_registry
from tests.integration.test_card_import import README as HUGGING_FACE_CARD
from tests.integration.test_cli import run

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[list[str]]:
    """The `modelgov ...` lines of the section's first shell block, continuations joined."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## From MLflow") :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    lines = block.group(1).replace("\\\n", " ").splitlines()
    return [shlex.split(line, comments=True) for line in lines if line.startswith("modelgov ")]


def test_the_from_mlflow_commands_run_as_the_readme_says(tmp_path: Path) -> None:
    registry = build_registry(tmp_path / "registry")
    shutil.copy(registry.uri.removeprefix("sqlite:///"), tmp_path / "mlflow.db")
    (tmp_path / "README.md").write_text(HUGGING_FACE_CARD)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"\x01" * 512)
    env = environ_for("sqlite", tmp_path)
    commands = readme_commands()
    assert [c[1:3] for c in commands] == [["mlflow", "import"]] * 3 + [["card", "import"]]
    outputs = []
    for command in commands:
        result = run(tmp_path, *command[1:], env=env)
        assert result.returncode == 0, (command, result.stderr)
        outputs.append(result.stdout)
    assert outputs[0].startswith("imported 2 model(s), 3 version(s)")
    assert outputs[1].startswith("imported 0 model(s), 0 version(s)")
    assert json.loads(outputs[2])["versions"] == 0
    assert (
        json.loads((tmp_path / "card.json").read_text())["provenance"]["git_commit"] == "9f8e7d6c"
    )
