"""What ``signalflow import`` prints: one totals line per source (the per-file table with
``--verbose``); the files that failed are listed by the command after it."""

from __future__ import annotations

from collections.abc import Sequence

import typer


def totals(reports: Sequence) -> list[str]:
    """One line per source: files, new observations and events, series, warnings."""
    by_source: dict[str, list] = {}
    for r in reports:
        if not r.error:
            by_source.setdefault(r.source, []).append(r)
    lines = []
    for source, group in sorted(by_source.items()):
        observations = sum(r.observations_added for r in group)
        events = sum(r.events_added for r in group)
        series = len({key for r in group for key in r.series})
        warnings = sum(len(r.warnings) for r in group)
        parts = [_count(len(group), "file"), f"{observations:,} new observations"]
        if events:
            parts.append(f"{events:,} new events")
        parts.append(f"{series:,} series")
        if warnings:
            parts.append(_count(warnings, "warning"))
        lines.append(f"{source}: " + ", ".join(parts))
    failed = sum(1 for r in reports if r.error)
    if failed:
        lines.append(f"not imported: {_count(failed, 'file')} (listed below)")
    if not reports:
        lines.append("no files found")
    return lines


def failures(reports: Sequence) -> list[str]:
    """The files not imported, each named; files that failed alike (a folder of saved 429
    replies) are said once: the reason, then each file relative to their common folder."""
    import os

    by_reason: dict[str, list] = {}
    for r in reports:
        if r.error:
            prefix = f"{r.path}: "
            reason = r.error[len(prefix):] if r.error.startswith(prefix) else r.error
            by_reason.setdefault(reason, []).append(r)
    lines = []
    for reason, group in by_reason.items():
        if len(group) == 1:
            lines.append(f"error: {group[0].error}")
            continue
        # absolute first: files named as `a/x.json` and `/data/y.json` share a folder too
        root = os.path.commonpath([os.path.abspath(r.path.parent) for r in group])
        lines.append(f"error: {_count(len(group), 'file')}: {reason}")
        lines.append(f"  in {root}:")
        lines += [f"    {os.path.relpath(os.path.abspath(r.path), root)}" for r in group]
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def print_import(reports: Sequence, verbose: bool = False) -> None:
    if verbose:
        from rich.console import Console

        from signalflow.cli.tables import Col, fit_table

        rows = []
        for r in reports:
            if r.error:
                continue
            shown = ", ".join(r.series[:4]) + (f" (+{len(r.series) - 4})" if len(r.series) > 4 else "")
            rows.append([str(r.path), r.source, str(r.observations_added), str(r.events_added), shown])
        columns = [Col("file"), Col("source", 2, no_wrap=True), Col("new observations", justify="right"),
                   Col("new events", 3, justify="right"), Col("series", 1)]
        Console().print(fit_table(columns, rows))
    for line in totals(reports):
        typer.echo(line)
