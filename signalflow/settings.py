"""Settings, read in this order (first wins): arguments, ``SIGNALFLOW_*`` environment
variables, a ``.env`` file, files in the secrets directory, then the TOML config file.

The config file is ``signalflow.toml`` in the working directory, or the path in
``SIGNALFLOW_CONFIG``. The secrets directory is ``SIGNALFLOW_SECRETS_DIR`` (one file per
setting, named like the setting, e.g. ``slack_bot_token``), the convention of Docker and
systemd credentials. Tokens are ``SecretStr`` and URLs that may carry credentials are
:class:`~signalflow.redact.SecretUrl`: loading registers their values, so that no output,
log, stored row or notification ever shows them.

The core settings are declared here. Each source and notifier declares its own settings as a
:class:`PluginSettings` model next to its code, registered in the ``signalflow.settings``
entry-point group; its fields become flat settings named ``{prefix}_{field}``
(``SIGNALFLOW_FRED_API_KEY``, ``fred_api_key`` in the TOML file), and the plugin reads them
typed with ``settings.section(FredSettings)``. :data:`Settings` is the core model extended
with every registered plugin's fields; it is built on first use.

Every field carries a description; ``signalflow config show`` prints them, and a test keeps
the README's settings table in step with the models.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, SecretStr, create_model
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from signalflow.redact import SecretUrl, redact, register_all

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///signalflow.db"
GROUP = "signalflow.settings"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '6h', '30d', '12w', '1y' -> timedelta (a year is 365 days)."""
    text = text.strip()
    if len(text) < 2 or text[-1] not in _UNITS:
        raise ValueError(f"not a duration: {text!r} (use a number and one of s, m, h, d, w, y)")
    try:
        amount = float(text[:-1])
        return timedelta(seconds=amount * _UNITS[text[-1]])
    except (ValueError, OverflowError):  # not a number, NaN, or beyond timedelta (1e400d, 99999999y)
        raise ValueError(f"not a duration: {text!r} (use a number and one of s, m, h, d, w, y)") from None


