"""Settings of the email notifier (``smtp_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from signalflow.settings import PluginSettings


class EmailSettings(PluginSettings):
    prefix = "smtp"

    host: str = Field("", description="SMTP server for the email notifier")
    port: int = Field(587, description="SMTP port (STARTTLS)")
    user: str = Field("", description="SMTP login user (empty: no login)")
    password: SecretStr | None = Field(None, description="SMTP login password")
    sender: str = Field("", alias="smtp_from", description="sender address of alert emails")
    to: list[str] = Field(default_factory=list, description="recipients of alert emails")
    starttls: bool = Field(True, description="upgrade the SMTP connection with STARTTLS")
    ca_file: Path | None = Field(None, description="CA bundle trusted for SMTP STARTTLS (default: system)")
