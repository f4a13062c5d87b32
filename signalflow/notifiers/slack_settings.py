"""Settings of the Slack notifier, in a light module so loading settings imports no Slack SDK."""

from __future__ import annotations

from pydantic import Field, SecretStr

from signalflow.redact import SecretUrl
from signalflow.settings import PluginSettings


class SlackSettings(PluginSettings):
    prefix = "slack"

    bot_token: SecretStr | None = Field(None, description="Slack bot token (xoxb-...)")
    channel: str = Field("", description="default Slack channel ID or name")
    webhook_url: SecretStr | None = Field(
        None, description="Slack incoming-webhook URL: the simple mode without edits or threads"
    )
    api_url: SecretUrl = Field("https://slack.com/api/", description="Slack Web API base URL (for proxies and tests)")
