"""Settings are validated at start, and a bad one is named with the reason."""

from __future__ import annotations

import pytest

from infrastructure.errors import SettingsError
from infrastructure.settings import get_settings

KEY = "7hS2bQ4Kq1tN9mY0cV3xZ8wR5uP6eA1dF4gH7jK2lMo="


def test_the_default_is_a_sqlite_file_in_the_working_directory() -> None:
    settings = get_settings({})
    assert (settings.database.kind, settings.database.path) == ("sqlite", "modelgov.db")
    assert settings.snapshot_interval == 100


def test_a_postgresql_url_is_parsed_into_its_parts() -> None:
    settings = get_settings(
        {"MODELGOV_DATABASE_URL": "postgresql://gov:s%40cret@db.internal:6543/ledger"}
    )
    db = settings.database
    assert (db.kind, db.host, db.port, db.user, db.password, db.dbname) == (
        "postgres",
        "db.internal",
        6543,
        "gov",
        "s@cret",
        "ledger",
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MODELGOV_DATABSE_URL": "sqlite:///x.db"}, "unknown setting MODELGOV_DATABSE_URL"),
        ({"MODELGOV_DATABASE_URL": "mysql://x/y"}, "neither sqlite"),
        ({"MODELGOV_DATABASE_URL": "sqlite://"}, "names no file"),
        ({"MODELGOV_DATABASE_URL": "postgresql://u:hunter2@/"}, "needs a host and a database"),
        ({"MODELGOV_CIPHER_KEY": "not base64!"}, "MODELGOV_CIPHER_KEY is not valid base64"),
        ({"MODELGOV_CIPHER_KEY": "c2hvcnQ="}, "decodes to 5 bytes"),
        (
            {"MODELGOV_SNAPSHOT_INTERVAL": "often"},
            "MODELGOV_SNAPSHOT_INTERVAL must be a whole number",
        ),
        ({"MODELGOV_SNAPSHOT_INTERVAL": "0"}, "must be 1 or more"),
    ],
)
def test_a_bad_setting_fails_at_start_naming_it(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        get_settings(environ)


def test_a_password_in_a_bad_url_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as error:
        get_settings({"MODELGOV_DATABASE_URL": "postgresql://u:hunter2@/"})
    assert "hunter2" not in str(error.value)


def test_a_valid_cipher_key_is_accepted() -> None:
    assert get_settings({"MODELGOV_CIPHER_KEY": KEY}).cipher_key == KEY
