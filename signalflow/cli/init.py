"""``signalflow init``: write a commented ``signalflow.toml`` with the few settings a new
user fills first (the SEC contact, a FRED key, Slack), asking for them on a terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.common import fail, friendly_errors

TEMPLATE = """\
# signalflow settings. Every setting can also come from the environment
# (SIGNALFLOW_<NAME>), a .env file or a secrets directory; `signalflow config show`
# prints the effective values, secrets masked. The full list: README, "Settings".

# Theses to watch and where observations are kept.
rules_dir = {rules_dir}
database_url = {database_url}

# SEC EDGAR asks every client to name a contact ("Your Name you@example.com").
# Without it the sec.* series wait and their theses say so in `signalflow status`.
{sec}

# FRED: without a key the keyless fredgraph.csv download is used (values assumed known
# the day after their period); with one, every vintage is backfilled, point in time.
# Get a key at https://fred.stlouisfed.org/docs/api/api_key.html
{fred}

# Slack: an incoming-webhook URL, or a bot token with a channel. Until one is set,
# alerts go to the console.
{slack_webhook}
{slack_token}
{slack_channel}

# Your own series: one [[tabular]] table each (csv.NAME), e.g. the GPU utilization the
# example thesis hyperscaler_capex reads:
# [[tabular]]
# name = "gpu_utilization"
# url = "gpu_utilization.csv"      # a file path or an http(s) URL
# format = "csv"
# date_column = "date"
# value_column = "value"

# Health and metrics endpoint (0 turns it off).
# http_port = 8787
"""


def _line(name: str, value: str, example: str) -> str:
    return f"{name} = {json.dumps(value)}" if value else f"# {name} = {json.dumps(example)}"


def render(
    sec_user_agent: str = "",
    fred_api_key: str = "",
    slack_webhook_url: str = "",
    slack_bot_token: str = "",
    slack_channel: str = "",
    rules_dir: str = "rules",
    database_url: str = "sqlite:///signalflow.db",
) -> str:
    """The commented signalflow.toml; a setting left empty stays commented out."""
    return TEMPLATE.format(
        rules_dir=json.dumps(rules_dir),
        database_url=json.dumps(database_url),
        sec=_line("sec_user_agent", sec_user_agent, "Your Name you@example.com"),
        fred=_line("fred_api_key", fred_api_key, "0123456789abcdef0123456789abcdef"),
        slack_webhook=_line("slack_webhook_url", slack_webhook_url, "https://hooks.slack.com/services/T000/B000/XXXX"),
        slack_token=_line("slack_bot_token", slack_bot_token, "xoxb-..."),
        slack_channel=_line("slack_channel", slack_channel, "#alerts"),
    )


@app.command()
@friendly_errors
def init(
    path: Annotated[Path, typer.Option("--path", help="File to write.")] = Path("signalflow.toml"),
    sec_user_agent: Annotated[
        Optional[str], typer.Option("--sec-user-agent", help="SEC contact: 'Your Name you@example.com'.")
    ] = None,
    fred_api_key: Annotated[Optional[str], typer.Option("--fred-api-key", help="FRED API key.")] = None,
    slack_webhook_url: Annotated[
        Optional[str], typer.Option("--slack-webhook-url", help="Slack incoming-webhook URL.")
    ] = None,
    slack_bot_token: Annotated[Optional[str], typer.Option("--slack-bot-token", help="Slack bot token.")] = None,
    slack_channel: Annotated[Optional[str], typer.Option("--slack-channel", help="Slack channel for the bot.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Write a commented signalflow.toml: asks for the SEC contact, a FRED key and Slack on a
    terminal (Enter skips one); takes them as flags, without asking, otherwise."""
    if path.exists() and not force:
        raise fail(f"{path} already exists; --force overwrites it (`signalflow config show` prints what it sets)")
    values = {
        "sec_user_agent": sec_user_agent,
        "fred_api_key": fred_api_key,
        "slack_webhook_url": slack_webhook_url,
        "slack_bot_token": slack_bot_token,
        "slack_channel": slack_channel,
    }
    if sys.stdin.isatty() and not as_json:
        prompts = {
            "sec_user_agent": "SEC contact, 'Your Name you@example.com' (Enter: skip, sec.* series wait)",
            "fred_api_key": "FRED API key (Enter: keyless fredgraph.csv)",
            "slack_webhook_url": "Slack incoming-webhook URL (Enter: alerts on the console)",
        }
        for name, prompt in prompts.items():
            if values[name] is None:
                values[name] = typer.prompt(prompt, default="", show_default=False, hide_input=name != "sec_user_agent")
    text = render(**{k: (v or "").strip() for k, v in values.items()})
    path.write_text(text, encoding="utf-8")
    if any(values[k] for k in ("fred_api_key", "slack_webhook_url", "slack_bot_token")):
        path.chmod(0o600)  # it holds secrets
    filled = [k for k, v in values.items() if v]
    if as_json:
        typer.echo(json.dumps({"path": str(path), "set": filled}))
        return
    typer.echo(f"wrote {path} ({', '.join(filled) if filled else 'every setting commented out; edit it any time'})")
    typer.echo("next: `signalflow check rules/`, then `signalflow run`")
    typer.echo("      (or `signalflow demo` to see it work offline)")
