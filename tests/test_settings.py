"""Settings come from the environment, .env, a secrets directory and a TOML file, in that
order of precedence; secrets never show."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.settings import Settings, parse_duration
from signalflow.sources.fred_settings import FredSettings


def test_defaults_are_the_embedded_ones():
    settings = Settings()
    assert settings.database_url == "sqlite:///signalflow.db"
    assert settings.rules_dir == Path("rules")
    assert settings.fred_api_key is None and settings.slack_bot_token is None


def test_environment_beats_dotenv_beats_secrets_beats_toml(monkeypatch, tmp_path):
    (tmp_path / "signalflow.toml").write_text(
        'database_url = "sqlite:///from-toml.db"\nrules_dir = "toml-rules"\nslack_channel = "#toml"\n'
        'fred_schedule = "12h"\n'
        '[[tabular]]\nname = "gpu_utilization"\nurl = "util.csv"\n'
    )
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "slack_bot_token").write_text("xoxb-from-secret-file")
    (secrets / "slack_channel").write_text("#secret")
    (tmp_path / ".env").write_text("SIGNALFLOW_RULES_DIR=dotenv-rules\nSIGNALFLOW_SLACK_CHANNEL=#dotenv\n")
    monkeypatch.setenv("SIGNALFLOW_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("SIGNALFLOW_SLACK_CHANNEL", "#env")

    settings = Settings()
    assert settings.slack_channel == "#env"
    assert settings.rules_dir == Path("dotenv-rules")
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-secret-file"
    assert settings.database_url == "sqlite:///from-toml.db"
    assert settings.fred_schedule == timedelta(hours=12)
    assert settings.section(FredSettings).schedule == timedelta(hours=12)
    assert settings.tabular[0].name == "gpu_utilization"


def test_config_path_from_environment(monkeypatch, tmp_path):
    config = tmp_path / "elsewhere.toml"
    config.write_text('database_url = "postgresql+psycopg://u@db/signalflow"\n')
    monkeypatch.setenv("SIGNALFLOW_CONFIG", str(config))
    assert Settings().database_url == "postgresql+psycopg://u@db/signalflow"


def test_secrets_are_masked_everywhere(monkeypatch):
    monkeypatch.setenv("SIGNALFLOW_SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SIGNALFLOW_FRED_API_KEY", "abcdef0123456789")
    settings = Settings()
    assert "xoxb-very-secret" not in repr(settings)
    assert "xoxb-very-secret" not in str(settings.masked())
    assert settings.masked()["slack_bot_token"] == "**********"

    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "xoxb-very-secret" not in result.output and "abcdef0123456789" not in result.output
    assert "slack_bot_token = '**********'" in result.output

    result = CliRunner().invoke(app, ["config", "show", "--json"])
    assert "xoxb-very-secret" not in result.output and '"slack_bot_token": "**********"' in result.output


def test_an_invalid_setting_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("SIGNALFLOW_SEC_MAX_RPS", "50")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 1
    assert "sec_max_rps" in result.output and "10 requests per second" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("6h", timedelta(hours=6)),
        ("30d", timedelta(days=30)),
        ("12w", timedelta(weeks=12)),
        ("1y", timedelta(days=365)),
        ("1.5h", timedelta(minutes=90)),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "d", "30", "30x", "abcd"])
def test_bad_durations_say_what_is_expected(text):
    with pytest.raises(ValueError, match="use a number and one of s, m, h, d, w, y"):
        parse_duration(text)
