"""Settings, read in this order (first wins): arguments, ``SIGNALFLOW_*`` environment
variables, a ``.env`` file, files in the secrets directory, then the TOML config file.

The config file is ``signalflow.toml`` in the working directory, or the path in
``SIGNALFLOW_CONFIG``. The secrets directory is ``SIGNALFLOW_SECRETS_DIR`` (one file per
setting, named like the setting, e.g. ``slack_bot_token``), the convention of Docker and
systemd credentials. Tokens are ``SecretStr``: they are never printed or logged.

Every field carries a description; ``signalflow config show`` prints them, and a test keeps
the README's settings table in step with this file.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_DATABASE_URL = "sqlite:///signalflow.db"


class TabularSeries(BaseModel):
    """A user-defined series read from CSV or JSON, over HTTP or from a file.

    ``csv.NAME`` and ``http.NAME`` in theses refer to these by ``name``.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="name used in theses")
    url: str = Field(description="http(s) URL or a file path")
    format: Literal["csv", "json"] = "csv"
    date_column: str = Field("date", description="CSV column, or JSON field, holding the period date")
    value_column: str = Field("value", description="CSV column, or JSON field, holding the value")
    records_path: str = Field(
        "", description="JSON: dotted path to the list of records, e.g. 'data.rows'; empty = top level"
    )
    known_at_column: str = Field("", description="optional column holding when each value became known")
    frequency: Literal["", "daily", "weekly", "biweekly", "monthly", "quarterly", "semiannual", "annual"] = Field(
        "", description="period of each date (weekly dates are the week's last day); empty = inferred from the dates"
    )
    unit: str = ""
    schedule: str = Field("1d", description="collection interval, e.g. '6h', '1d'")


class FeedConfig(BaseModel):
    """One RSS/Atom feed the news collector reads."""

    name: str
    url: str
    schedule: str = "30m"


class EiaSeries(BaseModel):
    """``eia.NAME``: an EIA API v2 route with facets and the data column to read."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    route: str = Field(description="e.g. 'electricity/retail-sales'")
    data_column: str = Field("value", description="the data[] column, e.g. 'price'")
    facets: dict[str, list[str]] = Field(default_factory=dict)
    frequency: Literal["hourly", "daily", "weekly", "monthly", "quarterly", "annual"] = "monthly"
    release_lag: str = Field(
        "1d", description="EIA gives no vintages: a period is assumed known this long after it ends"
    )
    unit: str = Field("", description="unit; empty = the reply's '<column>-units'")
    schedule: str = "1d"


class PromSeries(BaseModel):
    """``prom.NAME``: a PromQL expression evaluated with query_range."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    query: str
    step: str = "1h"
    lookback: str = "7d"
    unit: str = ""
    schedule: str = "15m"


