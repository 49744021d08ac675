"""The client as a package: it installs alone with one pip install (httpx2 and nothing of the
server), its generated methods are what the server's routes say, and its surface is small."""

from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import venv
from pathlib import Path

import modelgov_client
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelgov_client import OPERATIONS, ModelgovError, Retries

from infrastructure.api import client_codegen

CLIENT = Path(__file__).resolve().parents[2] / "clients/python"
SERVER_ONLY = {"modelgov", "fastapi", "eventsourcing", "pydantic", "psycopg", "typer", "uvicorn"}


def test_the_client_installs_alone_into_a_fresh_environment(tmp_path: Path) -> None:
    venv.create(tmp_path / "venv", with_pip=True)
    bin_dir = tmp_path / "venv" / "bin"
    source = shutil.copytree(
        CLIENT, tmp_path / "python", ignore=shutil.ignore_patterns("*.egg-info")
    )
    installed = subprocess.run(  # from a copy: a build leaves build/ beside the sources
        [bin_dir / "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    frozen = subprocess.run(
        [bin_dir / "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    names = {line.split("==")[0].lower() for line in frozen.split()}
    assert {"modelgov-client", "httpx2"} <= names
    assert not names & SERVER_ONLY, names & SERVER_ONLY
    imported = subprocess.run(
        [bin_dir / "python", "-c",
         "import modelgov_client as m; print(len(m.OPERATIONS), m.Client.activate.__name__)"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == [str(len(OPERATIONS)), "activate"]


def test_the_generated_files_are_what_the_routes_say() -> None:
    for path, text in client_codegen.generate().items():
        assert path.read_text() == text, (
            f"run `python -m infrastructure.api.client_codegen` and commit the client's {path.name}"
        )


def _stubbed() -> dict[str, ast.FunctionDef]:
    stub = ast.parse((client_codegen.PACKAGE / "_commands.pyi").read_text())
    (operations,) = [node for node in stub.body if isinstance(node, ast.ClassDef)]
    return {node.name: node for node in operations.body if isinstance(node, ast.FunctionDef)}


def test_each_method_takes_what_its_stub_says() -> None:
    stubbed = _stubbed()
    methods = [name for name in dir(modelgov_client.Client) if name in stubbed]
    assert len(methods) > len(OPERATIONS)  # every route, and the lists' iter_ twins
    for name in methods:
        stub = stubbed[name].args
        signature = inspect.signature(getattr(modelgov_client.Client, name))
        positional = [
            p.name for p in signature.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        keywords = {
            p.name: p.default is p.empty
            for p in signature.parameters.values()
            if p.kind is p.KEYWORD_ONLY
        }
        assert positional == [a.arg for a in stub.args], name
        assert keywords == {
            a.arg: d is None for a, d in zip(stub.kwonlyargs, stub.kw_defaults, strict=True)
        }, name
        assert getattr(modelgov_client.Client, name).__doc__ == ast.get_docstring(stubbed[name]), (
            name
        )


def test_a_wrong_call_is_refused_as_python_refuses_it_before_anything_is_sent() -> None:
    # Nothing listens on port 9 and there is one attempt: a call that got as far as sending
    # would raise Unreachable, not TypeError.
    with modelgov_client.Client("http://127.0.0.1:9", retries=Retries(attempts=1)) as client:
        with pytest.raises(TypeError, match="environment"):
            client.activate("credit-risk", version=3)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="colour"):
            client.activate("credit-risk", version=3, environment="production", colour="red")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="positional"):
            client.activate("credit-risk", 3, "production")  # type: ignore[misc]
        with pytest.raises(modelgov_client.Unreachable):
            client.activate("credit-risk", version=3, environment="production")


def test_every_route_and_command_has_its_method() -> None:
    from domain.commands import Action
    from infrastructure.api.routes_commands import ROUTES

    routed = {route.command.ACTION.value for route in ROUTES}
    assert routed <= set(OPERATIONS) and routed <= set(dir(modelgov_client.Client))
    assert {Action.ACTIVATE.value, "get_model", "iter_list_models"} <= set(
        dir(modelgov_client.Client)
    )


def test_the_public_surface_is_what_all_says() -> None:
    public = {name for name in dir(modelgov_client) if not name.startswith("_")}
    assert public == set(modelgov_client.__all__)
    errors = [getattr(modelgov_client, n) for n in modelgov_client.__all__]
    errors = [e for e in errors if isinstance(e, type) and issubclass(e, Exception)]
    assert all(issubclass(error, ModelgovError) for error in errors) and len(errors) == 13


@given(attempt=st.integers(min_value=0, max_value=60), backoff=st.floats(0.001, 5))
def test_a_retry_waits_between_half_and_all_of_its_capped_backoff(
    attempt: int, backoff: float
) -> None:
    retries = Retries(backoff=backoff, max_backoff=8.0)
    ceiling = min(8.0, backoff * 2**attempt)
    assert ceiling / 2 <= retries.pause(attempt) <= ceiling
