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
    signing_secret: SecretStr | None = Field(
        None, description="Slack app signing secret: verifies requests to /slack/interactions (Request URL mode)"
    )
    app_token: SecretStr | None = Field(None, description="Slack app-level token (xapp-...) for Socket Mode")
    deciders: str = Field(
        "", description="Slack user IDs allowed to decide from Slack, comma-separated (U0123,U0456); empty: nobody"
    )

    @property
    def interactive(self) -> bool:
        """Alerts carry decision buttons only when something can receive the clicks."""
        return bool(self.bot_token and (self.signing_secret or self.app_token))
