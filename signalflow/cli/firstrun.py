"""What ``signalflow run`` says before and after its work: the start-up summary (theses,
sources collected and skipped with the setting each needs, the database, the HTTP port)
and, when nothing could be collected, where to go next."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from signalflow.service import NOTHING_COLLECTED  # noqa: F401  (said by the daemon's log too)


def startup_lines(settings, store_url: str, theses: Sequence, plans: Sequence, daemon: bool) -> list[str]:
    """The start-up summary, one fact per line."""
    n_refs = sum(len(p.ready) + sum(len(r) for r in p.waiting.values()) for p in plans)
    lines = [f"signalflow: {len(theses)} theses from {settings.rules_dir}/ reading {n_refs} series"]
    lines.append(f"database: {store_url}")
    ready = [f"{p.source} ({_series(len(p.ready))})" for p in plans if p.ready and not p.error]
    lines.append("collecting: " + (", ".join(ready) if ready else "nothing yet"))
    waiting = [(p.source, setting, refs) for p in plans for setting, refs in p.waiting.items()]
    if waiting:
        lines.append("skipped until configured (not failures; `signalflow init` writes the settings):")
        for source, setting, refs in waiting:
            subject = refs[0] if len(refs) == 1 else f"{source} ({_series(len(refs))})"
            lines.append(f"  {subject} needs {setting}")
    for p in plans:
        if p.error:
            lines.append(f"  {p.source}: unavailable: {p.error}")
    if daemon:
        port = settings.http_port
        lines.append(
            f"health and metrics: http://{settings.http_host}:{port}/healthz" if port else "health endpoint: off (http_port = 0)"
        )
        lines.append("Ctrl-C stops; `signalflow status` in another terminal shows the board.")
    return lines


def print_startup(settings, store_url: str, theses: Sequence, plans: Sequence, daemon: bool) -> None:
    for line in startup_lines(settings, store_url, theses, plans, daemon):
        echo_wrapped(line)


def echo_wrapped(text: str, width: int = 80) -> None:
    """One of our messages on stderr, folded at ``width`` (continuation lines indented)."""
    import textwrap

    indent = " " * (len(text) - len(text.lstrip()) + 4)
    typer.echo(textwrap.fill(text, width, subsequent_indent=indent, break_on_hyphens=False), err=True)


def _series(n: int) -> str:
    return f"{n} series"


def report_status(report) -> str:
    """The collection table's status cell for one source."""
    if report.interrupted:
        return "interrupted"
    if not report.ok:
        return report.error
    if report.waiting and not report.observations_added and len(report.refs) == sum(len(r) for r in report.waiting.values()):
        return "waiting for " + "; ".join(report.waiting)
    if report.waiting:
        return "ok; waiting for " + "; ".join(report.waiting)
    return "ok"
