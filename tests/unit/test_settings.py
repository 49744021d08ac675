"""Settings are validated at start, and a bad one is named with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from infrastructure.errors import SettingsError
from infrastructure.settings import KNOWN_SETTINGS, Database, Settings, get_settings

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
        ({"MODELGOV_CIPHER_KEY": " "}, "MODELGOV_CIPHER_KEY is set but empty"),
        ({"MODELGOV_MODEL_CACHE_SIZE": "-1"}, "MODELGOV_MODEL_CACHE_SIZE must be 0 or more"),
        ({"MODELGOV_PG_POOL_SIZE": ""}, "MODELGOV_PG_POOL_SIZE must be a whole number; got ''"),
        ({"MODELGOV_FAULT_POINT": "before_lunch"}, "is not a fault point"),
        ({"MODELGOV_SIGNING_KEY_FILE": ""}, "MODELGOV_SIGNING_KEY_FILE is set but empty"),
        ({"MODELGOV_REQUIRE_PG": "true"}, "MODELGOV_REQUIRE_PG must be 0 or 1"),
        ({"MODELGOV_REQUIRE_GO": "yes"}, "MODELGOV_REQUIRE_GO must be 0 or 1"),
        ({"MODELGOV_REQUIRE_BROWSER": "on"}, "MODELGOV_REQUIRE_BROWSER must be 0 or 1"),
        ({"MODELGOV_RATE_LIMIT": "sometimes"}, "MODELGOV_RATE_LIMIT: Input should be 'auto'"),
        ({"MODELGOV_RATE_LIMIT_BURST": "0"}, "MODELGOV_RATE_LIMIT_BURST must be 1 or more"),
        ({"MODELGOV_RATE_LIMIT_PER_SECOND": "0"}, "MODELGOV_RATE_LIMIT_PER_SECOND"),
        (
            {"MODELGOV_DATABASE_URL": "postgresql://u@h/d", "MODELGOV_PG_SCHEMA": "a;b"},
            "MODELGOV_PG_SCHEMA 'a;b' must be letters",
        ),
    ],
)
def test_a_bad_setting_fails_at_start_naming_it(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        get_settings(environ)


def test_rate_limits_are_read_from_their_variables() -> None:
    settings = get_settings({"MODELGOV_RATE_LIMIT": "on", "MODELGOV_RATE_LIMIT_PER_SECOND": "2.5",
                             "MODELGOV_RATE_LIMIT_BURST": "7"})  # fmt: skip
    assert (settings.rate_limit, settings.rate_limit_per_second, settings.rate_limit_burst) == (
        "on", 2.5, 7
    )  # fmt: skip
    assert get_settings({}).rate_limit == "auto"


def test_the_log_format_and_the_lag_warning_are_read_and_a_misspelt_one_is_refused() -> None:
    settings = get_settings({"MODELGOV_LOG_FORMAT": "json", "MODELGOV_LAG_WARNING_EVENTS": "50"})
    assert (settings.log_format, settings.lag_warning_events) == ("json", 50)
    assert (get_settings({}).log_format, get_settings({}).lag_warning_events) == ("text", 10_000)
    with pytest.raises(SettingsError, match="MODELGOV_LOG_FORMAT: Input should be 'text' or"):
        get_settings({"MODELGOV_LOG_FORMAT": "xml"})
    with pytest.raises(SettingsError, match=r"did you mean MODELGOV_LOG_FORMAT\?"):
        get_settings({"MODELGOV_LOG_FORMATS": "json"})
    with pytest.raises(SettingsError, match="MODELGOV_LAG_WARNING_EVENTS must be 1 or more"):
        get_settings({"MODELGOV_LAG_WARNING_EVENTS": "0"})


def test_a_password_in_a_bad_url_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as error:
        get_settings({"MODELGOV_DATABASE_URL": "postgresql://u:hunter2@/"})
    assert "hunter2" not in str(error.value)


def test_a_valid_cipher_key_is_accepted() -> None:
    assert get_settings({"MODELGOV_CIPHER_KEY": KEY}).cipher_key == KEY


def test_a_misspelt_variable_is_refused_with_the_name_it_resembles() -> None:
    with pytest.raises(SettingsError) as error:
        get_settings({"MODELGOV_SNAPSHOT_INTERVALL": "50"})
    message = str(error.value)
    assert message.startswith("unknown setting MODELGOV_SNAPSHOT_INTERVALL")
    assert "did you mean MODELGOV_SNAPSHOT_INTERVAL?" in message
    assert "known settings are: MODELGOV_CIPHER_KEY, " in message


def test_an_unknown_variable_like_no_other_is_refused_without_a_guess() -> None:
    with pytest.raises(SettingsError, match="unknown setting MODELGOV_COLOUR") as error:
        get_settings({"MODELGOV_COLOUR": "blue"})
    assert "did you mean" not in str(error.value)


def test_variables_of_other_programs_and_other_cases_are_left_alone() -> None:
    assert (
        get_settings({"PATH": "/bin", "modelgov_snapshot_interval": "7"}).snapshot_interval == 100
    )


EVERY_KIND = {
    "MODELGOV_DATABASE_URL": "postgresql://gov@db.internal/ledger",
    "MODELGOV_PG_SCHEMA": "governance",
    "MODELGOV_CIPHER_KEY": KEY,
    "MODELGOV_SNAPSHOT_INTERVAL": "7",
    "MODELGOV_MODEL_CACHE_SIZE": "0",
    "MODELGOV_SIGNING_KEY_FILE": "/keys/signing.key",
    "MODELGOV_SIGNING_KEY_PASSPHRASE": "",
    "MODELGOV_WEBHOOK_ALLOW_HOSTS": "Hooks.Internal, 127.0.0.1:8080, [::1]:9000",
    "MODELGOV_FAULT_POINT": "after_commit:fail",
}


def _without_settings_in(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KNOWN_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def test_the_environment_and_a_given_mapping_are_read_the_same_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without_settings_in(monkeypatch)
    for name, value in EVERY_KIND.items():
        monkeypatch.setenv(name, value)
    from_environment, from_mapping = get_settings(), get_settings(EVERY_KIND)
    assert from_environment == from_mapping
    assert from_mapping.database == Database(
        kind="postgres", host="db.internal", user="gov", dbname="ledger", schema="governance"
    )
    assert from_mapping.webhook_allow_hosts == (
        ("hooks.internal", None),
        ("127.0.0.1", 8080),
        ("::1", 9000),
    )
    assert from_mapping.signing_key_passphrase is None  # set but empty: no passphrase
    assert from_mapping.webhook_secret_file == Path("/keys/modelgov.webhook.key")
    assert (from_mapping.snapshot_interval, from_mapping.model_cache_size) == (7, 0)
    assert from_mapping.fault_point == "after_commit:fail"


def test_a_bad_value_in_the_environment_is_refused_as_in_a_given_mapping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without_settings_in(monkeypatch)
    monkeypatch.setenv("MODELGOV_WEBHOOK_MAX_ATTEMPTS", "-1")
    with pytest.raises(SettingsError) as from_environment:
        get_settings()
    with pytest.raises(SettingsError) as from_mapping:
        get_settings({"MODELGOV_WEBHOOK_MAX_ATTEMPTS": "-1"})
    assert str(from_environment.value) == str(from_mapping.value)
    assert str(from_mapping.value) == "MODELGOV_WEBHOOK_MAX_ATTEMPTS must be 1 or more; got -1"


def test_every_setting_has_its_variable_and_a_help_text() -> None:
    fields = {f"MODELGOV_{name.upper()}" for name in Settings.model_fields} - {"MODELGOV_DATABASE"}
    assert fields | {"MODELGOV_DATABASE_URL"} <= set(KNOWN_SETTINGS)
    assert all(help_text.strip() for help_text in KNOWN_SETTINGS.values())


def test_settings_are_immutable_and_a_reading_copy_opens_the_store_read_only() -> None:
    settings = get_settings({"MODELGOV_SNAPSHOT_INTERVAL": "7"})
    with pytest.raises(ValidationError):
        settings.snapshot_interval = 8
    reading = settings.for_reading()
    assert reading.database.read_only and not settings.database.read_only
    assert reading.model_copy(update={"database": settings.database}) == settings


def test_secrets_are_not_in_the_settings_repr() -> None:
    settings = get_settings(
        {"MODELGOV_CIPHER_KEY": KEY, "MODELGOV_DATABASE_URL": "postgresql://u:hunter2@h/d"}
    )
    assert KEY not in repr(settings) and "hunter2" not in repr(settings)
