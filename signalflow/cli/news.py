"""News commands: classify a headline, and show each feed's health."""

from __future__ import annotations

from typing import Annotated

import typer

from signalflow.cli import app
from signalflow.cli.common import friendly_errors, load_settings, print_json

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.command()
@friendly_errors
def classify(
    text: Annotated[str, typer.Argument(help="A headline (and optionally its summary) to classify.")],
    summary: Annotated[str, typer.Option("--summary", help="The entry's summary, classified with the title.")] = "",
    json_output: JsonOption = False,
) -> None:
    """Classify TEXT as a news event and show the label, MW, USD, companies and the deciding rule.

    Uses the built-in rules and watch list plus news_rules_file and watchlist_file."""
    from signalflow.news.classify import Classifier
    from signalflow.sources.news_settings import NewsSettings

    config = load_settings().section(NewsSettings)
    result = Classifier.default(config.rules_file, config.watchlist_file).classify(text, summary)
    if json_output:
        print_json(result.as_dict())
        return
    typer.echo(f"label:     {result.label or 'none'}")
    typer.echo(f"rule:      {result.rule or '-'}" + (f"  (matched {result.matched!r})" if result.matched else ""))
    typer.echo(f"mw:        {result.mw if result.mw is not None else '-'}")
    typer.echo(f"usd:       {result.amount_usd if result.amount_usd is not None else '-'}")
    typer.echo(f"companies: {', '.join(result.companies) or '-'}")
    if result.negated:
        typer.echo(f"negated:   {', '.join(result.negated)}")


@app.command()
@friendly_errors
def feeds(json_output: JsonOption = False) -> None:
    """List the news feeds in use and each one's health from the last collection."""
    from dataclasses import asdict

    from signalflow import service
    from signalflow.settings import format_duration
    from signalflow.sources.news import NewsSource, feed_health

    settings = load_settings()
    configured = NewsSource(settings).feeds()
    store = service.open_store(settings)
    try:
        health = {h.feed: h for h in feed_health(store.get_source_state(NewsSource.name))}
    finally:
        store.close()
    rows = []
    for feed in configured:
        known = health.get(feed.name)
        rows.append(
            {"name": feed.name, "url": feed.url, "schedule": format_duration(feed.schedule)}
            | ({k: v for k, v in asdict(known).items() if k not in ("feed", "url")} if known else {"status": "never"})
        )
    if json_output:
        print_json(rows)
        return
    from rich.console import Console

    from signalflow.cli.tables import Col, fit_table

    columns = [Col("feed", no_wrap=True), Col("status", no_wrap=True), Col("checked", 2, no_wrap=True),
               Col("entries", 3, justify="right"), Col("new", 4, justify="right"), Col("reason", 1)]
    table = fit_table(columns, [
        [row["name"], row["status"], row.get("checked_at", "")[:16], str(row.get("entries", "")),
         str(row.get("new_entries", "")), row.get("reason", "")]
        for row in rows
    ])
    Console().print(table)
