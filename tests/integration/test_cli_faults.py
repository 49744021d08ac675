"""Faults on the command line read as one line on stderr with their own exit code, never a traceback
(unless --debug): an unreachable PostgreSQL, an unwritable SQLite path, a full disk."""

from __future__ import annotations

import ctypes
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from infrastructure.settings import get_settings
from tests.conftest import PG_URL, TEST_KEY, free_port
from tests.integration.test_cli import run

KEY = {"MODELGOV_CIPHER_KEY": TEST_KEY}
_libc = ctypes.CDLL(None, use_errno=True)


def fails_in_one_line(
    result: subprocess.CompletedProcess[str], exit_code: int, *phrases: str
) -> None:
    assert result.returncode == exit_code, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("modelgov: ") and "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr


def _sqlite_at(path: Path) -> dict[str, str]:
    return {**KEY, "MODELGOV_DATABASE_URL": f"sqlite:///{path}"}


def test_the_help_lists_the_exit_codes_and_the_debug_flag(tmp_path: Path) -> None:
    text = " ".join(run(tmp_path, "--help").stdout.split())
    for meaning in (
        "Exit codes: 0 done; 1 refused by a governance rule",
        "2 bad usage or input",
        "3 not reachable or not authorised",
        "4 the store or a file cannot be written",
        "5 unexpected error",
        "--debug",
    ):
        assert meaning in text


WRITERS = [["init"], ["demo"], ["serve", "--port", "0"]]
READERS = [["models"], ["tokens", "list"]]  # they open the store read-only: they create nothing
COMMANDS = WRITERS + READERS


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_an_unreachable_postgresql_is_one_line_and_exit_3(
    tmp_path: Path, command: list[str]
) -> None:
    port = free_port()  # nothing listens there
    env = {**KEY, "MODELGOV_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres"}
    fails_in_one_line(
        run(tmp_path, *command, env=env), 3,
        f"cannot reach PostgreSQL postgres@127.0.0.1:{port}/postgres", "Connection refused",
        "check that PostgreSQL is running",
    )  # fmt: skip


def test_debug_shows_the_traceback_before_the_line(tmp_path: Path) -> None:
    env = {**KEY, "MODELGOV_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x"}
    result = run(tmp_path, "--debug", "models", env=env)
    assert result.returncode == 3
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("modelgov: cannot reach PostgreSQL")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_sqlite_path_under_a_file_is_one_line_exit_4_for_writers_and_2_for_readers(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "notes.txt").write_text("a file, where the store's directory would go")
    store = tmp_path / "notes.txt" / "modelgov.db"
    result = run(tmp_path, *command, env=_sqlite_at(store))
    if command in READERS:  # a read creates nothing: there is no store there
        fails_in_one_line(result, 2, f"no modelgov store in SQLite file {store}")
    else:
        fails_in_one_line(
            result, 4, f"cannot create SQLite file {store}",
            f"{tmp_path}/notes.txt is a file, not a directory",
        )  # fmt: skip


def _without_root_overrides() -> None:
    """In the child: as root, give up the power to write where permissions say no (as any
    other user has), so that a read-only directory is read-only."""
    if os.geteuid() == 0:
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if _libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("command", [["models"], ["tokens", "create", "--name", "ci",
                                      "--role", "auditor"], ["demo"]])  # fmt: skip
def test_a_store_in_a_read_only_directory_is_one_line_and_exit_4(
    tmp_path: Path, command: list[str]
) -> None:
    env = _sqlite_at(tmp_path / "store" / "modelgov.db")
    assert run(tmp_path, "init", env=env).returncode == 0
    (tmp_path / "store").chmod(0o555)
    try:
        result = run(tmp_path, *command, env=env, preexec_fn=_without_root_overrides)
    finally:
        (tmp_path / "store").chmod(0o755)
    fails_in_one_line(
        result, 4, f"cannot write to SQLite file {tmp_path}/store/modelgov.db",
        "readonly database", "make the file and its directory writable",
    )  # fmt: skip


def _file_size_limit(size: int) -> Callable[[], None]:
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))

    return limit


def _tiny_file_system(directory: Path) -> Callable[[], None]:
    """In the child: its own mount namespace, with a 200 KiB tmpfs over `directory`."""
    uid, gid = os.getuid(), os.getgid()

    def mount() -> None:
        if _libc.unshare(0x10000000 | 0x00020000) != 0:  # CLONE_NEWUSER | CLONE_NEWNS
            raise OSError(ctypes.get_errno(), "unshare")
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
        options = b"size=200k"
        if _libc.mount(b"tmpfs", str(directory).encode(), b"tmpfs", 0, options) != 0:
            raise OSError(ctypes.get_errno(), "mount")

    return mount


def test_a_full_disk_under_sqlite_is_one_line_and_exit_4(tmp_path: Path) -> None:
    """A real ENOSPC: a 200 KiB file system of the test's own (user and mount namespaces)."""
    (tmp_path / "tiny").mkdir()
    try:
        subprocess.run(["true"], preexec_fn=_tiny_file_system(tmp_path / "tiny"), check=True)
    except subprocess.SubprocessError:
        pytest.skip("this kernel does not let the tests mount a file system of their own")
    result = run(
        tmp_path, "demo", env=_sqlite_at(tmp_path / "tiny" / "modelgov.db"),
        preexec_fn=_tiny_file_system(tmp_path / "tiny"),
    )  # fmt: skip
    fails_in_one_line(
        result, 4, f"cannot write to SQLite file {tmp_path}/tiny/modelgov.db",
        "database or disk is full (SQLITE_FULL)", "free disk space",
    )  # fmt: skip


def test_a_file_that_may_not_grow_under_sqlite_is_one_line_and_exit_4(tmp_path: Path) -> None:
    """The file size limit (RLIMIT_FSIZE) refuses growth as a full disk does, on any machine."""
    env = _sqlite_at(tmp_path / "modelgov.db")
    assert run(tmp_path, "init", env=env).returncode == 0
    # Room for SQLite's 32 KiB shared-memory file, not for the demo's events.
    result = run(tmp_path, "demo", env=env, preexec_fn=_file_size_limit(32 * 1024))
    fails_in_one_line(
        result, 4, f"cannot write to SQLite file {tmp_path}/modelgov.db", "check free disk space"
    )


@pytest.mark.postgres
def test_a_full_disk_under_postgresql_is_one_line_and_exit_4(
    tmp_path: Path, pg_schema: str
) -> None:
    """The server's own disk_full error (SQLSTATE 53100), raised by a trigger: filling a real
    disk under a shared PostgreSQL server is not something a test may do."""
    env = {**KEY, "MODELGOV_DATABASE_URL": PG_URL, "MODELGOV_PG_SCHEMA": pg_schema}
    assert run(tmp_path, "init", env=env).returncode == 0
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"SET search_path TO {pg_schema}")
        connection.execute(
            "CREATE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file \"base/5/16384\": No space left on device' "
            "USING ERRCODE = 'disk_full', HINT = 'Check free disk space.'; END $$"
        )
        connection.execute(
            "CREATE TRIGGER disk_is_full BEFORE INSERT ON modelgov_events "
            "FOR EACH ROW EXECUTE FUNCTION disk_is_full()"
        )
    fails_in_one_line(
        run(tmp_path, "demo", env=env), 4,
        f"cannot write to {get_settings(env).database.describe()}",
        "No space left on device", "free disk space on the database server",
    )  # fmt: skip
