"""A static HTML report that opens from disk, without a server: ``index.html`` with the
status board, and a page per thesis with its chart, alert history and decision journal.

    write_report(Path("report"), theses, store, now=datetime(2026, 1, 1))

Links are relative, charts are PNG files beside the pages, the CSS is inline and the only
script is a few inline lines that mark ``<body data-images="loaded">`` once every image has
loaded (what a headless browser test checks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path

from signalflow.thesis.model import Thesis
from signalflow.viz.board import NEVER, BoardRow, board, by_layer

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#222;max-width:1200px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;text-transform:capitalize}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.state{font-weight:600;padding:.1rem .4rem;border-radius:.25rem}
.ok{background:#dff3e3;color:#1d6b34}.soft_warning{background:#fde8cc;color:#8a4b00}
.kill_switch{background:#f8d3d0;color:#8f1d14}.never{background:#eee;color:#555}
.overdue{color:#b3261e;font-weight:600}.muted{color:#666}img{max-width:100%;border:1px solid #ddd}
code{background:#f6f6f6;padding:0 .2rem}
"""

IMAGES_SCRIPT = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.every(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute("data-images", ok ? "loaded" : "broken");
  document.body.setAttribute("data-image-count", String(imgs.length));
});
</script>"""


@dataclass
class Report:
    """What was written: the index and one page (and chart) per thesis."""

    index: Path
    pages: dict[str, Path] = field(default_factory=dict)
    charts: dict[str, Path] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # thesis -> why it has no chart

    def to_json(self) -> dict:
        return {
            "index": str(self.index),
            "pages": {k: str(v) for k, v in self.pages.items()},
            "charts": {k: str(v) for k, v in self.charts.items()},
            "errors": self.errors,
        }


def page_name(thesis_id: str) -> str:
    return f"thesis-{thesis_id}.html"


def write_report(
    out_dir: Path,
    theses: Sequence[Thesis],
    store,
    now: datetime,
    start: datetime | None = None,
    on_thesis: Callable[[Thesis], None] | None = None,
) -> Report:
    """Write the report for ``theses`` as stored in ``store`` (charts backtest from ``start``,
    default the first known value, to ``now``)."""
    from signalflow.errors import SignalflowError
    from signalflow.viz.plot import plot_thesis

    out_dir.mkdir(parents=True, exist_ok=True)
    rows = board(theses, store.engine_states(), now.date(), store)
    report = Report(out_dir / "index.html")
    report.index.write_text(_index(rows, now), encoding="utf-8")
    by_id = {r.thesis: r for r in rows}
    for thesis in theses:
        chart: Path | None = out_dir / f"thesis-{thesis.id}.png"
        try:
            plot_thesis(thesis, store, start, now, chart)
            report.charts[thesis.id] = chart
        except SignalflowError as exc:
            report.errors[thesis.id] = str(exc)
            chart = None
        alerts, entries = _history(store, thesis.id)
        page = out_dir / page_name(thesis.id)
        page.write_text(
            _thesis_page(thesis, by_id[thesis.id], chart, report.errors.get(thesis.id, ""), alerts, entries, now),
            encoding="utf-8",
        )
        report.pages[thesis.id] = page
        if on_thesis is not None:
            on_thesis(thesis)
    return report


def _history(store, thesis_id: str):
    from signalflow.store import alerts as store_alerts

    with store.session() as session:
        alerts = store_alerts.history(session, thesis_id)
        entries = store_alerts.journal(session, thesis_id)
    return alerts, entries


def _doc(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n{IMAGES_SCRIPT}\n</body></html>\n"
    )


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _state(state: str) -> str:
    css = "never" if state == NEVER else state
    return f'<span class="state {escape(css)}">{escape(state)}</span>'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    ths = "".join(f"<th>{escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{ths}</tr></thead><tbody>{trs}</tbody></table>"


def _index(rows: list[BoardRow], now: datetime) -> str:
    parts = [f"<h1>signalflow status board</h1><p class=\"muted\">generated {escape(_when(now))} UTC</p>"]
    for layer, group in by_layer(rows):
        body = []
        for r in group:
            review = escape(r.review_by.isoformat()) if r.review_by else ""
            if r.review_overdue:
                review = f'<span class="overdue">{review} (overdue)</span>'
            body.append([
                f'<a href="{escape(page_name(r.thesis))}">{escape(r.thesis)}</a><br><span class="muted">{escape(r.title)}</span>',
                _state(r.state),
                escape(r.quadrant),
                escape(_when(r.since)),
                escape(", ".join(r.firing)),
                escape(", ".join(r.pending)),
                escape(r.stalest.text() if r.stalest else ""),
                review,
            ])
        head = ("thesis", "state", "growth x liquidity", "since", "firing", "pending", "stalest input", "review by")
        parts.append(f'<section class="layer" id="layer-{escape(layer)}"><h2>{escape(layer)}</h2>{_table(head, body, "")}</section>')
    if not rows:
        parts.append('<p class="muted">no thesis found in the rules directory</p>')
    return _doc("signalflow status board", "\n".join(parts))


def _thesis_page(thesis: Thesis, row: BoardRow, chart: Path | None, error: str, alerts, entries, now: datetime) -> str:
    parts = [
        '<p><a href="index.html">&larr; status board</a></p>',
        f"<h1>{escape(thesis.id)}: {escape(thesis.title)}</h1>",
        f"<p>layer <b>{escape(thesis.layer or 'unassigned')}</b> &middot; state {_state(row.state)}"
        + (f" since {escape(_when(row.since))}" if row.since else "")
        + (f" &middot; {escape(row.quadrant)}" if row.quadrant else "")
        + (f" &middot; owner {escape(thesis.owner)}" if thesis.owner else "")
        + "</p>",
        "<h2>Growth and liquidity</h2>",
        _table(
            ("", "reason", "condition"),
            [
                ["growth", escape(thesis.growth.reason), f"<code>{escape(thesis.growth.when_text)}</code>"],
                ["liquidity", escape(thesis.liquidity.reason), f"<code>{escape(thesis.liquidity.when_text)}</code>"],
            ],
            "",
        ),
        "<h2>Rules</h2>",
        _table(
            ("rule", "severity", "when", "for", "summary"),
            [
                [escape(r.name), escape(r.severity.value), f"<code>{escape(r.when_text)}</code>", escape(_for(r)), escape(r.summary)]
                for r in thesis.rules
            ],
            "",
        ),
        "<h2>Chart</h2>",
        f'<img src="{escape(chart.name)}" alt="{escape(thesis.id)} inputs, thresholds and state bands">'
        if chart is not None
        else f'<p class="muted">no chart: {escape(error)}</p>',
        "<h2>Alert history</h2>",
        _table(
            ("fired", "rule", "severity", "episode", "state", "resolved", "summary"),
            [
                [escape(_when(a.fired_at)), escape(a.rule), escape(a.severity), str(a.episode), escape(a.state),
                 escape(_when(a.resolved_at)), escape(a.summary)]
                for a in alerts
            ],
            "no alert yet",
        ),
        "<h2>Decision journal</h2>",
        _table(
            ("at", "entry", "rule", "what", "state", "detail", "until"),
            [
                [escape(_when(e.at)), escape(e.entry), escape(e.rule), escape(e.what), escape(e.state), escape(e.detail),
                 escape(_when(e.until))]
                for e in entries
            ],
            "no entry yet",
        ),
        f'<p class="muted">generated {escape(_when(now))} UTC</p>',
    ]
    return _doc(f"{thesis.id} - signalflow", "\n".join(parts))


def _for(rule) -> str:
    if rule.for_.releases:
        return f"{rule.for_.releases} releases"
    if rule.for_.duration:
        return f"{rule.for_.duration.days}d" if rule.for_.duration.days else str(rule.for_.duration)
    return ""
