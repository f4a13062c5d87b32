"""``signalflow hypotheses``: statements theses rely on, confirmed, refuted or still open."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.analysis import FactsOption, _open
from signalflow.cli.common import friendly_errors, parse_when, print_json


@app.command()
@friendly_errors
def hypotheses(
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Evaluate as known at this date (default: now).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    rules: Annotated[
        Optional[Path], typer.Option("--rules", "-r", help="Rules directory (default: SIGNALFLOW_RULES_DIR or ./rules).")
    ] = None,
    facts: FactsOption = False,
) -> None:
    """List every hypothesis of every thesis (who said what, when, the condition that
    verifies it and by when) as open, confirmed or refuted, point in time, with the date
    it was decided."""
    from rich.console import Console

    from signalflow.thesis.hypotheses import evaluate_hypotheses

    at = parse_when(as_of) or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    _, store, theses = _open(rules, facts)
    try:
        found = [status for thesis in theses for status in evaluate_hypotheses(thesis, store, at)]
    finally:
        store.close()
    if as_json:
        print_json([status.to_json() for status in found])
        return
    if not found:
        Console().print("no hypotheses: add a hypotheses: section to a thesis file")
        return
    from signalflow.cli.tables import Col, cell, fit_table

    colours = {"confirmed": "green", "refuted": "red", "open": "yellow"}
    rows = []
    for s in found:
        said = f"{s.who} ({s.said})" if s.said else s.who
        decided = f"{s.decided_at:%Y-%m-%d}" if s.decided_at else ""
        rows.append([s.thesis, s.name, cell(s.state.value, colours[s.state.value]), decided, str(s.by), s.claim, said,
                     s.verify])
    columns = [Col("thesis", no_wrap=True), Col("hypothesis", no_wrap=True), Col("state", no_wrap=True),
               Col("decided", 2, no_wrap=True), Col("by", 3, no_wrap=True), Col("claim", 1), Col("who / said", 4),
               Col("verify", 5)]
    Console().print(fit_table(columns, rows, title=f"Hypotheses as known at {at:%Y-%m-%d %H:%M}"))
