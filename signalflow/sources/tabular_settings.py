"""Settings of the user series ``csv.NAME`` and ``http.NAME``, in a light module so loading
settings imports no data library."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from signalflow.redact import SecretUrl
from signalflow.settings import Duration, Interval, PluginSettings


class TabularSeries(BaseModel):
    """A user-defined series read from CSV or JSON, over HTTP or from a file.

    ``csv.NAME`` and ``http.NAME`` in theses refer to these by ``name``.
    """

    model_config = ConfigDict(validate_default=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="name used in theses")
    url: SecretUrl = Field(description="http(s) URL (may carry a token or user:password@) or a file path")
    format: Literal["csv", "json"] = "csv"
    date_column: str = Field("date", description="CSV column, or JSON field, holding the period date")
    value_column: str = Field("value", description="CSV column, or JSON field, holding the value")
    records_path: str = Field(
        "", description="JSON: dotted path to the list of records, e.g. 'data.rows'; empty = top level"
    )
    known_at_column: str = Field(
        "", description="optional column holding when each value became known (a date or an ISO instant)"
    )
    timezone: str = Field(
        "UTC",
        description="IANA zone the publisher's dates are days of: a date-only known_at (or the assumed "
        "day after a period) is known at the end of that day there; an instant without offset is local",
    )
    frequency: Literal["", "daily", "weekly", "biweekly", "monthly", "quarterly", "semiannual", "annual"] = Field(
        "", description="period of each date (weekly dates are the week's last day); empty = inferred from the dates"
    )
    unit: str = ""
    schedule: Interval = Field(
        "1d", description="collection interval of this series, e.g. '6h', '1d'; unset: default_schedule"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. 'America/New_York', 'UTC')") from None
        return value


class TabularSettings(PluginSettings):
    """Shared by ``csv`` and ``http``; they run on ``default_schedule``, and a series with a
    ``schedule`` of its own on that interval."""

    prefix = "tabular"

    series: list[TabularSeries] = Field(
        default_factory=list, alias="tabular", description="csv.NAME / http.NAME series (TOML [[tabular]] tables)"
    )
    revision_window: Duration = Field(
        "400d", description="how far before the last seen period csv.NAME / http.NAME runs record changed values"
    )
