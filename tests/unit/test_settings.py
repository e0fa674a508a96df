from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from hedgerow.settings import Settings, SettingsError, add_arguments


def _parse(*argv: str) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return vars(parser.parse_args(list(argv)))


def test_defaults() -> None:
    settings = Settings.load({}, env={})
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8000
    assert settings.storage.data_dir == Path("hedgerow-data")
    assert settings.ingestion.buffer_delay == 60.0
    assert settings.bootstrap.project_token == ""


def test_environment_then_flags() -> None:
    env = {
        "HEDGEROW_PORT": "9000",
        "HEDGEROW_DATA_DIR": "/tmp/x",
        "HEDGEROW_BUFFER_DELAY": "0",
        "HEDGEROW_TRUST_FORWARDED_FOR": "yes",
    }
    settings = Settings.load(_parse(), env=env)
    assert settings.server.port == 9000
    assert settings.storage.data_dir == Path("/tmp/x")
    assert settings.ingestion.buffer_delay == 0.0
    assert settings.server.trust_forwarded_for is True
    flagged = Settings.load(_parse("--port", "9100", "--buffer-delay", "5"), env=env)
    assert flagged.server.port == 9100
    assert flagged.ingestion.buffer_delay == 5.0
    assert flagged.storage.data_dir == Path("/tmp/x")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HEDGEROW_PORT", "eighty"),
        ("HEDGEROW_PORT", "70000"),
        ("HEDGEROW_BUFFER_DELAY", "-1"),
        ("HEDGEROW_BATCH_SIZE", "0"),
        ("HEDGEROW_TRUST_FORWARDED_FOR", "maybe"),
    ],
)
def test_bad_environment_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.load({}, env={name: value})


def test_settings_are_frozen() -> None:
    settings = Settings.load({}, env={})
    with pytest.raises(AttributeError):
        settings.server.port = 1  # type: ignore[misc]


def test_intake_url_takes_nats_urls_only() -> None:
    assert Settings.load({}, env={}).intake.intake_url == ""
    url = "nats://10.0.0.1:4222,nats://10.0.0.2:4222"
    assert Settings.load({}, env={"HEDGEROW_INTAKE_URL": url}).intake.intake_url == url
    with pytest.raises(SettingsError, match="nats://"):
        Settings.load({}, env={"HEDGEROW_INTAKE_URL": "postgresql://db/hedgerow"})


def test_persons_url_takes_postgresql_urls_only() -> None:
    settings = Settings.load({}, env={})
    assert (settings.persons.persons_url, settings.persons.persons_pool_size) == ("", 4)
    url = "postgresql://hedgerow:secret@db.internal:5432/hedgerow"
    env = {"HEDGEROW_PERSONS_URL": url, "HEDGEROW_PERSONS_POOL_SIZE": "8"}
    loaded = Settings.load({}, env=env).persons
    assert (loaded.persons_url, loaded.persons_pool_size) == (url, 8)
    with pytest.raises(SettingsError, match="postgresql://"):
        Settings.load({}, env={"HEDGEROW_PERSONS_URL": "nats://10.0.0.1:4222"})
