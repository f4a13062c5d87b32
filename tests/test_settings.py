"""Settings come from the environment, .env, a secrets directory and a TOML file, in that
order of precedence; secrets never show."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.efficiency.settings import EfficiencySettings  # noqa: F401
from signalflow.notifiers.email_settings import EmailSettings
from signalflow.notifiers.slack_settings import SlackSettings
from signalflow.settings import CoreSettings, PluginSettings, Settings, format_duration, parse_duration
from signalflow.sources.eia_settings import EiaSettings
from signalflow.sources.fred_settings import FredSettings
from signalflow.sources.prices_settings import PriceSettings
from signalflow.sources.prom_settings import PromSettings
from signalflow.sources.sec_settings import SecSettings

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "signalflow"


def test_the_built_in_plugins_register_their_settings():
    assert sorted(Settings.plugins) == [
        "dc", "efficiency", "eia", "email", "fred", "grid", "news", "prices", "prom", "sec", "slack", "tabular", "webhook"
    ], "the signalflow.settings entry points are missing: reinstall signalflow (pip install -e .)"


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


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("EVALUATE_EVERY", "-1d", "-1d is negative"),
        ("DELIVERY_BACKOFF", "-10s", "-10s is negative"),
        ("FRED_SCHEDULE", "-6h", "-6h is negative"),
        ("TABULAR", '[{"name": "x", "url": "x.csv", "schedule": "-1d"}]', "-1d is negative"),
        ("EVALUATE_EVERY", "0s", "longer than 0s"),
        ("DEFAULT_SCHEDULE", "0d", "longer than 0s"),
        ("DELIVERY_EVERY", "0m", "longer than 0s"),
        ("REMINDER_INTERVAL", "0h", "longer than 0s"),
        ("STALE_AFTER", "0d", "longer than 0s"),
        ("FRED_SCHEDULE", "0s", "longer than 0s"),
        ("TABULAR", '[{"name": "x", "url": "x.csv", "schedule": "0s"}]', "longer than 0s"),
        ("PROM", '[{"name": "x", "query": "up", "step": "0s"}]', "longer than 0s"),
        ("FEEDS", '[{"name": "x", "url": "https://example.com/rss", "schedule": "0m"}]', "longer than 0s"),
    ],
)
def test_an_out_of_range_duration_setting_is_refused(monkeypatch, name, value, problem):
    """A negative duration, or a zero interval something repeats on, is a clear error at load
    rather than a daemon that spins or never waits."""

    monkeypatch.setenv(f"SIGNALFLOW_{name}", value)
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code != 0 and problem in result.output and name.lower() in result.output, result.output


@pytest.mark.parametrize(("name", "value"), [("RULES_POLL", "0s"), ("DELIVERY_BACKOFF", "0s"), ("SCHEDULE_JITTER", "0s")])
def test_a_zero_duration_stays_allowed_where_it_means_something(monkeypatch, name, value):
    monkeypatch.setenv(f"SIGNALFLOW_{name}", value)
    assert CliRunner().invoke(app, ["config", "show"]).exit_code == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(seconds=90), "90s"),
        (timedelta(minutes=30), "30m"),
        (timedelta(hours=6), "6h"),
        (timedelta(days=400), "400d"),
        (timedelta(days=365), "365d"),
        (timedelta(minutes=90), "90m"),
        (timedelta(0), "0s"),
        (timedelta(seconds=1.5), "1.5s"),
    ],
)
def test_durations_are_shown_as_text(value, text):
    assert format_duration(value) == text
    assert parse_duration(text) == value


def test_durations_are_parsed_once_at_load(monkeypatch):
    monkeypatch.setenv("SIGNALFLOW_REMINDER_INTERVAL", "12h")
    monkeypatch.setenv("SIGNALFLOW_PRICES_SCHEDULE", "15m")
    settings = Settings(stale_after=timedelta(days=3))
    assert settings.reminder_interval == timedelta(hours=12)
    assert settings.stale_after == timedelta(days=3)
    assert settings.section(PriceSettings).schedule == timedelta(minutes=15)
    assert settings.masked()["reminder_interval"] == "12h" and settings.masked()["prices_schedule"] == "15m"

    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "reminder_interval = '12h'" in result.output and "prices_schedule = '15m'" in result.output


def test_sub_model_durations_are_parsed_too():
    settings = Settings(prom=[{"name": "gpu", "query": "up", "step": "6h"}], eia=[{"name": "x", "route": "r"}])
    [prom] = settings.section(PromSettings).series
    assert (prom.step, prom.lookback, prom.schedule) == (timedelta(hours=6), timedelta(days=7), timedelta(minutes=15))
    assert settings.section(EiaSettings).series[0].release_lag == timedelta(days=1)


def test_a_bad_duration_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("SIGNALFLOW_FRED_SCHEDULE", "soon")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 1
    assert "fred_schedule" in result.output and "use a number and one of s, m, h, d, w, y" in result.output


def test_plugin_settings_come_from_every_place_under_their_flat_names(monkeypatch, tmp_path):
    (tmp_path / "signalflow.toml").write_text(
        'smtp_from = "alerts@example.com"\nprometheus_url = "http://prom:9090"\n'
        '[[eia]]\nname = "ca_price"\nroute = "electricity/retail-sales"\n'
    )
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "SIGNALFLOW_FRED_API_KEY").write_text("fred-key\n")
    (tmp_path / ".env").write_text("SIGNALFLOW_SLACK_CHANNEL=#dotenv\n")
    monkeypatch.setenv("SIGNALFLOW_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("SIGNALFLOW_SEC_USER_AGENT", "Jane jane@example.com")

    settings = Settings()
    assert settings.section(EmailSettings).sender == "alerts@example.com"
    assert settings.section(PromSettings).url == "http://prom:9090"
    assert [s.name for s in settings.section(EiaSettings).series] == ["ca_price"]
    assert settings.section(FredSettings).api_key.get_secret_value() == "fred-key"
    assert settings.section(SlackSettings).channel == "#dotenv"
    assert settings.section(SecSettings).user_agent == "Jane jane@example.com"


def test_a_section_follows_a_changed_copy():
    settings = Settings()
    changed = settings.model_copy(update={"fred_revision_window": timedelta(days=30)})
    assert settings.section(FredSettings).revision_window == timedelta(days=400)
    assert changed.section(FredSettings).revision_window == timedelta(days=30)


def test_a_third_party_plugin_has_settings_too(monkeypatch, tmp_path):
    """A package that registers a model in ``signalflow.settings`` gets flat settings, read
    from the environment and the TOML file like the built-in ones."""
    package = tmp_path / "site"
    (package / "weather_plugin-1.0.dist-info").mkdir(parents=True)
    (package / "weather_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: weather-plugin\nVersion: 1.0\n"
    )
    (package / "weather_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[signalflow.settings]\nweather = weather_settings:WeatherSettings\n"
    )
    (package / "weather_settings.py").write_text(
        "from pydantic import Field, SecretStr\n"
        "from signalflow.settings import Duration, SourceSettings\n\n"
        "class WeatherSettings(SourceSettings):\n"
        "    prefix = 'weather'\n"
        "    api_key: SecretStr | None = Field(None, description='Weather API key')\n"
        "    schedule: Duration = Field('1h', description='weather collection interval')\n"
    )
    monkeypatch.syspath_prepend(str(package))
    (tmp_path / "signalflow.toml").write_text('weather_schedule = "20m"\n')
    monkeypatch.setenv("SIGNALFLOW_WEATHER_API_KEY", "w-secret")

    from signalflow import settings as module

    built = module._build()
    assert "weather" in built.plugins
    settings = built()
    config = settings.section(built.plugins["weather"])
    assert config.api_key.get_secret_value() == "w-secret" and config.schedule == timedelta(minutes=20)
    assert settings.masked()["weather_api_key"] == "**********"
    monkeypatch.delitem(sys.modules, "weather_settings")


def test_data_dir_is_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert Settings().data_dir == tmp_path / "data" / "signalflow"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Settings().data_dir == tmp_path / "home" / ".local" / "share" / "signalflow"
    monkeypatch.setenv("SIGNALFLOW_DATA_DIR", str(tmp_path / "mine"))
    assert Settings().data_dir == tmp_path / "mine"


def test_the_sec_ticker_cache_goes_to_the_data_dir_not_the_working_dir(tmp_path, http_server):
    from fakes.http_server import Reply

    from signalflow.sources.sec import TICKERS_FILE, SecSource

    http_server.routes["/files/company_tickers.json"] = Reply(200, {"0": {"cik_str": 1045810, "ticker": "NVDA"}})
    settings = Settings(sec_user_agent="Jane jane@example.com", sec_tickers_url=http_server.url + "/files/company_tickers.json")
    assert SecSource(settings, sleep=lambda s: None).tickers({}) == {"NVDA": 1045810}
    assert (tmp_path / "xdg-data" / "signalflow" / TICKERS_FILE).is_file()
    assert not list(Path.cwd().glob("*.json"))


def test_loading_settings_imports_no_plugin_code():
    code = (
        "import sys\nfrom signalflow.settings import Settings\nSettings()\n"
        "print(sorted(m for m in ('pandas', 'httpx', 'slack_sdk', 'feedparser', 'matplotlib') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"


def test_every_setting_is_described_and_read_somewhere():
    """Each core setting is read as an attribute outside settings.py; each plugin field is read
    in a module that uses its model (the README table, from the same fields, is checked in
    test_docs)."""
    from signalflow import settings as module

    sources = {p: p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if p.name != "settings.py"}
    unread = [name for name in CoreSettings.model_fields if not any(re.search(rf"\.{name}\b", t) for t in sources.values())]
    for model in module.Settings.plugins.values():
        # a field inherited from SourceSettings (schedule) is read where SourceSettings is used
        names = [c.__name__ for c in model.__mro__ if issubclass(c, PluginSettings) and c is not PluginSettings]
        users = [t for p, t in sources.items() if any(n in t for n in names) and p.stem != model.__module__.rpartition(".")[2]]
        unread += [
            model.flat_names()[field] for field in model.model_fields
            if not any(re.search(rf"\.{field}\b", t) for t in users)
        ]
    assert not unread, f"settings nothing reads: {unread}"
    undescribed = [name for name, field in module.Settings.model_fields.items() if not field.description]
    assert not undescribed


def _tables(annotation) -> list[type]:
    """The models a setting's annotation holds (``list[TabularSeries]``, ``list[Route]``)."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _tables(arg)]


def test_every_field_of_a_settings_table_is_read_somewhere():
    """A field of a table (``[[tabular]]``, ``[[eia]]``, ``[[prom]]``, ``feeds``, ``routes``) is
    read as an attribute in a module that names the table's model, other than the one that
    declares it: a ``schedule`` nothing reads is a setting ignored in silence."""
    from signalflow import settings as module

    sources = {p: p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}
    tables = {m for field in module.Settings.model_fields.values() for m in _tables(field.annotation)}
    assert {"TabularSeries", "EiaSeries", "PromSeries", "FeedConfig", "Route"} <= {m.__name__ for m in tables}
    unread = []
    for table in tables:
        home = Path(sys.modules[table.__module__].__file__)
        users = [t for p, t in sources.items() if p != home and re.search(rf"\b{table.__name__}\b", t)]
        unread += [
            f"{table.__name__}.{field}" for field in table.model_fields
            if not any(re.search(rf"\.{field}\b", t) for t in users)
        ]
    assert not unread, f"table fields nothing reads: {sorted(unread)}"
