"""News commands: classify a headline, list the stories collected, and show each feed's health."""

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
    if result.language not in Classifier.languages:
        typer.echo(f"language:  {result.language} (the rules are for {', '.join(sorted(Classifier.languages))})")
    typer.echo(f"rule:      {result.rule or '-'}" + (f"  (matched {result.matched!r})" if result.matched else ""))
    typer.echo(f"mw:        {result.mw if result.mw is not None else '-'}")
    typer.echo(f"usd:       {result.amount_usd if result.amount_usd is not None else '-'}")
    typer.echo(f"companies: {', '.join(result.companies) or '-'}")
    d = result.details
    if d is not None:
        if d.buyer or d.seller:
            typer.echo(f"buyer:     {_party(d.buyer)}")
            typer.echo(f"seller:    {_party(d.seller)}")
        if d.term_years is not None:
            typer.echo(f"term:      {d.term_years:g} years")
        if d.technology:
            typer.echo(f"tech:      {', '.join(d.technology)}")
        if d.locations:
            typer.echo(f"where:     {', '.join(d.locations)}")
        if d.delay is not None:
            how_long = f"{d.delay.months:g} months" if d.delay.months is not None else ""
            until = f"until {d.delay.until}" if d.delay.until else ""
            typer.echo(f"delayed:   {d.delay.what or '-'}" + "".join(f"; {x}" for x in (how_long, until) if x))
    if result.negated:
        typer.echo(f"negated:   {', '.join(result.negated)}")


def _party(party) -> str:
    if party is None:
        return "-"
    return party.name + (f" ({party.ticker})" if party.ticker else "")


@app.command()
@friendly_errors
def feeds(json_output: JsonOption = False) -> None:
    """List the news feeds in use and each one's health from the last collection."""
    from dataclasses import asdict

    from signalflow import service
    from signalflow.redact import endpoint
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
            {"name": feed.name, "url": endpoint(feed.url.get_secret_value()), "schedule": format_duration(feed.schedule)}
            | ({k: v for k, v in asdict(known).items() if k not in ("feed", "url")} if known else {"status": "never"})
        )
    if json_output:
        print_json(rows)
        return
    from rich.console import Console

    from signalflow.cli.tables import Col, fit_table

    columns = [Col("feed", no_wrap=True), Col("status", no_wrap=True), Col("checked", 2, no_wrap=True),
               Col("entries", 3, justify="right"), Col("new", 4, justify="right"),
               Col("other lang", 5, justify="right"), Col("reason", 1)]
    table = fit_table(columns, [
        [row["name"], row["status"], row.get("checked_at", "")[:16], str(row.get("entries", "")),
         str(row.get("new_entries", "")), str(row.get("other_language", "")), row.get("reason", "")]
        for row in rows
    ])
    Console().print(table)


@app.command()
@friendly_errors
def news(
    since: Annotated[
        str, typer.Option("--since", help="Stories first seen within this long (7d, 12h) or since a date (2025-03-01).")
    ] = "30d",
    label: Annotated[str, typer.Option("--label", help="Only stories of this label (deployment_delay, ...).")] = "",
    limit: Annotated[int, typer.Option("--limit", help="At most this many stories, the latest first.")] = 50,
    json_output: JsonOption = False,
) -> None:
    """List the news stories collected: one per event however many outlets carried it, with
    its figures, the outlets in the order they published and their URLs."""
    from signalflow import service
    from signalflow.series import utcnow

    settings = load_settings()
    start = _since(since, utcnow())
    store = service.open_store(settings)
    try:
        found = store.stories(since=start, label=label or None, limit=limit)
    finally:
        store.close()
    if json_output:
        print_json([_story_dict(s) for s in found])
        return
    if not found:
        typer.echo(f"no stories since {start:%Y-%m-%d %H:%M}" + (f" labelled {label}" if label else ""))
        return
    for i, stored in enumerate(found):
        typer.echo(("\n" if i else "") + "\n".join(_story_lines(stored)))


def _since(text: str, now):
    """A duration back from now, or a date or instant (naive UTC)."""
    from datetime import datetime

    from signalflow.settings import parse_duration

    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        pass
    try:
        return now - parse_duration(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r}: use a duration such as 7d or a date such as 2025-03-01", param_hint="--since") from None


def _figures(story) -> str:
    parts = []
    if story.mw is not None:
        parts.append(f"{story.mw:,.0f} MW" if story.mw >= 1 else f"{story.mw:g} MW")
    if story.amount_usd is not None:
        usd = story.amount_usd
        parts.append(f"${usd / 1e9:,.1f}B" if usd >= 1e9 else f"${usd / 1e6:,.0f}M" if usd >= 1e6 else f"${usd:,.0f}")
    return "  ".join(parts)


def _story_lines(stored, width: int = 80) -> list[str]:
    """A story in lines of at most ``width`` characters (URLs, which cannot be cut, excepted)."""
    import textwrap

    s = stored.story
    head = f"{s.known_at:%Y-%m-%d %H:%M}  {s.label}"
    extra = [x for x in (",".join(s.companies), _figures(s)) if x]
    outlets = len(stored.outlets)
    head = "  ".join([head, *extra, f"{outlets} outlet{'s' if outlets != 1 else ''}"])
    lines = [head[:width]]
    lines += textwrap.wrap(s.title, width - 2, initial_indent="  ", subsequent_indent="  ")
    for m in stored.members:
        lines.append(f"  - {m.published:%m-%d %H:%M}  {m.outlet}"[:width])
        if m.link:
            lines.append(f"      {m.link}")
    return lines


def _story_dict(stored) -> dict[str, object]:
    s = stored.story
    return {
        "id": s.id,
        "label": s.label,
        "title": s.title,
        "known_at": s.known_at,
        "mw": s.mw,
        "amount_usd": s.amount_usd,
        "companies": list(s.companies),
        "version": s.version,
        "updated_at": s.updated_at,
        "outlets": list(stored.outlets),
        "members": [
            {"outlet": m.outlet, "feed": m.feed, "title": m.title, "url": m.link, "published": m.published}
            for m in stored.members
        ],
    }
