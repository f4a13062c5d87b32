"""`signalflow demo` on ERCOT's real interconnection queue: the demo_power_queue thesis,
backtested over its own span, announces what the bundled extract of the GIS reports says, on
dates the test derives from the extract itself (not from the engine)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from signalflow.bundled.grid_facts import grid_facts
from signalflow.viz.demo import DEMO_END, DEMO_SPANS, demo_theses, run_demo

THESIS = "demo_power_queue"


@pytest.fixture(scope="module")
def told(tmp_path_factory: pytest.TempPathFactory):
    (thesis,) = [t for t in demo_theses() if t.id == THESIS]
    (told,) = run_demo(tmp_path_factory.mktemp("demo"), theses=[thesis]).theses
    return told


def _slips_outrun_requests_from(facts) -> datetime:
    """The first instant at which the MW that slipped their COD over the last 90 days (by the
    instant each report became known) outrun the MW newly requested 1.5 to 1."""
    changes = [f for f in facts if f.series in ("grid.ercot.cod_slip.mw", "grid.ercot.new_request.mw")]
    window = timedelta(days=90)

    def outrun(at: datetime) -> bool:
        seen = [f for f in changes if at - window < f.known_at <= at]
        slips = sum(f.value for f in seen if f.series == "grid.ercot.cod_slip.mw")
        asked = sum(f.value for f in seen if f.series == "grid.ercot.new_request.mw")
        return slips > 1.5 * asked

    # The sums change only when a report becomes known or leaves the window.
    moments = sorted({f.known_at for f in changes} | {f.known_at + window + timedelta(seconds=1) for f in changes})
    return next(at for at in moments if outrun(at))


def test_the_soft_warning_fires_when_the_reports_say_so_and_not_before(told) -> None:
    facts = grid_facts()
    since = _slips_outrun_requests_from(facts)
    # The changes of the report run 2025-11-01 (ten months' worth, many new requests) leave the
    # window 90 days after they became known; then the slips of December and January outrun
    # new requests. The daily backtest announces it at the next midnight.
    assert since.date() == datetime(2026, 1, 31).date()
    announced = [(e.rule, e.event, e.at) for e in told.events]
    first_midnight = datetime.combine(since.date() + timedelta(days=1), datetime.min.time())
    assert announced == [("queue_slips_outrun_requests", "firing", first_midnight)]
    assert first_midnight == datetime(2026, 2, 1)


def test_the_queue_grows_every_report_so_no_kill_switch(told) -> None:
    levels = [f.value for f in sorted(grid_facts(), key=lambda f: f.known_at) if f.series == "grid.ercot.queue_mw"]
    assert all(b > a for a, b in zip(levels, levels[1:]))
    assert not [e for e in told.events if e.severity == "kill_switch"]
    assert told.backtest.final.state.value == "soft_warning"


def test_its_own_span_and_closing_sentence(told) -> None:
    start, end = DEMO_SPANS[THESIS]
    assert end > DEMO_END and told.end == end and told.data.start == start
    assert told.closing.startswith(f"From {start:%Y-%m-%d} to {end:%Y-%m-%d} it would have sent no Kill Switch")
    assert "one Soft Warning (queue_slips_outrun_requests on 2026-02-01, still firing at the end)" in told.closing
    assert told.to_json()["end"] == end.isoformat()
    # Every input names its source: the ERCOT report its first fact came from.
    for ref in ("grid.ercot.queue_mw", "grid.ercot.cod_slip.mw", "grid.ercot.new_request.mw"):
        assert told.inputs[ref].startswith("ERCOT, Generation Interconnection Status report"), ref


def test_its_panels_draw_the_queue_and_the_ratio_of_slips_to_requests(told) -> None:
    panels = {p.label.split(" = ", 1)[0]: p for p in told.data.panels}
    assert {"queue_added", "slips_per_request"} <= set(panels)
    ratio = panels["slips_per_request"]
    known = np.isfinite(ratio.values)
    assert known.any() and [t.text for t in ratio.thresholds] == ["1.5"]
    # The ratio first known when the report run 2025-11-01 is: its two sums over the window.
    first = ratio.values[known][0]
    oct_run = {f.series: f.value for f in grid_facts() if f"{f.period_end:%Y-%m-%d}" == "2025-11-01"}
    assert first == pytest.approx(oct_run["grid.ercot.cod_slip.mw"] / oct_run["grid.ercot.new_request.mw"])
    added = panels["queue_added"]
    assert np.nanmin(added.values) > 0
    assert told.chart is not None and told.chart.is_file()


def test_the_quadrant_strip_marks_where_a_condition_input_ends_and_its_last_value_is_held(told) -> None:
    import matplotlib.dates as mdates

    from signalflow.bundled.valuation_facts import valuation_facts
    from signalflow.viz.plot import figure

    # Liquidity reads the weekly high-yield spread; the bundled FRED extract ends before the
    # thesis's span does, so from a week after its last release the quadrant holds that value.
    spread = [f for f in valuation_facts() if f.series == "fred.BAMLH0A0HYM2"]
    last = max(f.known_at for f in spread)
    since, ref = told.data.quadrant_held
    assert ref == "fred.BAMLH0A0HYM2"
    assert last < since <= last + timedelta(days=8) < told.end
    (held,) = [p for ax in figure(told.data).axes for p in ax.patches if (p.get_gid() or "").startswith("held:")]
    assert held.get_gid() == "held:fred.BAMLH0A0HYM2"
    assert mdates.num2date(held.get_x()).replace(tzinfo=None) == since
