"""Settings of the generic JSON webhook notifier."""

from __future__ import annotations

from pydantic import Field, SecretStr

from signalflow.settings import PluginSettings


class WebhookSettings(PluginSettings):
    prefix = "webhook"

    url: SecretStr | None = Field(None, description="generic JSON webhook URL")
