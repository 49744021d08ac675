"""The domain imports the standard library, the library's domain module and itself: nothing else."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
ALLOWED_THIRD_PARTY = {"eventsourcing.domain"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_domain_is_pure() -> None:
    offending = {}
    for path in sorted(DOMAIN.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "domain" or name in ALLOWED_THIRD_PARTY:
                continue
            offending.setdefault(path.name, []).append(name)
    assert offending == {}


def test_the_check_sees_imports() -> None:
    assert "eventsourcing.domain" in _imports(DOMAIN / "model.py")