class Route(BaseModel):
    """Where a thesis's notifications go: a notifier and optional overrides."""

    name: str
    notifier: str = Field(description="registered notifier name: console, slack, webhook, email, ...")
    channel: str = Field("", description="Slack channel (overrides slack_channel)")
    severities: list[Literal["soft_warning", "kill_switch", "info"]] = Field(
        default_factory=lambda: ["soft_warning", "kill_switch", "info"]
    )
    url: str = Field("", description="webhook URL for the webhook notifier")
    to: list[str] = Field(default_factory=list, description="email recipients")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIGNALFLOW_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # Core
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db (default, WAL) or postgresql+psycopg://user@host/db",
    )
    rules_dir: Path = Field(Path("rules"), description="directory of thesis files (*.yaml)")
    data_dir: Path = Field(
        Path("."), description="where caches (ticker maps, downloaded payloads) are kept"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_json: bool = Field(False, description="one JSON object per log line")
    timezone: str = Field("UTC", description="timezone used to display times")

    # Schedules (durations such as '30m', '6h', '1d')
    default_schedule: str = Field("6h", description="collection interval for sources without their own")
    schedule_jitter: str = Field("60s", description="random delay added to each scheduled run")
    evaluate_every: str = Field("1d", description="regular evaluation grid of the daemon")

    # FRED
    fred_api_key: SecretStr | None = Field(
        None, description="FRED API key; without one the keyless fredgraph.csv download is used"
    )
    fred_api_url: str = Field("https://api.stlouisfed.org/fred", description="FRED API base URL")
    fred_graph_url: str = Field(
        "https://fred.stlouisfed.org/graph/fredgraph.csv", description="keyless FRED CSV endpoint"
    )
    fred_schedule: str = Field("6h", description="FRED collection interval")
    fred_revision_window: str = Field(
        "400d", description="how far before the last seen observation each FRED run looks for revisions"
    )

    # SEC EDGAR
    sec_user_agent: str = Field(
        "", description="'Name email@example.com': SEC fair-access contact; required for SEC collection"
    )
    sec_base_url: str = Field("https://data.sec.gov", description="SEC data API base URL")
    sec_tickers_url: str = Field(
        "https://www.sec.gov/files/company_tickers.json", description="ticker to CIK map"
    )
    sec_max_rps: float = Field(10.0, description="SEC requests per second across the process (max 10)")
    sec_schedule: str = Field("6h", description="SEC collection interval")
    sec_concepts_file: Path | None = Field(
        None,
        description="extra canonical SEC metrics (TOML like signalflow/data/sec_concepts.toml); "
        "its concepts are tried before the built-in ones",
    )

    # Prices (px.TICKER.close|open|high|low|volume|split)
    prices_url: str = Field(
        "https://query1.finance.yahoo.com",
        description="keyless daily chart endpoint base: GET {prices_url}/v8/finance/chart/SYMBOL",
    )
    prices_history: str = Field(
        "10y", description="range asked on a first run or after a new split (1y, 5y, 10y, max)"
    )
    prices_recent: str = Field("1mo", description="range asked on later runs")
    prices_close_utc: str = Field(
        "21:00", description="UTC time of day at which a session's bar counts as known (HH:MM)"
    )
    prices_schedule: str = Field("6h", description="price collection interval")

    # News
    feeds: list[FeedConfig] = Field(
        default_factory=list, description="RSS/Atom feeds; empty = the documented default list"
    )
    news_rules_file: Path | None = Field(None, description="extra classification rules (YAML)")
    watchlist_file: Path | None = Field(None, description="extra companies and aliases (YAML)")

    # User series
    tabular: list[TabularSeries] = Field(
        default_factory=list, description="csv.NAME / http.NAME series (TOML [[tabular]] tables)"
    )
    tabular_revision_window: str = Field(
        "400d", description="how far before the last seen period csv.NAME / http.NAME runs record changed values"
    )
    eia_api_key: SecretStr | None = Field(None, description="EIA API v2 key")
    eia_api_url: str = Field("https://api.eia.gov/v2", description="EIA API v2 base URL")
    eia: list[EiaSeries] = Field(default_factory=list, description="eia.NAME series")
    prometheus_url: str = Field("", description="Prometheus base URL for prom.NAME series")
    prom: list[PromSeries] = Field(default_factory=list, description="prom.NAME series")
    efficiency_file: Path | None = Field(
        None, description="extra efficiency estimates and claims (TOML, layout of signalflow/data/efficiency.toml)"
    )
    efficiency_data: list[Path] = Field(
        default_factory=list,
        description="MLPerf summary_results.json files and ML.ENERGY leaderboard directories estimates use",
    )
    efficiency_schedule: str = Field("1d", description="efficiency estimates recomputation interval")
    eia_schedule: str = Field("1d", description="EIA collection interval")
    prom_schedule: str = Field("15m", description="Prometheus collection interval")

    # Notifiers
    slack_bot_token: SecretStr | None = Field(None, description="Slack bot token (xoxb-...)")
    slack_channel: str = Field("", description="default Slack channel ID or name")
    slack_webhook_url: SecretStr | None = Field(
        None, description="Slack incoming-webhook URL: the simple mode without edits or threads"
    )
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (for proxies and tests)"
    )
    webhook_url: SecretStr | None = Field(None, description="generic JSON webhook URL")
    smtp_host: str = Field("", description="SMTP server for the email notifier")
    smtp_port: int = Field(587, description="SMTP port (STARTTLS)")
    smtp_user: str = Field("", description="SMTP login user (empty: no login)")
    smtp_password: SecretStr | None = Field(None, description="SMTP login password")
    smtp_from: str = Field("", description="sender address of alert emails")
    smtp_to: list[str] = Field(default_factory=list, description="recipients of alert emails")
    smtp_starttls: bool = Field(True, description="upgrade the SMTP connection with STARTTLS")
    routes: list[Route] = Field(default_factory=list, description="named notification routes")
    reminder_interval: str = Field(
        "1d", description="while alerts fire, how often the reminder digest (or, in thread mode, each reminder) is sent"
    )
    alert_charts: bool = Field(
        False,
        description="attach a chart of the thesis (matplotlib) to the first Slack message of each alert",
    )
    reminder_mode: Literal["digest", "thread"] = Field(
        "digest",
        description="digest: one message per route and interval listing every alert still firing, "
        "acknowledged ones left out; thread: a reminder reply in each alert's own thread",
    )
    reminder_offset: str = Field(
        "0s", description="digest slots start this long after 00:00 UTC (7h: a daily digest at 07:00 UTC)"
    )
    delivery_timeout: float = Field(10.0, description="seconds a notifier waits for an answer")
    delivery_tries_per_pass: int = Field(3, description="send attempts per notification in one delivery pass")
    delivery_max_attempts: int = Field(8, description="send attempts before a notification is marked failed")
    delivery_backoff: str = Field("10s", description="first retry delay; doubles per attempt, at most 1h")
    delivery_max_wait: str = Field(
        "30s", description="longest Retry-After or backoff slept inside a pass; longer waits reschedule"
    )
    smtp_ca_file: Path | None = Field(None, description="CA bundle trusted for SMTP STARTTLS (default: system)")

    # Daemon
    http_host: str = Field("127.0.0.1", description="health/metrics listen address")
    http_port: int = Field(8787, description="health/metrics port; 0 disables the endpoint")
    delivery_every: str = Field("30s", description="how often the daemon retries waiting notifications")
    rules_poll: str = Field("5s", description="how often the daemon looks for changed rule files; '0s' = only on SIGHUP")
    leader_poll: str = Field(
        "5s", description="PostgreSQL: how often a standby daemon tries to take the schedule lease (takeover bound)"
    )
    stale_failures: int = Field(3, description="consecutive failed collections after which a source is stale")
    stale_after: str = Field("2d", description="a source without a successful collection this long is stale")

    @field_validator("sec_max_rps")
    @classmethod
    def _sec_polite(cls, value: float) -> float:
        if not 0 < value <= 10:
            raise ValueError("must be in (0, 10]: the SEC allows at most 10 requests per second")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        secrets_dir = os.environ.get("SIGNALFLOW_SECRETS_DIR")
        if secrets_dir and Path(secrets_dir).is_dir():
            sources.append(SecretsDirSource(settings_cls, Path(secrets_dir)))
        sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_path()))
        return tuple(sources)

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, every secret shown as '**********'."""
        data = self.model_dump(mode="json")
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                data[name] = "**********"
            elif "password" in name or "token" in name:
                data[name] = "**********" if value else value
        return data


class SecretsDirSource(PydanticBaseSettingsSource):
    """One file per setting, named like the setting (``slack_bot_token``) or like its
    environment variable (``SIGNALFLOW_SLACK_BOT_TOKEN``); trailing newlines are dropped."""

    def __init__(self, settings_cls: type[BaseSettings], directory: Path) -> None:
        super().__init__(settings_cls)
        self.files = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        for name in (field_name, f"signalflow_{field_name}"):
            path = self.files.get(name.lower())
            if path is not None:
                return path.read_text(encoding="utf-8").rstrip("\r\n"), field_name, False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


def config_path() -> Path:
    """The TOML config file in use: ``SIGNALFLOW_CONFIG`` or ./signalflow.toml."""
    return Path(os.environ.get("SIGNALFLOW_CONFIG", "signalflow.toml"))


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '6h', '30d', '12w', '1y' -> timedelta (a year is 365 days)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
    text = text.strip()
    if len(text) < 2 or text[-1] not in units:
        raise ValueError(f"not a duration: {text!r} (use a number and one of s, m, h, d, w, y)")
    try:
        amount = float(text[:-1])
        return timedelta(seconds=amount * units[text[-1]])
    except (ValueError, OverflowError):  # not a number, NaN, or beyond timedelta (1e400d, 99999999y)
        raise ValueError(f"not a duration: {text!r} (use a number and one of s, m, h, d, w, y)") from None


def settings_table() -> str:
    """The README's settings table, generated from the fields (a test keeps them equal)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, list):
            shown = "[]" if not default else ", ".join(map(str, default))
        elif default is None:
            shown = ""
        else:
            shown = str(default)
        text = (field.description or "").replace("|", "\\|")
        shown = shown.replace("|", "\\|")
        rows.append(f"| `SIGNALFLOW_{name.upper()}` | {'`' + shown + '`' if shown else ''} | {text} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