def format_duration(value: timedelta) -> str:
    """A timedelta as settings write it: the largest of d, h, m, s that divides it ('400d', '90s')."""
    seconds = value.total_seconds()
    for unit in ("d", "h", "m", "s"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


def _to_timedelta(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError(f"{format_duration(value)} is negative; durations count forward, e.g. 30m")
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than 0s: an interval of nothing would repeat without pause")
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_to_timedelta),
    AfterValidator(_not_negative),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A length of time, written '30m', '6h', '1d', '90s', '1y' (or given as a timedelta);
parsed once when the settings load, shown as text by ``config show``; never negative."""

Interval = Annotated[Duration, AfterValidator(_positive)]
"""A :data:`Duration` something repeats on or waits for: longer than zero."""


def user_data_dir() -> Path:
    """The platform's folder for signalflow's data: $XDG_DATA_HOME/signalflow, by default
    ~/.local/share/signalflow (macOS: ~/Library/Application Support/signalflow)."""
    import sys

    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "signalflow"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "signalflow"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"  # XDG: relative = unset
    return base / "signalflow"


class PluginSettings(BaseModel):
    """The settings of one source or notifier, declared next to its code.

    Each field is a flat setting named ``{prefix}_{field}``, or the field's alias when it has
    one; a light module holds the model (no HTTP or data libraries: loading settings stays
    cheap)::

        # mypkg/weather_settings.py
        class WeatherSettings(PluginSettings):
            prefix = "weather"
            api_key: SecretStr | None = Field(None, description="Weather API key")
            schedule: Duration = Field("1h", description="weather collection interval")

        # pyproject.toml of mypkg
        [project.entry-points."signalflow.settings"]
        weather = "mypkg.weather_settings:WeatherSettings"

    ``SIGNALFLOW_WEATHER_API_KEY``, ``weather_api_key`` in signalflow.toml or a secrets file
    ``weather_api_key`` then set it, and the plugin reads ``settings.section(WeatherSettings)``.
    Validation belongs in the field annotations (``Annotated[..., AfterValidator(...)]``):
    the flat settings are validated with them.
    """

    model_config = ConfigDict(
        frozen=True, validate_default=True, validate_by_name=True, validate_by_alias=True, extra="forbid"
    )

    prefix: ClassVar[str] = ""

    @classmethod
    def flat_names(cls) -> dict[str, str]:
        """Field name -> flat setting name (``api_key`` -> ``fred_api_key``)."""
        return {name: field.alias or f"{cls.prefix}_{name}" for name, field in cls.model_fields.items()}


class SourceSettings(PluginSettings):
    """The settings every source has: how often the daemon collects it (default_schedule
    when the source sets none)."""

    schedule: Interval | None = None


P = TypeVar("P", bound=PluginSettings)


class Route(BaseModel):
    """Where a thesis's notifications go: a notifier and optional overrides."""

    name: str
    notifier: str = Field(description="registered notifier name: console, slack, webhook, email, ...")
    channel: str = Field("", description="Slack channel (overrides slack_channel)")
    severities: list[Literal["soft_warning", "kill_switch", "info"]] = Field(
        default_factory=lambda: ["soft_warning", "kill_switch", "info"]
    )
    url: SecretUrl | None = Field(None, description="webhook URL for the webhook notifier")
    to: list[str] = Field(default_factory=list, description="email recipients")


class CoreSettings(BaseSettings):
    """The settings of signalflow itself; :data:`Settings` adds the plugins' fields."""

    model_config = SettingsConfigDict(
        env_prefix="SIGNALFLOW_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # Core
    database_url: SecretUrl = Field(
        SecretUrl(DEFAULT_DATABASE_URL),
        description="SQLAlchemy URL: sqlite:///path.db (default, WAL) or postgresql+psycopg://user@host/db",
    )
    rules_dir: Path = Field(Path("rules"), description="directory of thesis files (*.yaml)")
    data_dir: Path = Field(
        default_factory=user_data_dir,
        description="where caches (ticker maps, downloaded payloads, charts) are kept; created on first use",
        json_schema_extra={"shown_default": "$XDG_DATA_HOME/signalflow"},
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_json: bool = Field(False, description="one JSON object per log line")

    # Schedules
    default_schedule: Interval = Field("6h", description="collection interval for sources without their own")
    schedule_jitter: Duration = Field("60s", description="random delay added to each scheduled run")
    evaluate_every: Interval = Field("1d", description="regular evaluation grid of the daemon")

    # Alerts and delivery
    routes: list[Route] = Field(default_factory=list, description="named notification routes")
    reminder_interval: Interval = Field(
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
    reminder_offset: Duration = Field(
        "0s", description="digest slots start this long after 00:00 UTC (7h: a daily digest at 07:00 UTC)"
    )
    delivery_timeout: float = Field(10.0, description="seconds a notifier waits for an answer")
    delivery_tries_per_pass: int = Field(3, description="send attempts per notification in one delivery pass")
    delivery_max_attempts: int = Field(8, description="send attempts before a notification is marked failed")
    delivery_backoff: Duration = Field("10s", description="first retry delay; doubles per attempt, at most 1h")
    delivery_max_wait: Duration = Field(
        "30s", description="longest Retry-After or backoff slept inside a pass; longer waits reschedule"
    )
    delivery_lease: Interval = Field(
        "5m",
        description="how long a deliverer's claim on a notification holds unrenewed; a deliverer "
        "that died on this host is taken over at once, one on another host after this long",
    )

    # Daemon
    http_host: str = Field("127.0.0.1", description="health/metrics listen address")
    http_port: int = Field(8787, description="health/metrics port; 0 disables the endpoint")
    delivery_every: Interval = Field("30s", description="how often the daemon retries waiting notifications")
    rules_poll: Duration = Field(
        "5s", description="how often the daemon looks for changed rule files; '0s' = only on SIGHUP"
    )
    leader_poll: Interval = Field(
        "5s", description="PostgreSQL: how often a standby daemon tries to take the schedule lease (takeover bound)"
    )
    stale_failures: int = Field(3, description="consecutive failed collections after which a source is stale")
    stale_after: Interval = Field("2d", description="a source without a successful collection this long is stale")

    plugins: ClassVar[dict[str, type[PluginSettings]]] = {}

    def model_post_init(self, context: Any, /) -> None:
        # A plugin's model-level rules run at load too, so a bad setting fails early.
        for model in self.plugins.values():
            self.section(model)
        register_all(self)

    def section(self, model: type[P]) -> P:
        """The settings of one plugin, typed (``settings.section(FredSettings).api_key``).

        Built from the current flat values on each call, so a copy with changed values
        (``model_copy(update=...)``) gives the changed section."""
        values = self.__dict__
        return model.model_validate(
            {name: values[flat] for name, flat in model.flat_names().items() if flat in values}
        )

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
        """The effective settings as plain data (durations as text), every token shown as
        '**********' and every secret URL as ``scheme://***@host/...``."""
        data = self.model_dump(mode="json")
        for name in type(self).model_fields:
            value = self.__dict__[name]
            if isinstance(value, SecretStr) or (isinstance(value, list) and value):
                data[name] = _shown(value, data[name])
            elif "password" in name or "token" in name:
                data[name] = "**********" if value else value
            elif isinstance(value, str):
                data[name] = redact(value)  # a plain URL setting may still carry user:password@
        return data


def _shown(value: Any, dumped: Any) -> Any:
    """``dumped`` (a value's JSON form) with each secret inside shown redacted."""
    if isinstance(value, SecretUrl):
        return str(value)
    if isinstance(value, SecretStr):
        return "**********"
    if isinstance(value, BaseModel) and isinstance(dumped, dict):
        return {k: _shown(value.__dict__.get(k), v) for k, v in dumped.items()}
    if isinstance(value, list) and isinstance(dumped, list):
        return [_shown(v, d) for v, d in zip(value, dumped)]
    return dumped


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


def plugin_models() -> dict[str, type[PluginSettings]]:
    """Every settings model registered in the ``signalflow.settings`` group, by entry-point
    name; one that fails to import, or whose flat names are taken, is logged and left out."""
    found: dict[str, type[PluginSettings]] = {}
    taken = set(CoreSettings.model_fields)
    for ep in sorted(entry_points(group=GROUP), key=lambda ep: ep.name):
        try:
            model = ep.load()
        except Exception as exc:  # a broken plugin must not keep the settings from loading
            log.error("cannot load settings plugin", extra={"plugin": ep.name, "error": repr(exc)})
            continue
        if not (isinstance(model, type) and issubclass(model, PluginSettings)):
            log.error("settings plugin is not a PluginSettings model", extra={"plugin": ep.name})
            continue
        clash = taken & set(model.flat_names().values())
        if clash:
            log.error("settings plugin reuses setting names", extra={"plugin": ep.name, "names": sorted(clash)})
            continue
        taken.update(model.flat_names().values())
        found[ep.name] = model
    if not found:
        log.warning("no settings plugins registered: is signalflow installed (pip install -e .)?")
    return found


def _build() -> type[CoreSettings]:
    """CoreSettings extended with every plugin's fields, flat, so that the environment, .env,
    the secrets directory and the TOML file set them exactly like core settings."""
    models = plugin_models()
    fields: dict[str, Any] = {}
    for model in models.values():
        for name, flat in model.flat_names().items():
            info = model.model_fields[name]
            if info.default_factory is not None:
                field = Field(default_factory=info.default_factory, description=info.description)
            else:
                field = Field(info.default, description=info.description)
            # constraints and validators (Duration's parsing, sec_max_rps's bound) ride along
            annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            fields[flat] = (annotation, field)
    built = create_model("Settings", __base__=CoreSettings, __module__=__name__, **fields)
    built.plugins = models
    built.__doc__ = "The effective settings: core fields and those of every registered plugin."
    return built


_built: type[CoreSettings] | None = None

if TYPE_CHECKING:
    Settings = CoreSettings
else:

    def __getattr__(name: str) -> Any:
        # Settings is built on first use, once this module (which plugin models import) is complete.
        global _built
        if name != "Settings":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        if _built is None:
            _built = _build()
        return _built


def settings_table() -> str:
    """The README's settings table, generated from the fields (a test keeps them equal)."""
    from signalflow import settings as module

    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in module.Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        default = extra.get("shown_default", field.get_default(call_default_factory=True))
        if isinstance(default, list):
            shown = "[]" if not default else ", ".join(map(str, default))
        elif default is None:
            shown = ""
        elif isinstance(default, timedelta):
            shown = format_duration(default)
        elif isinstance(default, SecretStr):  # a default is public: shown whole
            shown = default.get_secret_value()
        else:
            shown = str(default)
        text = (field.description or "").replace("|", "\\|")
        shown = shown.replace("|", "\\|")
        rows.append(f"| `SIGNALFLOW_{name.upper()}` | {'`' + shown + '`' if shown else ''} | {text} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
